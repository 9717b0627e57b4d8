"""The pattern space: a network's shape drawn in the terms of the design literature, then sized to the budget.

Sampling draws a budget-independent *shape* (stem for the input size, growth at each halving, a
depth profile, block type, kernel, SE and expansion per stage) and derives the stage list from it;
one size variable (width, then depth where width alone cannot reach) is solved so the net lands at
the target share of the budget. Params plus the study's settings determine the genome exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import ClassVar

from scaling.compound import DIVISOR, round_depth, round_width
from space import (ACTIVATIONS, BLOCK_FACTS, BLOCK_KINDS, KERNELS, STEM_KINDS, Genome, GenomeError, Head, Stage, Stem,
                   complexity, stem_size)
from space.rules import GROWTH, RF_COVERAGE, SKIP_DEPTH, conv_depth

from ..budget import Budget
from .base import (DataShape, Extreme, Sampled, SpaceError, Suggest, check_head_widths, check_range, check_subset,
                   pick, pick_float, pick_int, space_dict, tuple_fields)
from .solve import solve_size, target_budget

BASE_WIDTH = 16  # stem and first-stage width at width multiplier 1
BOTTLENECK_EXPANSION = 4.0  # ResNet's reduction inside a bottleneck
LAST_MAP = 8  # halve until the last map is at most this many pixels (so it lands at 4-8 for a GAP head)
FIRST_STAGE_MAX = 64  # a stem output larger than this is halved by the first stage too (ResNet works from 56)
MAX_DEPTH_MULT = 4.0  # how far depth may grow once widths reach max_width
# what the choice fields of a pattern space may hold, and the bounds of its [min, max] fields
_ALLOWED = {"stems": STEM_KINDS, "blocks": BLOCK_KINDS, "kernels": KERNELS, "activations": ACTIVATIONS}
_RANGES = {"depths": (1, 64), "growth": (1.0, 4.0), "targets": (0.01, 1.0)}
# stems for the input size, smallest first: (largest input, stems); CIFAR-sized inputs keep full resolution
AUTO_STEMS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (64, ("cifar",)), (127, ("cifar", "conv3x3")), (1 << 30, ("conv3x3", "resnet", "deep")))


@dataclass(frozen=True)
class Shape:
    """A network's budget-independent shape; :func:`build` sizes it into a genome."""

    stem: str
    activation: str
    strides: tuple[int, ...]  # per stage, 2 where it halves the resolution
    growth: tuple[float, ...]  # per stage, the width factor at its halving (1 where it keeps the size)
    blocks: tuple[str, ...]  # per stage, the block family asked for
    depths: tuple[int, ...]  # per stage, blocks at depth multiplier 1
    kernels: tuple[int, ...]
    se: tuple[float, ...]
    expansions: tuple[float, ...]  # mbconv expansion per stage (1 for the other blocks)
    head_width: int
    dropout: float


@dataclass(frozen=True)
class PatternSpace:
    """The choices of the pattern space; a single-value list fixes a choice, ranges are [min, max]."""

    stems: tuple[str, ...] = ()  # () = chosen for the input size (cifar small, conv3x3/resnet/deep large)
    patch: int = 4  # patch size of a patchify stem
    blocks: tuple[str, ...] = ("basic", "bottleneck", "mbconv", "plain", "dwsep")
    depths: tuple[int, int] = (1, 4)  # blocks per stage; the middle stages get the sampled peak
    growth: tuple[float, float] = (1.5, 2.5)  # width factor at each halving
    kernels: tuple[int, ...] = (3, 5)
    se: tuple[float, ...] = (0.0, 0.25)
    expansions: tuple[float, ...] = (3.0, 4.0, 6.0)  # mbconv only
    activations: tuple[str, ...] = ("relu", "silu", "hardswish")
    head_widths: tuple[int, ...] = (0,)  # 1x1 head conv before pooling, 0 = none
    dropouts: tuple[float, ...] = (0.0,)
    targets: tuple[float, float] = (0.1, 1.0)  # share of the budget aimed at in multi-objective searches
    min_width: int = 8  # narrowest stage the solve may reach
    max_width: int = 1024  # widest stage; beyond it the solve adds depth
    kind: ClassVar[str] = "pattern"

    def __post_init__(self) -> None:
        tuple_fields(self, may_be_empty=("stems",))
        for name, allowed in _ALLOWED.items():
            check_subset(getattr(self, name), allowed, name)
        for name, (lo, hi) in _RANGES.items():
            check_range(getattr(self, name), name, lo, hi, whole=name == "depths")
        for name, lo, hi in (("se", 0, 1), ("expansions", 1, 8), ("dropouts", 0, 0.99)):
            for i, v in enumerate(getattr(self, name)):
                if not isinstance(v, (int, float)) or isinstance(v, bool) or not lo <= v <= hi:
                    raise SpaceError(f"space.{name}[{i}]: must be between {lo} and {hi}, got {v!r}")
        check_head_widths(self.head_widths)
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
        """Draw a shape, then solve its size into the budget; Infeasible when no size fits."""
        data = DataShape(*shape)
        sh = draw_shape(trial, self, data)
        bounded = budget.max_macs is not None or budget.max_params is not None
        target = pick_float(trial, "target", self.targets) if objectives_count > 1 and bounded else 1.0
        return solve(self, sh, data, budget, target)

    def extremes(self, shape: DataShape) -> list[Genome]:
        """The cheapest and costliest genomes per stem and block kind, for the feasible range."""
        out = []
        for stem in stems_for(self, shape.resolution):
            for block in self.blocks:
                for high in (False, True):
                    sh = draw_shape(Extreme(high, {"stem": stem, "block": block}), self, shape)
                    t = size_span(self, math.prod(sh.growth))[int(high)]
                    out.append(build(self, sh, shape, *split_size(self, sh, t)))
        return out


def stems_for(space: PatternSpace, resolution: int) -> tuple[str, ...]:
    """The stems the space offers at this input size."""
    return space.stems or next(stems for largest, stems in AUTO_STEMS if resolution <= largest)


def _strides(stem_out: int) -> tuple[int, ...]:
    strides, size = [2 if stem_out > FIRST_STAGE_MAX else 1], stem_out
    size = (size + 1) // 2 if strides[0] == 2 else size
    while size > LAST_MAP and len(strides) < 8:
        strides.append(2)
        size = (size + 1) // 2
    return tuple(strides)


def _profile(peak: int, n: int, lo: int) -> list[int]:
    """More blocks in the middle: the ends get half the peak (rounded up, at least ``lo``)."""
    return [peak if 0 < i < n - 1 or n <= 2 else max(lo, -(-peak // 2)) for i in range(n)]


def draw_shape(trial: Suggest, space: PatternSpace, data: DataShape) -> Shape:
    """Ask the trial for a shape; everything else about it follows from the input size."""
    stem = pick(trial, "stem", stems_for(space, data.resolution))
    strides = _strides(stem_size(Stem(stem, 8, space.patch), data.resolution))
    n = len(strides)
    act = pick(trial, "activation", space.activations)
    depths = _profile(pick_int(trial, "depth", space.depths), n, space.depths[0])
    blocks, kernels, se, exps, growth = [], [], [], [], []
    for i in range(n):
        block = pick(trial, f"s{i}_block", space.blocks)
        blocks.append(block)
        growth.append(pick_float(trial, f"s{i}_growth", space.growth) if strides[i] == 2 else 1.0)
        kernels.append(pick(trial, f"s{i}_kernel", space.kernels))
        se.append(pick(trial, f"s{i}_se", space.se))
        exps.append(pick(trial, f"s{i}_expansion", space.expansions) if BLOCK_FACTS[block].expand_layer else 1.0)
        if BLOCK_FACTS[block].residual == "same_shape":  # a one-block stage of these has no skip at all
            depths[i] = max(depths[i], 2)
    sh = Shape(stem, act, strides, tuple(growth), tuple(blocks), tuple(depths), tuple(kernels), tuple(se),
               tuple(exps), pick(trial, "head_width", space.head_widths), pick(trial, "dropout", space.dropouts))
    return _reach(space, sh, data)


def _reach(space: PatternSpace, sh: Shape, data: DataShape) -> Shape:
    """Add blocks to the last-but-one stage until the receptive field covers the input (width plays no part)."""
    # wide enough that every bottleneck stays one, so the count is the smallest
    wide = 2 * BLOCK_FACTS["bottleneck"].min_width / BASE_WIDTH
    for _ in range(32):
        if complexity(build(space, sh, data, wide)).receptive_field >= RF_COVERAGE * data.resolution:
            break
        i = max(0, len(sh.depths) - 2)
        sh = replace(sh, depths=sh.depths[:i] + (sh.depths[i] + 1,) + sh.depths[i + 1:])
    return sh


def widths_at(space: PatternSpace, sh: Shape, width_mult: float) -> tuple[int, list[int]]:
    """Stem and stage widths at a width multiplier: each rounded once, growth at a halving kept in x1.5-x3."""
    stem = max(space.min_width, round_width(BASE_WIDTH, width_mult))
    widths, prev, cum = [], stem, 1.0
    for g in sh.growth:
        cum *= g
        w = max(space.min_width, round_width(BASE_WIDTH, width_mult * cum))
        if g > 1:  # rounding each width alone can squeeze a halving's growth: clamp it back
            w = min(max(w, round_width(prev, space.growth[0])), int(GROWTH[1] * prev))
        widths.append(max(w, prev))
        prev = widths[-1]
    return stem, widths


def _stage(block: str, depth: int, width: int, stride: int, kernel: int, se: float, exp: float) -> Stage:
    facts = BLOCK_FACTS[block]
    # an inverted bottleneck's expansion is sampled; a bottleneck keeps ResNet's reduction
    e = (exp if facts.expand_layer else BOTTLENECK_EXPANSION) if facts.expands else 1.0
    return Stage(block, depth, width, stride, kernel, e, se)


def build(space: PatternSpace, sh: Shape, data: DataShape, width_mult: float, depth_mult: float = 1.0) -> Genome:
    """The genome of a shape at a size: blocks too narrow, or skip-free in a deep net, become their stand-ins."""
    stem_w, widths = widths_at(space, sh, width_mult)
    depths = [round_depth(d, depth_mult) for d in sh.depths]
    blocks = [BLOCK_FACTS[b].stand_in if w < BLOCK_FACTS[b].min_width else b for b, w in zip(sh.blocks, widths)]
    rows = list(zip(depths, widths, sh.strides, sh.kernels, sh.se, sh.expansions))
    g = Genome(tuple(_stage(b, *r) for b, r in zip(blocks, rows)), Stem(sh.stem, stem_w, space.patch),
               Head(sh.head_width, dropout=sh.dropout), sh.activation, *data)
    if conv_depth(g) <= SKIP_DEPTH:
        return g
    blocks = [BLOCK_FACTS[b].stand_in if BLOCK_FACTS[b].residual == "never" else b for b in blocks]
    return g.replace(stages=tuple(_stage(b, *r) for b, r in zip(blocks, rows)))


def size_span(space: PatternSpace, growth: float) -> tuple[float, float]:
    """The range of the one size variable: log of width multiplier times depth multiplier."""
    lo_w, hi_w = space.min_width / BASE_WIDTH, max(space.min_width / BASE_WIDTH, space.max_width / BASE_WIDTH / growth)
    return math.log(lo_w / space.depths[1]), math.log(hi_w * MAX_DEPTH_MULT)


def split_size(space: PatternSpace, sh: Shape, t: float) -> tuple[float, float]:
    """(width multiplier, depth multiplier) of a size: width first, depth where width hits its limits."""
    lo_w = space.min_width / BASE_WIDTH
    hi_w = max(lo_w, space.max_width / BASE_WIDTH / math.prod(sh.growth))
    w = min(max(math.exp(t), lo_w), hi_w)
    return w, math.exp(t) / w


def _with_growth(space: PatternSpace, sh: Shape, keep: float) -> Shape:
    """The shape with ``keep`` (0-1) of each halving's growth above the space's least."""
    least = space.growth[0]
    return replace(sh, growth=tuple(least + keep * (g - least) if g > 1 else g for g in sh.growth))


def _fits_smallest(space: PatternSpace, sh: Shape, data: DataShape, target: Budget) -> bool:
    lo, _ = size_span(space, math.prod(sh.growth))
    try:
        c = complexity(build(space, sh, data, *split_size(space, sh, lo)))
    except GenomeError:
        return False
    return not target.over(c.macs, c.params)


def _fill(space: PatternSpace, sh: Shape, data: DataShape, w: float, g: Genome, target: Budget) -> Genome:
    """Spend what the width rounding left of the target on blocks, one at a time, middle stages first.

    Widths move in steps of 8 channels, so a narrow net solved for width alone can land far under its
    target; a block is a finer step. The shape's depths grow (at most MAX_DEPTH_MULT times each) and the
    genome is rebuilt, so a net that grows deep swaps its skip-free blocks as any deep net does."""
    n = len(sh.depths)
    order = sorted(range(n), key=lambda i: (i in (0, n - 1) and n > 2, abs(2 * i - (n - 1)), -i))
    cap = [max(1, int(MAX_DEPTH_MULT * d)) for d in sh.depths]
    grown = True
    while grown:
        grown = False
        for i in (i for i in order if sh.depths[i] < cap[i]):
            deeper = replace(sh, depths=sh.depths[:i] + (sh.depths[i] + 1,) + sh.depths[i + 1:])
            candidate = build(space, deeper, data, w)
            c = complexity(candidate)
            if not target.over(c.macs, c.params):
                sh, g, grown = deeper, candidate, True
                break
    return g


def _widen(space: PatternSpace, g: Genome, target: Budget) -> Genome:
    """Then widen single stages by one rounding step (DIVISOR channels), last stages first, while the target
    holds and every halving still grows the channels x1.5-x3 (and no stage is narrower than the one before)."""
    grown = True
    while grown:
        grown = False
        for i in reversed(range(len(g.stages))):
            st = g.stages[i]
            prev = g.stages[i - 1].width if i else g.stem.width
            new = st.width + DIVISOR
            if st.stride == 2 and new > GROWTH[1] * prev or st.stride == 1 and i and new > prev:
                continue
            if i + 1 < len(g.stages):
                nxt = g.stages[i + 1]
                if nxt.width < (space.growth[0] * new if nxt.stride == 2 else new):
                    continue
            wider = g.replace(stages=g.stages[:i] + (replace(st, width=new),) + g.stages[i + 1:])
            c = complexity(wider)
            if not target.over(c.macs, c.params):
                g, grown = wider, True
                break
    return g


def solve(space: PatternSpace, sh: Shape, data: DataShape, budget: Budget, target: float) -> Sampled:
    """Size a shape into ``target`` of the budget (and inside the budget itself).

    The sampled growth is a ceiling: a shape whose smallest size is over the target keeps just enough of
    its growth above the space's least for the smallest size to fit (recorded as ``growth_kept``)."""
    aim = target_budget(budget, target)
    keep = 1.0
    if not _fits_smallest(space, sh, data, aim) and _fits_smallest(space, _with_growth(space, sh, 0.0), data, aim):
        lo_k, hi_k = 0.0, 1.0
        for _ in range(12):
            mid = (lo_k + hi_k) / 2
            lo_k, hi_k = (mid, hi_k) if _fits_smallest(space, _with_growth(space, sh, mid), data, aim) else (lo_k, mid)
        keep = lo_k
        sh = _with_growth(space, sh, keep)
    lo, hi = size_span(space, math.prod(sh.growth))
    t, g = solve_size(lambda t: build(space, sh, data, *split_size(space, sh, t)), lo, hi, budget, aim)
    w, d = split_size(space, sh, t)
    if d <= 1.0:  # depth was not needed to reach the target: rounding may have left room to spend
        g = _widen(space, _fill(space, sh, data, w, g, aim), aim)
    return Sampled(g, w, d, tuple(s.width for s in g.stages), tuple(s.depth for s in g.stages), target, keep)
