"""What a search survives: kill -9 mid-trial, parallel workers and commands, failing trials; and its determinism.

The crash and concurrency tests run ``nas run`` as real processes on the CPU; the failure tests run it in-process
with faulty models injected where the study builds them.
"""

import contextlib
import os
import re
import signal
import time
import uuid
from pathlib import Path

import optuna
import pytest
import torch
from optuna.trial import TrialState
from torch import nn

import search.study.trial as trial_mod
from search.cli import main
from search.train import TrainResult
from tiny_search import counted, load, nas, run_args, sqlite_url, wait

# a narrow space keeps each CPU trial short (the one test_run uses)
TRIAL_LINE = re.compile(r"\| (?:w\d+ )?trial (\d+) ")

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


def finished_snapshot(study: optuna.Study) -> dict:
    """Everything a finished trial learned, by trial number."""
    return {t.number: (t.state, t.values, t.params, t.user_attrs, t.datetime_complete) for t in study.get_trials()
            if t.state in (TrialState.COMPLETE, TrialState.PRUNED)}


# --- kill -9 -------------------------------------------------------------------------------------

def test_kill_9_mid_trial_then_rerun_loses_nothing_and_fails_the_interrupted_trial(tmp_path):
    # enough images and epochs that a trial trains for a while: the kill lands inside one
    args = run_args(tmp_path, "k", "--trials", "4", "--heartbeat", "1", data="synthetic:600:16:4", epochs=3)
    url = sqlite_url(tmp_path, "k")
    proc = nas(tmp_path, args, "first")
    deadline = time.time() + 300
    victim = None
    while victim is None:
        assert proc.poll() is None, f"the run ended before it could be killed: {(tmp_path / 'first.err').read_text()}"
        assert time.time() < deadline, "no trial was seen training after two had completed"
        time.sleep(0.05)
        if "study k:" not in (tmp_path / "first.err").read_text():
            continue  # the study is not created yet: a reader now would race the run to create the tables
        trials = load(tmp_path, "k", url).get_trials()
        done = [t for t in trials if t.state == TrialState.COMPLETE]
        # a trial past its first epoch but not its last is mid-training: it cannot finish in the instant before
        # the kill
        training = [t for t in trials if t.state == TrialState.RUNNING
                    and 0 < len(t.user_attrs.get("history", ())) < 3]
        if len(done) >= 2 and training:
            os.kill(proc.pid, signal.SIGKILL)
            victim = training[0].number
    assert proc.wait(30) == -signal.SIGKILL

    before = load(tmp_path, "k", url)
    snapshot = finished_snapshot(before)
    assert [t.number for t in before.get_trials(states=(TrialState.RUNNING,))] == [victim]
    assert sum(t.state == TrialState.COMPLETE for t in before.get_trials()) >= 2
    time.sleep(7)  # past the grace period (6 heartbeats of 1 s): the next claim fails the dead trial

    rerun = nas(tmp_path, args, "second")
    assert wait(rerun) == 0, (tmp_path / "second.err").read_text()
    after = load(tmp_path, "k", url)
    assert {n: v for n, v in finished_snapshot(after).items() if n in snapshot} == snapshot
    dead = after.trials[victim]
    assert dead.state == TrialState.FAIL
    assert dead.user_attrs["status"] == "interrupted" and "heartbeat" in dead.user_attrs["reason"]
    assert not after.get_trials(states=(TrialState.RUNNING, TrialState.WAITING))
    assert len(counted(after)) == 4
    assert f"trial {victim} " not in (tmp_path / "second.err").read_text()  # resumed, not rerun


# --- concurrency ---------------------------------------------------------------------------------

def postgres_url() -> str:
    """NAS_TEST_POSTGRES when it names a server that answers; the test is skipped otherwise."""
    url = os.environ.get("NAS_TEST_POSTGRES")
    if not url:
        pytest.skip("set NAS_TEST_POSTGRES=postgresql://user:pw@host/db (and install the postgres extra) to run this "
                    "test; .ci/run starts a server and sets it")
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
        engine.dispose()
    except Exception as e:  # no driver, no server, wrong password: nothing to test against
        pytest.skip(f"PostgreSQL at NAS_TEST_POSTGRES cannot be reached: {str(e).splitlines()[0]}")
    return url


def check_exact(study: optuna.Study, asked: int, logs: list[str]) -> None:
    """Exactly `asked` counted trials, none left running, and every trial run by one process only."""
    assert len(counted(study)) == asked
    assert not study.get_trials(states=(TrialState.RUNNING, TrialState.WAITING))
    numbers = [t.number for t in study.trials]
    assert numbers == list(range(len(numbers)))
    seen = [[int(n) for n in TRIAL_LINE.findall(log)] for log in logs]
    flat = [n for s in seen for n in s]
    assert sorted(flat) == numbers, "each trial is reported once, by the one process that ran it"
    for log in logs:
        assert "database is locked" not in log and "Traceback" not in log
    # parallel draws are seeded apart: the first 4 trials (TPE's random start-up) drew 4 different genomes
    archs = [t.user_attrs.get("arch") for t in study.trials[:4]]
    assert len(set(archs)) == 4, archs


def two_commands(tmp_path: Path, study: str, trials: int, storage: str | None) -> tuple[list[int], list[str]]:
    extra = ["--trials", str(trials)] + (["--storage", storage] if storage else [])
    procs = [nas(tmp_path, run_args(tmp_path, study, *extra), f"cmd{i}") for i in range(2)]
    codes = [wait(p) for p in procs]
    return codes, [(tmp_path / f"cmd{i}.err").read_text() for i in range(2)]


def test_workers_on_local_storage_make_exactly_the_trials_asked_for(tmp_path):
    proc = nas(tmp_path, run_args(tmp_path, "w", "--trials", "4", "--workers", "2"), "w")
    err = tmp_path / "w.err"
    assert wait(proc) == 0, err.read_text()
    study = load(tmp_path, "w")
    check_exact(study, 4, [err.read_text()])
    assert {t.user_attrs["worker"] for t in study.trials} == {0, 1}


def test_two_commands_on_one_local_study_make_exactly_the_trials_asked_for(tmp_path):
    codes, logs = two_commands(tmp_path, "c", 4, None)
    assert codes == [0, 0], logs
    check_exact(load(tmp_path, "c"), 4, logs)


def test_workers_and_commands_on_postgresql_make_exactly_the_trials_asked_for(tmp_path):
    url = postgres_url()
    name = f"pg-{uuid.uuid4().hex[:12]}"
    try:
        codes, logs = two_commands(tmp_path, name, 4, url)
        assert codes == [0, 0], logs
        check_exact(load(tmp_path, name, url), 4, logs)
        # the same study again, now with two workers in one command: four more trials, exactly
        proc = nas(tmp_path, run_args(tmp_path, name, "--trials", "8", "--workers", "2", "--storage", url), "w")
        assert wait(proc) == 0, (tmp_path / "w.err").read_text()
        check_exact(load(tmp_path, name, url), 8, logs + [(tmp_path / "w.err").read_text()])
    finally:
        with contextlib.suppress(Exception):  # leave the test database as it was
            optuna.delete_study(study_name=name, storage=url)


# --- failing trials ------------------------------------------------------------------------------

class Faulty(nn.Module):
    """The built network, with a fault in its forward pass."""

    def __init__(self, inner: nn.Module, fault: str):
        super().__init__()
        self.inner, self.fault = inner, fault

    def forward(self, x):
        if self.fault == "oom":
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        if self.fault == "ctrl-c":
            raise KeyboardInterrupt
        if self.fault == "exception":
            raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (64x24 and 32x4)")
        out = self.inner(x)
        return out * float("nan") if self.fault == "nan" else out


def inject(monkeypatch, faults: list[str]) -> None:
    """The study's n-th built network gets faults[n] (networks past the list are sound)."""
    real = trial_mod.build
    built = iter(faults)
    monkeypatch.setattr(trial_mod, "build", lambda g: Faulty(real(g), next(built, "none")))


def trained(study: optuna.Study) -> list:
    """Trials that reached training (not rejected by the budget), in order."""
    return [t for t in study.trials if t.user_attrs.get("status") != "rejected"]


def test_each_kind_of_failing_trial_is_recorded_and_the_study_goes_on(tmp_path, monkeypatch, capsys):
    inject(monkeypatch, ["oom", "nan", "exception"])
    real_train = trial_mod.train_proxy
    calls = []

    def train(model, data, cfg, *a, **k):  # the 4th training reports a timeout, as train_proxy would
        calls.append(1)
        if len(calls) == 4:
            return TrainResult(status="timeout", reason="time limit of 600 s reached in epoch 3",
                               epochs=2, val_acc=0.5, val_loss=1.0)
        return real_train(model, data, cfg, *a, **k)

    monkeypatch.setattr(trial_mod, "train_proxy", train)
    assert main(run_args(tmp_path, "f", "--trials", "3", "--max-failures", "5", "--sampler", "random")) == 0
    study = load(tmp_path, "f")
    runs = trained(study)
    failed = [(t.state, t.user_attrs["status"]) for t in runs[:4]]
    assert failed == [(TrialState.FAIL, "oom"), (TrialState.FAIL, "nan"), (TrialState.FAIL, "error"),
                      (TrialState.FAIL, "timeout")]
    reasons = [t.user_attrs["reason"] for t in runs[:4]]
    assert reasons[0] == "OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 GiB"
    assert reasons[1] == "non-finite training loss in epoch 1"
    assert reasons[2] == "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x24 and 32x4)"
    assert reasons[3] == "time limit of 600 s reached in epoch 3"
    assert [t.user_attrs["status"] for t in runs[4:]] == ["ok"] * 3 and len(counted(study)) == 3
    assert "nas: error" not in capsys.readouterr().err


def test_a_run_whose_trials_all_fail_stops_after_max_failures(tmp_path, monkeypatch, capsys):
    inject(monkeypatch, ["exception"] * 100)
    assert main(run_args(tmp_path, "x", "--trials", "5", "--max-failures", "3", "--sampler", "random")) == 1
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("nas: error:")]
    assert errors == [err[-1]] == [("nas: error: stopped after 3 failed trials in a row; the last one: error: "
                                    "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x24 and 32x4)")]
    assert [t.state for t in trained(load(tmp_path, "x"))] == [TrialState.FAIL] * 3


def test_ctrl_c_fails_the_trial_in_flight_at_once(tmp_path, monkeypatch, capsys):
    inject(monkeypatch, ["none", "ctrl-c"])
    assert main(run_args(tmp_path, "i", "--trials", "3", "--sampler", "random")) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "nas: error: interrupted"
    runs = trained(load(tmp_path, "i"))
    assert [(t.state, t.user_attrs["status"]) for t in runs] == [(TrialState.COMPLETE, "ok"),
                                                                 (TrialState.FAIL, "interrupted")]
    assert runs[1].user_attrs["reason"] == "stopped by Ctrl-C or SIGTERM"


def test_trial_timeout_fails_a_slow_trial_with_status_timeout(tmp_path):
    # 3600 images x 30 epochs take any CPU well over the limit of 1 s, even for the smallest network of the space
    assert main(run_args(tmp_path, "t", "--trials", "2", "--trial-timeout", "1s", "--max-failures", "2",
                         data="synthetic:4000:32:4", epochs=30)) == 1
    runs = trained(load(tmp_path, "t"))
    assert [(t.state, t.user_attrs["status"]) for t in runs] == [(TrialState.FAIL, "timeout")] * 2
    assert all(t.user_attrs["reason"].startswith("time limit of 1 s reached in epoch ") for t in runs)


# --- determinism ---------------------------------------------------------------------------------

def genomes(tmp_path: Path, seed: int, trials: int) -> list[str]:
    assert main(run_args(tmp_path, "d", "--trials", str(trials), "--seed", str(seed))) == 0
    return [t.user_attrs.get("arch", "") for t in load(tmp_path, "d").trials]


def test_same_seed_and_data_give_the_same_genomes_with_the_default_sampler(tmp_path):
    # 6 counted trials: past TPE's 4 random start-up trials, so its model of the results picks the last ones
    first = genomes(tmp_path / "a", 3, 6)
    assert len(first) >= 6
    assert genomes(tmp_path / "b", 3, 6) == first
    other = genomes(tmp_path / "c", 4, 2)
    assert other != first[:len(other)]


def test_two_commands_with_their_own_seeds_samplers_and_counts_join_one_new_study(tmp_path):
    # Optuna's way to run several workers: each its own seed; the data and split never depend on it
    extras = [("--seed", "2", "--sampler", "random", "--trials", "4"), ("--seed", "3", "--sampler", "tpe", "--trials", "6")]
    procs = [nas(tmp_path, run_args(tmp_path, "seeds", *extra), f"cmd{i}") for i, extra in enumerate(extras)]
    codes = [wait(p) for p in procs]
    logs = [(tmp_path / f"cmd{i}.err").read_text() for i in range(2)]
    assert codes == [0, 0], logs
    study = load(tmp_path, "seeds")
    check_exact(study, 6, logs)  # the larger count: the command asking 4 stopped when the study held 4
    assert study.user_attrs["nas_settings"]["split_seed"] == 0
