"""Which trials answer the search's question, which is best, and when its first trials say nothing.

Defined once over a study's budget and its trial records, so the worker loop (its progress line, its chance
stop) and every reader (:mod:`search.report.results`) rank by the same rule without the writer importing the readers.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from ..budget import Budget
from ..status import Status
from .record import TrialRecord


def within(budget: Budget, r: TrialRecord) -> bool:
    """Whether a trial's network fits the budget."""
    return budget.fits(r.macs, r.params)


def scored(records: Sequence[TrialRecord], budget: Budget) -> list[TrialRecord]:
    """Complete searched trials within budget with an accuracy: the ones that answer the search's question."""
    return [r for r in records if r.status is Status.OK and r.accuracy is not None and within(budget, r)
            and not r.baseline]


def counted(records: Sequence[TrialRecord]) -> int:
    """Trials that count towards --trials: searched ones trained to the end or pruned (baselines never do)."""
    return sum(r.status.trained and not r.baseline for r in records)


def rank_key(budget: Budget) -> Callable[[TrialRecord], tuple]:
    """Sort key: complete within budget by accuracy (then fewer MACs), then the rest by number."""
    def key(r: TrialRecord) -> tuple:
        ok = r.status is Status.OK and r.accuracy is not None
        return (not ok, not within(budget, r), -(r.accuracy or 0.0), r.macs if r.macs is not None else math.inf,
                r.number)
    return key


def best_of(records: Sequence[TrialRecord], budget: Budget) -> TrialRecord | None:
    """The most accurate complete trial within budget; a tie goes to fewer MACs."""
    best = scored(records, budget)
    return min(best, key=rank_key(budget)) if best else None


def chance_stop(records: Sequence[TrialRecord], n: int) -> str:
    """Why the search must stop when the study's first ``n`` trained trials all scored at chance ('' otherwise;
    n = 0: never)."""
    first = [r for r in records if r.status.trained and r.at_chance is not None][:n]
    if not n or len(first) < n or not all(r.at_chance for r in first):
        return ""
    return (f"the first {len(first)} trials all scored at chance on the validation split, so their ranking means "
            "nothing; give more --epochs, a smaller --batch-size, or more data")
