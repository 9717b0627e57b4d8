"""The page's figures as plotly JSON: the chance line, accuracy axes that never go below 0, the notes."""

import json
import re

import pytest

from dashboard_study import TRIALS, build_study, build_view
from search.dashboard import SPLIT_NOTE, render_dashboard
from search.dashboard.figures import accuracy_range
from search.commands.dashboard import study_stamp
from search.report.patterns import ImportanceData


def figures(text):
    """Every figure of a page, decoded from its JSON script element."""
    found = re.findall(r'<script id="nas-fig-\d+" type="application/json">(.*?)</script>', text, re.S)
    return [json.loads(j.replace("<\\/", "</")) for j in found]


@pytest.mark.parametrize("values, chance, expected", [
    ((0.6, 0.95), None, (0.5825, 0.9675)),  # padded 5% of the spread each side
    ((0.6, None, 0.95), None, (0.5825, 0.9675)),  # None (no accuracy) is left out
    ((0.6, 0.95), 0.1, (0.0575, 0.9925)),  # the chance line widens the range
    ((0.0, 0.5), None, (0.0, 0.525)),  # would start at -0.025: clipped to 0
    ((0.1,), 0.1, (0.05, 0.15)),  # no spread: padded by 5% of 1
    ((), None, (0.0, 1.05)),
])
def test_accuracy_range(values, chance, expected):
    assert accuracy_range(values, chance) == pytest.approx(expected)


@pytest.fixture(scope="module")
def page_with_chance():
    no_importance = ImportanceData(params=(), importances=(), method="")
    return render_dashboard(build_view(), no_importance, None, chance=0.1,
                            importance_note="not drawn: every trial is at chance")


def test_chance_line_on_fronts_and_history(page_with_chance):
    front_macs, front_params, history = figures(page_with_chance)[:3]
    for fig in (front_macs, front_params):
        chance = [t for t in fig["data"] if t["name"] == "chance 0.100"]
        assert len(chance) == 1 and chance[0]["y"] == [0.1, 0.1] and chance[0]["line"]["dash"] == "dot"
        assert fig["layout"]["yaxis"]["range"] == pytest.approx([0.0575, 0.9925])
    assert [t["x"] for t in front_macs["data"] if t["name"].startswith("chance")] == [[100, 1500]]
    assert [t["x"] for t in front_params["data"] if t["name"].startswith("chance")] == [[5, 100]]
    chance = [t for t in history["data"] if t.get("name") == "chance 0.100"]
    assert len(chance) == 1 and chance[0]["x"] == [0, 11] and chance[0]["yaxis"] == "y"
    # pruned trials' last accuracy (0.5) counts too; 0.1 is the lowest value
    assert history["layout"]["yaxis"]["range"] == pytest.approx([0.0575, 0.9925])


def test_every_accuracy_axis_starts_at_or_above_zero():
    trials = {n: TRIALS[n] for n in (0, 1, 4)} | {12: ("complete", "ok", 0.0, 50, 5, TRIALS[0][5])}
    text = render_dashboard(build_view(trials=trials), None, None)
    figs = figures(text)
    ranges = [f["layout"][axis]["range"] for f in figs for axis in ("yaxis",) if "range" in f["layout"].get(axis, {})]
    assert len(ranges) == 5  # two fronts, the history, the error distribution (its share axis), the design patterns
    assert all(r[0] == 0.0 for r in ranges), ranges  # a trial at 0 accuracy: no negative padding
    assert not any(t.get("name", "").startswith("chance") for f in figs for t in f["data"])  # no chance given


def test_summary_names_the_split_and_the_importance_note_replaces_the_plot(page_with_chance):
    assert f'<p class="summary">{SPLIT_NOTE}</p>' in page_with_chance
    assert SPLIT_NOTE == "accuracy: validation split (the test split is only used by nas train)"
    assert '<p class="note">parameter importances: not drawn: every trial is at chance</p>' in page_with_chance
    assert "parameter importances for accuracy" not in page_with_chance
    assert len(figures(page_with_chance)) == 5  # fronts (MACs, params), history, error distribution, design patterns


def test_study_stamp_changes_when_a_trial_starts_or_ends():
    study = build_study(trials={n: TRIALS[n] for n in (0, 1)})
    first = study_stamp([study])
    assert first == study_stamp([study]) and first[0][:2] == (2, 2)
    trial = study.ask()
    running = study_stamp([study])
    assert running[0][:2] == (3, 2)
    study.tell(trial, [0.5, 100])
    assert study_stamp([study])[0][:2] == (3, 3) and study_stamp([study]) != running
