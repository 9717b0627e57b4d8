"""Training hyper-parameters searched with the architecture (``nas run --tune lr,weight_decay``).

Each tunable is one row of :data:`TUNABLES`: the TrainConfig field it sets, its default range and whether
it is drawn on a log scale or as an integer. A space file may narrow or widen a range with a top-level
``tune:`` mapping (``tune: {lr: [0.05, 0.5]}``). The chosen ranges are part of the study's settings, each
trial draws its values as Optuna params named after the field, and the proxy trains with them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping


class TuneError(ValueError):
    """A --tune name or a tune range that cannot be searched."""


@dataclass(frozen=True)
class Tunable:
    """One training hyper-parameter the search may draw: a TrainConfig field and its range."""

    name: str  # the TrainConfig field, and the Optuna param's name
    low: float
    high: float
    log: bool = False  # drawn uniformly in log space (rates and decays)
    integer: bool = False  # drawn as a whole number (pixels)
    what: str = ""  # one line for --help and the README

    def __post_init__(self) -> None:
        kind = int if self.integer else float
        if isinstance(self.low, bool) or isinstance(self.high, bool) or not all(
                isinstance(v, (int, float)) for v in (self.low, self.high)):
            raise TuneError(f"tune.{self.name}: give [low, high] numbers, got [{self.low!r}, {self.high!r}]")
        if self.integer and not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise TuneError(f"tune.{self.name}: give whole numbers, got [{self.low}, {self.high}]")
        if not self.low <= self.high or (self.log and not self.low > 0) or self.low < 0:
            bound = "0 < low" if self.log else "0 <= low"
            raise TuneError(f"tune.{self.name}: need {bound} <= high, got [{self.low}, {self.high}]")
        object.__setattr__(self, "low", kind(self.low))
        object.__setattr__(self, "high", kind(self.high))

    def suggest(self, trial: Any) -> float | int:
        """This trial's value (a fixed or enqueued param is taken as given, as Optuna does)."""
        if self.integer:
            return trial.suggest_int(self.name, int(self.low), int(self.high))
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)

    def to_dict(self) -> dict:
        """The JSON form kept in the study's settings."""
        return {"low": self.low, "high": self.high, "log": self.log, "integer": self.integer}


# the default ranges; a label-smoothing of 0.3 or a cutout of half a CIFAR image are the published extremes
TUNABLES: dict[str, Tunable] = {t.name: t for t in (
    Tunable("lr", 0.01, 1.0, log=True, what="peak SGD learning rate as given, not scaled to the batch"),
    Tunable("weight_decay", 1e-5, 1e-2, log=True, what="L2 on conv and linear weights"),
    Tunable("cutout", 0, 16, integer=True, what="side of the zeroed square, pixels at the training resolution"),
    Tunable("label_smoothing", 0.0, 0.3, what="label smoothing of the training loss"),
)}


def tune_ranges(names: str | Iterable[str] | None, overrides: Mapping[str, Any] | None = None) -> tuple[Tunable, ...]:
    """The ranges ``--tune`` asks for ("lr,cutout" or a list), with a space file's ``tune:`` overrides."""
    if names is None or names == "":
        chosen: list[str] = []
    else:
        chosen = [n.strip() for n in (names.split(",") if isinstance(names, str) else names)]
    overrides = dict(overrides or {})
    if not isinstance(overrides, dict):
        raise TuneError("tune: a space file's tune: holds a mapping of name: [low, high]")
    for name in chosen + list(overrides):
        if name not in TUNABLES:
            raise TuneError(f"--tune {name!r}: choose from {', '.join(TUNABLES)}")
    if len(set(chosen)) != len(chosen):
        raise TuneError(f"--tune {','.join(chosen)}: a name is given twice")
    if unused := sorted(set(overrides) - set(chosen)):
        raise TuneError(f"tune.{unused[0]}: a range is given but {unused[0]} is not in --tune")
    out = []
    for name in chosen:
        bounds = overrides.get(name)
        if bounds is None:
            out.append(TUNABLES[name])
            continue
        if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
            raise TuneError(f"tune.{name}: give [low, high], got {bounds!r}")
        out.append(replace(TUNABLES[name], low=bounds[0], high=bounds[1]))
    return tuple(out)


def from_settings(stored: Mapping[str, Any]) -> tuple[Tunable, ...]:
    """The ranges a study's settings hold (the inverse of ``{t.name: t.to_dict()}``)."""
    return tuple(replace(TUNABLES[name], **{k: v for k, v in spec.items() if k in ("low", "high", "log", "integer")})
                 for name, spec in stored.items() if name in TUNABLES)


def suggest_training(trial: Any, stored: Mapping[str, Any]) -> dict[str, float | int]:
    """The TrainConfig fields this trial trains with: one Optuna param per tuned hyper-parameter."""
    return {t.name: t.suggest(trial) for t in from_settings(stored)}


def tuned_values(params: Mapping[str, Any]) -> dict[str, Any]:
    """The tuned TrainConfig fields among a trial's Optuna params (what ``nas train study:NAME`` reuses)."""
    return {k: v for k, v in params.items() if k in TUNABLES}


__all__ = ["TUNABLES", "TuneError", "Tunable", "from_settings", "suggest_training", "tune_ranges", "tuned_values"]
