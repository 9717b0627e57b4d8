"""The read side of a study: :func:`read_study` is the one reader every consumer calls (run's summary,
best.json, trials.csv, ``nas show``, the dashboard's plot data, the Python API).

"Within budget" is :meth:`Budget.fits`; "best" is :func:`best_trial`; "front" is :func:`front`.
Each is defined here once.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Sequence

from space.units import human

from ..budget import Budget
from ..files import write_atomic
from ..paths import StudyPaths
from ..status import CATEGORIES, Status
from ..study import ranking
from ..study.record import STORED, TrialRecord, dumps
from ..study.schema import StudySettings, read_settings

CALIBRATION_KEY = "nas_calibration"


@dataclass(frozen=True)
class StudyView:
    """A study read once: its settings and every trial's record, in trial-number order."""

    name: str
    directions: tuple[str, ...]  # "maximize" / "minimize" per objective
    settings: StudySettings | None  # None for a study made by another tool
    attrs: dict  # the study's user attributes, as stored
    trials: tuple[TrialRecord, ...]

    @property
    def objectives(self) -> tuple[str, ...]:
        """accuracy, then macs or latency for a second objective."""
        if self.settings is not None:
            return self.settings.objectives
        return ("accuracy", "macs")[: len(self.directions)]

    @property
    def budget(self) -> Budget:
        """The study's budget (no bounds for a study without settings)."""
        return self.settings.budget if self.settings is not None else Budget()

    def within(self, r: TrialRecord) -> bool:
        """Whether a trial's network fits the study's budget."""
        return ranking.within(self.budget, r)

    @property
    def calibration(self) -> dict | None:
        """The stored result of ``nas calibrate`` on this study, if any."""
        c = self.attrs.get(CALIBRATION_KEY)
        return c if isinstance(c, dict) else None


def read_study(study: Any) -> StudyView:
    """Read an Optuna study (one get_trials call) into a StudyView."""
    attrs = dict(study.user_attrs)
    trials = sorted((TrialRecord.from_trial(t) for t in study.get_trials(deepcopy=False)), key=lambda r: r.number)
    return StudyView(study.study_name, tuple(d.name.lower() for d in study.directions), read_settings(attrs), attrs,
                     tuple(trials))


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
    front_keys: list[tuple[float, ...]] = []
    on = [False] * len(keys)
    for i in sorted((i for i, k in enumerate(keys) if k is not None), key=lambda i: keys[i]):
        if not any(dominates(f, keys[i]) for f in front_keys):
            front_keys.append(keys[i])
            on[i] = True
    return tuple(on)


def latency_of(r: TrialRecord, view: StudyView) -> float | None:
    """The latency the study speaks of: its objective where it is one, else the batch-1 figure."""
    if view.objectives[1:] == ("latency",) and r.values and len(r.values) > 1:
        return r.values[1] if math.isfinite(r.values[1]) else None
    v = (r.latency_ms or {}).get("b1")
    return float(v) if isinstance(v, (int, float)) else None


def cost_of(r: TrialRecord, x: str, view: StudyView) -> float | None:
    """A trial's cost on axis ``x``: macs, params or latency."""
    v = latency_of(r, view) if x == "latency" else getattr(r, x)
    return None if v is None else float(v)


def scored(view: StudyView) -> list[TrialRecord]:
    """Complete searched trials within budget with an accuracy (see :func:`search.study.ranking.scored`)."""
    return ranking.scored(view.trials, view.budget)


def baselines(view: StudyView) -> list[TrialRecord]:
    """The complete --baselines trials (hand designs trained beside the search), in trial order."""
    return [r for r in view.trials if r.baseline and r.status is Status.OK and r.accuracy is not None]


def rank_key(view: StudyView):
    """Sort key: complete within budget by accuracy (then fewer MACs), then the rest by number."""
    return ranking.rank_key(view.budget)


def ranked(view: StudyView) -> list[TrialRecord]:
    """Every trial, best first (see :func:`rank_key`)."""
    return sorted(view.trials, key=rank_key(view))


def best_trial(view: StudyView) -> TrialRecord | None:
    """The most accurate complete trial within budget; a tie goes to fewer MACs."""
    return ranking.best_of(view.trials, view.budget)


def front(view: StudyView, x: str = "macs") -> list[TrialRecord]:
    """The trials within budget that no other beats on both accuracy and cost ``x``, by increasing cost."""
    rows = [r for r in scored(view) if cost_of(r, x, view) is not None]
    on = pareto_front([(r.accuracy, cost_of(r, x, view)) for r in rows], ("maximize", "minimize"))
    return sorted((r for r, f in zip(rows, on) if f), key=lambda r: (cost_of(r, x, view), -r.accuracy))


def counts(view: StudyView) -> dict[str, int]:
    """Trials by status."""
    out: dict[str, int] = {}
    for r in view.trials:
        out[r.status.value] = out.get(r.status.value, 0) + 1
    return out


def trained_count(view: StudyView) -> int:
    """Trials that count towards --trials (baselines never do)."""
    return ranking.counted(view.trials)


def row(r: TrialRecord, view: StudyView) -> dict:
    """One trial as a JSON-ready summary row."""
    return {"trial": r.number, "val_acc": r.accuracy, "params": r.params, "macs": r.macs,
            "latency_ms": latency_of(r, view), "train_seconds": r.train_seconds, "epochs": r.epochs,
            "peak_memory_bytes": r.peak_memory_bytes, "at_chance": r.at_chance, "below_chance": below_chance(r, view),
            "baseline": r.baseline or None, "arch": r.arch}


def below_chance(r: TrialRecord, view: StudyView) -> bool:
    """A trial told apart from guessing only by scoring under it: flagged at chance, and under 1 / classes."""
    k = view.settings.num_classes if view.settings is not None else 0
    return bool(r.at_chance and k and r.accuracy is not None and r.accuracy < 1 / k)


def summary(view: StudyView, top: int = 5) -> dict:
    """Settings, counts by status, the top trials and the front, JSON-ready."""
    s = view.settings
    best = [r for r in ranked(view) if r in scored(view)][:top]
    return {"study": view.name, "trials": len(view.trials), "finished": trained_count(view),
            "statuses": counts(view), "objectives": list(view.objectives),
            "budget_macs": view.budget.max_macs, "params_budget": view.budget.max_params,
            "min_macs": view.budget.min_macs, "settings": s.to_json() if s else None,
            "split": "validation", "top": [row(r, view) for r in best],
            "pareto": [row(r, view) for r in (front(view) if len(view.objectives) > 1 else best[:1])],
            "baselines": [row(r, view) for r in baselines(view)]}


def trials_table(view: StudyView):
    """One row per trial (a pandas DataFrame): its number, status, state and whether it fits the budget, then every
    stored field of its record under the record's own name (lists and mappings as JSON text), its duration, its
    objective values and its Optuna params."""
    import pandas as pd

    rows = []
    for r in view.trials:
        d = {"number": r.number, "status": r.status.value, "state": r.category, "within_budget": view.within(r)}
        d |= {name: _cell(getattr(r, name)) for name in TABLE_FIELDS}
        d["duration_s"] = r.duration_s
        for name, v in zip(view.objectives, r.values or ()):
            d[f"value_{name}"] = v
        d.update({f"param_{k}": v for k, v in r.optuna_params.items()})
        rows.append(d)
    return pd.DataFrame(rows)


TABLE_FIELDS = tuple(f.name for f in fields(TrialRecord) if f.name in STORED and f.name != "status")


def _cell(value: Any) -> Any:
    """A CSV cell: lists and mappings as JSON text, the rest as they are."""
    return dumps(value) if isinstance(value, (dict, list, tuple)) else value


def best_json(view: StudyView) -> dict | None:
    """What best.json holds (None when no trial is complete within budget)."""
    b = best_trial(view)
    if b is None:
        return None
    return {"study": view.name, "trial": b.number, "val_acc": b.accuracy, "split": "validation",
            "params": b.params, "macs": b.macs, "arch": b.arch, "genome": b.genome}


def write_results(view: StudyView, paths: StudyPaths) -> dict[str, str]:
    """best.json and trials.csv, each written atomically; the paths written."""
    out = {}
    info = best_json(view)
    if info is not None:
        write_atomic(paths.best, json.dumps(info, indent=2))
        out["best"] = str(paths.best)
    write_atomic(paths.trials_csv, trials_table(view).to_csv(index=False))
    out["csv"] = str(paths.trials_csv)
    return out


def chance_stop(view: StudyView, n: int) -> str:
    """Why the search must stop when the study's first ``n`` trained trials all scored at chance ('' otherwise)."""
    return ranking.chance_stop(view.trials, n)


__all__ = ["CATEGORIES", "StudyView", "baselines", "best_json", "best_trial", "chance_stop", "counts", "front", "pareto_front", "ranked",
           "read_study", "rank_key", "scored", "summary", "trials_table", "write_results"]


def read_scaling(path: str | Path) -> list | None:
    """The variants a study's scaling.json holds (None when absent); a damaged file is one clear error."""
    p = Path(path)
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{p}: malformed JSON: {e.msg} at line {e.lineno} column {e.colno}") from None


def format_summary(s: dict) -> str:
    """The human-readable end-of-run summary."""
    plus = f" and {len(s['baselines'])} baselines" if s.get("baselines") else ""
    lines = [f"study {s['study']}: {s['finished']} trials finished{plus} ("
             + ", ".join(f"{v} {k}" for k, v in sorted(s["statuses"].items())) + ")"]
    if s.get("budget_macs"):
        lines[0] += f", budget {human(s['budget_macs'])} MACs"
    lines += ["", "top trials (validation accuracy):"]
    for r in s["top"]:
        mark = " (below chance)" if r.get("below_chance") else " (at chance)" if r.get("at_chance") else ""
        memory = f"  peak {r['peak_memory_bytes'] / 2**20:.0f} MiB" if r.get("peak_memory_bytes") else ""
        lines.append(f"  #{r['trial']:<4} {r['val_acc']:.4f}{mark}  {human(r['params']):>8} params  "
                     f"{human(r['macs']):>8} MACs  {r['arch']}{memory}")
    best = s["top"][0]["val_acc"] if s["top"] else None
    for r in s.get("baselines", []):  # beside the search, never in its ranking
        than = f" (search best {'beats it' if best >= r['val_acc'] else 'trails it'} by " \
               f"{abs(best - r['val_acc']):.4f})" if best is not None else ""
        lines.append(f"baseline {r['baseline']}: val_acc {r['val_acc']:.4f}, {human(r['macs'])} MACs{than}")
    if len(s["objectives"]) > 1:
        lines += ["", f"Pareto front ({' vs '.join(s['objectives'])}):"]
        for r in s["pareto"]:
            extra = f"{r['latency_ms']:.2f} ms" if s["objectives"][1] == "latency" and r.get("latency_ms") \
                else f"{human(r['macs'])} MACs"
            lines.append(f"  #{r['trial']:<4} {r['val_acc']:.4f}  {extra}  {r['arch']}")
    for k, v in s.get("files", {}).items():
        lines.append(f"{k}: {v}")
    return "\n".join(lines)
