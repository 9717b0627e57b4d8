"""Proxy training of a candidate network: recipe, engine, latency.

``config`` holds the records, ``recipe`` the schedule and the data-adaptive batch and lr,
``augmentation`` the on-device augmentation, ``engine`` the training loop, ``latency`` the timing,
``device`` the device facts. Names load on first use (PEP 562): the run config reads ``TrainConfig``'s
defaults without importing torch.
"""

from space.lazy import lazy_getattr

_HOME = {
    **dict.fromkeys(("augment", "cutout"), "augmentation"),
    **dict.fromkeys(("EpochStats", "Pruned", "TrainConfig", "TrainResult"), "config"),
    **dict.fromkeys(("resolve_device",), "device"),
    **dict.fromkeys(("evaluate", "train_proxy"), "engine"),
    **dict.fromkeys(("Latency", "measure_latency"), "latency"),
    **dict.fromkeys(("at_chance", "auto_batch_size", "auto_recipe", "chance_level", "few_steps_warning", "lr_at",
                     "scaled_lr"), "recipe"),
}

__all__ = sorted(_HOME)

__getattr__ = lazy_getattr(__name__, globals(), _HOME)
