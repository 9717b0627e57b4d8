"""What the dashboard no longer cuts off or fractions: whole trial numbers, wrapped reasons, the full shape flow."""

from dashboard_study import TRIALS, build_view
from search.dashboard.figures import history_figure
from search.dashboard.page import render_dashboard
from search.report.patterns import ImportanceData
from search.report.plots import history_data


def test_the_history_axis_ticks_whole_trial_numbers():
    few = history_figure(history_data(build_view(trials={n: TRIALS[n] for n in (0, 1, 2)})))
    assert (few.layout.xaxis.dtick, few.layout.xaxis.tick0) == (1, 0)
    twelve = history_figure(history_data(build_view()))  # trials 0..11: a span of 11
    assert twelve.layout.xaxis.dtick == 2
    many = history_figure(history_data(build_view(trials={n: TRIALS[n % 12] for n in range(30)})))
    assert many.layout.xaxis.dtick is None  # plotly's own ticks are whole numbers at this span


def test_reasons_wrap_and_the_shape_flow_has_the_full_width():
    page = render_dashboard(build_view(), ImportanceData((), (), ""), None)
    assert '<td class="text reason" data-v="oom here">oom here</td>' in page
    assert "td.reason { white-space: normal;" in page and "text-overflow: ellipsis" not in page
    assert '<div class="grid"><div><b>shape flow' not in page and '<div><b>shape flow (nas describe)</b>' in page
