"""Study dashboards: one self-contained HTML file (plotly.js inlined, no network) drawn from ``plots`` data.

:mod:`.figures` draws each plot, :mod:`.page` assembles the page from ``template.html``, :mod:`.server`
serves it for ``nas dashboard --serve``; the two writers below are the only functions that touch files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..files import clean_stale_temps, write_atomic
from ..paths import StudyPaths
from ..report.patterns import importance_caveat, importance_data
from ..report.plots import chance_of, scaling_data
from ..report.results import read_scaling, read_study
from .page import SPLIT_NOTE, TOP_K, render_dashboard, render_overlay
from .server import make_server

__all__ = ["SPLIT_NOTE", "TOP_K", "make_server", "render_dashboard", "render_overlay", "write_dashboard",
           "write_overlay"]


def _write(text: str, out: Path) -> Path:
    """Write atomically (a browser or the server never reads a half-written page), clearing dead writers' temps."""
    clean_stale_temps(out.parent)
    return write_atomic(out, text)


def write_dashboard(study, out_path: str | Path, studies_dir: str | Path = "studies", top: int = TOP_K,
                    storage_hint: str | None = None, chance: float | None = None,
                    importance_note: str = "") -> Path:
    """Write the dashboard of an Optuna study, read once, to ``out_path`` (one offline HTML file); the path written.

    ``studies_dir/<name>/scaling.json``, when present, adds the scaling plot. ``storage_hint``, the
    study's storage URL, goes into the line telling how to open it with optuna-dashboard (default:
    the SQLite file under ``studies_dir`` where ``nas run`` keeps it, when it exists). ``chance`` and
    ``importance_note`` are passed to :func:`render_dashboard` (with a note, importances are not computed; they
    are Optuna's, computed from the live study).
    """
    view = read_study(study)
    paths = StudyPaths.of(studies_dir, view.name)
    if storage_hint is None:
        storage_hint = paths.sqlite_url() if paths.db.is_file() else ""
    items = read_scaling(paths.scaling)
    scaling = None if items is None else scaling_data(items, str(paths.scaling))
    chance = chance_of(view) if chance is None else chance
    importance_note = importance_note or importance_caveat(view)
    importance = None if importance_note else importance_data(study)
    return _write(render_dashboard(view, importance, scaling, top, storage_hint, chance, importance_note),
                  Path(out_path))


def write_overlay(studies: Sequence, out_path: str | Path) -> Path:
    """Write one page overlaying the Pareto fronts of several Optuna studies, each read once; the path written."""
    return _write(render_overlay([read_study(s) for s in studies]), Path(out_path))
