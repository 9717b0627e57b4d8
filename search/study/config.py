"""What one ``nas run`` asks for (:class:`SearchConfig`), and the study settings it implies for given data."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from ..budget import Budget
from ..run_config import OBJECTIVES, PRUNERS, SAMPLERS
from ..train import TrainConfig, auto_recipe
from .schema import StudyPaths, StudySettings

# TrainConfig fields that steer a run without changing what a trial means
_NOT_SETTINGS = ("seed", "time_limit_s", "latency_batch_sizes", "eval_batch_size")


@dataclass(frozen=True)
class SearchConfig:
    """Everything one ``nas run`` needs; every worker process receives a copy."""

    study: str  # study name, and the folder under studies_dir
    data: Any  # --data spec (see search.data.load_data), or tensors / Datasets in memory (search.data.in_memory)
    budget: Budget  # MACs / params the trained candidates must fit
    space: Any  # a search.sampling space: sample(), to_dict(), feasible_range()
    tune: tuple = ()  # search.tuning.Tunable ranges drawn per trial with the genome (--tune)
    objectives: str = "accuracy"  # a key of OBJECTIVES
    trials: int | None = 20  # trials that finish training (ok or pruned); None with a timeout = until then
    timeout_s: float | None = None  # stop claiming new trials after this many seconds
    train: TrainConfig = field(default_factory=TrainConfig)
    batch_given: bool = False  # the user set --batch-size: the recipe does not adapt it to the data
    lr_given: bool = False
    sampler: str = "auto"
    pruner: str = "median"
    workers: int = 1
    device: str | None = None
    seed: int = 0  # steers the sampler and the training seeds; the validation split keeps the study's
    studies_dir: str = "studies"
    storage: str | None = None  # any Optuna storage URL; None = sqlite under studies/<study>/
    cache_dir: str | None = None  # decoded data sets (search.data default when None)
    val_fraction: float = 0.1
    max_failures: int = 5  # stop after this many failed (or rejected) trials in a row
    heartbeat_s: int = 10  # for a new study; an existing one keeps its own
    quiet: bool = False
    chance_trials: int = 4  # stop when the study's first this-many trained trials are all at chance; 0 = never
    progress: bool | None = None  # live progress bars; None = when stderr is a terminal

    @property
    def paths(self) -> StudyPaths:
        """The study folder's files."""
        return StudyPaths.of(self.studies_dir, self.study)

    @property
    def storage_url(self) -> str:
        """The storage URL actually used."""
        return self.storage or self.paths.sqlite_url()

    @property
    def directions(self) -> tuple[str, ...]:
        return OBJECTIVES[self.objectives]


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


def recipe(cfg: SearchConfig, n_train: int) -> TrainConfig:
    """The proxy recipe for this data: batch size and learning rate follow the training split unless given."""
    return auto_recipe(cfg.train, n_train, cfg.batch_given, cfg.lr_given)


def settings_for(cfg: SearchConfig, data: Any, split_seed: int, heartbeat_s: int) -> StudySettings:
    """The settings a run with ``cfg`` on ``data`` gives its study."""
    train = recipe(cfg, len(data.train_y))
    resolution = train.resolution or data.resolution
    recipe_dict = {k: v for k, v in asdict(train).items() if k not in _NOT_SETTINGS}
    return StudySettings(cfg.budget, tuple(cfg.objectives.split(",")), cfg.data if isinstance(cfg.data, str)
                         else data.name, data_fingerprint(data), resolution, data.channels, data.num_classes,
                         split_seed, cfg.val_fraction, recipe_dict, cfg.space.to_dict(), heartbeat_s,
                         tune={t.name: t.to_dict() for t in cfg.tune})


def train_config(settings: StudySettings, cfg: SearchConfig) -> TrainConfig:
    """The TrainConfig a trial uses: the study's recipe plus this run's steering fields."""
    steer = {k: getattr(cfg.train, k) for k in _NOT_SETTINGS}
    known = TrainConfig.__dataclass_fields__
    return TrainConfig(**{k: v for k, v in settings.train.items() if k in known}, **steer)
