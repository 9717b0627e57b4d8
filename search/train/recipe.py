"""The recipe's arithmetic: the lr schedule, and a batch size and lr that adapt to the data's size.

A fixed batch of 256 on a 2,000-image folder gives 7 optimiser steps an epoch and a model at
chance; these pure functions pick a batch that keeps enough steps, scale the lr with it, and
say when a run is too short or its accuracy is indistinguishable from guessing.
"""

from __future__ import annotations

import math
from dataclasses import replace

from search.train.config import TrainConfig

MIN_STEPS_PER_EPOCH = 50  # fewer and BatchNorm statistics and SGD barely move in a short proxy run
BATCH_CHOICES = (256, 128, 64, 32)  # powers of two, largest first; 256 is the recipe the defaults were tuned at
LR_FLOOR_BATCH = 32  # the lr stops shrinking below this batch: linear scaling would leave tiny batches at lr ~0


def lr_at(step: int, total: int, peak: float, warmup: float, schedule: str) -> float:
    """Learning rate before optimizer step ``step`` (0-based) of ``total``."""
    rise = max(1, round(warmup * total))
    if step < rise:
        return peak * (step + 1) / rise
    progress = (step - rise + 1) / max(1, total - rise)  # reaches 1 at the last step
    if schedule == "onecycle":
        return peak * max(0.0, 1 - progress)
    return peak * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def auto_batch_size(n_train: int) -> int:
    """Largest of 256, 128, 64, 32 giving at least 50 optimiser steps an epoch on ``n_train`` images; else 32."""
    if n_train < 1:
        raise ValueError(f"n_train: must be a positive number of images, got {n_train}")
    return next((b for b in BATCH_CHOICES if n_train // b >= MIN_STEPS_PER_EPOCH), BATCH_CHOICES[-1])


def scaled_lr(batch_size: int, base_lr: float = 0.2, base_batch: int = 256) -> float:
    """Peak lr for ``batch_size`` by linear scaling from ``base_lr`` at ``base_batch``, floored at batch 32's."""
    if batch_size < 1:
        raise ValueError(f"batch_size: must be a positive integer, got {batch_size}")
    return base_lr * max(batch_size, LR_FLOOR_BATCH) / base_batch


def auto_recipe(cfg: TrainConfig, n_train: int, batch_given: bool = False, lr_given: bool = False) -> TrainConfig:
    """``cfg`` fitted to ``n_train`` images (at most ``cfg.max_train_images``): the batch from ``auto_batch_size``
    and the lr scaled to it from ``cfg.lr`` (read as batch 256's), each unless the user gave it."""
    n = min(n_train, cfg.max_train_images or n_train)
    batch = cfg.batch_size if batch_given else auto_batch_size(n)
    return replace(cfg, batch_size=batch, lr=cfg.lr if lr_given else scaled_lr(batch, base_lr=cfg.lr))


def total_steps(n_train: int, batch_size: int, epochs: int) -> int:
    """Optimiser steps of a run; the engine drops the last partial batch and never batches beyond the set."""
    if n_train < 1:
        raise ValueError(f"n_train: must be a positive number of images, got {n_train}")
    return n_train // min(batch_size, n_train) * epochs


def few_steps_warning(n_train: int, batch_size: int, epochs: int, minimum: int = 300) -> str | None:
    """One line naming the fix when the run takes fewer than ``minimum`` optimiser steps, else None."""
    steps = total_steps(n_train, batch_size, epochs)
    if steps >= minimum:
        return None
    per_epoch = steps // epochs
    return (f"only {steps} optimiser steps ({per_epoch} per epoch x {epochs} epochs, {n_train} images at batch "
            f"{batch_size}), fewer than {minimum}: accuracy may stay near chance; use more epochs "
            f"(--epochs {math.ceil(minimum / per_epoch)}), a smaller --batch-size, or more data")


def chance_level(num_classes: int) -> float:
    """Accuracy of guessing among ``num_classes`` balanced classes."""
    if num_classes < 1:
        raise ValueError(f"num_classes: must be a positive integer, got {num_classes}")
    return 1.0 / num_classes


def at_chance(val_acc: float, num_classes: int, n_val: int, z: float = 3.0) -> bool:
    """True when ``val_acc`` is within ``z`` binomial standard errors of chance on ``n_val`` images, on either side:
    far below chance is not chance (the network has learnt something, if backwards)."""
    if n_val < 1:
        raise ValueError(f"n_val: the validation split is empty, so chance cannot be told apart, got {n_val}")
    p = chance_level(num_classes)
    return abs(val_acc - p) <= z * math.sqrt(p * (1 - p) / n_val)
