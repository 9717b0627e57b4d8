"""The pattern space's choices: each field a list to choose from or a [min, max] range, checked on creation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from space import ACTIVATIONS, BLOCK_KINDS, KERNELS, STEM_KINDS
from space.genome import SHORTCUTS

from ...budget import Budget
from ..base import (DataShape, Sampled, SpaceError, Suggest, check_head_widths, check_range, check_subset, check_unique,
                    space_dict, tuple_fields)
from .draw import draw, extremes

# what the choice fields may hold, and the bounds of the [min, max] fields
_ALLOWED = {"stems": STEM_KINDS, "blocks": BLOCK_KINDS, "kernels": KERNELS, "activations": ACTIVATIONS,
            "shortcuts": SHORTCUTS}
_RANGES = {"stages": (1, 8), "depths": (1, 64), "growth": (1.0, 4.0), "targets": (0.01, 1.0)}
_NUMBERS = {"se": (0, 1), "expansions": (1, 8), "bottleneck_expansions": (1, 8), "dropouts": (0, 0.99),
            "head_ratios": (0, 8)}


@dataclass(frozen=True)
class PatternSpace:
    """The choices of the pattern space; a single-value list fixes a choice, ranges are [min, max]."""

    stems: tuple[str, ...] = ()  # () = by input size: cifar or conv3x3 up to 127 px, conv3x3 or resnet above
    patch: int = 4  # patch size of a patchify stem
    stages: tuple[int, ...] = ()  # [min, max] stages; () = by input size: 3-5 up to 127 px, 4-7 above
    blocks: tuple[str, ...] = ("basic", "bottleneck", "mbconv")
    depths: tuple[int, int] = (1, 16)  # blocks per stage
    growth: tuple[float, float] = (1.25, 3.0)  # width factor where a stage halves the resolution
    kernels: tuple[int, ...] = (3, 5)
    se: tuple[float, ...] = (0.0, 0.25)
    expansions: tuple[float, ...] = (1.0, 3.0, 4.0, 6.0)  # mbconv: inner = input x expansion
    bottleneck_expansions: tuple[float, ...] = (1.0, 4.0)  # bottleneck: inner = width / expansion (1 RegNet, 4 ResNet)
    group_widths: tuple[int, ...] = (0, 8, 16)  # channels per group of an expansion-1 bottleneck's k x k conv, 0 = one
    activations: tuple[str, ...] = ("relu", "relu6", "silu", "hardswish")
    shortcuts: tuple[str, ...] = ("projection", "zeropad")  # of basic and bottleneck stages
    head_ratios: tuple[float, ...] = (0.0, 4.0)  # 1x1 head conv before pooling, as a multiple of the last width
    dropouts: tuple[float, ...] = (0.0, 0.2)
    targets: tuple[float, float] = (0.1, 1.0)  # share of the budget aimed at in multi-objective searches
    min_width: int = 16  # narrowest stage (and stem) the size solve aims for; it goes to 8 only where 16 cannot fit
    max_width: int = 1024  # widest k x k conv of any stage (a bottleneck's output is its expansion times this)
    kind: ClassVar[str] = "pattern"

    def __post_init__(self) -> None:
        tuple_fields(self, may_be_empty=("stems", "stages"))
        for name, allowed in _ALLOWED.items():
            check_subset(getattr(self, name), allowed, name)
        for name, (lo, hi) in _RANGES.items():
            if name != "stages" or self.stages:
                check_range(getattr(self, name), name, lo, hi, whole=name in ("stages", "depths"))
        for name, (lo, hi) in _NUMBERS.items():
            for i, v in enumerate(getattr(self, name)):
                if not isinstance(v, (int, float)) or isinstance(v, bool) or not lo <= v <= hi:
                    raise SpaceError(f"space.{name}[{i}]: must be between {lo} and {hi}, got {v!r}")
            check_unique(getattr(self, name), name)
        check_head_widths(self.group_widths, "group_widths")
        check_unique(self.group_widths, "group_widths")
        for name in ("patch", "min_width", "max_width"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise SpaceError(f"space.{name}: must be a whole number >= 1, got {v!r}")
        if self.max_width < self.min_width:
            raise SpaceError(f"space.max_width: must be at least min_width ({self.min_width}), got {self.max_width}")

    def to_dict(self) -> dict:
        """JSON-ready dict, with the kind of space."""
        return space_dict(self)

    def sample(self, trial: Suggest, shape: DataShape, budget: Budget, objectives_count: int = 1) -> Sampled:
        """Draw a network, one decision per param, and solve its size into the budget (Infeasible when none fits)."""
        return draw(self, trial, DataShape(*shape), budget, objectives_count)

    def extremes(self, shape: DataShape) -> list:
        """The cheapest and costliest genomes per stem and block kind, for the feasible range."""
        return extremes(self, DataShape(*shape))
