"""--baselines trials sit beside the search: never counted, never best, drawn as their own named series."""

from dashboard_study import TRIALS, build_study, genome, make_trial
from search.dashboard.figures import front_figure
from search.dashboard.page import render_dashboard
from search.report.plots import front_data, history_data
from search.report.results import best_json, read_study, summary

# a yardstick more accurate and cheaper than every searched trial (it would take the whole front were it searched),
# and a weak one
BASELINES = {12: ("resnet-style", 0.97, 400, 30), 13: ("mobilenet_v2-style", 0.50, 800, 20)}


def with_baselines():
    """The hand study with the two baselines trained beside it, as the one reader reads it."""
    study = build_study()
    for _, (name, acc, macs, params) in sorted(BASELINES.items()):
        study.add_trial(make_trial("complete", acc, macs, params, genome(("basic",)), "ok", baseline=name))
    return read_study(study)


def test_baselines_are_never_best_nor_on_the_front():
    view = with_baselines()
    assert best_json(view)["trial"] == 11  # 0.92, the best searched trial within budget (12 scores 0.97)
    s = summary(view)
    assert [(r["trial"], r["baseline"], r["val_acc"]) for r in s["baselines"]] == [
        (12, "resnet-style", 0.97), (13, "mobilenet_v2-style", 0.50)]
    assert s["finished"] == 10 and 12 not in [r["trial"] for r in s["top"] + s["pareto"]]


def test_the_front_plot_data_holds_the_baselines_as_their_own_series():
    d = front_data(with_baselines(), "macs")
    assert [d.numbers[i] for i in d.front()] == [0, 1, 3, 4, 11]  # as without the baselines
    assert [(d.baseline[i], d.x[i], d.accuracy[i]) for i in d.baselines()] == [
        ("resnet-style", 400.0, 0.97), ("mobilenet_v2-style", 800.0, 0.50)]
    assert history_data(with_baselines()).best_so_far[-1] == 0.92
    traces = {t.name: t for t in front_figure(d, "t").data}
    assert list(traces["baselines"].text) == ["resnet-style", "mobilenet_v2-style"]
    assert list(traces["baselines"].x) == [400.0, 800.0] and traces["baselines"].marker.symbol == "star"
    assert len(traces["Pareto front"].x) == 5 and len(TRIALS) == 12


def test_the_page_names_a_baseline_trial_and_draws_its_error():
    page = render_dashboard(with_baselines(), None, None)
    assert "trial 12 | complete | baseline resnet-style | accuracy 0.9700" in page
    assert "Error distribution" in page
