"""The error distribution (EDF) per space and study: pure data, then the figure that only draws it."""

import pytest

from dashboard_study import build_study, genome, make_trial
from search.dashboard.figures import edf_figure
from search.dashboard.page import render_overlay
from search.report.edf import edf_data, edf_steps, quantiles
from search.report.results import read_study

# the complete trials within the 1000-MAC budget of the hand study score 0.92 0.90 0.85 0.80 0.80 0.75 0.70 0.60
HAND_ERRORS = (0.08, 0.1, 0.15, 0.2, 0.2, 0.25, 0.3, 0.4)
ONE = ("accuracy",)


def study(name, kind, baselines=()):
    """The hand study of one objective, drawn from the space ``kind``, with baselines, as the one reader reads it."""
    s = build_study(name, objectives=ONE, space={"kind": kind})
    for base, acc in baselines:
        s.add_trial(make_trial("complete", acc, 400, 30, genome(("basic",)), "ok", objectives=ONE, baseline=base))
    return read_study(s)


def test_edf_steps_and_quantiles_by_hand():
    assert edf_steps([0.3, 0.1]) == ([0.1, 0.1, 0.3, 0.3], [0.0, 0.5, 0.5, 1.0])
    assert quantiles([0.0, 1.0, 2.0, 3.0]) == (0.0, 0.75, 1.5, 2.25, 3.0)
    assert quantiles([0.4]) == (0.4,) * 5
    with pytest.raises(ValueError):
        quantiles([])


def test_one_study_keeps_its_baselines_apart_from_its_space():
    d = edf_data([study("a", "pattern", [("resnet-style", 0.97), ("mobilenet_v2-style", 0.5)])])
    assert d.names == ("pattern",) and d.errors == (HAND_ERRORS,)
    assert d.baselines == (("resnet-style", 0.03), ("mobilenet_v2-style", 0.5))
    assert d.steps(0)[1][-2:] == [7 / 8, 1.0]


def test_several_studies_draw_one_curve_each_read_back_from_the_figure():
    a, b = study("a", "pattern", [("resnet-style", 0.97)]), study("b", "free")
    d = edf_data([a, b])
    assert d.names == ("a: pattern", "b: free") and d.baselines == (("a: resnet-style", 0.03),)
    traces = edf_figure(d).data
    assert [t.name for t in traces] == ["a: pattern (8 nets)", "b: free (8 nets)", "baseline a: resnet-style"]
    assert list(traces[0].x) == [e for e in HAND_ERRORS for _ in (0, 1)] and traces[0].y[-1] == 1.0
    assert list(traces[2].x) == [0.03, 0.03]
    assert "Error distribution" in render_overlay([a, b])
