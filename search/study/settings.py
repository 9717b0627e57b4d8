"""The study settings a run implies for given data, and the recipe each of its trials trains with."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from ..config import VAL_FRACTION, RunConfig
from ..train import TrainConfig, auto_recipe
from .schema import StudySettings

# TrainConfig fields that steer a run without changing what a trial means
_NOT_SETTINGS = ("seed", "time_limit_s", "latency_batch_sizes", "eval_batch_size")


def data_fingerprint(data: Any) -> str:
    """A short hash of the data's splits: labels in full, pixels sampled (cheap on 50,000 images)."""
    h = hashlib.sha256()
    for split in ("train", "val", "test"):
        x, y = getattr(data, f"{split}_x"), getattr(data, f"{split}_y")
        h.update(f"{split}:{tuple(x.shape)}".encode())
        h.update(y.numpy().tobytes())
        step = max(1, len(x) // 256)
        h.update(x[::step].contiguous().numpy().tobytes())
    h.update("\n".join(data.classes).encode())
    return h.hexdigest()[:16]


def recipe(cfg: RunConfig, n_train: int) -> TrainConfig:
    """The proxy recipe for this data: batch size and learning rate follow the training split unless given."""
    return auto_recipe(cfg.train, n_train, cfg.batch_size is not None, cfg.lr is not None)


def settings_for(cfg: RunConfig, data: Any, split_seed: int, heartbeat_s: int) -> StudySettings:
    """The settings a run with ``cfg`` on ``data`` gives its study."""
    train = recipe(cfg, len(data.train_y))
    resolution = train.resolution or data.resolution
    recipe_dict = {k: v for k, v in asdict(train).items() if k not in _NOT_SETTINGS}
    return StudySettings(cfg.budget, tuple(cfg.objectives.split(",")), cfg.data if isinstance(cfg.data, str)
                         else data.name, data_fingerprint(data), resolution, data.channels, data.num_classes,
                         split_seed, VAL_FRACTION, recipe_dict, cfg.space.to_dict(), heartbeat_s,
                         tune={t.name: t.to_dict() for t in cfg.tune})


def train_config(settings: StudySettings, cfg: RunConfig) -> TrainConfig:
    """The TrainConfig a trial uses: the study's recipe plus this run's steering fields."""
    steer = {k: getattr(cfg.train, k) for k in _NOT_SETTINGS}
    known = TrainConfig.__dataclass_fields__
    return TrainConfig(**{k: v for k, v in settings.train.items() if k in known}, **steer)
