"""nas run end to end on the CPU: the study, its records, the budget, resume, reruns, warm starts, bad flags."""

import hashlib
import json

import pytest
from optuna.trial import TrialState

from search.cli import main
from search.study.record import STORED
from tiny_search import DATA, counted, load, run_args

ATTRS = {"genome", "arch", "params", "macs", "acts", "receptive_field", "accuracy", "history", "epochs",
         "train_seconds", "images_per_second", "peak_memory_bytes", "latency_ms", "device", "status", "reason",
         "at_chance", "worker"}


def run(tmp_path, *extra, study="s", budget="3M"):
    return main(run_args(tmp_path, study, *extra, budget=budget))


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
        assert t.values[0] == t.user_attrs["accuracy"] == t.user_attrs["history"][-1]
        assert set(t.user_attrs) <= STORED, "a trial stores only its record's fields"
        assert len(t.user_attrs["history"]) == 1
    for t in study.trials:  # rejected trials were never trained; they are failed trials with that status
        if t.user_attrs.get("status") == "rejected":
            assert t.state == TrialState.FAIL and "val_acc" not in t.user_attrs
    settings = study.user_attrs["nas_settings"]
    assert settings["budget"]["max_macs"] == 3_000_000 and settings["objectives"] == ["accuracy"]
    assert settings["train"]["batch_size"] == 64 and settings["split_seed"] == 0
    assert study.metric_names == ["accuracy"]
    folder = tmp_path / "studies" / "s"
    best = json.loads((folder / "best.json").read_text())
    assert best["val_acc"] == max(t.values[0] for t in complete) and best["split"] == "validation"
    assert (folder / "trials.csv").read_text().count("\n") == len(study.trials) + 1


@pytest.mark.slow
def test_resume_runs_only_the_trials_still_owed_and_a_correct_rerun_with_nothing_owed_exits_0(tmp_path):
    assert run(tmp_path, "--trials", "3") == 0
    first = {t.number: t.user_attrs["arch"] for t in counted(load(tmp_path))}
    assert len(first) == 3
    assert run(tmp_path, "--trials", "6", "--seed", "5") == 0  # another --seed steers only: accepted
    study = load(tmp_path)
    assert len(counted(study)) == 6
    assert {t.number: t.user_attrs["arch"] for t in counted(study) if t.number in first} == first
    assert run(tmp_path, "--trials", "6") == 0 and len(load(tmp_path).trials) == len(study.trials)


def db_hash(tmp_path):
    return hashlib.sha256((tmp_path / "studies" / "s" / "study.db").read_bytes()).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("extra, difference", [
    (("--batch-size", "32"), "train.batch_size: 64 -> 32"),
    (("--max-train-images", "100"), "train.max_train_images: None -> 100"),
    (("--space", "free"), "space.depths: [1, 2] -> [1, 4]"),
    (("--epochs", "2"), "train.epochs: 1 -> 2"),
])
def test_a_rerun_with_other_settings_is_refused_and_leaves_the_database_unchanged(tmp_path, capsys, extra,
                                                                                 difference):
    assert run(tmp_path, "--trials", "1") == 0
    before = db_hash(tmp_path)
    capsys.readouterr()
    args = run_args(tmp_path, "s", "--trials", "2")
    i = args.index(extra[0]) if extra[0] in args else None
    if i is not None:
        args[i + 1] = extra[1]
    else:
        args += list(extra)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "was started with other settings" in err and difference in err, err
    assert db_hash(tmp_path) == before


@pytest.mark.slow
def test_enqueued_params_reproduce_the_genome_and_enqueued_genomes_are_trained(tmp_path):
    assert run(tmp_path, "--trials", "2", "--sampler", "random") == 0
    study = load(tmp_path)
    done = study.get_trials(states=(TrialState.COMPLETE,))[0]
    study.enqueue_trial(done.params)  # Optuna's warm start, as optuna-dashboard offers it
    assert run(tmp_path, "--trials", "3", "--sampler", "random", "--enqueue", "resnet20") == 0
    study = load(tmp_path)
    assert not study.get_trials(states=(TrialState.WAITING, TrialState.RUNNING))
    again = [t for t in study.trials if t.number > 1 and t.params == done.params]
    assert again and again[0].user_attrs["genome"] == done.user_attrs["genome"]
    warm = [t for t in study.trials if "enqueued_genome" in t.user_attrs]
    assert len(warm) == 1 and warm[0].user_attrs["arch"].startswith("cifar:16 res_d3_w16_s1_k3_zp")


@pytest.mark.slow
def test_two_objectives_give_a_budget_aware_pareto_front(tmp_path, capsys):
    assert run(tmp_path, "--trials", "4", "--objectives", "accuracy,macs", "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    study = load(tmp_path)
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    points = {t.number: (t.values[0], t.values[1]) for t in study.get_trials(states=(TrialState.COMPLETE,))}
    brute = {n for n, (a, m) in points.items()
             if not any(a2 >= a and m2 <= m and (a2, m2) != (a, m) for a2, m2 in points.values())}
    assert {r["trial"] for r in summary["pareto"]} == brute
    for t in study.get_trials(states=(TrialState.COMPLETE,)):
        assert t.values[1] == t.user_attrs["macs"] <= 3_000_000


def test_same_seed_gives_the_same_genomes(tmp_path):
    archs = []
    for i in range(2):
        assert run(tmp_path / str(i), "--trials", "3", "--seed", "7", "--sampler", "random") == 0
        archs.append([t.user_attrs["arch"] for t in load(tmp_path / str(i)).trials])
    assert archs[0] == archs[1] and len(archs[0]) >= 3


def test_an_impossible_budget_exits_2_before_any_trial(tmp_path, capsys):
    assert run(tmp_path, "--trials", "3", budget="1000") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no network in this space fits" in err
    assert not (tmp_path / "studies" / "s" / "study.db").exists()


def test_all_trials_at_chance_stop_the_run(tmp_path, capsys, monkeypatch):
    import search.study.trial as trial_mod

    monkeypatch.setattr(trial_mod, "at_chance", lambda *a, **k: True)
    assert run(tmp_path, "--trials", "8", "--pruner", "none", "--chance-stop", "4") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("nas: error: the first 4 trials all scored at chance on the validation split")
    study = load(tmp_path)
    assert len(counted(study)) == 4 and all(t.user_attrs["at_chance"] for t in counted(study))
    page = (tmp_path / "studies" / "s" / "dashboard.html").read_text()
    assert '<p class="note">parameter importances: not drawn, every trial scored at chance</p>' in page


def test_a_study_killed_while_being_created_still_refuses_other_settings(tmp_path, monkeypatch, capsys):
    import search.study.opening as opening

    real = opening._create

    def killed(storage, cfg, settings):  # the process dies between creating the study and naming it
        storage.create_new_study([], f"{cfg.study}.creating-dead")
        raise KeyboardInterrupt

    monkeypatch.setattr(opening, "_create", killed)
    assert run(tmp_path, "--trials", "1") == 130
    monkeypatch.setattr(opening, "_create", real)
    assert run(tmp_path, "--trials", "1") == 0
    capsys.readouterr()
    assert run(tmp_path, "--trials", "1", budget="5M") == 2
    assert "budget.max_macs: 3000000 -> 5000000" in capsys.readouterr().err


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


def test_default_study_names_say_data_and_budget():
    from search.config import default_name as _default_name

    assert _default_name("cifar10", 400_000_000, None) == "cifar10-400M"
    assert _default_name("/d/cifar10-jpeg.tar.gz", 1_200_000_000, 5_000_000) == "cifar10-jpeg-1.2G-5Mparams"
    assert _default_name("synthetic:200", 25_000_000, None) == "synthetic-25M"


def test_a_new_study_draws_the_same_data_and_split_whatever_the_worker_seed(tmp_path):
    from search.run.runner import prepare
    from tiny_search import TINY

    from search import RunConfig

    def prepared(seed):
        return prepare(RunConfig(data=DATA, budget="3M", epochs=1, space=TINY, seed=seed, study="n",
                                 studies_dir=tmp_path / "studies").checked())

    two, three = prepared(2), prepared(3)
    assert two.settings == three.settings and two.settings.split_seed == 0
    assert two.data.val_y.tolist() == three.data.val_y.tolist() and len(two.data.val_y) == 23
    assert bool((two.data.train_x == three.data.train_x).all())  # the synthetic images themselves
    assert not (tmp_path / "studies").exists()  # nothing is written by preparing


def test_a_rerun_says_which_per_run_choices_changed(tmp_path, capsys):
    assert run(tmp_path, "--trials", "1", "--heartbeat", "2", "--sampler", "random") == 0
    capsys.readouterr()
    assert run(tmp_path, "--trials", "1", "--heartbeat", "3", "--sampler", "tpe", "--pruner", "none") == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note: ")]
    assert notes == [
        "note: --sampler tpe: the study's last run used random; this run uses tpe (it steers only this run)",
        "note: --pruner none: the study's last run used median; this run uses none (it steers only this run)",
        "note: --heartbeat 3 is not used: the study keeps the 2 s its first run set, so every process agrees when "
        "a silent trial is dead"]
    assert run(tmp_path, "--trials", "1", "--heartbeat", "2", "--sampler", "tpe", "--pruner", "none") == 0
    assert [line for line in capsys.readouterr().err.splitlines() if line.startswith("note: ")] == []
