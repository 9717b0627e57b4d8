"""The dashboard's figures: each builder takes a NamedTuple from :mod:`search.report.plots` and only draws it.

plotly is imported inside the builders. Each point carries its trial's key (the trial number, or
``study#number`` in an overlay) as ``customdata[0]``; the page's script uses it to find the trial.
Every accuracy axis gets an explicit range that never starts below 0 (see :func:`accuracy_range`).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

from space.units import human

from ..report.calibration import MIN_MEANINGFUL, CalibrationData
from ..report.edf import EdfData
from ..report.patterns import ImportanceData, PatternData
from ..report.plots import MACS_LABEL, FrontData, HistoryData, OverlayData, ScalingData

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
STATE_COLORS = {"complete": "#1f77b4", "pruned": "#ff7f0e", "rejected": "#7f7f7f", "failed": "#d62728",
                "running": "#2ca02c"}
IMPORTANCE_BARS = 20  # a search space has ~6 parameters per stage: beyond the first 20 the bars are noise


def _fmt(n: float | None) -> str:
    return "" if n is None else f"{human(n)} ({int(n):,})"


def acc_text(a: float | None) -> str:
    return "" if a is None else f"{a:.4f}"


_HOVER = ("trial %{customdata[0]}<br>%{customdata[1]}<br>params %{customdata[2]}<br>MACs %{customdata[3]}"
          "<br>accuracy %{customdata[4]}<extra></extra>")


def _custom(keys: Sequence[str], arch: Sequence[str], params: Sequence[int | None], macs: Sequence[int | None],
            acc: Sequence[float | None]) -> list[list[str]]:
    return [[k, a, _fmt(p), _fmt(m), acc_text(y)] for k, a, p, m, y in zip(keys, arch, params, macs, acc)]


def _log_if_positive(values: Sequence[float]) -> str:
    return "log" if values and min(values) > 0 else "linear"


class AxisRange(NamedTuple):
    """The range of an accuracy axis: the values (and the chance line) padded by 5%, never below 0."""

    lo: float
    hi: float


def accuracy_range(values: Sequence[float | None], chance: float | None = None) -> AxisRange:
    """The accuracy axis range for ``values`` (Nones ignored) and the chance level when given."""
    ys = [v for v in values if v is not None] + ([chance] if chance is not None else [])
    lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
    pad = 0.05 * (hi - lo or 1.0)
    return AxisRange(max(0.0, lo - pad), hi + pad)


def _budget_trace(budget: float, r: AxisRange, name: str, color: str = "black"):
    import plotly.graph_objects as go

    return go.Scatter(x=[budget, budget], y=[r.lo, r.hi], mode="lines", name=name, hoverinfo="name",
                      line={"dash": "dash", "color": color, "width": 1.5})


def _chance_trace(chance: float, xs: Sequence[float]):
    """A dotted horizontal line at the accuracy of guessing, across the x values drawn."""
    import plotly.graph_objects as go

    lo, hi = (min(xs), max(xs)) if xs else (0, 1)
    return go.Scatter(x=[lo, hi], y=[chance, chance], mode="lines", name=f"chance {chance:.3f}", hoverinfo="name",
                      line={"dash": "dot", "color": "#555", "width": 1.5})


def _front_traces(d: FrontData, keys: Sequence[str], name: str, color: str, faded: bool = True) -> list:
    """The front (staircase), the dominated points (faded) and the over-budget points of one FrontData."""
    import plotly.graph_objects as go

    def subset(idx: list[int]) -> dict[str, Any]:
        return {"x": [d.x[i] for i in idx], "y": [d.accuracy[i] for i in idx],
                "customdata": _custom([keys[i] for i in idx], [d.arch[i] for i in idx], [d.params[i] for i in idx],
                                      [d.macs[i] for i in idx], [d.accuracy[i] for i in idx]),
                "hovertemplate": _HOVER}

    front = d.front()
    marked = set(d.baselines())
    dominated = [i for i in range(len(d.x)) if d.within_budget[i] and not d.on_front[i] and i not in marked]
    over = [i for i in range(len(d.x)) if not d.within_budget[i] and i not in marked]
    traces = []
    if marked:  # the hand designs of --baselines: their own series, each point labelled with its name
        idx = sorted(marked)
        traces.append(go.Scatter(mode="markers+text", name=f"{name}baselines", text=[d.baseline[i] for i in idx],
                                 textposition="bottom center", marker={"color": color, "symbol": "star", "size": 13,
                                                                       "line": {"color": "black", "width": 1}},
                                 **subset(idx)))
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


def front_figure(d: FrontData, title: str, chance: float | None = None):
    """Accuracy against one cost: the front as a staircase, dominated points faded, the budget as a line."""
    import plotly.graph_objects as go

    r = accuracy_range(d.accuracy, chance)
    fig = go.Figure(_front_traces(d, [str(n) for n in d.numbers], "", COLORS[0]))
    if d.budget is not None:
        unit = "MACs" if d.x_name == "macs" else d.x_name
        fig.add_trace(_budget_trace(d.budget, r, f"budget {human(d.budget)} {unit}"))
    if d.min_budget is not None:
        fig.add_trace(_budget_trace(d.min_budget, r, f"lower bound {human(d.min_budget)} MACs", "#999"))
    if chance is not None:
        xs = list(d.x) + [b for b in (d.budget, d.min_budget) if b is not None]
        fig.add_trace(_chance_trace(chance, xs))
    fig.update_layout(title=title, xaxis={"title": d.x_label, "type": _log_if_positive(d.x)},
                      yaxis={"title": "validation accuracy", "range": list(r)}, legend={"orientation": "h", "y": -0.2},
                      margin={"t": 50, "r": 20})
    return fig


def history_figure(d: HistoryData, chance: float | None = None):
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
    if chance is not None:
        fig.add_trace(_chance_trace(chance, d.numbers), row=1, col=1)
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
    fig.update_yaxes(title_text="validation accuracy", range=list(accuracy_range(d.accuracy, chance)), row=1, col=1)
    present = [s for s in STATE_COLORS if s in d.state]
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=present[::-1], row=2, col=1)
    fig.update_xaxes(title_text="trial", row=2, col=1)
    if d.numbers and max(d.numbers) - min(d.numbers) <= 20:  # plotly ticks a short span at 0.5 steps: trials are whole
        fig.update_xaxes(tick0=0, dtick=1 if max(d.numbers) - min(d.numbers) <= 10 else 2)
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
    ys = [a for f in factors for g in f.groups for a in g.accuracy]
    fig.update_yaxes(range=list(accuracy_range(ys)))
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
                            "tickmode": "auto", "showgrid": False, "range": list(accuracy_range(d.val_acc))}
    fig.update_layout(**layout)
    return fig


def overlay_figure(d: OverlayData, title: str):
    """Several studies' fronts on one cost axis, each study one colour, its budget dashed in that colour."""
    import plotly.graph_objects as go

    fig = go.Figure()
    r = accuracy_range([a for f in d.fronts for a in f.accuracy])
    for k, (name, f) in enumerate(zip(d.names, d.fronts)):
        color = COLORS[k % len(COLORS)]
        for trace in _front_traces(f, [f"{name}#{n}" for n in f.numbers], f"{name}: ", color):
            fig.add_trace(trace)
        if f.budget is not None:
            fig.add_trace(_budget_trace(f.budget, r, f"{name}: budget {human(f.budget)}", color))
    xs = [x for f in d.fronts for x in f.x]
    label = d.fronts[0].x_label if d.fronts else ""
    fig.update_layout(title=title, xaxis={"title": label, "type": _log_if_positive(xs)},
                      yaxis={"title": "validation accuracy", "range": list(r)}, legend={"orientation": "h", "y": -0.2},
                      margin={"t": 50})
    return fig


def calibration_figure(d: CalibrationData):
    """Proxy against full validation accuracy, one panel per proxy length with its Kendall tau in the title."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    def title(p) -> str:  # noqa: ANN001 - a CalibrationPanel
        if p.kendall_tau is None:
            return f"{p.epochs} epochs: Kendall tau undefined"
        interval = f" [{p.tau_low:.2f}, {p.tau_high:.2f}]" if p.tau_low is not None else ""
        few = "" if len(p.proxy_acc) >= MIN_MEANINGFUL else f" ({len(p.proxy_acc)} archs: not meaningful)"
        return f"{p.epochs} epochs: Kendall tau {p.kendall_tau:.2f}{interval}{few}"

    fig = make_subplots(rows=1, cols=max(1, len(d.panels)), subplot_titles=[title(p) for p in d.panels],
                        horizontal_spacing=0.08)
    full_range = list(accuracy_range([a for p in d.panels for a in p.full_acc]))
    for k, p in enumerate(d.panels, start=1):
        fig.add_trace(go.Scatter(x=list(p.proxy_acc), y=list(p.full_acc), mode="markers", showlegend=False,
                                 marker={"color": COLORS[0], "size": 9}, text=list(p.arch),
                                 hovertemplate=f"%{{text}}<br>{p.epochs} epochs: %{{x:.4f}}<br>{d.full_epochs} "
                                               "epochs: %{y:.4f}<extra></extra>"), row=1, col=k)
        fig.update_xaxes(title_text=f"validation accuracy after {p.epochs} epochs",
                         range=list(accuracy_range(p.proxy_acc)), row=1, col=k)
        fig.update_yaxes(title_text=f"validation accuracy after {d.full_epochs} epochs" if k == 1 else None,
                         range=full_range, row=1, col=k)
    fig.update_layout(title="proxy fidelity (nas calibrate): does the short training rank as the full one does?",
                      margin={"t": 80, "r": 20})
    return fig


def edf_figure(d: EdfData):
    """The EDF of validation error, one staircase per space or study, each baseline a dashed line with its name."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, name in enumerate(d.names):
        xs, ys = d.steps(i)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"{name} ({len(d.errors[i])} nets)",
                                 line={"color": COLORS[i % len(COLORS)]},
                                 hovertemplate="error %{x:.4f}: %{y:.0%} of the nets at most<extra></extra>"))
    for name, err in d.baselines:
        fig.add_trace(go.Scatter(x=[err, err], y=[0, 1], mode="lines+text", name=f"baseline {name}",
                                 text=[name, ""], textposition="top right", hoverinfo="name",
                                 line={"dash": "dash", "color": "#555", "width": 1.5}))
    fig.update_layout(title="error distribution (EDF): share of complete trials with a validation error <= x",
                      xaxis_title="validation error", yaxis={"title": "share of nets", "range": [0, 1.05]},
                      legend={"orientation": "h", "y": -0.2}, margin={"t": 50, "r": 20})
    return fig
