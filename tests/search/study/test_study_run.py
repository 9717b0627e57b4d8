"""nas run end to end on the CPU: the study, its attributes, the budget, resume, workers, bad input."""

import json
import os

import optuna
import pytest
from optuna.trial import TrialState

from search.cli import main

DATA = "synthetic:240:16:4"
ATTRS = {"genome", "arch", "params", "macs", "acts", "receptive_field", "val_acc", "val_acc_history",
         "train_seconds", "latency_ms", "device", "status", "reason"}


# a narrow space keeps each CPU trial well under a second; the default space is tested in test_searchspace
TINY = {"stages": [2, 3], "depths": [1, 2], "widths": [8, 16, 24, 32], "stems": ["cifar", "conv3x3"],
        "stem_widths": [8, 16]}


def run(tmp_path, *extra, study="s", budget="3M"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    space = tmp_path / "tiny.json"
    space.write_text(json.dumps(TINY))
    argv = ["run", "--budget", budget, "--data", DATA, "--epochs", "1", "--studies-dir", str(tmp_path / "studies"),
            "--study", study, "--cache-dir", str(tmp_path / "cache"), "--batch-size", "64", "--space", str(space),
            *extra]
    return main(argv)


def load(tmp_path, study="s"):
    return optuna.load_study(study_name=study, storage=f"sqlite:///{tmp_path / 'studies' / study / 'study.db'}")


def counted(study):
    return [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)
            and t.user_attrs["status"] in ("ok", "pruned")]


@pytest.mark.slow
def test_smoke_run_records_everything_and_respects_the_budget(tmp_path, capsys):
    assert run(tmp_path, "--trials", "6", "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    study = load(tmp_path)
    assert len(counted(study)) == 6 == summary["finished"]
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert complete, "at least one trial must complete"
    for t in complete:
        assert ATTRS <= set(t.user_attrs), ATTRS - set(t.user_attrs)
        assert t.user_attrs["macs"] <= 3_000_000 and t.user_attrs["status"] == "ok"
        assert t.values[0] == t.user_attrs["val_acc"] == t.user_attrs["val_acc_history"][-1]
        assert len(t.user_attrs["val_acc_history"]) == 1
    for t in study.trials:  # rejected trials were never trained and are told to the sampler as infeasible
        if t.user_attrs.get("status") == "rejected":
            assert t.state == TrialState.PRUNED and "val_acc" not in t.user_attrs
    assert study.user_attrs["budget_macs"] == 3_000_000 and study.user_attrs["objectives"] == ["accuracy"]
    folder = tmp_path / "studies" / "s"
    best = json.loads((folder / "best.json").read_text())
    assert best["val_acc"] == max(t.values[0] for t in complete)
    assert (folder / "trials.csv").read_text().count("\n") == len(study.trials) + 1


@pytest.mark.slow
def test_resume_runs_only_the_trials_still_owed(tmp_path):
    assert run(tmp_path, "--trials", "3") == 0
    first = {t.number: t.user_attrs["arch"] for t in counted(load(tmp_path))}
    assert len(first) == 3
    assert run(tmp_path, "--trials", "6") == 0
    study = load(tmp_path)
    assert len(counted(study)) == 6
    assert {t.number: t.user_attrs["arch"] for t in counted(study) if t.number in first} == first


@pytest.mark.slow
def test_two_workers_produce_exactly_the_trials_asked_for(tmp_path):
    assert run(tmp_path, "--trials", "4", "--workers", "2", "--sampler", "random") == 0
    study = load(tmp_path)
    assert len(counted(study)) == 4
    assert not [t for t in study.trials if t.state == TrialState.RUNNING]
    assert {t.user_attrs["worker"] for t in study.trials} == {0, 1}


@pytest.mark.slow
def test_two_objectives_give_a_pareto_front(tmp_path, capsys):
    assert run(tmp_path, "--trials", "4", "--objectives", "accuracy,macs", "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    study = load(tmp_path)
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    front = {r["trial"] for r in summary["pareto"]}
    assert front == {t.number for t in study.best_trials}
    for t in study.get_trials(states=(TrialState.COMPLETE,)):
        assert t.values[1] == t.user_attrs["macs"] <= 3_000_000


def test_same_seed_gives_the_same_genomes(tmp_path):
    archs = []
    for i in range(2):
        assert run(tmp_path / str(i), "--trials", "3", "--seed", "7", "--sampler", "random") == 0
        archs.append([t.user_attrs["arch"] for t in load(tmp_path / str(i)).trials])
    assert archs[0] == archs[1] and len(archs[0]) >= 3


BAD = [
    (["--budget", "abc"], "budget 'abc' is not understood"),
    (["--budget=-5M"], "must be positive"),
    (["--budget"], "argument --budget: expected one argument"),
    (["--objectives", "speed"], "invalid choice: 'speed'"),
    (["--budget", "400MB"], "budget '400MB' is not understood"),
    (["--params-budget", "5MFLOPs"], "parameter budget"),
    (["--timeout", "soon"], "duration 'soon'"),
    (["--min-budget", "1.5"], "--min-budget must be a fraction"),
    (["--sampler", "nsga2"], "--sampler nsga2 is for two objectives"),
    (["--study", "a/b"], "--study 'a/b'"),
    (["--device", "cuda"], "cuda"),
]


@pytest.mark.parametrize("extra, message", BAD)
def test_bad_run_flags_are_one_line_and_exit_2(tmp_path, capsys, extra, message):
    argv = ["run", "--data", DATA, "--studies-dir", str(tmp_path / "studies"), "--cache-dir", str(tmp_path / "c")]
    if not any(e.startswith("--budget") for e in extra):
        argv += ["--budget", "3M"]
    if message == "cuda":
        import torch

        if torch.cuda.is_available():
            pytest.skip("a GPU is present")
    assert main(argv + extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("nas: error:")
    assert not (tmp_path / "studies").exists() or not any((tmp_path / "studies").iterdir())


def test_missing_data_and_no_budget(tmp_path, capsys):
    assert main(["run", "--budget", "3M", "--data", str(tmp_path / "nope"), "--studies-dir", str(tmp_path)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["run", "--data", DATA, "--studies-dir", str(tmp_path)]) == 2
    assert "give a compute budget" in capsys.readouterr().err


@pytest.mark.slow
def test_resume_with_other_settings_is_refused_and_loses_nothing(tmp_path, capsys):
    assert run(tmp_path, "--trials", "2") == 0
    before = [(t.number, t.state, t.values) for t in load(tmp_path).trials]
    capsys.readouterr()
    assert run(tmp_path, "--trials", "4", budget="5M") == 2
    err = capsys.readouterr().err.strip()
    assert "was started with budget_macs=3000000, not 5000000" in err and err.count("\n") == 0
    assert [(t.number, t.state, t.values) for t in load(tmp_path).trials] == before


def test_unwritable_studies_folder(tmp_path, capsys):
    if os.geteuid() == 0:
        target = "/proc/nas-studies"  # root may write anywhere but /proc
    else:
        (tmp_path / "ro").mkdir(mode=0o500)
        target = str(tmp_path / "ro" / "studies")
    assert main(["run", "--budget", "3M", "--data", DATA, "--studies-dir", target,
                 "--cache-dir", str(tmp_path / "c")]) == 2
    assert "cannot create the study folder" in capsys.readouterr().err


def test_default_study_names_say_data_and_budget():
    from search.commands.run import _default_name

    assert _default_name("cifar10", 400_000_000, None) == "cifar10-400M"
    assert _default_name("/d/cifar10-jpeg.tar.gz", 1_200_000_000, 5_000_000) == "cifar10-jpeg-1.2G-5Mparams"
    assert _default_name("synthetic:200", 25_000_000, None) == "synthetic-25M"
