"""What a study dashboard plots, as pure functions from trials to NamedTuples (``dashboard`` only draws them).

A study is first read into :class:`StudyData` (one :class:`TrialRow` per trial, plus the budgets and
objectives from the study's user attributes); every other function here accepts either a live
``optuna.Study`` or that ``StudyData``, so tests can build either without training anything.
Design patterns are read from each trial's ``genome`` attribute, not from its Optuna parameters, so
studies written by other tools work as long as they store a genome.
"""

from __future__ import annotations

import importlib.util
import json
import math
import warnings
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

from space import BLOCK_KINDS, STEM_KINDS, Genome, arch_string, complexity

MACS_LABEL = "MACs (= FLOPs as in the EfficientNet paper)"
X_LABELS = {"macs": MACS_LABEL, "params": "parameters", "latency": "latency (ms)"}
STATES = ("complete", "pruned", "rejected", "failed", "running")


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
    within_budget: bool  # min_macs <= macs <= budget_macs and params <= params_budget (unset bounds always hold)


class StudyData(NamedTuple):
    """A study read once: its settings and one row per trial, in trial-number order."""

    name: str
    directions: tuple[str, ...]  # "maximize" / "minimize" per objective
    objectives: tuple[str, ...]  # "accuracy", then "macs" or "latency" when there are two
    budget_macs: int | None
    params_budget: int | None
    min_macs: int  # the lower MACs bound (--min-budget), 0 when unset
    latency_label: str  # e.g. "latency (ms, batch 1)"; "" when no trial measured latency
    attrs: dict  # the study's user attributes, as stored
    rows: tuple[TrialRow, ...]


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
    budget: float | None  # the budget on this axis (budget_macs or params_budget), drawn as a line
    min_budget: float | None  # the lower MACs bound on the MACs axis, None elsewhere or when unset

    def front(self) -> list[int]:
        """Indices of the front's points, by increasing cost (the order to draw its staircase in)."""
        return sorted((i for i, f in enumerate(self.on_front) if f), key=lambda i: (self.x[i], -self.accuracy[i]))


class HistoryData(NamedTuple):
    """Every trial in order: its accuracy (None when it has none), its state, and the best so far."""

    numbers: tuple[int, ...]
    accuracy: tuple[float | None, ...]
    state: tuple[str, ...]
    reason: tuple[str, ...]
    arch: tuple[str, ...]
    best_so_far: tuple[float | None, ...]  # running max over complete trials within budget, None before the first


class PatternGroup(NamedTuple):
    """The accuracies of the complete trials that share one value of a design choice."""

    label: str
    numbers: tuple[int, ...]
    accuracy: tuple[float, ...]


class PatternFactor(NamedTuple):
    """One design choice (block type, SE, kernel, stem, number of stages) and its groups."""

    name: str
    title: str
    groups: tuple[PatternGroup, ...]


class PatternData(NamedTuple):
    """Accuracy grouped by design choice, one factor per plot."""

    factors: tuple[PatternFactor, ...]


class ImportanceData(NamedTuple):
    """Optuna's parameter importances for accuracy, most important first (empty when not computable)."""

    params: tuple[str, ...]
    importances: tuple[float, ...]
    method: str  # the evaluator's name, "" when empty


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


def pareto_front(points: Sequence[Sequence[float | None]], directions: Sequence[str]) -> tuple[bool, ...]:
    """Which points no other point dominates (no worse everywhere, better somewhere); equal points all stay.

    A point with a missing or NaN coordinate is never on the front and dominates nothing.
    """
    for d in directions:
        if d not in ("maximize", "minimize"):
            raise ValueError(f"a direction is 'maximize' or 'minimize', got {d!r}")
    sign = [1.0 if d == "minimize" else -1.0 for d in directions]
    keys: list[tuple[float, ...] | None] = []
    for p in points:
        if len(p) != len(sign):
            raise ValueError(f"every point needs {len(sign)} coordinates, got {len(p)}")
        ok = all(v is not None and not math.isnan(v) for v in p)
        keys.append(tuple(s * float(v) for s, v in zip(sign, p)) if ok else None)  # all minimized now

    def dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return all(x <= y for x, y in zip(a, b)) and a != b

    # in lexicographic order a point's dominators all come before it, and if any does, one on the front does
    front: list[tuple[float, ...]] = []
    on = [False] * len(keys)
    for i in sorted((i for i, k in enumerate(keys) if k is not None), key=lambda i: keys[i]):
        if not any(dominates(f, keys[i]) for f in front):
            front.append(keys[i])
            on[i] = True
    return tuple(on)


def within_budget(macs: int | None, params: int | None, budget_macs: int | None, params_budget: int | None,
                  min_macs: int = 0) -> bool:
    """Whether a network fits the budgets (an unset bound always holds; an unknown cost never meets a set one)."""
    fits = lambda cost, budget: budget is None or (cost is not None and cost <= budget)  # noqa: E731
    above = not min_macs or (macs is not None and macs >= min_macs)
    return fits(macs, budget_macs) and fits(params, params_budget) and above


def _int_or_none(v: Any) -> int | None:
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def _float_or_none(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def _batch(key: str) -> float:
    """'b256' -> 256, for ordering latency keys; unknown shapes last."""
    return float(key[1:]) if key[:1] == "b" and key[1:].isdigit() else math.inf


def _state(t) -> str:
    from optuna.trial import TrialState

    if t.state == TrialState.COMPLETE:
        return "complete"
    if t.state == TrialState.PRUNED:
        return "rejected" if t.user_attrs.get("status") == "rejected" else "pruned"
    if t.state == TrialState.FAIL:
        return "failed"
    return "running"


def _accuracy(t, state: str) -> float | None:
    if state == "complete":
        return _float_or_none(t.values[0]) if t.values else None
    if state == "pruned":  # where it stood when stopped: val_acc, else its last epoch, else its last report
        history = t.user_attrs.get("val_acc_history") or []
        last = t.intermediate_values[max(t.intermediate_values)] if t.intermediate_values else None
        return _float_or_none(t.user_attrs.get("val_acc", history[-1] if history else last))
    return None


def _genome_costs(genome: dict | None) -> tuple[str, int | None, int | None]:
    """Arch string, params and MACs computed from a genome dict, for trials that did not store them."""
    if not isinstance(genome, dict):
        return "", None, None
    try:
        g = Genome.from_dict(genome)
        cost = complexity(g)
    except ValueError:
        return "", None, None
    return arch_string(g), cost.params, cost.macs


def study_data(study) -> StudyData:
    """Read an Optuna study into rows (one ``get_trials`` call); budgets and objectives from its user attrs."""
    attrs = dict(study.user_attrs)
    directions = tuple(d.name.lower() for d in study.directions)
    objectives = tuple(attrs.get("objectives") or ("accuracy", "macs")[: len(directions)])
    budget_macs, params_budget = _int_or_none(attrs.get("budget_macs")), _int_or_none(attrs.get("params_budget"))
    min_macs = _int_or_none(attrs.get("min_macs")) or 0
    trials = study.get_trials(deepcopy=False)
    # latency: the search's own objective where it had one, else the smallest batch measured
    latency_objective = len(objectives) > 1 and objectives[1] == "latency"
    keys = {k for t in trials if isinstance(t.user_attrs.get("latency_ms"), dict) for k in t.user_attrs["latency_ms"]}
    key = min(keys, key=lambda k: (_batch(k), k)) if keys else None
    rows = []
    for t in trials:
        state, a = _state(t), t.user_attrs
        genome = a.get("genome") if isinstance(a.get("genome"), dict) else None
        arch, params, macs = a.get("arch"), _int_or_none(a.get("params")), _int_or_none(a.get("macs"))
        if genome is not None and (not arch or params is None or macs is None):
            g_arch, g_params, g_macs = _genome_costs(genome)
            arch, params = arch or g_arch, g_params if params is None else params
            macs = g_macs if macs is None else macs
        latency = None
        if latency_objective and state == "complete" and t.values and len(t.values) > 1:
            latency = _float_or_none(t.values[1])
        elif key is not None and isinstance(a.get("latency_ms"), dict):
            latency = _float_or_none(a["latency_ms"].get(key))
        status = str(a.get("status") or ("ok" if state == "complete" else state))
        rows.append(TrialRow(t.number, state, status, str(a.get("reason") or ""), _accuracy(t, state), params, macs,
                             latency, str(arch or ""), genome,
                             within_budget(macs, params, budget_macs, params_budget, min_macs)))
    rows.sort(key=lambda r: r.number)
    if latency_objective:
        latency_label = "latency (ms, the search's objective)"
    elif key is not None:
        latency_label = f"latency (ms, batch {key[1:]})" if _batch(key) < math.inf else f"latency (ms, {key})"
    else:
        latency_label = ""
    if not any(r.latency_ms is not None for r in rows):
        latency_label = ""
    return StudyData(study.study_name, directions, objectives, budget_macs, params_budget, min_macs, latency_label,
                     attrs, tuple(rows))


def _data(study) -> StudyData:
    return study if isinstance(study, StudyData) else study_data(study)


def front_data(study, x: str = "macs") -> FrontData:
    """Accuracy against ``x`` (macs, params or latency) of the complete trials, front flagged, budget applied."""
    if x not in X_LABELS:
        raise ValueError(f"x is one of {', '.join(X_LABELS)}, got {x!r}")
    data = _data(study)
    field = "latency_ms" if x == "latency" else x
    rows = [r for r in data.rows if r.state == "complete" and r.accuracy is not None
            and getattr(r, field) is not None]
    xs = tuple(float(getattr(r, field)) for r in rows)
    acc = tuple(r.accuracy for r in rows)
    # only networks that fit the budget compete: an over-budget one is no answer to the search's question
    points = [(a, c) if r.within_budget else (None, None) for r, a, c in zip(rows, acc, xs)]
    budget = {"macs": data.budget_macs, "params": data.params_budget, "latency": None}[x]
    label = (data.latency_label or X_LABELS[x]) if x == "latency" else X_LABELS[x]
    return FrontData(x, label, tuple(r.number for r in rows), xs, acc, tuple(r.arch for r in rows),
                     tuple(r.params for r in rows), tuple(r.macs for r in rows),
                     pareto_front(points, ("maximize", "minimize")), tuple(r.within_budget for r in rows),
                     None if budget is None else float(budget),
                     float(data.min_macs) if x == "macs" and data.min_macs else None)


def history_data(study) -> HistoryData:
    """Each trial's accuracy and state in trial order, and the best accuracy so far."""
    data = _data(study)
    best, running = None, []
    for r in data.rows:
        if r.state == "complete" and r.within_budget and r.accuracy is not None:
            best = r.accuracy if best is None else max(best, r.accuracy)
        running.append(best)
    rows = data.rows
    return HistoryData(tuple(r.number for r in rows), tuple(r.accuracy for r in rows), tuple(r.state for r in rows),
                       tuple(r.reason for r in rows), tuple(r.arch for r in rows), tuple(running))


def _stages_label(n: int) -> str:
    return f"{n} stage" if n == 1 else f"{n} stages"


def _order(values: set, known: Sequence) -> list:
    return sorted(values, key=lambda v: (known.index(v) if v in known else len(known), str(v)))


# one factor per design choice: name, title, the labels a genome dict falls under (a trial whose stages mix
# block types or kernels counts once under each one it uses), and the order of the labels
_FACTORS: tuple[tuple[str, str, Callable[[dict], set], Sequence], ...] = (
    ("block", "block type", lambda g: {s["block"] for s in g["stages"]}, BLOCK_KINDS),
    ("se", "squeeze-excitation", lambda g: {"SE on" if any(s.get("se", 0) > 0 for s in g["stages"]) else "SE off"},
     ("SE off", "SE on")),
    ("kernel", "kernel size", lambda g: {f"k{s.get('kernel', 3)}" for s in g["stages"]}, ("k3", "k5", "k7")),
    ("stem", "stem", lambda g: {g.get("stem", {}).get("kind", "conv3x3")}, STEM_KINDS),
    ("stages", "number of stages", lambda g: {_stages_label(len(g["stages"]))},
     [_stages_label(n) for n in range(1, 9)]),
)


def pattern_data(study) -> PatternData:
    """Accuracy of complete trials grouped by block type, SE on/off, kernel, stem and number of stages."""
    rows = [r for r in _data(study).rows if r.state == "complete" and r.accuracy is not None
            and isinstance(r.genome, dict) and isinstance(r.genome.get("stages"), list)]
    factors = []
    for name, title, labels_of, known in _FACTORS:
        groups: dict[str, list[TrialRow]] = {}
        for r in rows:
            for label in labels_of(r.genome):
                groups.setdefault(label, []).append(r)
        factors.append(PatternFactor(name, title, tuple(
            PatternGroup(label, tuple(r.number for r in groups[label]), tuple(r.accuracy for r in groups[label]))
            for label in _order(set(groups), known))))
    return PatternData(tuple(factors))


def importance_data(study) -> ImportanceData:
    """Optuna's importances of the parameters for accuracy (fANOVA with scikit-learn, else PED-ANOVA)."""
    import optuna
    from optuna.trial import TrialState

    empty = ImportanceData((), (), "")
    if len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) < 2:
        return empty
    if importlib.util.find_spec("sklearn") is not None:  # fANOVA's random forest comes from scikit-learn
        evaluator, method, sign = optuna.importance.FanovaImportanceEvaluator(seed=0), "fANOVA", 1.0
    else:  # PED-ANOVA needs nothing else, and ranks parameters by what gives *low* targets
        evaluator, method, sign = optuna.importance.PedAnovaImportanceEvaluator(), "PED-ANOVA", -1.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = optuna.importance.get_param_importances(study, evaluator=evaluator,
                                                             target=lambda t: sign * t.values[0])
    except (ValueError, RuntimeError, ZeroDivisionError):  # e.g. no parameter common to the trials
        return empty
    items = sorted(result.items(), key=lambda kv: (-kv[1], kv[0]))
    if not items:
        return empty
    return ImportanceData(tuple(k for k, _ in items), tuple(float(v) for _, v in items), method)


def rank_key(r: TrialRow) -> tuple:
    """Sort key of the trials table: complete within budget by accuracy (then fewer MACs), then the rest."""
    scored = r.state == "complete" and r.accuracy is not None
    return (not scored, not r.within_budget, -(r.accuracy or 0.0), r.macs if r.macs is not None else math.inf,
            r.number)


def top_k(study, k: int | None = None) -> tuple[TrialRow, ...]:
    """The k best trials by :func:`rank_key` (all trials when k is None)."""
    if k is not None and k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    rows = sorted(_data(study).rows, key=rank_key)
    return tuple(rows if k is None else rows[:k])


def best_trial(study) -> BestTrial | None:
    """The most accurate complete trial within budget (fewer MACs breaks ties), described; None if none."""
    from space.report import describe, describe_text

    ranked = top_k(study, 1)
    if not ranked or ranked[0].state != "complete" or not ranked[0].within_budget:
        return None
    row = ranked[0]
    if row.genome is None:
        return BestTrial(row, "", (), "")
    try:
        info = describe(Genome.from_dict(row.genome))
    except ValueError as e:
        return BestTrial(row, f"(its genome cannot be described: {e})", (), json.dumps(row.genome, indent=2))
    return BestTrial(row, describe_text(info), tuple(info["rows"]), json.dumps(row.genome, indent=2))


def scaling_data(path: str | Path) -> ScalingData | None:
    """The variants in a ``scaling.json`` (as ``nas scale --base study:NAME`` writes), by phi; None if absent."""
    p = Path(path)
    if not p.is_file():
        return None
    try:
        items = json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{p}: malformed JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    if not isinstance(items, list) or not all(isinstance(v, dict) for v in items):
        raise ValueError(f"{p}: expected a JSON list of variant objects")
    for i, v in enumerate(items):
        missing = [k for k in ("name", "phi", "params", "macs", "resolution") if k not in v]
        if missing:
            raise ValueError(f"{p}: variant {i} has no {missing[0]!r}")
    items = sorted(items, key=lambda v: float(v["phi"]))
    return ScalingData(tuple(str(v["name"]) for v in items), tuple(float(v["phi"]) for v in items),
                       tuple(int(v["params"]) for v in items), tuple(int(v["macs"]) for v in items),
                       tuple(int(v["resolution"]) for v in items),
                       tuple(_float_or_none(v.get("val_acc")) for v in items))


def overlay_data(studies: Sequence, x: str = "macs") -> OverlayData:
    """The accuracy-against-``x`` data of several studies, each with its own front and budget."""
    data = [_data(s) for s in studies]
    return OverlayData(tuple(d.name for d in data), tuple(front_data(d, x) for d in data))
