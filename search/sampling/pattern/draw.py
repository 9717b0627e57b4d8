"""Define-by-run drawing of a pattern-space network: the plan, the depths, then one size variable solved into the
budget.

Each decision is one Optuna param, asked only where it means something (a group width only for an
expansion-1 bottleneck, a stride only where both keep the last map at 4-8 px and fit), and every range that
depends on earlier answers is narrowed so that an answer inside it can still fit the budget: a combination
the rules forbid is never offered, so nothing is swapped after the fact and each param named after a genome
field holds that field's value in the trained net. Widths are not params: one size variable (the stem's
width, every stage a drawn ratio of it) is solved to the top of the budget.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from space import Genome

from ...budget import Budget
from ..base import DataShape, Extreme, Sampled, Suggest, pick_float, pick_int
from ..solve import solve_size, target_budget
from .plan import draw_plan, stems_for
from .sizing import Plan, covering_last, covers, fits, floor_for, genome_at, largest, narrowest, size_range, smallest

if TYPE_CHECKING:  # an annotation only: space.py imports the draw
    from .space import PatternSpace

BASE_WIDTH = 16  # width_mult is the solved stem width over this
DEPTH_PILE = 4  # no stage this many times deeper than the deepest before it (the budget never piles blocks)
NO_BUDGET = Budget()


def _least_after(p: Plan, i: int, depth: int, least: int) -> tuple[int, ...]:
    """The shallowest depths the stages after stage ``i`` (of ``depth`` blocks) may take."""
    out, n = [], len(p.strides)
    for j in range(i + 1, n):
        depth = least if j == n - 1 else max(least, depth - (p.strides[j] == 1))
        out.append(depth)
    return tuple(out)


def draw_depths(trial: Suggest, space: PatternSpace, p: Plan, data: DataShape, aim: Budget,
                floor: int) -> tuple[int, ...]:
    """Blocks per stage, log-uniform in a range that keeps depths non-decreasing (RegNet's finding) except that
    a stage keeping the resolution may be one block shallower (MobileNetV2) and the last stage any amount; no
    stage DEPTH_PILE x deeper than every stage before it; the most blocks that can still fit the budget at the
    narrowest widths; and the last stage at least as deep as the receptive field needs to cover the input."""
    n, (least, most) = len(p.strides), space.depths
    chosen: list[int] = []
    for i in range(n):
        last = i == n - 1
        lo = least if i == 0 or last else max(least, chosen[-1] - (p.strides[i] == 1))
        hi = max(lo, most if i == 0 else min(most, DEPTH_PILE * max(chosen) - 1))

        def with_depth(d: int) -> tuple[int, ...]:  # the least the later stages need, the last one's RF included
            head = (*chosen, d, *_least_after(p, i, d, least)[:-1])
            return head if last else (*head, covering_last(space, p, data, head))

        hi = largest(lo, hi, lambda d: fits(space, p, data, with_depth(d), aim, floor)) \
            if fits(space, p, data, with_depth(lo), aim, floor) else lo
        if last:
            lo = smallest(lo, hi, lambda d: covers(space, p, data, with_depth(d))) \
                if covers(space, p, data, with_depth(hi)) else hi
        chosen.append(pick_int(trial, f"s{i}_depth", (lo, hi), log=True))
    return tuple(chosen)


def draw(space: PatternSpace, trial: Suggest, data: DataShape, budget: Budget, objectives_count: int) -> Sampled:
    """The whole draw: the share of the budget aimed at (multi-objective), the plan, depths, the solved size."""
    bounded = budget.max_macs is not None or budget.max_params is not None
    target = pick_float(trial, "target", space.targets) if objectives_count > 1 and bounded else 1.0
    aim = target_budget(budget, target)
    p = draw_plan(trial, space, data, aim)
    floor = floor_for(space, p, data, aim)
    depths = draw_depths(trial, space, p, data, aim, floor)
    lo, hi = size_range(space, p, floor)
    t, g = solve_size(lambda t: genome_at(space, p, data, depths, math.exp(t)), math.log(lo), math.log(hi), budget,
                      aim)
    return Sampled(g, math.exp(t) / BASE_WIDTH, 1.0, tuple(s.width for s in g.stages), depths, target)


def extremes(space: PatternSpace, data: DataShape) -> list[Genome]:
    """The cheapest and costliest genome per stem and block kind (for the range of MACs the space can reach)."""
    out = []
    for stem in stems_for(space, data.resolution):
        for block in space.blocks:
            for high in (False, True):
                trial = Extreme(high, {"stem": stem, "block": block})
                p = draw_plan(trial, space, data, NO_BUDGET)
                floor = space.min_width if high else narrowest(space)
                depths = draw_depths(trial, space, p, data, NO_BUDGET, floor)
                out.append(genome_at(space, p, data, depths, size_range(space, p, floor)[int(high)]))
    return out
