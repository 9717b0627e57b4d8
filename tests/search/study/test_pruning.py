"""Epoch pruning: the two-objective rung pruner, and Optuna's pruners as a search wires them."""

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from search.cli import main
from search.study import trial as trial_mod
from search.study.trial import rung_pruner
from search.train import EpochStats, Pruned, TrainResult
from tests.tiny_search import load, run_args


def two_objective_study(histories: list[list[float]], state=TrialState.COMPLETE) -> optuna.Study:
    study = optuna.create_study(directions=["maximize", "minimize"])
    for h in histories:
        study.add_trial(create_trial(state=state, values=[h[-1], 1e6] if state == TrialState.COMPLETE else None,
                                     params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)},
                                     user_attrs={"history": h}))
    return study


def test_the_rung_pruner_prunes_below_the_median_at_the_middle_epoch_only():
    study = two_objective_study([[0.2, 0.3, 0.4, 0.5], [0.2, 0.5, 0.6, 0.6], [0.3, 0.7, 0.7, 0.8]])
    prune = rung_pruner(study, 4)  # the rung is epoch 2; its peers scored 0.3, 0.5, 0.7 there: median 0.5
    assert prune(2, 0.49) and not prune(2, 0.5) and not prune(2, 0.9)
    assert not prune(1, 0.0) and not prune(3, 0.0) and not prune(4, 0.0)


def test_the_rung_pruner_needs_three_finished_peers_that_reached_the_rung():
    assert not rung_pruner(two_objective_study([[0.5, 0.5], [0.6, 0.6]]), 4)(2, 0.0)
    # a peer that stopped before the rung does not count, nor does a pruned trial
    short = two_objective_study([[0.5, 0.5], [0.6, 0.6], [0.7]])
    assert not rung_pruner(short, 4)(2, 0.0)
    pruned = two_objective_study([[0.5, 0.5], [0.6, 0.6]])
    pruned.add_trial(create_trial(state=TrialState.PRUNED, user_attrs={"history": [0.9, 0.9]}))
    assert not rung_pruner(pruned, 4)(2, 0.0)
    assert rung_pruner(two_objective_study([[0.5, 0.5], [0.6, 0.6], [0.7, 0.7]]), 4)(2, 0.59)


def test_a_one_epoch_proxy_is_never_pruned():
    study = two_objective_study([[0.5], [0.6], [0.7]])
    assert not rung_pruner(study, 1)(1, 0.0)


def scripted(monkeypatch, curves: list[list[float]]) -> None:
    """Each trained trial reports the next curve's accuracies epoch by epoch, as train_proxy would."""
    left = iter(curves)

    def train(model, data, cfg, device=None, on_epoch=None, **kw):
        accs = next(left)
        for epoch, acc in enumerate(accs, 1):
            try:
                on_epoch(EpochStats(epoch, 1.0, 1.0, acc, 0.0))
            except Pruned as e:
                return TrainResult("pruned", str(e), epoch, acc, 1.0)
        return TrainResult("ok", "", len(accs), accs[-1], 1.0)

    monkeypatch.setattr(trial_mod, "train_proxy", train)


@pytest.mark.parametrize("pruner, epochs", [("median", [1]), ("hyperband", [1, 3])])
def test_single_objective_pruners_stop_the_trials_that_trail_the_study(tmp_path, monkeypatch, pruner, epochs):
    good = [[0.5 + i / 100 + e / 10 for e in range(4)] for i in range(6)]
    scripted(monkeypatch, good + [[0.01] * 4] * 2)
    assert main(run_args(tmp_path, "p", "--trials", "8", "--epochs", "4", "--pruner", pruner,
                         "--sampler", "random", "--quiet")) == 0
    trials = [t for t in load(tmp_path, "p").trials if t.user_attrs.get("status") != "rejected"]
    assert [t.state for t in trials[6:]] == [TrialState.PRUNED] * 2
    assert [t.user_attrs["status"] for t in trials[6:]] == ["pruned"] * 2
    stopped = [len(t.user_attrs["history"]) for t in trials[6:]]
    assert all(e in epochs for e in stopped), stopped
    assert [t.user_attrs["reason"] for t in trials[6:]] == [f"pruned by the {pruner} pruner after epoch {e}"
                                                            for e in stopped]
    assert trials[0].state == TrialState.COMPLETE and trials[0].values == [pytest.approx(0.8)]


def test_two_objective_searches_use_the_rung_pruner(tmp_path, monkeypatch):
    good = [[0.5 + i / 100 + e / 10 for e in range(4)] for i in range(3)]
    scripted(monkeypatch, good + [[0.01] * 4])
    assert main(run_args(tmp_path, "m", "--trials", "4", "--epochs", "4", "--objectives", "accuracy,macs",
                         "--sampler", "random", "--quiet")) == 0
    trials = [t for t in load(tmp_path, "m").trials if t.user_attrs.get("status") != "rejected"]
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3 + [TrialState.PRUNED]
    assert trials[3].user_attrs["reason"] == "below the median accuracy at epoch 2"
    assert trials[3].user_attrs["history"] == [0.01, 0.01]
