"""Pattern statistics of sampled networks, and a dry run that samples as the search would, training nothing."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import optuna

from space import BLOCK_FACTS, Genome, arch_string, complexity, stem_channels
from space.rules import GROWTH, MIN_LAST_MAP, RF_COVERAGE, SKIP_DEPTH, conv_depth, design_notes, halvings, \
    longest_skip_free, rules_ok

from ..budget import Budget
from .base import DataShape, Infeasible, Sampled
from .pattern import label_mismatches

LAST_MAP = (MIN_LAST_MAP, 8)  # a GAP head wants the last map between these sizes
NEAR_TOP = 0.8  # "near the top of the budget" starts at this share of it
PILE = 4  # a stage this many times deeper than every other is a pile of blocks
SHALLOW = 10  # this many weighted layers or fewer is a shallow net


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
    mislabelled: int  # params named after a genome field that do not hold that field's value
    widest: int  # widest stage output
    widest_kxk: int  # widest k x k conv of a stage (a bottleneck's output over its expansion), what max_width caps
    pile: bool  # one stage PILE x deeper than every other
    weighted_layers: int  # conv and linear layers on the longest path
    depth_falls: bool  # a stage shallower than the one before, the last stage aside
    stages: int
    stem: str
    arch: str


def measure(s: Sampled, budget: Budget, params: dict[str, Any] | None = None) -> Measure:
    """The statistics of one sampled network (``params``: the trial's, to check their labels)."""
    g, c = s.genome, complexity(s.genome)
    widths = [stem_channels(g), *(st.width for st in g.stages)] if g.stem.kind != "none" else [
        st.width for st in g.stages]
    bad = sum(not GROWTH[0] <= b / a <= GROWTH[1] for _, a, b in halvings(g, c))
    narrow = any(BLOCK_FACTS[st.block].too_narrow(st.width, st.expansion) for st in g.stages)
    depths = [st.depth for st in g.stages]
    pile = len(depths) > 1 and any(all(d >= PILE * e for j, e in enumerate(depths) if j != i)
                                   for i, d in enumerate(depths))
    return Measure(all(a <= b for a, b in zip(widths, widths[1:])), bad, narrow, longest_skip_free(g),
                   min(st.width for st in g.stages), c.stages[-1].size, c.receptive_field / c.resolution,
                   c.macs / budget.max_macs if budget.max_macs else None, rules_ok(design_notes(g, c)), s.width_mult,
                   len(label_mismatches(params or {}, g)), max(st.width for st in g.stages),
                   max(round(st.width * BLOCK_FACTS[st.block].width_share(st.expansion)) for st in g.stages), pile,
                   conv_depth(g),
                   any(b < a for a, b in zip(depths[:-2], depths[1:-1])), len(g.stages), g.stem.kind,
                   arch_string(g))


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
    mislabelled: float  # nets with a param that does not hold its genome field's value
    over_cap: float  # nets with a k x k conv wider than the cap (see ``cap``)
    cap: int
    wide_outputs: float  # nets with a stage output wider than the cap (bottleneck outputs may be, as ResNet-50's)
    pile: float  # one stage PILE x deeper than every other
    shallow: float  # SHALLOW weighted layers or fewer
    depth_falls: float  # depths falling before the last stage
    stage_counts: dict  # {stages: nets}
    stems: dict  # {stem kind: nets}
    distinct_per_1000: float  # distinct architectures per 1,000 nets


def summarise(measures: list[Measure], rejected: int, narrow_limit: int, cap: int = 1024) -> Quality:
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
        share(m.rf_share >= RF_COVERAGE for m in measures), share(m.mislabelled > 0 for m in measures),
        share(m.widest_kxk > cap for m in measures), cap, share(m.widest > cap for m in measures),
        share(m.pile for m in measures),
        share(m.weighted_layers <= SHALLOW for m in measures), share(m.depth_falls for m in measures),
        dict(sorted(Counter(m.stages for m in measures).items())), dict(Counter(m.stem for m in measures)),
        1000 * len({m.arch for m in measures}) / n if n else 0.0)


@dataclass(frozen=True)
class DryRun:
    """What a search would train, without training: the sampled networks and their statistics."""

    sampled: tuple[Sampled, ...]
    params: tuple[dict, ...]  # each sampled net's trial params, in the same order
    rejected: int
    quality: Quality

    @property
    def genomes(self) -> tuple[Genome, ...]:
        """The genomes the search would train."""
        return tuple(s.genome for s in self.sampled)


SamplerFor = Callable[[int], optuna.samplers.BaseSampler]


def dry_run(space, shape: DataShape, budget: Budget, objectives_count: int, n: int,
            sampler: optuna.samplers.BaseSampler | SamplerFor, narrow_limit: int = 16) -> DryRun:
    """Sample ``n`` trials through an in-memory study as the search would, training nothing; each is told failed,
    so none is learned. ``sampler`` may be a function of the trial number, as ``nas run`` seeds one sampler per
    trial: then trial k here draws what the search's trial k draws before any trial has finished."""
    sampler_for = (lambda k: sampler) if isinstance(sampler, optuna.samplers.BaseSampler) else sampler
    study = optuna.create_study(sampler=sampler_for(0), directions=["maximize"] * objectives_count)
    out, params, rejected = [], [], 0
    for k in range(n):
        study.sampler = sampler_for(k)
        trial = study.ask()
        try:
            out.append(space.sample(trial, shape, budget, objectives_count))
            params.append(dict(trial.params))
        except Infeasible:
            rejected += 1
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    cap = getattr(space, "max_width", 1024)
    return DryRun(tuple(out), tuple(params), rejected,
                  summarise([measure(s, budget, p) for s, p in zip(out, params)], rejected, narrow_limit, cap))
