"""The worker loop: claim a trial under the study's lock, run it, record how it ended; and worker processes."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

import optuna
from optuna.trial import TrialState

from ..config import RunConfig
from ..status import Status
from .internals import call_callbacks, study_id, trial_id
from .opening import make_sampler, open_study
from .progress import Progress
from .ranking import chance_stop
from .record import TrialRecord, owed_by, write_record
from .schema import StudySettings
from .settings import train_config
from .signals import become_worker, no_interrupts, orphaned
from .storage import (Heartbeat, StorageError, fail_stale, mark, stale_wait, storage_error, storage_lock, transient,
                      warn, with_retry)
from .trial import Rejected, TrialContext, TrialFailed, TrainFn, enqueued_genome, run_trial

if TYPE_CHECKING:
    from ..data import ImageData

STOPPED_BY_FAILURES = 3  # a worker process's exit code when --max-failures stopped it
Callback = Callable[[optuna.Study, optuna.trial.FrozenTrial], None]


@dataclass(frozen=True)
class WorkOutcome:
    """How a worker's loop ended."""

    failures_in_a_row: int  # this run's failed or rejected trials at its end
    last_failure: str = ""  # "status: reason" of the last one
    chance: str = ""  # why the search stopped because its first trials were all at chance
    stopped: str = ""  # why a callback stopped the search (study.stop(), as in Optuna)


def _claim(cfg: RunConfig, study: optuna.Study, storage: optuna.storages.RDBStorage
           ) -> tuple[optuna.Trial | None, list[optuna.trial.FrozenTrial]]:
    """Under the lock: fail dead trials, then ask for a trial if one is owed or enqueued (None otherwise)."""
    with storage_lock(cfg.storage_url, f"nas:{cfg.study}", cfg.paths.lock if cfg.storage is None else None):
        if orphaned():  # checked once the lock is held, however long it took: an orphan claims nothing
            return None, []
        fail_stale(storage, study_id(study))
        trials = study.get_trials(deepcopy=False)
        waiting = any(t.state == TrialState.WAITING for t in trials)
        owed = sum(map(owed_by, trials))
        if not waiting and cfg.trials is not None and owed >= cfg.trials:
            return None, trials
        # seeded by the number the next trial gets: its genome depends on --seed and the results so far only,
        # so parallel workers never draw alike and a resumed study does not redraw
        study.sampler = make_sampler(cfg, len(trials))
        return study.ask(), trials


def _write_end(url: str, study: optuna.Study, trial: optuna.Trial, status: Status, reason: str) -> None:
    """Record a failed trial's end: its status and reason, then FAIL, with Ctrl-C and SIGTERM held meanwhile."""
    with no_interrupts():
        try:
            with_retry(url, "write", lambda: mark(trial, status, reason))
        finally:  # a Ctrl-C raised before the signals were held still leaves the trial failed, not RUNNING
            with_retry(url, "write", lambda: study.tell(trial, state=TrialState.FAIL))


@dataclass(frozen=True, eq=False)
class Worker:
    """One worker's run: its config, its open study and storage, what its trials share, and its progress."""

    cfg: RunConfig
    storage: optuna.storages.RDBStorage  # the study's, with its heartbeat
    ctx: TrialContext
    progress: Progress
    number: int = 0  # the worker's index, stored on each trial it runs

    @property
    def study(self) -> optuna.Study:
        """The open study its trials belong to."""
        return self.ctx.study


def work(cfg: RunConfig, data: ImageData, settings: StudySettings, worker: int = 0, *,
         callbacks: Sequence[Callback] = (), train_fn: TrainFn | None = None,
         log: Callable[[str], None] | None = None) -> WorkOutcome:
    """Claim and run trials until the study holds cfg.trials trained trials, time runs out, or this run's
    trials keep failing."""
    log = log or (lambda m: None if cfg.quiet else print(m, file=sys.stderr, flush=True))
    study, storage, settings = open_study(cfg, settings, worker)
    url = cfg.storage_url
    progress = Progress(cfg, settings, log, worker)
    ctx = TrialContext(study, data, settings, cfg.space, train_config(settings, cfg), cfg.device, cfg.pruner, log,
                       train_fn, progress.on_step)
    me = Worker(cfg, storage, ctx, progress, worker)
    failures, last_failure, start, said_wait = 0, "", time.time(), False
    try:
        while cfg.timeout is None or time.time() - start <= cfg.timeout:
            trial, trials = with_retry(url, "use", lambda: _claim(cfg, study, storage))
            if trial is None:
                if not any(t.state == TrialState.RUNNING for t in trials):
                    break
                wait = stale_wait(storage, study_id(study))
                if wait is not None and not said_wait:
                    log(f"waiting up to {wait:.0f} s for a running trial that has gone silent (its process may "
                        f"have been killed); it is then marked interrupted and replaced")
                    said_wait = True
                time.sleep(min(2, settings.heartbeat_s))  # a trial in flight elsewhere may fail and be replaced
                continue
            outcome = _run_one(me, trial)
            if outcome is None:
                continue
            status, text, seconds = outcome
            records = [TrialRecord.from_trial(t) for t in study.get_trials(deepcopy=False)]  # once per trial end
            progress.finish(trial.number, status, text, seconds, records)
            text = text.splitlines()[0][:200] if text else ""
            if status.failed:
                failures, last_failure = failures + 1, f"{status.value}: {text}"
            else:
                failures = 0
            if callbacks and call_callbacks(study, trial, callbacks):
                return WorkOutcome(failures, last_failure, stopped=f"study.stop() was called by a callback after "
                                                                   f"trial {trial.number}")
            if failures >= cfg.max_failures:
                break
            if status.trained and (chance := chance_stop(records, cfg.chance_stop)):
                return WorkOutcome(failures, last_failure, chance)
    finally:
        progress.close()
    return WorkOutcome(failures, last_failure)


def _run_one(me: Worker, trial: optuna.Trial) -> tuple[Status, str, float] | None:
    """Run one claimed trial and tell the study how it ended: (status, text, seconds), or None for a straggler."""
    url, study, progress = me.cfg.storage_url, me.study, me.progress
    beat = Heartbeat(me.storage, trial_id(trial), me.ctx.settings.heartbeat_s)  # Optuna's optimize beats by this id
    t0 = time.time()
    try:
        write_record(trial, worker=me.number, status=Status.RUNNING)
        progress.start(trial.number)
        values = run_trial(trial, me.ctx, enqueued_genome(trial))
        with_retry(url, "write", lambda: study.tell(trial, values))
        status, text = Status.OK, f"val_acc {values[0]:.4f}"
    except (Rejected, optuna.TrialPruned) as e:
        status, text = (Status.REJECTED if isinstance(e, Rejected) else Status.PRUNED), str(e)
        if status is Status.REJECTED:
            _write_end(url, study, trial, status, text)
        else:
            with_retry(url, "write", lambda: study.tell(trial, state=TrialState.PRUNED))
    except optuna.exceptions.UpdateFinishedTrialError:
        warn(f"trial {trial.number} was already marked failed by another process (it went silent); "
             "its result is dropped and the search goes on")
        return None
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: fail the trial now, so a rerun need not wait for it
        with contextlib.suppress(Exception):  # a storage that is down too: the heartbeat's silence fails it later
            _write_end(url, study, trial, Status.INTERRUPTED, "stopped by Ctrl-C or SIGTERM")
        raise
    except Exception as e:  # noqa: BLE001 - a failing trial never ends the study; a failing storage does
        if isinstance(e, StorageError) or transient(e):  # retried and lasting, or in one of the trial's own writes
            with contextlib.suppress(Exception):  # if the storage allows it, the trial does not stay RUNNING
                _write_end(url, study, trial, Status.ERROR, "the storage failed")
            raise e if isinstance(e, StorageError) else storage_error(url, e, "write") from None
        status, text = (e.status, e.reason) if isinstance(e, TrialFailed) else (Status.ERROR, f"{type(e).__name__}: {e}")
        try:
            _write_end(url, study, trial, status, text)
        except optuna.exceptions.UpdateFinishedTrialError:
            return None
    finally:
        beat.close()
    return status, text, time.time() - t0


def _worker_entry(cfg: RunConfig, settings: StudySettings, worker: int, threads: int, gpu: str | None,
                  parent: int) -> None:
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    if not become_worker(parent):  # the parent died before the kernel was asked to say so
        sys.exit(130)
    import torch

    from ..data import load_data
    from .storage import quiet_optuna

    torch.set_num_threads(threads)
    quiet_optuna()
    data = load_data(cfg.data, cfg.cache_dir, settings.val_fraction, settings.split_seed)
    try:
        outcome = work(cfg, data, settings, worker)
    except KeyboardInterrupt:
        sys.exit(130)
    except StorageError as e:
        print(f"nas: error: {e}", file=sys.stderr)
        sys.exit(1)
    sys.exit(STOPPED_BY_FAILURES if outcome.failures_in_a_row >= cfg.max_failures else 0)


def run_workers(cfg: RunConfig, data: ImageData, settings: StudySettings, **kw: Any) -> WorkOutcome:
    """cfg.workers workers: in this process for one, else as spawned processes (spread over GPUs)."""
    if cfg.workers == 1:
        return work(cfg, data, settings, 0, **kw)
    import torch

    gpus = torch.cuda.device_count() if (cfg.device or "auto").startswith(("auto", "cuda")) else 0
    threads = max(1, (os.cpu_count() or 1) // cfg.workers)
    ctx = mp.get_context("spawn")
    procs = []
    for w in range(cfg.workers):
        gpu = str(w % gpus) if gpus > 1 and os.environ.get("CUDA_VISIBLE_DEVICES") is None else None
        p = ctx.Process(target=_worker_entry, args=(cfg, settings, w, threads, gpu, os.getpid()), daemon=True)
        p.start()
        procs.append(p)
    try:
        for p in procs:
            p.join()
    except KeyboardInterrupt:  # the children get the same Ctrl-C; SIGTERM reaches only us: pass it on
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(30)
        raise
    codes = [p.exitcode for p in procs]
    if any(c == 1 for c in codes):
        raise StorageError("a worker stopped on a storage error (see above); what is stored is intact")
    stopped = sum(c == STOPPED_BY_FAILURES for c in codes)
    bad = [c for c in codes if c not in (0, STOPPED_BY_FAILURES)]
    if bad:
        warn(f"{len(bad)} worker process(es) exited with code {bad[0]}")
    return WorkOutcome(cfg.max_failures if stopped else 0)
