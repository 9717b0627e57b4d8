"""The one reader: best, front, counts, table and files of a hand-made study (no training)."""

import json

import optuna
from optuna.trial import TrialState, create_trial

from search.budget import Budget
from search.report.results import (best_trial, chance_stop, counts, front, read_study, summary, trials_table,
                            write_results)
from search.paths import StudyPaths
from search.study.schema import SETTINGS_KEY, StudySettings

optuna.logging.set_verbosity(optuna.logging.WARNING)

# number: (state, status, accuracy, macs, params)
TRIALS = [
    (TrialState.COMPLETE, "ok", 0.70, 100, 10),
    (TrialState.COMPLETE, "ok", 0.80, 200, 30),
    (TrialState.COMPLETE, "ok", 0.80, 150, 40),  # ties 1 on accuracy with fewer MACs: best, and dominates 1
    (TrialState.COMPLETE, "ok", 0.95, 1500, 10),  # over the MACs budget: neither best nor on the front
    (TrialState.COMPLETE, "ok", 0.60, 90, 80),  # over the params budget
    (TrialState.PRUNED, "pruned", None, 120, 5),
    (TrialState.FAIL, "rejected", None, 5000, 500),
    (TrialState.FAIL, "oom", None, 300, 20),
]


def study(objectives=("accuracy", "macs"), chance=None):
    s = optuna.create_study(study_name="r", directions=["maximize", "minimize"][:len(objectives)])
    settings = StudySettings(Budget(1000, 50), tuple(objectives), "synthetic", "x", 32, 3, 10, train={"epochs": 2})
    s.set_user_attr(SETTINGS_KEY, settings.to_json())
    for i, (state, status, acc, macs, params) in enumerate(TRIALS):
        attrs = {"status": status, "macs": macs, "params": params, "arch": f"net{i}",
                 "history": [0.1, 0.2]}
        if chance is not None and state == TrialState.COMPLETE:
            attrs["at_chance"] = chance
        values = [acc, macs][:len(objectives)] if state == TrialState.COMPLETE else None
        s.add_trial(create_trial(state=state, values=values, user_attrs=attrs))
    return s


def test_best_is_the_most_accurate_within_budget_with_fewer_macs_on_a_tie():
    view = read_study(study())
    assert best_trial(view).number == 2
    assert [r.number for r in front(view)] == [0, 2]
    assert [r.number for r in front(view, "params")] == [0, 1]  # on params, 1 (0.80, 30) dominates 2 (0.80, 40)
    assert counts(view) == {"ok": 5, "pruned": 1, "rejected": 1, "oom": 1}


def test_summary_and_table():
    view = read_study(study())
    s = summary(view, top=3)
    assert (s["trials"], s["finished"], s["budget_macs"], s["params_budget"]) == (8, 6, 1000, 50)
    assert [r["trial"] for r in s["top"]] == [2, 1, 0] and [r["trial"] for r in s["pareto"]] == [0, 2]
    df = trials_table(view)
    assert list(df["number"]) == list(range(8))
    assert list(df["within_budget"]) == [True, True, True, False, False, True, False, True]
    assert list(df["state"]) == ["complete"] * 5 + ["pruned", "rejected", "failed"]
    assert df["value_macs"].tolist()[:3] == [100, 200, 150]


def test_write_results_writes_best_and_csv(tmp_path):
    paths = StudyPaths.of(tmp_path, "r")
    written = write_results(read_study(study()), paths)
    assert set(written) == {"best", "csv"}
    assert json.loads(paths.best.read_text())["trial"] == 2
    assert paths.trials_csv.read_text().count("\n") == 9
    assert not list(paths.folder.glob(".*"))  # no temporary file left


def test_chance_stop_needs_the_first_four_trained_trials_at_chance():
    assert chance_stop(read_study(study()), 4) == ""
    assert chance_stop(read_study(study(chance=False)), 4) == ""
    message = chance_stop(read_study(study(chance=True)), 4)
    assert message.startswith("the first 4 trials all scored at chance") and "--epochs" in message


def test_single_objective_front_is_the_best():
    s = summary(read_study(study(("accuracy",))))
    assert [r["trial"] for r in s["pareto"]] == [2]


def test_the_summary_says_below_chance_not_at_chance():
    from search.report.results import format_summary

    # results.below_chance fills the key (beyond the noise, under 1 / classes); the summary only says it
    top = [{"trial": 0, "val_acc": 0.05, "at_chance": False, "below_chance": True, "params": 10, "macs": 20,
            "arch": "a"},
           {"trial": 1, "val_acc": 0.52, "at_chance": True, "params": 10, "macs": 20, "arch": "b"},
           {"trial": 2, "val_acc": 0.90, "at_chance": False, "params": 10, "macs": 20, "arch": "c"}]
    text = format_summary({"study": "s", "finished": 3, "statuses": {"ok": 3}, "objectives": ["accuracy"],
                           "settings": {"num_classes": 2}, "top": top})
    assert [line.split()[1:3] for line in text.splitlines() if line.startswith("  #")] == [
        ["0.0500", "(below"], ["0.5200", "(at"], ["0.9000", "10"]]  # the last one unmarked: its params follow
