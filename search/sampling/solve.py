"""Budget solving: the one size variable that puts a sampled shape inside the budget, and the space's range."""

from __future__ import annotations

from typing import Callable, Iterable

from space import Genome, GenomeError, complexity
from space.units import human

from ..budget import Budget
from .base import DataShape, Infeasible

STEPS = 32  # bisection steps on the log of the size: far finer than one channel of rounding


def target_budget(budget: Budget, fraction: float) -> Budget:
    """The budget a size is solved for: ``fraction`` of each upper bound, never below the lower one."""
    macs = None if budget.max_macs is None else max(budget.min_macs, int(budget.max_macs * fraction))
    params = None if budget.max_params is None else int(budget.max_params * fraction)
    return Budget(macs, params, budget.min_macs)


def _over(g: Genome, budget: Budget) -> bool:
    try:
        c = complexity(g)
    except GenomeError:  # a map that vanishes counts as too big: it only gets worse with more size
        return True
    return budget.over(c.macs, c.params)


def solve_size(build: Callable[[float], Genome], lo: float, hi: float, budget: Budget,
               target: Budget) -> tuple[float, Genome]:
    """The largest size ``t`` in ``[lo, hi]`` whose genome ``build(t)`` stays under ``target`` and fits ``budget``.

    Size is monotone in cost up to rounding, so a bisection on it finds the top of the budget; Infeasible
    when even the smallest size is too big, or the largest too small for the budget's lower bound."""
    if _over(build(lo), target):
        raise Infeasible("even the smallest size of this shape is over the budget")
    top = build(hi)
    if not _over(top, target):
        lo = hi
    else:
        for _ in range(STEPS):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if not _over(build(mid), target) else (lo, mid)
    g = build(lo)
    c = complexity(g)
    if not budget.fits(c.macs, c.params):
        raise Infeasible(f"the largest size of this shape costs {human(c.macs)} MACs, under the budget's minimum")
    return lo, g


def cost_range(genomes: Iterable[Genome]) -> tuple[int, int]:
    """The smallest and largest MACs among genomes that can be built at all."""
    macs = []
    for g in genomes:
        try:
            macs.append(complexity(g).macs)
        except GenomeError:
            continue
    if not macs:
        raise Infeasible("no network in this space can be built at this resolution")
    return min(macs), max(macs)


def feasible_range(space, shape: DataShape) -> tuple[int, int]:
    """The smallest and largest MACs a network of this space can reach for this data shape."""
    return cost_range(space.extremes(DataShape(*shape)))


def refusal(budget: Budget, lo: int, hi: int, resolution: int) -> str | None:
    """Why no network of a space with MACs in ``[lo, hi]`` fits the budget, or None when some may."""
    where = f"the smallest costs {human(lo)} MACs, the largest {human(hi)} at {resolution}x{resolution}"
    if budget.max_macs is not None and lo > budget.max_macs:
        return f"no network in this space fits {human(budget.max_macs)} MACs: {where}"
    if budget.min_macs and hi < budget.min_macs:
        return f"no network in this space reaches the minimum of {human(budget.min_macs)} MACs: {where}"
    return None
