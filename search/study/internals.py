"""Every use of Optuna's private API, in one place, each with the reason no public call does it.

Pinned behaviour: these are checked by the tests of the worker loop (stale trials, callbacks that stop the
study, the atomic creation of a study), so an Optuna release that changes one fails there, not in a user's run.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import optuna


def study_id(study: optuna.Study) -> int:
    """The storage's id of a live study: the storage's calls that fail stale trials and read heartbeats take it,
    and ``optuna.Study`` has no public accessor."""
    return study._study_id


def trial_id(trial: optuna.Trial) -> int:
    """The storage's id of a live trial: heartbeats are recorded by it, as ``Study.optimize`` does internally."""
    return trial._trial_id


def stale_trial_ids(storage: optuna.storages.RDBStorage, sid: int) -> list[int]:
    """Running trials silent past the grace period. ``optuna.storages.fail_stale_trials`` makes the same test but
    fails them itself, with no way to record why (their status would stay "running")."""
    return storage._get_stale_trial_ids(sid)


def heartbeats(storage: optuna.storages.RDBStorage, sid: int) -> tuple[Any, list[Any]]:
    """The database's clock now and the last heartbeat of every running trial: to tell a user how long a silent
    trial still has, which no public call reports."""
    import sqlalchemy
    from optuna.storages._rdb import models

    with storage.engine.connect() as conn:
        now = conn.execute(sqlalchemy.select(sqlalchemy.func.now())).scalar()
        beats = conn.execute(
            sqlalchemy.select(models.TrialHeartbeatModel.heartbeat)
            .join(models.TrialModel, models.TrialModel.trial_id == models.TrialHeartbeatModel.trial_id)
            .where(models.TrialModel.study_id == sid, models.TrialModel.state == optuna.trial.TrialState.RUNNING)
        ).scalars().all()
    return now, list(beats)


def rename_study(storage: optuna.storages.RDBStorage, sid: int, name: str) -> None:
    """Give a study its name in one statement: a study is created under a temporary name and renamed once its
    settings are written, so a kill never leaves a half-made study under the real name (Optuna has no rename)."""
    import sqlalchemy

    with storage.engine.begin() as conn:
        conn.execute(sqlalchemy.text("UPDATE studies SET study_name = :name WHERE study_id = :id"),
                     {"name": name, "id": sid})


def call_callbacks(study: optuna.Study, trial: optuna.Trial,
                   callbacks: Sequence[Callable[[optuna.Study, Any], None]]) -> bool:
    """Call Optuna's callbacks on a finished trial as ``study.optimize`` does, so that ``study.stop()`` inside one
    is allowed (Optuna refuses it outside its loop) and stops the search; whether one called it. The loop here is
    ours (trials are claimed under a lock), so the flags ``optimize`` sets around its callbacks are set here."""
    frozen = study._storage.get_trial(trial._trial_id)
    study._stop_flag = False
    study._thread_local.in_optimize_loop = True
    try:
        for cb in callbacks:
            cb(study, frozen)
    finally:
        study._thread_local.in_optimize_loop = False
    return bool(study._stop_flag)
