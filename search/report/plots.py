"""What a study dashboard plots, as pure functions from trials to NamedTuples (``dashboard`` only draws them).

A function here that reads a study takes it as :func:`search.report.results.read_study` (the one reader)
gives it, a :class:`StudyView`, never a live ``optuna.Study``; :func:`from_view` turns a view into the page's
:class:`StudyData` (one :class:`TrialRow` per trial, plus the budgets and labels). Nothing here reads or
writes files; :mod:`search.report.patterns` and :mod:`search.report.edf` take the same views.
"""

from __future__ import annotations

import json
import math
from typing import Any, NamedTuple, Sequence

from space import Genome

from ..budget import Budget
from ..study.record import TrialRecord
from .results import StudyView, best_trial as best_record, latency_of, pareto_front, ranked, scored

MACS_LABEL = "MACs (= FLOPs as in the EfficientNet paper)"
X_LABELS = {"macs": MACS_LABEL, "params": "parameters", "latency": "latency (ms)"}


class TrialRow(NamedTuple):
    """One trial as the dashboard shows it."""

    number: int
    state: str  # complete | pruned | rejected (over budget, never trained) | failed | running
    status: str  # the trial's ``status`` attribute (ok, pruned, rejected, nan, oom, error, timeout), else the state
    reason: str
    accuracy: float | None  # a complete trial's objective; a pruned one's last validation accuracy; else None
    params: int | None
    macs: int | None
    latency_ms: float | None  # see StudyData.latency_label for which figure
    arch: str
    genome: dict | None
    within_budget: bool  # Budget.fits: unset bounds always hold
    baseline: str = ""  # the hand design's name for a --baselines trial (beside the search, never in it)


class StudyData(NamedTuple):
    """A study's page data: its settings and one row per trial, in trial-number order."""

    name: str
    directions: tuple[str, ...]  # "maximize" / "minimize" per objective
    objectives: tuple[str, ...]  # "accuracy", then "macs" or "latency" when there are two
    budget: Budget  # the study's (no bounds for a study made by another tool)
    latency_label: str  # e.g. "latency (ms, batch 1)"; "" when no trial measured latency
    rows: tuple[TrialRow, ...]
    chance: float | None = None  # 1 / classes, when the study's settings name the classes


class FrontData(NamedTuple):
    """Accuracy against one cost of every complete trial, with the Pareto front among those within budget."""

    x_name: str  # macs | params | latency
    x_label: str
    numbers: tuple[int, ...]
    x: tuple[float, ...]
    accuracy: tuple[float, ...]
    arch: tuple[str, ...]
    params: tuple[int | None, ...]
    macs: tuple[int | None, ...]
    on_front: tuple[bool, ...]  # non-dominated (max accuracy, min x) among the trials within budget
    within_budget: tuple[bool, ...]
    budget: float | None  # the budget's bound on this axis (MACs or params), drawn as a line
    min_budget: float | None  # the lower MACs bound on the MACs axis, None elsewhere or when unset
    baseline: tuple[str, ...] = ()  # per point: the --baselines hand design's name, "" for a searched trial

    def front(self) -> list[int]:
        """Indices of the front's points, by increasing cost (the order to draw its staircase in)."""
        return sorted((i for i, f in enumerate(self.on_front) if f), key=lambda i: (self.x[i], -self.accuracy[i]))

    def baselines(self) -> list[int]:
        """Indices of the baselines' points (never on the front: they are yardsticks, drawn as their own series)."""
        return [i for i, name in enumerate(self.baseline) if name]


class HistoryData(NamedTuple):
    """Every trial in order: its accuracy (None when it has none), its state, and the best so far."""

    numbers: tuple[int, ...]
    accuracy: tuple[float | None, ...]
    state: tuple[str, ...]
    reason: tuple[str, ...]
    arch: tuple[str, ...]
    best_so_far: tuple[float | None, ...]  # running max over complete trials within budget, None before the first


class BestTrial(NamedTuple):
    """The most accurate complete trial within budget, with its shape-flow table and genome."""

    row: TrialRow
    describe_text: str  # what ``nas describe`` prints for its genome ("" without a genome)
    shape_flow: tuple[dict, ...]
    genome_json: str


class ScalingData(NamedTuple):
    """A scaling run of the study's best network: one entry per variant, by increasing phi."""

    names: tuple[str, ...]
    phi: tuple[float, ...]
    params: tuple[int, ...]
    macs: tuple[int, ...]
    resolution: tuple[int, ...]
    val_acc: tuple[float | None, ...]


class OverlayData(NamedTuple):
    """The fronts of several studies on one cost axis, one FrontData per study."""

    names: tuple[str, ...]
    fronts: tuple[FrontData, ...]


def _float_or_none(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def trial_row(r: TrialRecord, view: StudyView) -> TrialRow:
    """One trial of a study as the dashboard shows it."""
    return TrialRow(r.number, r.category, r.status.value, r.reason, r.accuracy, r.params, r.macs,
                    latency_of(r, view), r.arch, r.genome, view.within(r), r.baseline)


def trial_rows(view: StudyView) -> tuple[TrialRow, ...]:
    """Every trial of a study as the dashboard shows it, in trial-number order."""
    return tuple(trial_row(r, view) for r in view.trials)


def latency_label(view: StudyView) -> str:
    """The latency axis's title: the search's objective, else the batch-1 figure ("" when no trial has one)."""
    if not any(latency_of(r, view) is not None for r in view.trials):
        return ""
    return "latency (ms, the search's objective)" if view.objectives[1:] == ("latency",) else "latency (ms, batch 1)"


def chance_of(view: StudyView) -> float | None:
    """The accuracy of guessing, 1 / classes, when the study's settings name the classes."""
    classes = view.settings.num_classes if view.settings is not None else 0
    return 1 / classes if classes else None


def from_view(view: StudyView) -> StudyData:
    """The page data of a study already read by :func:`search.report.results.read_study`."""
    return StudyData(view.name, view.directions, view.objectives, view.budget, latency_label(view), trial_rows(view),
                     chance_of(view))


def front_data(view: StudyView, x: str = "macs") -> FrontData:
    """Accuracy against ``x`` (macs, params or latency) of the complete trials, front flagged, budget applied."""
    if x not in X_LABELS:
        raise ValueError(f"x is one of {', '.join(X_LABELS)}, got {x!r}")
    field = "latency_ms" if x == "latency" else x
    rows = [r for r in trial_rows(view) if r.state == "complete" and r.accuracy is not None
            and getattr(r, field) is not None]
    xs = tuple(float(getattr(r, field)) for r in rows)
    acc = tuple(r.accuracy for r in rows)
    # only the scored trials compete: an over-budget network or a baseline is no answer to the search's question
    competing = {r.number for r in scored(view)}
    points = [(a, c) if r.number in competing else (None, None) for r, a, c in zip(rows, acc, xs)]
    b = view.budget
    budget = {"macs": b.max_macs, "params": b.max_params, "latency": None}[x]
    label = (latency_label(view) or X_LABELS[x]) if x == "latency" else X_LABELS[x]
    return FrontData(x, label, tuple(r.number for r in rows), xs, acc, tuple(r.arch for r in rows),
                     tuple(r.params for r in rows), tuple(r.macs for r in rows),
                     pareto_front(points, ("maximize", "minimize")), tuple(r.within_budget for r in rows),
                     None if budget is None else float(budget),
                     float(b.min_macs) if x == "macs" and b.min_macs else None, tuple(r.baseline for r in rows))


def history_data(view: StudyView) -> HistoryData:
    """Each trial's accuracy and state in trial order, and the best accuracy so far."""
    rows = trial_rows(view)
    competing = {r.number for r in scored(view)}
    best, running = None, []
    for r in rows:
        if r.number in competing:
            best = r.accuracy if best is None else max(best, r.accuracy)
        running.append(best)
    return HistoryData(tuple(r.number for r in rows), tuple(r.accuracy for r in rows), tuple(r.state for r in rows),
                       tuple(r.reason for r in rows), tuple(r.arch for r in rows), tuple(running))


def top_k(view: StudyView, k: int | None = None) -> tuple[TrialRow, ...]:
    """The k best trials, in :func:`search.report.results.ranked` order (all trials when k is None)."""
    if k is not None and k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return tuple(trial_row(r, view) for r in ranked(view)[:k])


def best_trial(view: StudyView) -> BestTrial | None:
    """The most accurate complete trial within budget (fewer MACs breaks ties), described; None if none."""
    from space.report import describe, describe_text

    best = best_record(view)
    if best is None:
        return None
    row = trial_row(best, view)
    if row.genome is None:
        return BestTrial(row, "", (), "")
    try:
        info = describe(Genome.from_dict(row.genome))
    except ValueError as e:
        return BestTrial(row, f"(its genome cannot be described: {e})", (), json.dumps(row.genome, indent=2))
    return BestTrial(row, describe_text(info), tuple(info["rows"]), json.dumps(row.genome, indent=2))


def scaling_data(items: Any, where: str = "scaling.json") -> ScalingData:
    """The variants of a scaling run (the list ``nas scale --base study:NAME`` writes), by phi."""
    if not isinstance(items, list) or not all(isinstance(v, dict) for v in items):
        raise ValueError(f"{where}: expected a JSON list of variant objects")
    for i, v in enumerate(items):
        missing = [k for k in ("name", "phi", "params", "macs", "resolution") if k not in v]
        if missing:
            raise ValueError(f"{where}: variant {i} has no {missing[0]!r}")
    items = sorted(items, key=lambda v: float(v["phi"]))
    return ScalingData(tuple(str(v["name"]) for v in items), tuple(float(v["phi"]) for v in items),
                       tuple(int(v["params"]) for v in items), tuple(int(v["macs"]) for v in items),
                       tuple(int(v["resolution"]) for v in items),
                       tuple(_float_or_none(v.get("val_acc")) for v in items))


def overlay_data(views: Sequence[StudyView], x: str = "macs") -> OverlayData:
    """The accuracy-against-``x`` data of several studies, each with its own front and budget."""
    return OverlayData(tuple(v.name for v in views), tuple(front_data(v, x) for v in views))
