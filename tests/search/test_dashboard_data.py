"""Dashboard plot data, computed from hand-made studies (optuna.trial.create_trial, no training)."""

import itertools
import json
import math
import random
import re

import optuna
import pytest
from optuna.trial import create_trial

from search.budget import Budget
from search.report.patterns import importance_data, pattern_data
from search.report.plots import (best_trial, from_view, front_data, history_data, overlay_data, pareto_front,
                                 scaling_data, top_k, trial_rows)
from search.report.results import read_study
from search.study.schema import SETTINGS_KEY
from space import arch_string, complexity

from dashboard_study import DISTRIBUTIONS, TRIALS, build_study, build_view, genome, make_trial, settings

optuna.logging.set_verbosity(optuna.logging.WARNING)


FRONT_MACS = {0, 1, 3, 4, 11}
FRONT_PARAMS = {7, 0, 2, 3, 5, 4, 11}  # 1 (0.80, 30) is dominated by 3 (0.80, 20); 6 is over the MACs budget
@pytest.fixture(scope="module")
def view():
    return build_view()


# ---- pareto_front --------------------------------------------------------------------------------------------

def brute_front(points, directions):
    sign = [1 if d == "minimize" else -1 for d in directions]
    keys = [None if any(v is None or math.isnan(v) for v in p) else [s * v for s, v in zip(sign, p)] for p in points]
    return tuple(k is not None and not any(o is not None and all(a <= b for a, b in zip(o, k)) and o != k
                                           for o in keys) for k in keys)


def test_pareto_front_by_hand():
    pts = [(0.7, 100), (0.8, 200), (0.75, 250), (0.8, 200), (0.6, 100), (0.9, 90), (None, 1), (float("nan"), 5)]
    assert pareto_front(pts, ("maximize", "minimize")) == (False, False, False, False, False, True, False, False)
    assert pareto_front(pts[:5], ("maximize", "minimize")) == (True, True, False, True, False)
    assert pareto_front([(1, 2), (2, 1), (1, 2)], ("minimize", "minimize")) == (True, True, True)  # ties stay
    assert pareto_front([(1, 1, 1), (1, 1, 2), (0, 2, 2)], ("minimize",) * 3) == (True, False, True)
    assert pareto_front([], ("maximize", "minimize")) == ()


@pytest.mark.parametrize("seed", range(20))
def test_pareto_front_matches_brute_force(seed):
    rng = random.Random(seed)
    dims = rng.choice((2, 3))
    directions = tuple(rng.choice(("maximize", "minimize")) for _ in range(dims))
    # few distinct values so that ties and duplicates are common
    pts = [tuple(rng.choice((None, float(rng.randint(0, 5)))) if rng.random() < 0.05 else float(rng.randint(0, 5))
                 for _ in range(dims)) for _ in range(rng.randint(1, 40))]
    assert pareto_front(pts, directions) == brute_front(pts, directions)


def test_pareto_front_refuses_bad_input():
    with pytest.raises(ValueError, match="maximize"):
        pareto_front([(1, 2)], ("max", "minimize"))
    with pytest.raises(ValueError, match="2 coordinates"):
        pareto_front([(1, 2, 3)], ("maximize", "minimize"))


# ---- budget and fronts ---------------------------------------------------------------------------------------

def test_page_data_reads_states_and_settings(view):
    d = from_view(view)
    assert [r.number for r in d.rows] == list(range(12))
    assert [r.state for r in d.rows] == [TRIALS[n][0] for n in range(12)]
    assert d.rows[10].status == "oom" and d.rows[10].reason == "oom here"
    assert d.rows[8].accuracy == 0.5 and d.rows[9].accuracy is None and d.rows[10].accuracy is None
    assert (d.budget, d.objectives) == (Budget(1000), ("accuracy", "macs"))
    assert [n for n, r in enumerate(d.rows) if not r.within_budget] == [6, 9]
    assert d.latency_label == "" and all(r.latency_ms is None for r in d.rows)
    assert d.chance == 0.1  # the settings name 10 classes


def test_front_against_macs_is_exactly_the_non_dominated_set_within_budget(view):
    f = front_data(view, "macs")
    complete = [n for n in range(12) if TRIALS[n][0] == "complete"]
    assert f.numbers == tuple(complete)
    assert f.x == tuple(float(TRIALS[n][3]) for n in complete)
    assert f.accuracy == tuple(TRIALS[n][2] for n in complete)
    assert {n for n, on in zip(f.numbers, f.on_front) if on} == FRONT_MACS
    assert [f.numbers[i] for i in f.front()] == [0, 1, 3, 4, 11]  # by increasing MACs
    assert [n for n, ok in zip(f.numbers, f.within_budget) if not ok] == [6]
    assert f.budget == 1000.0 and f.min_budget is None and f.x_label.startswith("MACs")
    assert f.arch[0] == arch_string(TRIALS[0][5]) and f.params[4] == 50


def test_front_against_params(view):
    f = front_data(view, "params")
    assert {n for n, on in zip(f.numbers, f.on_front) if on} == FRONT_PARAMS
    assert f.budget is None  # no params budget in this study
    assert [f.numbers[i] for i in f.front()] == [7, 0, 2, 3, 5, 4, 11]


def test_params_budget_and_min_macs_shrink_the_front():
    view = build_view(params_budget=45, min_macs=150)
    f = front_data(view, "macs")
    # out: 6 (MACs), 4 and 11 (params), 0 and 7 (below 150 MACs)
    assert [n for n, ok in zip(f.numbers, f.within_budget) if not ok] == [0, 4, 6, 7, 11]
    assert {n for n, on in zip(f.numbers, f.on_front) if on} == {1, 3, 5}
    assert (f.budget, f.min_budget) == (1000.0, 150.0)
    assert front_data(view, "params").budget == 45.0


def test_without_a_budget_the_over_budget_trial_joins_the_front():
    f = front_data(build_view(budget_macs=None), "macs")
    assert {n for n, on in zip(f.numbers, f.on_front) if on} == FRONT_MACS | {6} and all(f.within_budget)


def test_latency_front_uses_the_smallest_batch_or_the_objective():
    study = build_study(trials={}, objectives=("accuracy", "latency"))
    lat = {0: 3.0, 1: 1.0, 4: 2.0}
    for n in lat:
        state, status, acc, macs, params, g = TRIALS[n]
        t = make_trial(state, acc, macs, params, g, status, latency_ms={"b256": 10 * lat[n], "b1": lat[n]})
        study.add_trial(create_trial(values=[acc, lat[n] + 0.5], params=t.params, distributions=t.distributions,
                                     user_attrs=t.user_attrs))  # the objective: not the b1 figure
    f = front_data(read_study(study), "latency")
    assert f.x == (3.5, 1.5, 2.5) and f.on_front == (False, True, True)
    assert "objective" in f.x_label
    study.set_user_attr(SETTINGS_KEY, settings(objectives=("accuracy", "macs")).to_json())
    f = front_data(read_study(study), "latency")
    assert f.x == (3.0, 1.0, 2.0) and f.x_label == "latency (ms, batch 1)"


def test_costs_come_from_the_genome_when_the_trial_did_not_store_them():
    g = genome(("mbconv", "basic"), 5, 0.25)
    study = optuna.create_study()
    study.add_trial(create_trial(value=0.5, user_attrs={"genome": g.to_dict()}))
    row = trial_rows(read_study(study))[0]
    cost = complexity(g)
    assert (row.params, row.macs, row.arch) == (cost.params, cost.macs, arch_string(g))


# ---- history, patterns, table --------------------------------------------------------------------------------

def test_history_best_so_far(view):
    h = history_data(view)
    assert h.numbers == tuple(range(12))
    assert h.state[8:11] == ("pruned", "rejected", "failed")
    assert h.accuracy[8:11] == (0.5, None, None)
    # 6 is over budget: it does not raise the best so far
    assert h.best_so_far == (0.70, 0.80, 0.80, 0.80, 0.90, 0.90, 0.90, 0.90, 0.90, 0.90, 0.90, 0.92)


def test_history_before_any_complete_trial():
    h = history_data(build_view(trials={9: TRIALS[9], 10: TRIALS[10]}))
    assert h.best_so_far == (None, None) and h.state == ("rejected", "failed")


def test_pattern_groupings(view):
    p = pattern_data(view)
    got = {f.name: {g.label: g.numbers for g in f.groups} for f in p.factors}
    assert got == {
        "block": {"basic": (0, 2, 5, 7), "mbconv": (1, 2, 3, 4, 6, 11)},  # 2 mixes both
        "se": {"SE off": (0, 2, 3, 5, 7), "SE on": (1, 4, 6, 11)},
        "kernel": {"k3": (0, 2, 3, 7), "k5": (1, 4, 5, 11), "k7": (6,)},
        "stem": {"cifar": (0, 2, 3, 5, 7, 11), "conv3x3": (1, 4, 6)},
        "stages": {"1 stage": (7,), "2 stages": (0, 2, 5), "3 stages": (1, 3, 4, 11), "4 stages": (6,)},
    }
    se_on = next(g for f in p.factors if f.name == "se" for g in f.groups if g.label == "SE on")
    assert se_on.accuracy == (0.80, 0.90, 0.95, 0.92)


def test_top_k_order(view):
    assert [r.number for r in top_k(view)] == [11, 4, 5, 1, 3, 2, 0, 7, 6, 8, 10, 9]
    assert [r.number for r in top_k(view, 3)] == [11, 4, 5]
    with pytest.raises(ValueError):
        top_k(view, 0)


def test_best_trial_is_described(view):
    best = best_trial(view)
    assert best.row.number == 11
    assert best.describe_text.startswith(arch_string(TRIALS[11][5]))
    assert json.loads(best.genome_json) == TRIALS[11][5].to_dict()
    assert [r["stage"] for r in best.shape_flow] == ["stem", "stage0", "stage1", "stage2", "head"]
    assert sum(r["macs"] for r in best.shape_flow) == complexity(TRIALS[11][5]).macs
    assert best_trial(build_view(trials={9: TRIALS[9]})) is None


def test_single_objective_study(view):
    single = build_view(objectives=("accuracy",))
    d = from_view(single)
    assert d.directions == ("maximize",) and d.objectives == ("accuracy",)
    assert front_data(single).on_front == front_data(view).on_front


# ---- importances, scaling, overlay ---------------------------------------------------------------------------

def test_importances():
    imp = importance_data(build_study())  # Optuna's, from the live study
    assert set(imp.params) == set(DISTRIBUTIONS) and imp.method in ("fANOVA", "PED-ANOVA")
    assert sum(imp.importances) == pytest.approx(1.0)
    assert list(imp.importances) == sorted(imp.importances, reverse=True)
    assert importance_data(build_study(trials={0: TRIALS[0], 9: TRIALS[9]})) == ((), (), "")


def test_scaling_data(tmp_path):
    from search.report.results import read_scaling

    path = tmp_path / "scaling.json"
    assert read_scaling(path) is None
    path.write_text(json.dumps([
        {"name": "B1", "phi": 1, "params": 20, "macs": 200, "resolution": 36, "val_acc": 0.8},
        {"name": "B0", "phi": 0, "params": 10, "macs": 100, "resolution": 32}]))
    s = scaling_data(read_scaling(path))
    assert s.names == ("B0", "B1") and s.phi == (0.0, 1.0) and s.macs == (100, 200)
    assert s.val_acc == (None, 0.8) and s.resolution == (32, 36)
    path.write_text("[{")
    with pytest.raises(ValueError, match="malformed"):
        read_scaling(path)
    with pytest.raises(ValueError, match="params"):
        scaling_data([{"name": "B0", "phi": 0}])


def test_overlay(view):
    other = build_view("other", budget_macs=None, trials={n: TRIALS[n] for n in (6, 7, 8)})
    o = overlay_data([view, other])
    assert o.names == ("hand", "other")
    assert o.fronts[0] == front_data(view)
    assert o.fronts[1].numbers == (0, 1) and o.fronts[1].on_front == (True, True)  # trials 6 and 7, renumbered
    assert overlay_data([view, other], "params").fronts[0] == front_data(view, "params")


def test_front_data_rejects_unknown_axis(view):
    with pytest.raises(ValueError, match="macs"):
        front_data(view, "flops")


def test_all_pairs_of_trials_are_consistent_with_dominance(view):
    f = front_data(view)
    inside = [i for i, ok in enumerate(f.within_budget) if ok]
    for i, j in itertools.permutations(inside, 2):
        if f.on_front[i]:  # nothing within budget dominates a front point
            assert not (f.accuracy[j] >= f.accuracy[i] and f.x[j] <= f.x[i]
                        and (f.accuracy[j], f.x[j]) != (f.accuracy[i], f.x[i]))


def test_a_study_made_by_nas_run_shows_its_settings(tmp_path):
    # the settings line read attributes no run writes any more (data, epochs...): every new study showed none
    import search
    from search.dashboard import render_dashboard
    from test_api import config, fake_train

    result = search.run(config(tmp_path, trials=1, epochs=2), train_fn=fake_train)
    text = render_dashboard(result.view, None, None)
    line = re.search(r'<p class="summary">(data [^<]*)</p>', text).group(1)
    assert line == "data synthetic:120:8:3, resolution 8, epochs 2"
