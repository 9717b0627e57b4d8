"""Pattern statistics of sampled networks, and a dry run that samples as the search would, training nothing."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import NamedTuple

import optuna

from space import BLOCK_FACTS, Genome, complexity, stem_channels
from space.rules import GROWTH, MIN_LAST_MAP, RF_COVERAGE, SKIP_DEPTH, design_notes, halvings, longest_skip_free, \
    rules_ok

from ..budget import Budget
from .base import DataShape, Infeasible, Sampled

LAST_MAP = (MIN_LAST_MAP, 8)  # a GAP head wants the last map between these sizes
NEAR_TOP = 0.8  # "near the top of the budget" starts at this share of it


class Measure(NamedTuple):
    """What one sampled network does against the design rules and the budget."""

    non_decreasing: bool  # no stage narrower than the one before (stem included)
    bad_halvings: int  # halvings whose channel growth is outside x1.5-x3
    narrow_bottleneck: bool  # a bottleneck stage under its minimum width
    skip_free_run: int  # most weighted layers in a row without a skip connection
    narrowest: int  # narrowest stage
    last_map: int  # side of the last feature map
    rf_share: float  # receptive field over input size
    macs_share: float | None  # MACs over the budget's max MACs (None without one)
    rules_ok: bool  # no "note:" among the design notes
    width_mult: float


def measure(s: Sampled, budget: Budget) -> Measure:
    """The statistics of one sampled network."""
    g, c = s.genome, complexity(s.genome)
    widths = [stem_channels(g), *(st.width for st in g.stages)] if g.stem.kind != "none" else [
        st.width for st in g.stages]
    bad = sum(not GROWTH[0] <= b / a <= GROWTH[1] for _, a, b in halvings(g, c))
    narrow = any(st.width < BLOCK_FACTS[st.block].min_width for st in g.stages)
    return Measure(all(a <= b for a, b in zip(widths, widths[1:])), bad, narrow, longest_skip_free(g),
                   min(st.width for st in g.stages), c.stages[-1].size, c.receptive_field / c.resolution,
                   c.macs / budget.max_macs if budget.max_macs else None, rules_ok(design_notes(g, c)), s.width_mult)


class Quality(NamedTuple):
    """Shares (0-1) over the sampled networks; the rejected ones count only in ``rejected``."""

    sampled: int
    rejected: float
    non_decreasing: float
    bad_halvings: float  # mean per net
    narrow_bottleneck: float
    deep_skip_free: float  # more than SKIP_DEPTH layers in a row without skips
    median_width_mult: float
    narrow_stage: float  # a stage narrower than narrow_limit channels
    narrow_limit: int
    near_top: float  # within 80-100 % of max MACs
    macs_share: tuple[float, float, float]  # min, median, max of MACs over max MACs
    rules_ok: float
    last_map_ok: float
    rf_ok: float


def summarise(measures: list[Measure], rejected: int, narrow_limit: int) -> Quality:
    """Aggregate the measures of the fitted networks."""
    n = len(measures)

    def share(xs) -> float:
        return sum(xs) / n if n else 0.0

    shares = sorted(m.macs_share for m in measures if m.macs_share is not None) or [0.0]
    return Quality(
        n + rejected, rejected / (n + rejected) if n + rejected else 0.0,
        share(m.non_decreasing for m in measures), share(m.bad_halvings for m in measures),
        share(m.narrow_bottleneck for m in measures), share(m.skip_free_run > SKIP_DEPTH for m in measures),
        statistics.median(m.width_mult for m in measures) if n else 0.0,
        share(m.narrowest < narrow_limit for m in measures), narrow_limit,
        share(m.macs_share is not None and NEAR_TOP <= m.macs_share <= 1 for m in measures),
        (shares[0], statistics.median(shares), shares[-1]), share(m.rules_ok for m in measures),
        share(LAST_MAP[0] <= m.last_map <= LAST_MAP[1] for m in measures),
        share(m.rf_share >= RF_COVERAGE for m in measures))


@dataclass(frozen=True)
class DryRun:
    """What a search would train, without training: the sampled networks and their statistics."""

    sampled: tuple[Sampled, ...]
    rejected: int
    quality: Quality

    @property
    def genomes(self) -> tuple[Genome, ...]:
        """The genomes the search would train."""
        return tuple(s.genome for s in self.sampled)


def dry_run(space, shape: DataShape, budget: Budget, objectives_count: int, n: int,
            sampler: optuna.samplers.BaseSampler, narrow_limit: int = 16) -> DryRun:
    """Sample ``n`` trials through an in-memory study as the search would; each is told failed, so none is learned."""
    study = optuna.create_study(sampler=sampler, directions=["maximize"] * objectives_count)
    out, rejected = [], 0
    for _ in range(n):
        trial = study.ask()
        try:
            out.append(space.sample(trial, shape, budget, objectives_count))
        except Infeasible:
            rejected += 1
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return DryRun(tuple(out), rejected, summarise([measure(s, budget) for s in out], rejected, narrow_limit))
