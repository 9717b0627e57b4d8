"""Proxy training of a candidate network: recipe, engine, latency.

``config`` holds the records, ``recipe`` the schedule and the data-adaptive batch and lr,
``augment`` the on-device augmentation, ``engine`` the training loop, ``latency`` the timing,
``device`` the device facts.
"""

from search.train.augment import augment, cutout
from search.train.config import EpochStats, Pruned, TrainConfig, TrainResult
from search.train.device import resolve_device
from search.train.engine import evaluate, train_proxy
from search.train.latency import Latency, measure_latency
from search.train.recipe import (at_chance, auto_batch_size, auto_recipe, chance_level, few_steps_warning, lr_at,
                                 scaled_lr)

__all__ = ["TrainConfig", "TrainResult", "EpochStats", "Pruned", "train_proxy", "evaluate",
           "measure_latency", "Latency", "resolve_device", "lr_at", "augment", "cutout",
           "auto_batch_size", "scaled_lr", "auto_recipe", "few_steps_warning", "chance_level", "at_chance"]
