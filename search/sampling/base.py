"""What every kind of search space shares: its errors, the trial it asks, and the record it returns."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, NamedTuple, Protocol

from space import Genome

from ..budget import Budget


class SpaceError(ValueError):
    """A search-space file or value that is not valid."""


class Infeasible(ValueError):
    """A sampled shape that no size can fit into the budget."""


class DataShape(NamedTuple):
    """The input the searched networks are built for."""

    resolution: int
    in_channels: int
    num_classes: int


class Suggest(Protocol):
    """What sampling needs of an Optuna trial (so tests may pass a fake)."""

    def suggest_categorical(self, name: str, choices: Any) -> Any: ...

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False) -> int: ...

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float: ...


@dataclass(frozen=True)
class Sampled:
    """A trial's network and the size solved to fit it into the budget (store these as user attributes)."""

    genome: Genome  # the network to train
    width_mult: float  # solved width multiplier (pattern: the stem's width before rounding over 16)
    depth_mult: float  # solved depth multiplier (free space; 1 in the pattern space, whose depths are params)
    widths: tuple[int, ...]  # resulting stage widths
    depths: tuple[int, ...]  # resulting blocks per stage
    target: float = 1.0  # the share of the budget the size was solved for

    def __post_init__(self) -> None:
        if not self.width_mult > 0:
            raise ValueError(f"width_mult: must be positive, got {self.width_mult!r}")
        if not self.depth_mult > 0:
            raise ValueError(f"depth_mult: must be positive, got {self.depth_mult!r}")
        if len(self.widths) != len(self.genome.stages) or len(self.depths) != len(self.genome.stages):
            raise ValueError("widths/depths: one entry per stage of the genome")

    def attrs(self) -> dict:
        """The solved size as JSON-ready user attributes."""
        return {"width_mult": round(self.width_mult, 6), "depth_mult": round(self.depth_mult, 6),
                "widths": list(self.widths), "depths": list(self.depths), "target": round(self.target, 6)}


class Space(Protocol):
    """What a study asks of a search space: the pattern space (default) and the free space are its two kinds."""

    kind: ClassVar[str]  # "pattern" or "free": the key of to_dict() that load_space reads back

    def sample(self, trial: Suggest, shape: DataShape, budget: Budget, objectives_count: int = 1) -> Sampled:
        """The trial's network, drawn through ``trial`` and solved to ``budget``; Infeasible when it cannot fit."""
        ...

    def extremes(self, shape: DataShape) -> list[Genome]:
        """The cheapest and costliest networks of the space, for the range of budgets it can meet."""
        ...

    def to_dict(self) -> dict:
        """JSON-ready, with ``kind``: equal dicts mean the same space."""
        ...


def pick(trial: Suggest, name: str, choices: tuple) -> Any:
    """One of ``choices``; a single choice is fixed and asks the trial nothing."""
    return choices[0] if len(choices) == 1 else trial.suggest_categorical(name, list(choices))


def pick_int(trial: Suggest, name: str, pair: tuple[int, int], log: bool = False) -> int:
    """A whole number in ``[lo, hi]`` (log-uniform with ``log``); a one-value range asks nothing."""
    if pair[0] == pair[1]:
        return pair[0]
    return trial.suggest_int(name, pair[0], pair[1], log=True) if log else trial.suggest_int(name, pair[0], pair[1])


def pick_float(trial: Suggest, name: str, pair: tuple[float, float], log: bool = False) -> float:
    """A number in ``[lo, hi]`` (log-uniform with ``log``); a one-value range asks nothing."""
    lo, hi = float(pair[0]), float(pair[1])
    if lo == hi:
        return lo
    return trial.suggest_float(name, lo, hi, log=True) if log else trial.suggest_float(name, lo, hi)


class Extreme:
    """A stand-in trial that always answers the cheapest (or the costliest) choice, for feasibility checks."""

    def __init__(self, high: bool, fixed: dict[str, Any]) -> None:
        self.high, self.fixed = high, fixed

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        key = name.rsplit("_", 1)[-1] if "_" in name and name[0] == "s" and name[1].isdigit() else name
        if key in self.fixed:
            return self.fixed[key]
        if key == "stride":  # a smaller map is the cheaper one
            return min(choices) if self.high else max(choices)
        return max(choices) if self.high else min(choices)

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False) -> int:
        return high if self.high else low

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float:
        return high if self.high else low


# --- checks of a space's fields, shared by the spaces: each names the field of the first bad value -------

def tuple_fields(space: Any, may_be_empty: tuple[str, ...] = ()) -> None:
    """Lists (as YAML/JSON give them) become tuples; an empty choice is refused."""
    for f in fields(space):
        value = getattr(space, f.name)
        if isinstance(value, list):
            value = tuple(value)
            object.__setattr__(space, f.name, value)
        if isinstance(value, tuple) and not value and f.name not in may_be_empty:
            raise SpaceError(f"space.{f.name}: must not be empty")


def check_subset(values: tuple, allowed: tuple, name: str) -> None:
    for v in values:
        if v not in allowed:
            raise SpaceError(f"space.{name}: {v!r} is not allowed; choose from {', '.join(map(str, allowed))}")
    check_unique(values, name)


def check_unique(values: tuple, name: str) -> None:
    """No choice listed twice: it would silently be drawn twice as often as the others."""
    for i, v in enumerate(values):
        if v in values[:i]:
            raise SpaceError(f"space.{name}: {v!r} is listed twice")


def check_range(pair: tuple, name: str, lo: float, hi: float, whole: bool = True) -> None:
    """A [min, max] pair inside [lo, hi]."""
    kind = (int,) if whole else (int, float)
    if (len(pair) != 2 or not all(isinstance(v, kind) and not isinstance(v, bool) for v in pair)
            or not lo <= pair[0] <= pair[1] <= hi):
        raise SpaceError(f"space.{name}: must be [min, max] {'whole ' if whole else ''}numbers with "
                         f"{lo} <= min <= max <= {hi}, got {list(pair)}")


def check_head_widths(values: tuple, name: str = "head_widths") -> None:
    """Widths where 0 means none."""
    for i, w in enumerate(values):
        if not isinstance(w, int) or isinstance(w, bool) or w < 0:
            raise SpaceError(f"space.{name}[{i}]: must be 0 or a positive width, got {w!r}")


def space_dict(space: Any) -> dict:
    """A space as a JSON-ready dict, with its kind."""
    return {"kind": space.kind, **{f.name: list(v) if isinstance(v := getattr(space, f.name), tuple) else v
                                   for f in fields(space)}}
