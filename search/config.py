"""What a search asks for: :class:`RunConfig`, one field per ``nas run`` flag, the one record of a run.

``nas run`` builds one from its flags and the Python API takes one from its caller; :meth:`RunConfig.checked`
validates it once and gives it back with each value in its working form (a :class:`Budget`, a space, seconds),
and that same record goes to every step and every worker process. Each default is the field's default here (the
command line reads them from :func:`default`). Errors name the flag (``--min-budget``), whose field is the same
word with ``_``. This module imports nothing heavy at load time: the command line builds its parser beside it.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, fields, replace
from pathlib import Path
from typing import Any

from .budget import Budget, BudgetError, parse_duration, parse_macs, parse_params
from .paths import StudyPaths
from .train.config import TrainConfig


# the choices of --objectives (with the directions of each), --sampler and --pruner, spelled once
OBJECTIVES: dict[str, tuple[str, ...]] = {"accuracy": ("maximize",), "accuracy,macs": ("maximize", "minimize"),
                                          "accuracy,latency": ("maximize", "minimize")}
SAMPLERS = ("auto", "tpe", "nsga2", "random")
PRUNERS = ("median", "hyperband", "none")
MAX_SEED = 2**32 - 1  # numpy's seeds (Optuna's samplers) stop here; a larger one overflowed deep inside
DEFAULT_TRIALS = 20  # --trials without --timeout
VAL_FRACTION = 0.1  # of the training split held out for validation, when the data has no validation split


class ConfigError(ValueError):
    """A RunConfig value that cannot make a search."""


@dataclass(frozen=True)
class RunConfig:
    """One search, as ``nas run`` flags or as a Python call; None means the flag's default. After
    :meth:`checked`, ``budget`` is a Budget, ``space`` a space, ``tune`` its ranges, the durations seconds."""

    data: Any  # synthetic[:N[:RES[:CLASSES]]], a torchvision name, an ImageFolder folder or archive; or in
    # memory (workers=1): (x, y) tensors, or a (train, test) pair of torch Datasets or (x, y) pairs (test may be None)
    budget: Any = None  # max MACs per image: "400MFLOPs", "400M", 400_000_000 (FLOPs = MACs); checked: a Budget
    params_budget: str | int | None = None  # max parameters: "5M", 5_000_000
    min_budget: float | None = None  # lower bound as a fraction of budget
    trials: int | None = None  # trials that finish training; None = DEFAULT_TRIALS, or unlimited with a timeout
    timeout: str | float | None = None  # stop starting trials after this: "30m", or seconds
    epochs: int = TrainConfig.epochs  # proxy training epochs per trial
    batch_size: int | None = None  # None = from the size of the training split
    lr: float | None = None  # None = TrainConfig.lr (0.2) scaled to the batch size
    max_train_images: int | None = None  # train each proxy on a random subset of this size
    resolution: int | None = None  # search resolution; None = the data's native size
    study: str | None = None  # None = derived from data and budget
    studies_dir: str | Path = "studies"  # the study folder (SQLite, best.json, trials.csv) goes under it
    storage: str | None = None  # an Optuna storage URL; None = SQLite in the study folder
    space: Any = None  # None (the pattern space), "free", a YAML/JSON file, its dict, or a search.sampling space
    tune: Any = None  # training hyper-parameters searched too: "lr,weight_decay,cutout"; checked: their ranges
    objectives: str = "accuracy"  # "accuracy", "accuracy,macs" or "accuracy,latency"
    sampler: str = "auto"  # auto, tpe, nsga2, random
    pruner: str = "median"  # median, hyperband, none
    workers: int = 1  # trial processes at once
    device: str | None = None  # auto, cpu, cuda, cuda:N
    seed: int = 0  # steers the sampler and the training seeds; the validation split keeps the study's
    trial_timeout: str | float | None = None  # fail a trial that trains longer than this
    max_failures: int = 5  # stop after this many failed or rejected trials in a row
    heartbeat: int = 10  # seconds between a running trial's heartbeats (a new study's; an existing one keeps its own)
    chance_stop: int = 4  # stop when the first N trained trials all score at chance; 0 = never
    cache_dir: str | Path | None = None  # decoded data sets; None = $NAS_CACHE or ~/.cache/nas
    quiet: bool = True  # no per-trial lines on stderr (the API's default; nas run prints them unless --quiet)
    progress: bool | None = None  # live progress bars; None = when stderr is a terminal
    latency_batch_sizes: tuple[int, ...] = (1,)  # batches each trained network is timed at; () = none

    def checked(self) -> "RunConfig":
        """This config validated, with each value in its working form; ConfigError (or BudgetError) names the
        first bad flag. Checking a checked config gives it back unchanged."""
        budget = self.budget if isinstance(self.budget, Budget) else make_budget(self.budget, self.params_budget,
                                                                          self.min_budget)
        for flag, value, allowed in (("--objectives", self.objectives, OBJECTIVES), ("--sampler", self.sampler,
                                     SAMPLERS), ("--pruner", self.pruner, PRUNERS)):
            if value not in allowed:
                raise ConfigError(f"{flag} {value!r}: choose from {', '.join(allowed)}")
        for flag, value in (("--epochs", self.epochs), ("--workers", self.workers), ("--trials", self.trials),
                            ("--batch-size", self.batch_size), ("--max-train-images", self.max_train_images),
                            ("--resolution", self.resolution), ("--max-failures", self.max_failures),
                            ("--heartbeat", self.heartbeat)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"{flag} must be a whole number >= 1, got {value!r}")
        if self.lr is not None and not positive_number(self.lr):
            raise ConfigError(f"--lr must be a finite number > 0, got {self.lr!r}")
        check_seed(self.seed)
        if isinstance(self.chance_stop, bool) or not isinstance(self.chance_stop, int) or self.chance_stop < 0:
            raise ConfigError(f"--chance-stop must be a whole number >= 0 (0 = never), got {self.chance_stop!r}")
        if self.study is not None and not str(self.study).strip():
            raise ConfigError("--study is empty: give a name, or leave --study out for the default name")
        timeout = _seconds(self.timeout)
        if self.objectives == "accuracy" and self.sampler == "nsga2":
            raise ConfigError("--sampler nsga2 is for two objectives; use --objectives accuracy,macs or another "
                              "sampler")
        in_memory = not isinstance(self.data, str)
        if in_memory and self.workers > 1:
            raise ConfigError("data in memory (tensors or Datasets) is trained in this process: use workers=1")
        name = self.study or default_name("memory" if in_memory else self.data, budget.max_macs, budget.max_params)
        if not name.replace("-", "").replace("_", "").replace(".", "").isalnum() or name.startswith("."):
            raise ConfigError(f"--study {name!r}: use letters, digits, '-', '_' and '.' only")
        the_space, tune = (self.space, self.tune) if _is_checked_space(self.space, self.tune) else \
            space_and_tune(self.space, self.tune)
        checked = replace(self, budget=budget, study=name, space=the_space, tune=tune, timeout=timeout,
                          trials=self.trials if self.trials is not None or timeout else DEFAULT_TRIALS,
                          trial_timeout=_seconds(self.trial_timeout), studies_dir=str(self.studies_dir),
                          cache_dir=None if self.cache_dir is None else str(self.cache_dir),
                          latency_batch_sizes=_as_tuple(self.latency_batch_sizes))
        checked.train  # noqa: B018 - a recipe TrainConfig refuses is refused now, naming its field
        return checked

    @property
    def train(self) -> TrainConfig:
        """The proxy recipe these flags ask for (the data may still adapt batch size and lr: see study.recipe)."""
        given = {k: v for k, v in (("batch_size", self.batch_size), ("lr", self.lr)) if v is not None}
        return TrainConfig(epochs=self.epochs, max_train_images=self.max_train_images, resolution=self.resolution,
                           time_limit_s=_seconds(self.trial_timeout), latency_batch_sizes=self.latency_batch_sizes,
                           **given)

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
        """maximize / minimize per objective."""
        return OBJECTIVES[self.objectives]


def _as_tuple(value: Any) -> Any:
    """A list (from YAML or JSON) as a tuple; anything else as it is, for TrainConfig to refuse by name."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def default(name: str) -> Any:
    """The default of RunConfig's field ``name``: the command line shows and uses the same."""
    f = next(f for f in fields(RunConfig) if f.name == name)
    return None if f.default is MISSING else f.default


def _is_checked_space(space: Any, tune: Any) -> bool:
    """A space object (not a name, file or dict) with tuned ranges already read (a tuple)."""
    return space is not None and not isinstance(space, (str, Path, dict)) and isinstance(tune, tuple)


def make_budget(budget: str | int | None, params_budget: str | int | None = None,
                min_budget: float | None = None) -> Budget:
    """The Budget of a MACs budget ("400M" or 400_000_000), a parameter budget and a lower bound (a fraction)."""
    if budget is None and params_budget is None:
        raise ConfigError("give a compute budget (--budget 400MFLOPs) and/or a parameter budget (--params-budget 5M)")
    max_macs = _count(budget, parse_macs, "budget")
    max_params = _count(params_budget, parse_params, "parameter budget")
    if min_budget is None:
        return Budget(max_macs, max_params)
    if max_macs is None:
        raise ConfigError("--min-budget is a fraction of --budget; give --budget too")
    if not positive_number(min_budget) or not min_budget < 1:
        raise ConfigError(f"--min-budget must be a fraction between 0 and 1, got {min_budget}")
    return Budget(max_macs, max_params, int(min_budget * max_macs))


def positive_number(value: Any) -> bool:
    """True for a finite int or float above 0 (not a bool, a string, inf or NaN), as every numeric field needs."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def check_seed(seed: Any, flag: str = "--seed") -> None:
    """Refuse a seed that is not a whole number from 0 to MAX_SEED (ConfigError naming the flag)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"{flag} must be a whole number from 0 to {MAX_SEED}, got {seed!r}")


def space_of(spec: Any) -> Any:
    """The search space a ``space`` value names: None, "pattern", "free", a YAML/JSON file, a dict, or a space."""
    from .sampling import load_space, space_from_dict

    if spec is None or isinstance(spec, (str, Path)):
        return load_space(spec)
    return space_from_dict(spec) if isinstance(spec, dict) else spec


def space_and_tune(spec: Any, names: str | tuple[str, ...] | None) -> tuple[Any, tuple]:
    """The space ``spec`` names and the tuned ranges ``names`` asks for, with the space file's ``tune:`` ranges
    (a top-level key read here, so the space loader never sees it)."""
    from .sampling.tuning import TuneError, tune_ranges

    overrides = None
    where = "space"
    if isinstance(spec, (str, Path)) and Path(spec).suffix.lower() in (".yaml", ".yml", ".json") and Path(spec).is_file():
        import yaml

        try:  # JSON is YAML; a file that does not parse is left to the space loader to explain
            text = yaml.safe_load(Path(spec).read_text())
        except (OSError, yaml.YAMLError, ValueError):
            text = None
        if isinstance(text, dict) and "tune" in text:
            where, spec = str(spec), text
    if isinstance(spec, dict) and "tune" in spec:
        spec = dict(spec)
        overrides = spec.pop("tune")
    try:
        ranges = tune_ranges(names, overrides)
    except TuneError as e:
        raise ConfigError(str(e)) from None
    if isinstance(spec, dict):
        from .sampling import space_from_dict

        return space_from_dict(spec, where), ranges
    return space_of(spec), ranges


def _count(value: str | int | None, parse: Any, what: str) -> int | None:
    """A budget given as text ("400M") or as a number (400_000_000)."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse(value)
    if not positive_number(value):
        raise BudgetError(f"{what} {value!r} must be a finite positive number or a string such as '400M'")
    return int(value)


def _seconds(value: str | float | None) -> float | None:
    """A duration given as text ("30m") or as seconds."""
    if value is None or isinstance(value, str):
        return parse_duration(value) if value else None
    if not positive_number(value):
        raise BudgetError(f"duration {value!r} must be a finite positive number of seconds")
    return float(value)


def default_name(data: str, macs: int | None, params: int | None) -> str:
    """The study name when none is given: data and budget, e.g. cifar10-400M or cifar10-400M-5Mparams."""
    from space.units import human

    def compact(n: int) -> str:
        text = human(n)
        return text[:-1].rstrip("0").rstrip(".") + text[-1] if "." in text else text

    base = Path(data.rstrip("/")).name.split(".")[0].split(":")[0] or "data"
    return "-".join([base] + ([compact(macs)] if macs else []) + ([f"{compact(params)}params"] if params else []))


__all__ = ["DEFAULT_TRIALS", "MAX_SEED", "OBJECTIVES", "PRUNERS", "SAMPLERS", "VAL_FRACTION", "ConfigError", "RunConfig",
           "check_seed", "default", "default_name", "make_budget", "positive_number", "space_of"]
