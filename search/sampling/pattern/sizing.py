"""A drawn plan as a genome at a size, and the checks the draw makes with it: fits the budget, covers the input."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from scaling.compound import group_divisor, make_divisible
from space import BLOCK_FACTS, Genome, GenomeError, Head, Stage, Stem, complexity
from space.rules import RF_COVERAGE

from ...budget import Budget
from ..base import DataShape

if TYPE_CHECKING:  # an annotation only: space.py imports the draw
    from .space import PatternSpace

FALLBACK_WIDTH = 8  # the narrowest the solve goes where min_width cannot fit at all


@dataclass(frozen=True)
class Plan:
    """Every decision but the depths and the size, one entry per stage where per stage."""

    stem: str
    activation: str
    strides: tuple[int, ...]
    blocks: tuple[str, ...]
    kernels: tuple[int, ...]
    expansions: tuple[float, ...]
    group_widths: tuple[int, ...]
    se: tuple[float, ...]
    growth: tuple[float, ...]  # each stage's width over the one before (the first: over the stem's)
    shortcut: str  # of the stages whose blocks have a shortcut branch
    head_ratio: float
    dropout: float

    @property
    def ratios(self) -> tuple[float, ...]:
        """Each stage's width over the stem's."""
        return tuple(math.prod(self.growth[:i + 1]) for i in range(len(self.growth)))


def genome_at(space: PatternSpace, p: Plan, data: DataShape, depths: tuple[int, ...], w: float) -> Genome:
    """The genome of a plan at a size ``w`` (the stem's width before rounding): each width rounded once."""
    widths: list[int] = []
    for r, e, gw in zip(p.ratios, p.expansions, p.group_widths):
        div = group_divisor(gw, e)
        v = make_divisible(w * r, div)
        widths.append(max(v, -(-widths[-1] // div) * div) if widths else v)  # never narrower than the one before
    stages = tuple(Stage(b, d, c, s, k, e, se, BLOCK_FACTS[b].downsample if s == 2 else "stride",
                         p.shortcut if BLOCK_FACTS[b].residual == "always" else "projection", gw)
                   for b, d, c, s, k, e, se, gw in zip(p.blocks, depths, widths, p.strides, p.kernels, p.expansions,
                                                       p.se, p.group_widths))
    head = Head(make_divisible(p.head_ratio * widths[-1]) if p.head_ratio else 0, dropout=p.dropout)
    return Genome(stages, Stem(p.stem, make_divisible(w), space.patch), head, p.activation, *data)


def size_range(space: PatternSpace, p: Plan, floor: int) -> tuple[float, float]:
    """The sizes ``w`` that keep every width at least ``floor`` and every k x k conv at most max_width."""
    lo = max([floor, *(floor / r for r in p.ratios)])
    hi = min([space.max_width, *(space.max_width / (r * BLOCK_FACTS[b].width_share(e))
                                 for r, b, e in zip(p.ratios, p.blocks, p.expansions))])
    return lo, max(lo, hi)


def fits(space: PatternSpace, p: Plan, data: DataShape, depths: tuple[int, ...], aim: Budget, floor: int) -> bool:
    """Whether the plan at these depths fits ``aim`` at its narrowest size."""
    try:
        c = complexity(genome_at(space, p, data, depths, size_range(space, p, floor)[0]))
    except GenomeError:
        return False
    return not aim.over(c.macs, c.params)


def covers(space: PatternSpace, p: Plan, data: DataShape, depths: tuple[int, ...]) -> bool:
    """Whether the plan at these depths sees RF_COVERAGE of the input (width plays no part)."""
    try:
        g = genome_at(space, p, data, depths, size_range(space, p, FALLBACK_WIDTH)[0])
        return complexity(g).receptive_field >= RF_COVERAGE * data.resolution
    except GenomeError:
        return False


def largest(lo: int, hi: int, ok: Callable[[int], bool]) -> int:
    """The largest value in [lo, hi] for which the decreasing ``ok`` holds (``ok(lo)`` is known to hold)."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid - 1)
    return lo


def smallest(lo: int, hi: int, ok: Callable[[int], bool]) -> int:
    """The smallest value in [lo, hi] for which the increasing ``ok`` holds (``ok(hi)`` is known to hold)."""
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid + 1, hi)
    return lo


def largest_float(lo: float, hi: float, ok: Callable[[float], bool], steps: int = 24) -> float:
    """Nearly the largest value in [lo, hi] for which the decreasing ``ok`` holds (``ok(lo)`` is known to hold)."""
    for _ in range(steps):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def covering_last(space: PatternSpace, p: Plan, data: DataShape, head: tuple[int, ...]) -> int:
    """The fewest blocks the last stage needs after ``head`` for the receptive field to cover the input (the
    fewest allowed where no depth covers it)."""
    least, most = space.depths
    return smallest(least, most, lambda d: covers(space, p, data, (*head, d))) \
        if covers(space, p, data, (*head, most)) else least


def shallowest(space: PatternSpace, p: Plan, data: DataShape) -> tuple[int, ...]:
    """The least depths a net of this plan needs: the fewest blocks everywhere, the last stage as deep as the
    receptive field needs."""
    head = (space.depths[0],) * (len(p.strides) - 1)
    return (*head, covering_last(space, p, data, head))


def narrowest(space: PatternSpace) -> int:
    """The narrowest width any size of the space goes to: FALLBACK_WIDTH, or min_width when that is narrower."""
    return min(FALLBACK_WIDTH, space.min_width)


def floor_for(space: PatternSpace, p: Plan, data: DataShape, aim: Budget) -> int:
    """The narrowest width the size solve aims for: min_width, or FALLBACK_WIDTH where the plan's least net
    cannot fit at min_width."""
    return space.min_width if fits(space, p, data, shallowest(space, p, data), aim, space.min_width) else \
        narrowest(space)
