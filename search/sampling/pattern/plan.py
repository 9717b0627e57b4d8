"""Drawing a plan: the macro-structure (stem, stage count, strides) and per stage the block, its options and its
width growth. Strides and growth are drawn last, each at most what still fits the budget at the narrowest widths
with the least depths that cover the input, so no later decision is left without a feasible answer."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from space import BLOCK_FACTS, BlockFacts, Stem, stem_size

from ...budget import Budget
from ..base import DataShape, Suggest, pick, pick_float, pick_int
from .sizing import Plan, fits, floor_for, largest_float, shallowest

if TYPE_CHECKING:  # an annotation only: space.py imports the draw
    from .space import PatternSpace

FIRST_GROWTH = (0.5, 4.0)  # first stage's width over the stem's: MobileNetV2 halves it, ResNet-50 quadruples it
FLAT_GROWTH = (1.0, 2.0)  # a stage that keeps the resolution may still widen (MobileNetV2, EfficientNet)
LAST_MAP = (4, 8)  # halve until the last map is 4-8 px, as ResNet (7), CIFAR ResNets (8) and EfficientNet (7)
AUTO_STEMS = ((127, ("cifar", "conv3x3")), (1 << 30, ("conv3x3", "resnet")))  # (largest input, stems)
AUTO_STAGES = ((127, (3, 5)), (1 << 30, (4, 7)))  # (largest input, [min, max] stages)


def expansion_param(i: int, facts: BlockFacts) -> str:
    """Stage ``i``'s expansion param, named after the space's list its block draws from (singular): Optuna keeps
    one list of choices per name, so blocks drawing from different lists need different names."""
    return f"s{i}_{facts.expansions.removesuffix('s')}"


def by_size(table: tuple, resolution: int) -> tuple:
    """The entry of a (largest input, value) table for this input size."""
    return next(value for largest, value in table if resolution <= largest)


def stems_for(space: PatternSpace, resolution: int) -> tuple[str, ...]:
    """The stems the space offers at this input size."""
    return space.stems or by_size(AUTO_STEMS, resolution)


def halvings(size: int) -> tuple[int, int]:
    """The fewest and most stride-2 stages that bring a map of ``size`` px into LAST_MAP."""
    least, x = 0, size
    while x > LAST_MAP[1]:
        x, least = (x + 1) // 2, least + 1
    most, x = 0, size
    while (x + 1) // 2 >= LAST_MAP[0]:
        x, most = (x + 1) // 2, most + 1
    return least, max(least, most)


def _allowed(size: int, left: int) -> tuple[int, ...]:
    """The strides a stage may take with ``left`` stages (itself included) to bring ``size`` into LAST_MAP."""
    least, most = halvings(size)
    return tuple(s for s, ok in ((1, least <= left - 1), (2, most >= 1)) if ok)


def _earliest(size: int, left: int) -> tuple[int, ...]:
    """The cheapest strides for the stages left: halve as early as allowed."""
    out = []
    for j in range(left):
        out.append(max(_allowed(size, left - j)))
        size = (size + 1) // 2 if out[-1] == 2 else size
    return tuple(out)


def _ranges(space: PatternSpace, p: Plan) -> list[tuple[float, float]]:
    # zero-padded shortcuts cannot narrow, so a zeropad net's first stage is at least as wide as its stem
    first = (1.0, FIRST_GROWTH[1]) if p.shortcut == "zeropad" else FIRST_GROWTH
    return [first if i == 0 else space.growth if s == 2 else FLAT_GROWTH for i, s in enumerate(p.strides)]


def _cheapest(i: int, lo: float, hi: float) -> float:
    """The growth that costs least: the least, but for the first stage 1 (a first stage narrower than the stem
    keeps itself at the floor by widening the stem, so its cost falls towards 1 and rises beyond)."""
    return min(max(lo, 1.0), hi) if i == 0 else lo


def _least_growth(space: PatternSpace, p: Plan) -> Plan:
    return replace(p, growth=tuple(_cheapest(i, *r) for i, r in enumerate(_ranges(space, p))))


def draw_plan(trial: Suggest, space: PatternSpace, data: DataShape, aim: Budget) -> Plan:
    """Stem and stage count; per stage block, kernel, expansion, groups and SE; the shortcut kind and the head;
    then the strides (a stride of 1 only where it can still fit ``aim``) and each stage's width growth (at most
    what still fits)."""
    stem = pick(trial, "stem", stems_for(space, data.resolution))
    activation = pick(trial, "activation", space.activations)
    size = stem_size(Stem(stem, 8, space.patch), data.resolution)
    lo, hi = space.stages or by_size(AUTO_STAGES, data.resolution)
    least = halvings(size)[0]
    n = pick_int(trial, "stages", (min(8, max(lo, least)), min(8, max(hi, least))))
    blocks, kernels, exps, groups, se = [], [], [], [], []
    for i in range(n):
        block = pick(trial, f"s{i}_block", space.blocks)
        facts = BLOCK_FACTS[block]
        kernels.append(pick(trial, f"s{i}_kernel", space.kernels))
        # an inverted residual expands its input, a bottleneck reduces its width: each block draws from the list
        # its facts name
        e = pick(trial, expansion_param(i, facts), getattr(space, facts.expansions)) if facts.expands else 1.0
        groups.append(pick(trial, f"s{i}_group_width", space.group_widths) if facts.grouped and e == 1 else 0)
        se.append(pick(trial, f"s{i}_se", space.se))
        blocks.append(block)
        exps.append(e)
    has_shortcut = any(BLOCK_FACTS[b].residual == "always" for b in blocks)
    shortcut = pick(trial, "shortcut", space.shortcuts) if has_shortcut else "projection"
    p = Plan(stem, activation, _earliest(size, n), tuple(blocks), tuple(kernels), tuple(exps), tuple(groups),
             tuple(se), (1.0,) * n, shortcut, pick(trial, "head_ratio", space.head_ratios),
             pick(trial, "dropout", space.dropouts))
    strides: list[int] = []
    floor = floor_for(space, _least_growth(space, p), data, aim)  # with the earliest strides: the cheapest plan
    for i in range(n):
        options = _allowed(size, n - i)
        if options == (1, 2):  # a full-size stage only where the cheapest net with it can still fit
            keep = _least_growth(space, replace(p, strides=(*strides, 1, *_earliest(size, n - i)[1:])))
            if not fits(space, keep, data, shallowest(space, keep, data), aim, floor):
                options = (2,)
        strides.append(pick(trial, f"s{i}_stride", options))
        size = (size + 1) // 2 if strides[-1] == 2 else size
    p = _least_growth(space, replace(p, strides=tuple(strides)))
    return _draw_growth(trial, space, data, aim, p)


def _draw_growth(trial: Suggest, space: PatternSpace, data: DataShape, aim: Budget, p: Plan) -> Plan:
    """Each stage's width over the one before, log-uniform, capped so the widest stage stays within max_width of
    the narrowest, and so the net with the least depths still fits ``aim`` at the narrowest widths."""
    ranges = _ranges(space, p)
    depths = shallowest(space, p, data)
    floor = floor_for(space, p, data, aim)
    span = space.max_width / space.min_width
    growth: list[float] = []
    for i, (lo, hi) in enumerate(ranges):
        ratio = math.prod(growth)
        narrowest = min([1.0, *(math.prod(growth[:j + 1]) for j in range(i))])
        later = math.prod(r[0] for r in ranges[i + 1:])
        hi = max(lo, min(hi, span * min(narrowest, ratio * lo) / (ratio * later)))

        def fit(g: float) -> bool:
            return fits(space, replace(p, growth=(*growth, g, *p.growth[i + 1:])), data, depths, aim, floor)

        cheapest = _cheapest(i, lo, hi)  # the cost rises from here both ways (the first stage) or upwards
        if fit(cheapest):
            if hi > cheapest and not fit(hi):
                hi = largest_float(cheapest, hi, fit)
            if lo < cheapest and not fit(lo):
                lo = -largest_float(-cheapest, -lo, lambda g: fit(-g))
        growth.append(pick_float(trial, f"s{i}_growth", (lo, hi), log=True))
    return replace(p, growth=tuple(growth))
