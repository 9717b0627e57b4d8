"""Empirical distribution functions of validation error (RegNet's way of comparing design spaces), as pure data.

One curve per space of each study (a study's searched trials are of its space; ``--baselines`` trials are
yardsticks, kept apart as single named errors). :func:`edf_data` reads studies as :class:`StudyView`s;
:func:`edf_steps` and :func:`quantiles` are shared with ``bench/cpu_evidence.py``.
"""

from __future__ import annotations

import statistics
from typing import NamedTuple, Sequence

from .results import StudyView, scored
from .results import baselines as complete_baselines


class EdfData(NamedTuple):
    """Validation errors per curve (ascending) and the baselines' errors, of one or several studies."""

    names: tuple[str, ...]  # "space", or "study: space" when several studies are drawn
    errors: tuple[tuple[float, ...], ...]  # per curve: 1 - accuracy of its complete trials within budget, ascending
    baselines: tuple[tuple[str, float], ...]  # (name, error) of each complete --baselines trial

    def steps(self, i: int) -> tuple[list[float], list[float]]:
        """Curve i as a staircase to draw."""
        return edf_steps(self.errors[i])


def edf_steps(errors: Sequence[float]) -> tuple[list[float], list[float]]:
    """The EDF as a staircase: x = error, y = share of nets with an error <= x (each step drawn up at its x)."""
    s = sorted(errors)
    xs, ys = [], []
    for i, e in enumerate(s):
        xs += [e, e]
        ys += [i / len(s), (i + 1) / len(s)]
    return xs, ys


def quantiles(xs: Sequence[float]) -> tuple[float, float, float, float, float]:
    """min, 25 %, median, 75 %, max (linear interpolation between order statistics)."""
    if not xs:
        raise ValueError("quantiles of no values")
    s = sorted(xs)
    if len(s) == 1:
        return (s[0],) * 5
    q1, q2, q3 = statistics.quantiles(s, n=4, method="inclusive")
    return s[0], q1, q2, q3, s[-1]


def space_name(view: StudyView) -> str:
    """The space a study's searched trials were drawn from, as ``--space`` names it ("custom" for a file's)."""
    settings = view.settings
    if settings is None or not settings.space:
        return "unknown"  # a study of another tool, or of a version that did not store its space
    return str(settings.space.get("kind") or "custom")


def edf_data(views: Sequence[StudyView]) -> EdfData:
    """The EDF of validation error of each study's space (complete trials within budget), baselines apart."""
    names, errors, baselines = [], [], []
    for v in views:
        searched = sorted(round(1 - r.accuracy, 6) for r in scored(v))
        if searched:
            names.append(f"{v.name}: {space_name(v)}" if len(views) > 1 else space_name(v))
            errors.append(tuple(searched))
        prefix = f"{v.name}: " if len(views) > 1 else ""
        baselines += [(prefix + r.baseline, round(1 - r.accuracy, 6)) for r in complete_baselines(v) if v.within(r)]
    return EdfData(tuple(names), tuple(errors), tuple(baselines))
