"""The dashboard pages: plots from :mod:`.figures`, tables and a summary, put into ``template.html``.

The template is a package resource (it ships in the wheel beside this module); it holds the CSS and
the small script that shows a hovered trial in the details panel and finds a clicked one in the
(sortable) trials table. ``render_*`` return the page as text; nothing here writes files.
"""

from __future__ import annotations

import html
import json
import string
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from typing import Any, Sequence

from space.units import human

from ..report.calibration import calibration_data
from ..report.edf import edf_data
from ..report.patterns import ImportanceData, pattern_data
from ..report.plots import (ScalingData, StudyData, TrialRow, best_trial, from_view, front_data, history_data,
                            overlay_data, top_k)
from ..report.results import StudyView
from ..status import CATEGORIES
from ..study.schema import StudySettings
from .figures import (IMPORTANCE_BARS, acc_text, calibration_figure, edf_figure, front_figure, history_figure, importance_figure,
                      overlay_figure, pattern_figure, scaling_figure)

TOP_K = 200  # rows of the trials table by default; every trial still shows in the details panel
SPLIT_NOTE = "accuracy: validation split (the test split is only used by nas train)"


@lru_cache(maxsize=1)
def _template() -> string.Template:
    return string.Template(resources.files(__package__).joinpath("template.html").read_text(encoding="utf-8"))


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element (no '</' can close it early)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("</", "<\\/")


class _Page:
    """Collects plots (each a div plus its figure JSON) and sections of HTML, in order."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.count = 0

    def add(self, html_text: str) -> None:
        self.parts.append(html_text)

    def plot(self, fig, height: int = 430) -> str:
        import plotly.io as pio

        self.count += 1
        fid = f"nas-fig-{self.count}"
        return (f'<div class="nas-plot" id="plot-{self.count}" data-fig="{fid}" style="height: {height}px"></div>'
                f'<script id="{fid}" type="application/json">{_script_json(pio.to_json(fig))}</script>')

    def render(self, title: str, summary: str, trials: dict[str, str]) -> str:
        from plotly.offline import get_plotlyjs

        return _template().substitute(title=html.escape(title), summary=summary, body="\n".join(self.parts),
                                trials=_script_json(trials), plotlyjs=get_plotlyjs())


def _cell(text: str, value: Any = None, cls: str = "") -> str:
    v = "" if value is None else str(value)
    c = f' class="{cls}"' if cls else ""
    return f'<td{c} data-v="{html.escape(v)}">{html.escape(text)}</td>'


def _trials_table(rows: Sequence[TrialRow], latency: bool, studies: Sequence[str] = ()) -> str:
    """A sortable table of trials; with ``studies`` (one name per row) a study column, keys ``study#number``."""
    head = ["rank"] + (["study"] if studies else []) + ["trial", "state", "accuracy", "params", "MACs"]
    head += (["latency ms"] if latency else []) + ["architecture", "reason"]
    text_cols = {"study", "state", "architecture", "reason"}
    ths = "".join(f'<th class="text">{h}</th>' if h in text_cols else f"<th>{h}</th>" for h in head)
    body = []
    for rank, r in enumerate(rows, start=1):
        study = studies[rank - 1] if studies else ""
        key = f"{study}#{r.number}" if studies else str(r.number)
        cells = [_cell(str(rank), rank)] + ([_cell(study, study, "text")] if studies else [])
        cells += [_cell(str(r.number), r.number),
                  _cell(_state_text(r), r.state, f"text state-{r.state}"),
                  _cell(acc_text(r.accuracy), r.accuracy),
                  _cell(human(r.params) if r.params is not None else "", r.params),
                  _cell(human(r.macs) if r.macs is not None else "", r.macs)]
        if latency:
            cells.append(_cell("" if r.latency_ms is None else f"{r.latency_ms:.3g}", r.latency_ms))
        cells += [_cell(r.arch, r.arch, "text arch"), _cell(r.reason, r.reason, "text reason")]
        body.append(f'<tr id="row-{html.escape(key)}" data-key="{html.escape(key)}">{"".join(cells)}</tr>')
    return (f'<div class="table-box"><table class="sortable"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _state_text(r: TrialRow) -> str:
    """The trial's state, with its status where that says more (failed (oom))."""
    return r.state if r.status in (r.state, "ok") else f"{r.state} ({r.status})"


def _trial_line(r: TrialRow, prefix: str = "") -> str:
    bits = [f"{prefix}trial {r.number}", _state_text(r), f"baseline {r.baseline}" if r.baseline else ""]
    if r.accuracy is not None:
        bits.append(f"accuracy {r.accuracy:.4f}")
    if r.params is not None:
        bits.append(f"{human(r.params)} params")
    if r.macs is not None:
        bits.append(f"{human(r.macs)} MACs")
    if r.latency_ms is not None:
        bits.append(f"{r.latency_ms:.3g} ms")
    if not r.within_budget:
        bits.append("over budget")
    bits += [r.arch] + ([r.reason] if r.reason else [])
    return " | ".join(b for b in bits if b)


def _summary(d: StudyData, st: StudySettings | None) -> str:
    """The lines under the title: counts, objectives, budgets, settings, and what the numbers mean."""
    counts = {s: sum(r.state == s for r in d.rows) for s in CATEGORIES}
    parts = [f"{len(d.rows)} trials: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)]
    parts.append("objectives: " + ", ".join(f"{o} ({dr})" for o, dr in zip(d.objectives, d.directions)))
    b = d.budget
    if b.max_macs is not None:
        parts.append(f"MACs budget {human(b.max_macs)} ({b.max_macs:,})")
    if b.min_macs:
        parts.append(f"at least {human(b.min_macs)} MACs")
    if b.max_params is not None:
        parts.append(f"params budget {human(b.max_params)} ({b.max_params:,})")
    settings = ", ".join(f"{k} {v}" for k, v in (("data", st.data), ("resolution", st.resolution),
                                                  ("epochs", st.epochs), ("tuned", ", ".join(st.tune)))
                         if v) if st else ""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [" · ".join(parts)] + ([settings] if settings else []) + [
        f"MACs = multiply-accumulates of conv and linear layers, the FLOPs of the EfficientNet paper. "
        f"Generated {when}.", SPLIT_NOTE]
    return "".join(f'<p class="summary">{html.escape(line)}</p>' for line in lines)


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def render_dashboard(view: StudyView, importance: ImportanceData | None, scaling: ScalingData | None,
                     top: int = TOP_K, storage_hint: str = "", chance: float | None = None,
                     importance_note: str = "") -> str:
    """The whole dashboard page of one study (as :func:`search.report.results.read_study` read it) as HTML text.

    ``chance``, the accuracy of guessing (1 / classes), draws a dotted line on the fronts and the history;
    ``importance_note``, when given, replaces the importance plot (say why it is not drawn).
    """
    d = from_view(view)
    page = _Page()
    page.add("<h2>Pareto front</h2>")
    fronts = [front_data(view, x) for x in ("macs", "params", "latency") if x != "latency" or d.latency_label]
    fronts = [f for f in fronts if f.x]
    if fronts:
        titles = {"macs": "accuracy vs MACs", "params": "accuracy vs params", "latency": "accuracy vs latency"}
        page.add('<div class="grid">' + "".join(page.plot(front_figure(f, titles[f.x_name], chance)) for f in fronts)
                 + "</div>")
        page.add(_note("Front: the trials within budget that no other trial beats on both accuracy and cost. "
                       "Faded: dominated; grey x: over budget."))
    else:
        page.add(_note("no complete trial yet"))
    page.add("<h2>History</h2>")
    if d.rows:
        page.add(page.plot(history_figure(history_data(view), chance), 420))
    else:
        page.add(_note("no trials yet"))
    _edf_section(page, [view])
    page.add("<h2>Design patterns</h2>")
    patterns = pattern_data(view)
    if any(f.groups for f in patterns.factors):
        page.add(page.plot(pattern_figure(patterns), 400))
        page.add(_note("A trial whose stages mix block types or kernel sizes counts under each one it uses; "
                       "SE on means at least one stage has squeeze-and-excitation."))
    else:
        page.add(_note("no complete trial with a genome yet"))
    if importance_note:
        page.add(_note(f"parameter importances: {importance_note}"))
    elif importance is not None and importance.params:
        bars = min(len(importance.params), IMPORTANCE_BARS)
        page.add(page.plot(importance_figure(importance), max(260, 24 * bars + 110)))
    else:
        page.add(_note("parameter importances: not computable yet (they need two or more complete trials, "
                       "and parameters that vary)"))
    page.add("<h2>Best trial</h2>")
    best = best_trial(view)
    if best is None:
        page.add(_note("no complete trial within budget yet"))
    else:
        page.add(f'<p class="summary">{html.escape(_trial_line(best.row))}</p>')
        # one above the other at full width: side by side, the shape-flow table's long rows were cut off
        page.add(f'<div><b>shape flow (nas describe)</b><pre id="best-describe">{html.escape(best.describe_text)}</pre>'
                 f'</div><div><b>genome JSON</b><pre id="best-genome">{html.escape(best.genome_json)}</pre></div>')
    ranked = top_k(view, top)
    page.add(f"<h2>Trials (top {len(ranked)} of {len(d.rows)}; click a header to sort)</h2>")
    page.add(_trials_table(ranked, bool(d.latency_label)))
    if scaling is not None:
        page.add("<h2>Scaling</h2>")
        page.add(page.plot(scaling_figure(scaling), 420))
    calibration = calibration_data(view.calibration)
    if calibration is not None and calibration.panels:
        page.add("<h2>Proxy fidelity</h2>")
        page.add(page.plot(calibration_figure(calibration), 400))
        page.add(_note("Each point is one architecture trained at both lengths by nas calibrate; the closer the "
                       "points lie to a rising line, the better the short training ranks architectures."))
    if storage_hint:
        page.add(_note(f"This is a plain Optuna study; optuna-dashboard opens it too: "
                       f"optuna-dashboard {storage_hint}"))
    trials = {str(r.number): _trial_line(r) for r in d.rows}
    return page.render(f"nas study {d.name}", _summary(d, view.settings), trials)


def _edf_section(page: _Page, views: Sequence[StudyView]) -> None:
    """The error distribution of each study's space (drawn once some space has two complete trials)."""
    d = edf_data(views)
    if any(len(e) > 1 for e in d.errors):
        page.add("<h2>Error distribution</h2>")
        page.add(page.plot(edf_figure(d), 400))
        page.add(_note("Each curve: the share of a space's complete trials (within budget) whose validation error is "
                       "at most x; a curve further left and steeper is a better space. Dashed: the baselines."))


def render_overlay(views: Sequence[StudyView]) -> str:
    """The overlay page of several studies' fronts (each as read_study read it) as HTML text."""
    studies = [from_view(v) for v in views]
    page = _Page()
    page.add("<h2>Pareto fronts</h2>")
    overlays = [overlay_data(views, x) for x in ("macs", "params")]
    if any(f.x for o in overlays for f in o.fronts):
        page.add('<div class="grid">' + "".join(
            page.plot(overlay_figure(o, f"accuracy vs {'MACs' if o.fronts[0].x_name == 'macs' else 'params'}"))
            for o in overlays) + "</div>")
    else:
        page.add(_note("none of the studies has a complete trial yet"))
    _edf_section(page, views)
    page.add("<h2>Studies</h2>")
    head = "".join(f"<th{' class=text' if h == 'study' else ''}>{h}</th>"
                   for h in ("study", "trials", "complete", "front", "best accuracy", "MACs budget", "params budget"))
    body = []
    for d, f in zip(studies, overlays[0].fronts):
        scored = [r.accuracy for r in d.rows if r.state == "complete" and r.within_budget and r.accuracy is not None]
        complete, on_front = sum(r.state == "complete" for r in d.rows), sum(f.on_front)
        best = max(scored, default=None)
        cells = [_cell(d.name, d.name, "text"), _cell(str(len(d.rows)), len(d.rows)),
                 _cell(str(complete), complete), _cell(str(on_front), on_front), _cell(acc_text(best), best),
                 _cell(human(d.budget.max_macs) if d.budget.max_macs else "", d.budget.max_macs),
                 _cell(human(d.budget.max_params) if d.budget.max_params else "", d.budget.max_params)]
        body.append(f"<tr>{''.join(cells)}</tr>")
    page.add(f'<div class="table-box"><table class="sortable"><thead><tr>{head}</tr></thead>'
             f'<tbody>{"".join(body)}</tbody></table></div>')
    page.add("<h2>Front trials (on accuracy vs MACs; click a header to sort)</h2>")
    rows, names = [], []
    for d, f in zip(studies, overlays[0].fronts):
        by_number = {r.number: r for r in d.rows}
        for i in f.front():
            rows.append(by_number[f.numbers[i]])
            names.append(d.name)
    page.add(_trials_table(rows, False, names))
    trials = {f"{d.name}#{r.number}": _trial_line(r, f"{d.name}: ") for d in studies for r in d.rows}
    return page.render("nas studies " + ", ".join(d.name for d in studies), "", trials)


