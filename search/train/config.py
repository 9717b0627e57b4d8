"""The records of proxy training: the recipe in, the per-epoch stats and the outcome out."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from search.files import jsonable
from search.status import Status

SCHEDULES = ("onecycle", "cosine")
RUN_PEAK, PROCESS_PEAK = "cuda_max_allocated", "cpu_max_rss"  # what a TrainResult's peak memory measures


@dataclass(frozen=True)
class TrainConfig:
    """Recipe of one proxy training run; defaults suit ResNet-sized CNNs on CIFAR-sized data."""

    epochs: int = 10  # passes over the (possibly subsampled) training split
    batch_size: int = 256  # training batch; a smaller set trains in one batch of everything (see auto_recipe)
    lr: float = 0.2  # peak SGD learning rate, used as given (0.2 suits batch 256; see scaled_lr)
    momentum: float = 0.9  # SGD momentum
    nesterov: bool = True  # Nesterov momentum (needs momentum > 0)
    weight_decay: float = 5e-4  # L2 on conv/linear weights only; norms and biases are not decayed
    label_smoothing: float = 0.1  # training loss only; reported losses are plain cross-entropy
    schedule: str = "onecycle"  # "onecycle": linear up then linear down to 0; "cosine": linear up, cosine down
    warmup: float = 0.2  # fraction of all steps spent rising linearly to the peak lr
    crop_padding: int = 4  # random crop after reflect-padding this many native pixels per side; 0 = off
    flip: bool = True  # random horizontal flip
    cutout: int = 0  # side in pixels (at the training resolution) of a zeroed random square; 0 = off
    bf16: bool | str = "auto"  # bf16 autocast: "auto" = on CUDA when supported, True/False to force
    channels_last: bool = True  # channels_last memory format, applied on CUDA only
    seed: int = 0  # seeds the global RNG (dropout) and the shuffle/augmentation generator
    eval_batch_size: int = 1024  # batch for validation, test and nothing else
    max_train_images: int | None = None  # train on a seeded random subset of this size; None = all
    resolution: int | None = None  # train/eval at this square size (bilinear resize on device); None = native
    time_limit_s: float | None = None  # stop with status "timeout" past this many seconds; None = no limit
    latency_batch_sizes: tuple[int, ...] = (1, 256)  # batches timed after a run that ends "ok"; () = skip
    latency_threads: int = 1  # CPU threads while timing: a fixed count makes latencies comparable across runs

    def __post_init__(self) -> None:
        if not isinstance(self.latency_batch_sizes, (list, tuple)):
            raise ValueError(f"latency_batch_sizes: must be a list of batch sizes, got {self.latency_batch_sizes!r}")
        object.__setattr__(self, "latency_batch_sizes", tuple(self.latency_batch_sizes))  # lists from YAML/JSON
        positive = {"epochs": self.epochs, "batch_size": self.batch_size, "eval_batch_size": self.eval_batch_size,
                    "latency_threads": self.latency_threads}
        for name, value in positive.items():
            if not is_int(value) or value < 1:
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        for name in ("max_train_images", "resolution"):
            value = getattr(self, name)
            if value is not None and (not is_int(value) or value < 1):
                raise ValueError(f"{name}: must be a positive integer or None, got {value!r}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not 0 < self.lr < math.inf:
            raise ValueError(f"lr: must be a finite number > 0, got {self.lr!r}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum: must be in [0, 1), got {self.momentum}")
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov: needs momentum > 0")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay: must be >= 0, got {self.weight_decay}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing: must be in [0, 1), got {self.label_smoothing}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule: must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if not 0 <= self.warmup < 1:
            raise ValueError(f"warmup: must be in [0, 1), got {self.warmup}")
        for name in ("crop_padding", "cutout"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 0:
                raise ValueError(f"{name}: must be an integer >= 0, got {getattr(self, name)!r}")
        if self.bf16 not in (True, False, "auto"):
            raise ValueError(f"bf16: must be true, false or 'auto', got {self.bf16!r}")
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s: must be > 0 or None, got {self.time_limit_s}")
        if not all(is_int(b) and b >= 1 for b in self.latency_batch_sizes):
            raise ValueError(f"latency_batch_sizes: must be positive integers, got {self.latency_batch_sizes!r}")


@dataclass(frozen=True)
class EpochStats:
    """What ``on_epoch`` sees after each epoch's validation."""

    epoch: int  # 1-based
    train_loss: float  # mean label-smoothed training loss over the epoch
    val_loss: float  # plain cross-entropy on the validation split
    val_acc: float  # fraction in [0, 1]
    seconds: float  # wall time since the run started, evaluation included


@dataclass
class TrainResult:
    """Outcome of one run; the metrics describe the last completed epoch."""

    status: Status  # one of search.status.TRAIN_STATUSES
    reason: str  # one line; "" when status is "ok"
    epochs: int  # completed epochs
    val_acc: float | None  # None when no epoch completed
    val_loss: float | None
    history: list[dict] = field(default_factory=list)  # EpochStats as dicts
    train_seconds: float = 0.0  # training steps only, evaluation excluded
    images_per_second: float = 0.0  # training images per training second
    peak_memory_bytes: int = 0  # see peak_memory_kind
    peak_memory_kind: str = ""  # RUN_PEAK (this run, on a GPU), PROCESS_PEAK (the process's lifetime), "" = unknown
    latency_ms: dict[str, float | None] = field(default_factory=dict)  # median {"b1": ms, "b256": ms}; None = OOM
    latency_iqr_ms: dict[str, float | None] = field(default_factory=dict)  # interquartile range, same keys
    latency_threads: int = 0  # CPU threads the latencies were timed with; 0 = not timed
    test_acc: float | None = None  # only with evaluate_test=True and a non-empty test split
    test_loss: float | None = None
    device: str = ""  # "cpu" or the GPU's name

    @property
    def run_peak_bytes(self) -> int | None:
        """The peak memory of this run alone (the GPU's allocation), or None where only the process's lifetime
        peak is known (a CPU's max RSS says nothing of one trial)."""
        return self.peak_memory_bytes if self.peak_memory_kind == RUN_PEAK else None

    def to_dict(self) -> dict:
        """JSON-safe dict: non-finite floats become None."""
        return jsonable(asdict(self))


class Pruned(Exception):
    """Raised by an ``on_epoch`` callback to stop a run; the result has status "pruned"."""


def is_int(value) -> bool:
    """True for an int that is not a bool (JSON/YAML true must not pass as 1)."""
    return isinstance(value, int) and not isinstance(value, bool)
