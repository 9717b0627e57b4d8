"""The studies of a folder or a storage, one row each: what ``nas show`` with no name lists."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class StudyRow:
    """One study at a glance."""

    name: str
    trials: int  # trials that count towards --trials (trained to the end, or pruned)
    best_accuracy: float | None  # the best complete trial within budget; None before one
    budget: str  # the bounds in words (Budget.text)
    last_change: str  # when its latest trial started or ended, "YYYY-MM-DD HH:MM" (UTC as stored); "" if none

    def to_dict(self) -> dict:
        """The JSON row of ``nas show --json`` with no name."""
        return {"study": self.name, "trials": self.trials, "best_accuracy": self.best_accuracy,
                "budget": self.budget, "last_change": self.last_change or None}


def study_row(study: Any) -> StudyRow:
    """The row of one Optuna study."""
    from .results import best_trial, read_study, trained_count

    view = read_study(study)
    best = best_trial(view)
    times = [d for t in study.get_trials(deepcopy=False) for d in (t.datetime_start, t.datetime_complete) if d]
    return StudyRow(view.name, trained_count(view), best.accuracy if best else None, view.budget.text(),
                    max(times).strftime("%Y-%m-%d %H:%M") if times else "")


def list_studies(studies_dir: str | Path, storage: str | None = None) -> list[StudyRow]:
    """Every study in ``storage``, or in the ``study.db`` files under ``studies_dir``, by name."""
    import optuna

    from ..study import open_storage, quiet_optuna

    quiet_optuna()
    urls = [storage] if storage else [f"sqlite:///{db.resolve()}" for db in sorted(Path(studies_dir).glob("*/study.db"))]
    rows = []
    for url in urls:
        rdb = open_storage(url)
        for frozen in rdb.get_all_studies():
            rows.append(study_row(optuna.load_study(study_name=frozen.study_name, storage=rdb)))
    return sorted(rows, key=lambda r: r.name)


def format_rows(rows: list[StudyRow]) -> str:
    """The rows as an aligned text table."""
    width = max([len("study")] + [len(r.name) for r in rows])
    lines = [f"{'study':<{width}}  {'trials':>6}  {'best acc':>8}  {'last change':<16}  budget"]
    for r in rows:
        best = f"{r.best_accuracy:.4f}" if r.best_accuracy is not None else "-"
        lines.append(f"{r.name:<{width}}  {r.trials:>6}  {best:>8}  {r.last_change or '-':<16}  {r.budget}")
    return "\n".join(lines)


__all__ = ["StudyRow", "format_rows", "list_studies", "study_row"]
