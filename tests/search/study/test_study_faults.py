"""Study integrity under faults: signals, a killed parent of --workers, a storage outage, stragglers, a second
Ctrl-C while a trial's end is written.

The signal and process tests run ``nas run`` as real processes; the storage and straggler tests run it in-process
with the fault injected where the study talks to its storage.
"""

import errno
import os
import signal
import subprocess
import sqlite3
import time
from pathlib import Path

import optuna
import pytest
import sqlalchemy.exc
from optuna.trial import TrialState

import search.study.storage as storage_mod
import search.study.trial as trial_mod
import search.study.signals as signals
import search.study.workers as workers
from search.cli import main
from tiny_search import counted, load, nas, run_args, sqlite_url, wait

WAIT_LINE = "waiting up to"  # what a run says when it must wait for a silent trial of a dead run


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def no_backoff(monkeypatch):
    """Storage retries without their waits: a lasting fault is known in milliseconds, not seconds."""
    monkeypatch.setattr(storage_mod, "BACKOFF_S", 0.001)


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("nas: error:")]


# --- SIGTERM and a killed parent of --workers, as real processes --------------------------------------

def wait_for_training(proc: subprocess.Popen, tmp_path: Path, study: str, log: str, n: int, epochs: int) -> list:
    """Wait until ``n`` trials are mid-training (past their first epoch, not at their last); those trials."""
    deadline = time.time() + 300
    while True:
        assert proc.poll() is None, f"the run ended before the fault: {(tmp_path / f'{log}.err').read_text()}"
        assert time.time() < deadline, f"no {n} trials were seen training at once"
        time.sleep(0.05)
        if f"study {study}:" not in (tmp_path / f"{log}.err").read_text():
            continue  # the study is not created yet: a reader now would race the run to create the tables
        training = [t for t in load(tmp_path, study).get_trials(states=(TrialState.RUNNING,))
                    if 0 < len(t.user_attrs.get("history", ())) < epochs]
        if len(training) >= n:
            return training


@pytest.mark.slow
def test_sigterm_mid_trial_fails_it_at_once_and_a_rerun_does_not_wait(tmp_path):
    # enough images and epochs that a trial trains for a while: the signal lands inside one
    args = run_args(tmp_path, "t", "--trials", "2", data="synthetic:600:16:4", epochs=5)
    proc = nas(tmp_path, args, "first")
    victim = wait_for_training(proc, tmp_path, "t", "first", 1, 5)[0].number
    proc.send_signal(signal.SIGTERM)
    assert wait(proc, 60) == 130
    err = (tmp_path / "first.err").read_text()
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "nas: error: interrupted"
    dead = load(tmp_path, "t").trials[victim]
    assert dead.state == TrialState.FAIL
    assert (dead.user_attrs["status"], dead.user_attrs["reason"]) == ("interrupted", "stopped by Ctrl-C or SIGTERM")

    rerun = nas(tmp_path, args, "second")
    assert wait(rerun) == 0, (tmp_path / "second.err").read_text()
    assert WAIT_LINE not in (tmp_path / "second.err").read_text()  # no trial was left for it to wait for
    study = load(tmp_path, "t")
    assert len(counted(study)) == 2 and not study.get_trials(states=(TrialState.RUNNING, TrialState.WAITING))


def descendants(pid: int) -> list[int]:
    """The processes under ``pid`` (its spawned workers and theirs), from ps."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        p, pp = map(int, line.split())
        children.setdefault(pp, []).append(p)
    found, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            found.append(c)
            todo.append(c)
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie nobody reaped has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_kill_9_of_the_workers_parent_ends_its_workers_and_fails_their_trials(tmp_path):
    # 8 epochs: both workers' trials, small or large, are seen mid-training at once even on a loaded machine
    args = run_args(tmp_path, "p", "--trials", "2", "--workers", "2", data="synthetic:600:16:4", epochs=8)
    proc = nas(tmp_path, args, "first", start_new_session=True)
    victims = {t.number for t in wait_for_training(proc, tmp_path, "p", "first", 2, 8)}
    workers_ = descendants(proc.pid)
    assert len(workers_) >= 2
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    deadline = time.time() + 60
    while any(alive(p) for p in workers_) and time.time() < deadline:
        time.sleep(0.2)
    survivors = [p for p in workers_ if alive(p)]
    for p in survivors:  # leave no process behind, whatever the test says
        os.kill(p, signal.SIGKILL)
    assert survivors == [], "a worker outlived its parent by 60 s"
    study = load(tmp_path, "p")
    assert not study.get_trials(states=(TrialState.RUNNING,))
    for n in victims:  # each worker failed its own trial as it ended, without waiting for the heartbeat
        assert (study.trials[n].state, study.trials[n].user_attrs["status"]) == (TrialState.FAIL, "interrupted")
        assert study.trials[n].user_attrs["reason"] == "stopped by Ctrl-C or SIGTERM"

    rerun = nas(tmp_path, args, "second")
    assert wait(rerun) == 0, (tmp_path / "second.err").read_text()
    assert WAIT_LINE not in (tmp_path / "second.err").read_text()
    study = load(tmp_path, "p")
    assert len(counted(study)) == 2 and not study.get_trials(states=(TrialState.RUNNING, TrialState.WAITING))


# --- a storage outage --------------------------------------------------------------------------------

def disk_error(*_a, **_k):
    raise sqlalchemy.exc.OperationalError("UPDATE trials", {}, sqlite3.OperationalError("disk I/O error"))


class Outage:
    """Makes the listed RDBStorage writes fail (as a dead disk or server would) while ``down`` is set."""

    def __init__(self, monkeypatch, methods: tuple[str, ...], failures: int | None = None):
        self.down, self.failures, self.calls = False, failures, 0
        for name in methods:
            real = getattr(optuna.storages.RDBStorage, name)
            monkeypatch.setattr(optuna.storages.RDBStorage, name, self._wrap(real))

    def _wrap(self, real):
        def call(storage, *a, **k):
            if self.down and (self.failures is None or self.calls < self.failures):
                self.calls += 1
                disk_error()
            return real(storage, *a, **k)

        return call


def outage_during(monkeypatch, trial: int, outage: Outage) -> None:
    """The storage goes down once trial number ``trial`` has started training."""
    real = trial_mod.train_proxy

    def train(model, data, cfg, *a, **k):
        if cfg.seed == trial:  # run_trial seeds each trial's training with --seed + its number
            outage.down = True
        return real(model, data, cfg, *a, **k)

    monkeypatch.setattr(trial_mod, "train_proxy", train)


@pytest.mark.slow
@pytest.mark.parametrize("methods", [("set_trial_state_values",),
                                     ("set_trial_state_values", "set_trial_user_attr", "record_heartbeat")],
                         ids=["at-tell", "every-write"])
def test_a_storage_outage_mid_trial_is_one_line_exit_1_and_no_trial_stays_running(tmp_path, monkeypatch, capsys,
                                                                                    no_backoff, methods):
    outage = Outage(monkeypatch, methods)
    outage_during(monkeypatch, 2, outage)
    args = run_args(tmp_path, "o", "--trials", "4", "--heartbeat", "1", "--sampler", "random", "--pruner", "none")
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert error_lines(err) == [err.strip().splitlines()[-1]]
    assert error_lines(err)[0].startswith(f"nas: error: cannot write storage {sqlite_url(tmp_path, 'o')}: "
                                          "a disk I/O error (a failing disk, or the file removed while in use)")
    outage.down = False  # the storage is back
    study = load(tmp_path, "o")
    assert [(t.number, t.state) for t in study.trials[:2]] == [(0, TrialState.COMPLETE), (1, TrialState.COMPLETE)]
    assert len(study.trials) == 3
    stuck = study.trials[2]
    # the trial's end could not be written while the storage was down: its heartbeat has stopped, so after the
    # grace period (6 beats of 1 s) the next run fails it and makes the trials still owed
    assert stuck.state == TrialState.RUNNING
    time.sleep(7)
    assert main(args) == 0
    study = load(tmp_path, "o")
    assert study.trials[2].state == TrialState.FAIL and study.trials[2].user_attrs["status"] == "interrupted"
    assert not study.get_trials(states=(TrialState.RUNNING, TrialState.WAITING))
    assert len(counted(study)) == 4


@pytest.mark.slow
def test_a_storage_outage_that_passes_is_retried_and_the_run_succeeds(tmp_path, monkeypatch, capsys, no_backoff):
    outage = Outage(monkeypatch, ("set_trial_state_values",), failures=2)  # fails twice, then works
    outage_during(monkeypatch, 1, outage)
    assert main(run_args(tmp_path, "r", "--trials", "3", "--sampler", "random", "--pruner", "none")) == 0
    assert outage.calls == 2
    assert "nas: error" not in capsys.readouterr().err
    study = load(tmp_path, "r")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    assert [t.user_attrs["status"] for t in study.trials] == ["ok"] * 3


# --- a straggler -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_trial_failed_by_another_process_is_one_warning_and_the_run_goes_on(tmp_path, monkeypatch, capsys):
    real = trial_mod.train_proxy
    url = sqlite_url(tmp_path, "g")

    def train(model, data, cfg, *a, **k):
        if cfg.seed == 1:  # trial 1: another process took it for dead (as fail_stale does) while it trained
            other = optuna.storages.RDBStorage(url)
            trial_id = next(t._trial_id for t in load(tmp_path, "g").trials if t.number == 1)
            other.set_trial_user_attr(trial_id, "status", "interrupted")
            other.set_trial_state_values(trial_id, TrialState.FAIL)
        return real(model, data, cfg, *a, **k)

    monkeypatch.setattr(trial_mod, "train_proxy", train)
    assert main(run_args(tmp_path, "g", "--trials", "3", "--sampler", "random", "--pruner", "none")) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("nas: ")] == [
        "nas: warning: trial 1 was already marked failed by another process (it went silent); its result is "
        "dropped and the search goes on"]
    study = load(tmp_path, "g")
    assert [(t.state, t.user_attrs["status"]) for t in study.trials] == [
        (TrialState.COMPLETE, "ok"), (TrialState.FAIL, "interrupted"), (TrialState.COMPLETE, "ok"),
        (TrialState.COMPLETE, "ok")]
    assert len(counted(study)) == 3


# --- a second Ctrl-C while the trial's end is written ------------------------------------------------

def test_a_second_ctrl_c_while_the_end_is_written_still_fails_the_trial(tmp_path, monkeypatch, capsys):
    real_mark = workers.mark
    marks = []

    def mark(trial, status, reason):  # the second Ctrl-C lands in the first write of the trial's end
        marks.append(status.value)
        if len(marks) == 1:
            raise KeyboardInterrupt
        real_mark(trial, status, reason)

    def train(*a, **k):
        raise KeyboardInterrupt  # the first Ctrl-C, mid-training

    monkeypatch.setattr(workers, "mark", mark)
    monkeypatch.setattr(trial_mod, "train_proxy", train)
    assert main(run_args(tmp_path, "c", "--trials", "2", "--sampler", "random")) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "nas: error: interrupted"
    assert marks == ["interrupted"]
    study = load(tmp_path, "c")
    assert [t.state for t in study.trials] == [TrialState.FAIL]


@pytest.mark.slow
def test_workers_of_a_killed_parent_start_no_trial_even_where_sigint_is_ignored(tmp_path):
    # a background job of a script ignores SIGINT, and its workers inherit that: the old guard's interrupt was lost
    # there, and one worker went on to run five more trials
    args = run_args(tmp_path, "o", "--trials", "40", "--workers", "2", "--sampler", "random", "--pruner", "none",
                    data="synthetic:600:16:4", epochs=3)
    proc = nas(tmp_path, args, "first", start_new_session=True,
               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    wait_for_training(proc, tmp_path, "o", "first", 1, 3)
    workers_ = descendants(proc.pid)
    assert len(workers_) >= 2
    os.kill(proc.pid, signal.SIGKILL)
    killed = time.time()
    assert proc.wait(30) == -signal.SIGKILL
    deadline = time.time() + 30
    while any(alive(p) for p in workers_) and time.time() < deadline:
        time.sleep(0.1)
    gone = time.time() - killed
    survivors = [p for p in workers_ if alive(p)]
    for p in survivors:
        os.kill(p, signal.SIGKILL)
    assert survivors == [], "a worker outlived its parent by 30 s"
    study = load(tmp_path, "o")
    # a claim already inside study.ask() when the parent died may still stamp its start a few ms later
    late = [t.number for t in study.trials if t.datetime_start.timestamp() > killed + 0.5]
    assert late == [] and gone < 10, (late, gone)
    assert not study.get_trials(states=(TrialState.RUNNING,))


def test_a_worker_whose_parent_is_gone_claims_nothing(monkeypatch):
    class Untouchable:  # the study and its storage: an orphan may reach neither
        _study_id = 0

        def __getattr__(self, name):
            raise AssertionError(f"an orphan touched the study ({name})")

    cfg = type("Cfg", (), {"storage_url": "other://", "study": "o", "storage": "other://", "paths": None})()
    assert not signals.orphaned()  # nas run itself, or a worker whose parent lives
    monkeypatch.setattr(signals, "_parent", [os.getppid() + 1])  # a worker of a process that is gone
    assert signals.orphaned()
    assert workers._claim(cfg, Untouchable(), Untouchable()) == (None, [])


def test_a_signal_while_the_end_is_written_is_held_then_raised(tmp_path):
    # as in nas run, Ctrl-C raises: a test before this one in the same worker process may have left SIGINT ignored,
    # and a signal the process ignores stays ignored (nothing would be held)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    written = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals.no_interrupts():
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)  # both signals are delivered here, and held
                written.append("end")
        assert written == ["end"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_the_orphan_guard_interrupts_a_worker_whose_parent_died_during_a_write(monkeypatch):
    parent = [os.getppid()]
    monkeypatch.setattr(signals.os, "getppid", lambda: parent[0])
    previous = signal.signal(signal.SIGTERM, signals.interrupt)  # as a worker process has it
    try:
        signals.orphan_guard()
        written = []
        with pytest.raises(KeyboardInterrupt):
            with signals.no_interrupts():
                parent[0] = 1  # the parent dies while the trial's end is written: the guard's signal is held
                time.sleep(1.5)  # the guard looks every 0.5 s
                written.append("end")
            time.sleep(10)  # not reached: the held interrupt is raised as the write ends
        assert written == ["end"]
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- a full disk -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_full_disk_at_the_end_of_a_run_keeps_the_previous_trials_csv_and_says_so(tmp_path, monkeypatch, capsys):
    assert main(run_args(tmp_path, "d", "--trials", "1", "--sampler", "random")) == 0
    folder = tmp_path / "studies" / "d"
    before = (folder / "trials.csv").read_bytes()
    real = Path.write_text

    def write_text(self, text, *a, **k):  # half of the new trials.csv reaches the disk, then it is full
        if self.name.startswith(".trials.csv."):
            real(self, text[: len(text) // 2], *a, **k)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, text, *a, **k)

    monkeypatch.setattr(Path, "write_text", write_text)
    capsys.readouterr()
    assert main(run_args(tmp_path, "d", "--trials", "2", "--sampler", "random")) == 1
    out, err = capsys.readouterr()
    assert out.startswith("study d: 2 trials finished (2 ok)")  # the summary is still printed
    assert "Traceback" not in err
    assert error_lines(err) == [err.strip().splitlines()[-1]] == [
        f"nas: error: cannot write best.json and trials.csv in {folder}: No space left on device; the study is "
        "intact and 'nas show --write d' writes them again"]
    assert (folder / "trials.csv").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []
    study = load(tmp_path, "d")
    assert len(counted(study)) == 2
    monkeypatch.undo()  # room again: show writes the file from the study
    assert main(["show", "d", "--write", "--studies-dir", str(tmp_path / "studies")]) == 0
    assert (folder / "trials.csv").read_text().count("\n") == len(study.trials) + 1 == 3


def test_processes_racing_to_create_the_tables_of_an_empty_database_both_open_it(tmp_path, monkeypatch):
    import sqlalchemy.exc

    from search.study import storage as storage_mod

    real, calls = optuna.storages.RDBStorage, []

    def racing(*a, **k):  # the first attempt loses the race for Optuna's version row, as on PostgreSQL
        calls.append(1)
        if len(calls) == 1:
            raise sqlalchemy.exc.IntegrityError("INSERT INTO version_info", {}, Exception(
                'duplicate key value violates unique constraint "version_info_pkey"'))
        return real(*a, **k)

    monkeypatch.setattr(storage_mod.optuna.storages, "RDBStorage", racing)
    monkeypatch.setattr(storage_mod, "BACKOFF_S", 0.01)
    url = f"sqlite:///{tmp_path / 'race.db'}"
    assert isinstance(storage_mod.open_storage(url), real) and len(calls) == 2

    def always(*a, **k):
        calls.append(1)
        raise sqlalchemy.exc.IntegrityError("INSERT", {}, Exception("duplicate key"))

    monkeypatch.setattr(storage_mod.optuna.storages, "RDBStorage", always)
    calls.clear()
    with pytest.raises(storage_mod.StorageError, match="^cannot open storage sqlite:///") as e:
        storage_mod.open_storage(url)
    assert e.value.exit_code == 2 and len(calls) == storage_mod.RETRIES
