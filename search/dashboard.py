"""Study dashboards: one self-contained HTML file (plotly.js inlined, no network) drawn from ``plots`` data.

Every figure builder here takes a NamedTuple from :mod:`search.plots` and only draws it; plotly is
imported inside them. Each point carries its trial's key (the trial number, or ``study#number`` in
an overlay) as ``customdata[0]``; the page's small script uses it to show the trial in a details
panel on hover and to highlight and scroll to its row of the (sortable) trials table on click.
"""

from __future__ import annotations

import html
import json
import os
import string
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from space.report import human

from .plots import (MACS_LABEL, FrontData, HistoryData, ImportanceData, OverlayData, PatternData,
                    ScalingData, StudyData, TrialRow, best_trial, front_data, history_data, importance_data,
                    overlay_data, pattern_data, scaling_data, study_data, top_k)

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
STATE_COLORS = {"complete": "#1f77b4", "pruned": "#ff7f0e", "rejected": "#7f7f7f", "failed": "#d62728",
                "running": "#2ca02c"}
TOP_K = 200  # rows of the trials table by default; every trial still shows in the details panel
IMPORTANCE_BARS = 20  # a search space has ~6 parameters per stage: beyond the first 20 the bars are noise


def _fmt(n: float | None) -> str:
    return "" if n is None else f"{human(n)} ({int(n):,})"


def _acc(a: float | None) -> str:
    return "" if a is None else f"{a:.4f}"


_HOVER = ("trial %{customdata[0]}<br>%{customdata[1]}<br>params %{customdata[2]}<br>MACs %{customdata[3]}"
          "<br>accuracy %{customdata[4]}<extra></extra>")


def _custom(keys: Sequence[str], arch: Sequence[str], params: Sequence[int | None], macs: Sequence[int | None],
            acc: Sequence[float | None]) -> list[list[str]]:
    return [[k, a, _fmt(p), _fmt(m), _acc(y)] for k, a, p, m, y in zip(keys, arch, params, macs, acc)]


def _log_if_positive(values: Sequence[float]) -> str:
    return "log" if values and min(values) > 0 else "linear"


def _budget_trace(budget: float, ys: Sequence[float], name: str, color: str = "black"):
    import plotly.graph_objects as go

    lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
    pad = 0.05 * (hi - lo or 1.0)
    return go.Scatter(x=[budget, budget], y=[lo - pad, hi + pad], mode="lines", name=name, hoverinfo="name",
                      line={"dash": "dash", "color": color, "width": 1.5})


def _front_traces(d: FrontData, keys: Sequence[str], name: str, color: str, faded: bool = True) -> list:
    """The front (staircase), the dominated points (faded) and the over-budget points of one FrontData."""
    import plotly.graph_objects as go

    def subset(idx: list[int]) -> dict[str, Any]:
        return {"x": [d.x[i] for i in idx], "y": [d.accuracy[i] for i in idx],
                "customdata": _custom([keys[i] for i in idx], [d.arch[i] for i in idx], [d.params[i] for i in idx],
                                      [d.macs[i] for i in idx], [d.accuracy[i] for i in idx]),
                "hovertemplate": _HOVER}

    front = d.front()
    dominated = [i for i in range(len(d.x)) if d.within_budget[i] and not d.on_front[i]]
    over = [i for i in range(len(d.x)) if not d.within_budget[i]]
    traces = []
    if dominated:
        traces.append(go.Scatter(mode="markers", name=f"{name}dominated", marker={"color": color, "size": 7},
                                 opacity=0.25 if faded else 0.5, **subset(dominated)))
    if over:
        traces.append(go.Scatter(mode="markers", name=f"{name}over budget", opacity=0.4,
                                 marker={"color": "#7f7f7f", "symbol": "x", "size": 7}, **subset(over)))
    if front:
        traces.append(go.Scatter(mode="lines+markers", name=f"{name}Pareto front", line_shape="hv",
                                 marker={"color": color, "size": 10, "line": {"color": "black", "width": 1}},
                                 line={"color": color}, **subset(front)))
    return traces


def front_figure(d: FrontData, title: str):
    """Accuracy against one cost: the front as a staircase, dominated points faded, the budget as a line."""
    import plotly.graph_objects as go

    fig = go.Figure(_front_traces(d, [str(n) for n in d.numbers], "", COLORS[0]))
    if d.budget is not None:
        unit = "MACs" if d.x_name == "macs" else d.x_name
        fig.add_trace(_budget_trace(d.budget, d.accuracy, f"budget {human(d.budget)} {unit}"))
    if d.min_budget is not None:
        fig.add_trace(_budget_trace(d.min_budget, d.accuracy, f"lower bound {human(d.min_budget)} MACs", "#999"))
    fig.update_layout(title=title, xaxis={"title": d.x_label, "type": _log_if_positive(d.x)},
                      yaxis_title="validation accuracy", legend={"orientation": "h", "y": -0.2},
                      margin={"t": 50, "r": 20})
    return fig


def history_figure(d: HistoryData):
    """Accuracy per trial and best so far above, every trial's state below (pruned and failed show as such)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.04)
    keys = [str(n) for n in d.numbers]
    for state in ("complete", "pruned"):
        idx = [i for i, (s, a) in enumerate(zip(d.state, d.accuracy)) if s == state and a is not None]
        if idx:
            fig.add_trace(go.Scatter(
                x=[d.numbers[i] for i in idx], y=[d.accuracy[i] for i in idx], mode="markers",
                name=state if state == "complete" else "pruned (accuracy when stopped)",
                marker={"color": STATE_COLORS[state], "symbol": "circle" if state == "complete" else "diamond"},
                customdata=[[keys[i], d.arch[i], state, d.reason[i]] for i in idx],
                hovertemplate="trial %{customdata[0]} (%{customdata[2]})<br>%{customdata[1]}<br>accuracy %{y:.4f}"
                              "<extra></extra>"), row=1, col=1)
    if any(b is not None for b in d.best_so_far):
        fig.add_trace(go.Scatter(x=list(d.numbers), y=list(d.best_so_far), mode="lines", line_shape="hv",
                                 name="best so far", line={"color": "black"}, hoverinfo="skip"), row=1, col=1)
    for state, color in STATE_COLORS.items():
        idx = [i for i, s in enumerate(d.state) if s == state]
        if idx:
            fig.add_trace(go.Scatter(
                x=[d.numbers[i] for i in idx], y=[state] * len(idx), mode="markers", showlegend=False,
                marker={"color": color, "symbol": "line-ns-open", "size": 12},
                customdata=[[keys[i], d.arch[i], state, d.reason[i]] for i in idx],
                hovertemplate="trial %{customdata[0]}: %{customdata[2]}<br>%{customdata[3]}<extra></extra>"),
                row=2, col=1)
    fig.update_layout(title="history", legend={"orientation": "h", "y": -0.15}, margin={"t": 50, "r": 20})
    fig.update_yaxes(title_text="validation accuracy", row=1, col=1)
    present = [s for s in STATE_COLORS if s in d.state]
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=present[::-1], row=2, col=1)
    fig.update_xaxes(title_text="trial", row=2, col=1)
    return fig


def pattern_figure(d: PatternData):
    """One box-and-points panel per design choice."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    factors = [f for f in d.factors if f.groups]
    fig = make_subplots(rows=1, cols=max(len(factors), 1), shared_yaxes=True,
                        subplot_titles=[f.title for f in factors], horizontal_spacing=0.02)
    for col, f in enumerate(factors, start=1):
        for g in f.groups:
            fig.add_trace(go.Box(x=[g.label] * len(g.numbers), y=list(g.accuracy), name=g.label, boxpoints="all",
                                 jitter=0.5, pointpos=0, showlegend=False, marker={"color": COLORS[0], "size": 5},
                                 line={"color": "#555"}, fillcolor="rgba(31,119,180,0.12)",
                                 customdata=[[str(n)] for n in g.numbers],
                                 hovertemplate=f"trial %{{customdata[0]}}<br>{f.name}: {g.label}<br>"
                                               "accuracy %{y:.4f}<extra></extra>"), row=1, col=col)
    fig.update_layout(title="design patterns: accuracy by design choice (complete trials)", margin={"t": 70, "r": 20})
    fig.update_yaxes(title_text="validation accuracy", row=1, col=1)
    return fig


def importance_figure(d: ImportanceData, top: int = IMPORTANCE_BARS):
    """Horizontal bars of the ``top`` most important parameters, most important on top."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=list(d.importances[:top])[::-1], y=list(d.params[:top])[::-1], orientation="h",
                           marker={"color": COLORS[0]}, hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    more = f"; {len(d.params) - top} less important ones not shown" if len(d.params) > top else ""
    fig.update_layout(title=f"parameter importances for accuracy ({d.method}, Optuna{more})",
                      xaxis_title="importance", margin={"t": 50, "r": 20})
    return fig


def scaling_figure(d: ScalingData):
    """Params and MACs (log) against phi, and accuracy on a second axis where the variants were trained."""
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(d.phi), y=list(d.macs), name="MACs", mode="lines+markers+text",
                             text=list(d.names), textposition="top left",
                             customdata=[[_fmt(m), r] for m, r in zip(d.macs, d.resolution)],
                             hovertemplate="%{text}: phi %{x}<br>MACs %{customdata[0]}<br>resolution "
                                           "%{customdata[1]}<extra></extra>"))
    fig.add_trace(go.Scatter(x=list(d.phi), y=list(d.params), name="params", mode="lines+markers",
                             customdata=[[_fmt(p)] for p in d.params],
                             hovertemplate="phi %{x}<br>params %{customdata[0]}<extra></extra>"))
    layout: dict[str, Any] = {"title": "compound scaling of the best network", "xaxis_title": "phi",
                              "yaxis": {"title": f"params, {MACS_LABEL}", "type": "log"},
                              "legend": {"orientation": "h", "y": -0.2}, "margin": {"t": 50}}
    trained = [i for i, a in enumerate(d.val_acc) if a is not None]
    if trained:
        fig.add_trace(go.Scatter(x=[d.phi[i] for i in trained], y=[d.val_acc[i] for i in trained], yaxis="y2",
                                 name="validation accuracy", mode="lines+markers", line={"dash": "dot"}))
        # tickmode auto: an overlaying axis otherwise syncs its ticks to the log axis's grid
        layout["yaxis2"] = {"title": "validation accuracy", "overlaying": "y", "side": "right", "type": "linear",
                            "tickmode": "auto", "showgrid": False}
    fig.update_layout(**layout)
    return fig


def overlay_figure(d: OverlayData, title: str):
    """Several studies' fronts on one cost axis, each study one colour, its budget dashed in that colour."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for k, (name, f) in enumerate(zip(d.names, d.fronts)):
        color = COLORS[k % len(COLORS)]
        for trace in _front_traces(f, [f"{name}#{n}" for n in f.numbers], f"{name}: ", color):
            fig.add_trace(trace)
        if f.budget is not None:
            fig.add_trace(_budget_trace(f.budget, [a for fr in d.fronts for a in fr.accuracy],
                                        f"{name}: budget {human(f.budget)}", color))
    xs = [x for f in d.fronts for x in f.x]
    label = d.fronts[0].x_label if d.fronts else ""
    fig.update_layout(title=title, xaxis={"title": label, "type": _log_if_positive(xs)},
                      yaxis_title="validation accuracy", legend={"orientation": "h", "y": -0.2}, margin={"t": 50})
    return fig


# ---- the page ------------------------------------------------------------------------------------------------

_PAGE = string.Template("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>$title</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0 1.5em 2em; color: #222; }
h1 { font-size: 1.4em; margin: .6em 0 .2em; }
h2 { font-size: 1.15em; margin: 1.4em 0 .4em; border-bottom: 1px solid #ddd; }
.summary { color: #444; margin: .2em 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: .8em; }
.nas-plot { min-width: 0; }
#selected { position: sticky; top: 0; z-index: 10; background: #f6f8fa; border: 1px solid #ddd; padding: .35em .7em;
  font-family: ui-monospace, monospace; font-size: .85em; min-height: 1.3em; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.table-box { max-height: 30em; overflow: auto; position: relative; border: 1px solid #ddd; }
table { border-collapse: collapse; font-size: .85em; width: 100%; }
th, td { padding: .2em .6em; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
td.text, th.text { text-align: left; } td.arch { font-family: ui-monospace, monospace; }
th { position: sticky; top: 0; background: #fafafa; cursor: pointer; user-select: none; }
th.asc::after { content: " \\25B2"; } th.desc::after { content: " \\25BC"; }
tr.hover { background: #eef5ff; } tr.selected { background: #ffe9a8; }
pre { background: #f6f8fa; padding: .6em; overflow: auto; font-size: .8em; max-height: 36em; }
.note { color: #666; font-style: italic; }
.state-complete { color: #1f77b4; } .state-pruned { color: #ff7f0e; } .state-rejected { color: #7f7f7f; }
.state-failed { color: #d62728; } .state-running { color: #2ca02c; }
</style>
<script>$plotlyjs</script>
</head><body>
<h1>$title</h1>
$summary
<div id="selected">hover or click a point to see its trial here; a click also finds it in the table</div>
$body
<script id="nas-trials" type="application/json">$trials</script>
<script>
(function () {
  var TRIALS = JSON.parse(document.getElementById("nas-trials").textContent);
  var selected = null, hovered = null;
  function row(key) { return document.getElementById("row-" + key); }
  function show(key, pick) {
    var t = TRIALS[key];
    if (t) { document.getElementById("selected").textContent = t; }
    var r = row(key);
    if (hovered) { hovered.classList.remove("hover"); }
    hovered = r;
    if (r) { r.classList.add("hover"); }
    if (!pick) { return; }
    if (selected) { selected.classList.remove("selected"); }
    selected = r;
    if (!r) {
      if (t) { document.getElementById("selected").textContent = t + "   (not among the table's rows)"; }
      return;
    }
    r.classList.add("selected");
    var box = r.closest(".table-box");
    box.scrollTop = r.offsetTop - box.clientHeight / 2;
  }
  function keyOf(ev) {
    var p = ev.points && ev.points[0];
    return p && p.customdata ? String(Array.isArray(p.customdata) ? p.customdata[0] : p.customdata) : null;
  }
  var plots = Array.prototype.map.call(document.querySelectorAll(".nas-plot"), function (div) {
    var fig = JSON.parse(document.getElementById(div.dataset.fig).textContent);
    return Plotly.newPlot(div, fig.data, fig.layout, {responsive: true, displaylogo: false}).then(function (gd) {
      gd.on("plotly_hover", function (ev) { var k = keyOf(ev); if (k) { show(k, false); } });
      gd.on("plotly_click", function (ev) { var k = keyOf(ev); if (k) { show(k, true); } });
      return gd;
    });
  });
  Promise.all(plots).then(function () { document.body.dataset.rendered = String(plots.length); });
  document.querySelectorAll("table.sortable th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var tbody = th.closest("table").tBodies[0];
      var asc = !th.classList.contains("asc");
      th.closest("tr").querySelectorAll("th").forEach(function (h) { h.classList.remove("asc", "desc"); });
      th.classList.add(asc ? "asc" : "desc");
      var rows = Array.prototype.slice.call(tbody.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
        if (x === "" || y === "") { return x === y ? 0 : (x === "" ? 1 : -1); }
        var nx = Number(x), ny = Number(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function (r) { tbody.appendChild(r); });
    });
  });
  document.querySelectorAll("table.sortable tbody tr").forEach(function (r) {
    r.addEventListener("click", function () { show(r.dataset.key, true); });
  });
})();
</script>
</body></html>
""")


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

        return _PAGE.substitute(title=html.escape(title), summary=summary, body="\n".join(self.parts),
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
                  _cell(r.state if r.status in (r.state, "ok") else f"{r.state} ({r.status})", r.state,
                        f"text state-{r.state}"),
                  _cell(_acc(r.accuracy), r.accuracy),
                  _cell(human(r.params) if r.params is not None else "", r.params),
                  _cell(human(r.macs) if r.macs is not None else "", r.macs)]
        if latency:
            cells.append(_cell("" if r.latency_ms is None else f"{r.latency_ms:.3g}", r.latency_ms))
        cells += [_cell(r.arch, r.arch, "text arch"), _cell(r.reason, r.reason, "text")]
        body.append(f'<tr id="row-{html.escape(key)}" data-key="{html.escape(key)}">{"".join(cells)}</tr>')
    return (f'<div class="table-box"><table class="sortable"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _trial_line(r: TrialRow, prefix: str = "") -> str:
    bits = [f"{prefix}trial {r.number}", r.state if r.status in (r.state, "ok") else f"{r.state} ({r.status})"]
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


def _summary(d: StudyData) -> str:
    counts = {s: sum(r.state == s for r in d.rows) for s in ("complete", "pruned", "rejected", "failed", "running")}
    parts = [f"{len(d.rows)} trials: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)]
    parts.append("objectives: " + ", ".join(f"{o} ({dr})" for o, dr in zip(d.objectives, d.directions)))
    if d.budget_macs is not None:
        parts.append(f"MACs budget {human(d.budget_macs)} ({d.budget_macs:,})")
    if d.min_macs:
        parts.append(f"at least {human(d.min_macs)} MACs")
    if d.params_budget is not None:
        parts.append(f"params budget {human(d.params_budget)} ({d.params_budget:,})")
    settings = ", ".join(f"{k} {d.attrs[k]}" for k in ("data", "resolution", "epochs", "seed") if k in d.attrs)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [" · ".join(parts)] + ([settings] if settings else []) + [
        f"MACs = multiply-accumulates of conv and linear layers, the FLOPs of the EfficientNet paper. "
        f"Generated {when}."]
    return "".join(f'<p class="summary">{html.escape(line)}</p>' for line in lines)


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def render_dashboard(d: StudyData, importance: ImportanceData, scaling: ScalingData | None, top: int = TOP_K,
                     storage_hint: str = "") -> str:
    """The whole dashboard page of one study as HTML text."""
    page = _Page()
    page.add("<h2>Pareto front</h2>")
    fronts = [front_data(d, x) for x in ("macs", "params", "latency") if x != "latency" or d.latency_label]
    fronts = [f for f in fronts if f.x]
    if fronts:
        titles = {"macs": "accuracy vs MACs", "params": "accuracy vs params", "latency": "accuracy vs latency"}
        page.add('<div class="grid">' + "".join(page.plot(front_figure(f, titles[f.x_name])) for f in fronts)
                 + "</div>")
        page.add(_note("Front: the trials within budget that no other trial beats on both accuracy and cost. "
                       "Faded: dominated; grey x: over budget."))
    else:
        page.add(_note("no complete trial yet"))
    page.add("<h2>History</h2>")
    if d.rows:
        page.add(page.plot(history_figure(history_data(d)), 420))
    else:
        page.add(_note("no trials yet"))
    page.add("<h2>Design patterns</h2>")
    patterns = pattern_data(d)
    if any(f.groups for f in patterns.factors):
        page.add(page.plot(pattern_figure(patterns), 400))
        page.add(_note("A trial whose stages mix block types or kernel sizes counts under each one it uses; "
                       "SE on means at least one stage has squeeze-and-excitation."))
    else:
        page.add(_note("no complete trial with a genome yet"))
    if importance.params:
        bars = min(len(importance.params), IMPORTANCE_BARS)
        page.add(page.plot(importance_figure(importance), max(260, 24 * bars + 110)))
    else:
        page.add(_note("parameter importances: not computable yet (they need two or more complete trials, "
                       "and parameters that vary)"))
    page.add("<h2>Best trial</h2>")
    best = best_trial(d)
    if best is None:
        page.add(_note("no complete trial within budget yet"))
    else:
        page.add(f'<p class="summary">{html.escape(_trial_line(best.row))}</p>')
        page.add('<div class="grid">'
                 f'<div><b>shape flow (nas describe)</b><pre id="best-describe">{html.escape(best.describe_text)}</pre>'
                 f'</div><div><b>genome JSON</b><pre id="best-genome">{html.escape(best.genome_json)}</pre></div>'
                 "</div>")
    ranked = top_k(d, top)
    page.add(f"<h2>Trials (top {len(ranked)} of {len(d.rows)}; click a header to sort)</h2>")
    page.add(_trials_table(ranked, bool(d.latency_label)))
    if scaling is not None:
        page.add("<h2>Scaling</h2>")
        page.add(page.plot(scaling_figure(scaling), 420))
    if storage_hint:
        page.add(_note(f"This is a plain Optuna study; optuna-dashboard opens it too: "
                       f"optuna-dashboard {storage_hint}"))
    trials = {str(r.number): _trial_line(r) for r in d.rows}
    return page.render(f"nas study {d.name}", _summary(d), trials)


def _write(text: str, out: Path) -> Path:
    """Write atomically, so a browser or server never reads a half-written page during a run."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def write_dashboard(study, out_path: str | Path, studies_dir: str | Path = "studies", top: int = TOP_K,
                    storage_hint: str | None = None) -> Path:
    """Write the dashboard of an Optuna study to ``out_path`` (one offline HTML file); the path written.

    ``studies_dir/<name>/scaling.json``, when present, adds the scaling plot. ``storage_hint``, the
    study's storage URL, goes into the line telling how to open it with optuna-dashboard (default:
    the SQLite file under ``studies_dir`` where ``nas run`` keeps it, when it exists).
    """
    d = study_data(study)
    folder = Path(studies_dir) / d.name
    if storage_hint is None:
        db = folder / "study.db"
        storage_hint = f"sqlite:///{db.resolve()}" if db.is_file() else ""
    scaling = scaling_data(folder / "scaling.json")
    return _write(render_dashboard(d, importance_data(study), scaling, top, storage_hint), Path(out_path))


def render_overlay(studies: Sequence[StudyData]) -> str:
    """The overlay page of several studies' fronts as HTML text."""
    page = _Page()
    page.add("<h2>Pareto fronts</h2>")
    overlays = [overlay_data(studies, x) for x in ("macs", "params")]
    if any(f.x for o in overlays for f in o.fronts):
        page.add('<div class="grid">' + "".join(
            page.plot(overlay_figure(o, f"accuracy vs {'MACs' if o.fronts[0].x_name == 'macs' else 'params'}"))
            for o in overlays) + "</div>")
    else:
        page.add(_note("none of the studies has a complete trial yet"))
    page.add("<h2>Studies</h2>")
    head = "".join(f"<th{' class=text' if h == 'study' else ''}>{h}</th>"
                   for h in ("study", "trials", "complete", "front", "best accuracy", "MACs budget", "params budget"))
    body = []
    for d, f in zip(studies, overlays[0].fronts):
        scored = [r.accuracy for r in d.rows if r.state == "complete" and r.within_budget and r.accuracy is not None]
        cells = [_cell(d.name, d.name, "text"), _cell(str(len(d.rows)), len(d.rows)),
                 _cell(str(sum(r.state == "complete" for r in d.rows)), sum(r.state == "complete" for r in d.rows)),
                 _cell(str(sum(f.on_front)), sum(f.on_front)), _cell(_acc(max(scored, default=None)),
                                                                      max(scored, default=None)),
                 _cell(human(d.budget_macs) if d.budget_macs else "", d.budget_macs),
                 _cell(human(d.params_budget) if d.params_budget else "", d.params_budget)]
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


def write_overlay(studies: Sequence, out_path: str | Path) -> Path:
    """Write one page overlaying the Pareto fronts of several Optuna studies; the path written."""
    return _write(render_overlay([s if isinstance(s, StudyData) else study_data(s) for s in studies]), Path(out_path))
