"""Creating a study with its settings in one step, and resuming one only with the same settings."""

from __future__ import annotations

import uuid
import zlib

import optuna

from ..config import DEFAULT_TRIALS, RunConfig
from ..paths import sqlite_file
from .internals import rename_study
from .schema import RUN_KEY, SETTINGS_KEY, StudySettings, read_settings
from .storage import SearchError, open_storage, redact_url, storage_error, storage_lock, with_retry


def make_sampler(cfg: RunConfig, stream: int) -> optuna.samplers.BaseSampler:
    """The sampler, seeded from --seed and ``stream`` (the number of the trial it will sample)."""
    seed = zlib.crc32(f"{cfg.seed}:{stream}".encode())
    name = cfg.sampler if cfg.sampler != "auto" else ("tpe" if len(cfg.directions) == 1 else "nsga2")
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True,
                                          n_startup_trials=max(4, min(10, (cfg.trials or DEFAULT_TRIALS) // 3)))
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=max(4, min(50, (cfg.trials or 50) // 4)))
    return optuna.samplers.RandomSampler(seed=seed)


def make_pruner(cfg: RunConfig, epochs: int) -> optuna.pruners.BasePruner:
    """Median or Hyperband over epochs (single objective only: Optuna cannot prune multi-objective studies)."""
    if cfg.pruner == "none" or len(cfg.directions) > 1:
        return optuna.pruners.NopPruner()
    if cfg.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, epochs))
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)


def peek_settings(cfg: RunConfig) -> StudySettings | None:
    """The stored settings of cfg's study, or None when it does not exist yet (nothing is created)."""
    db = sqlite_file(cfg.storage_url)
    if db is not None and not db.is_file():  # opening it would create it
        return None
    storage = open_storage(cfg.storage_url)
    try:
        study_id = storage.get_study_id_from_name(cfg.study)
    except KeyError:
        return None
    except Exception as e:  # the storage is unreachable or damaged
        raise storage_error(cfg.storage_url, e, "read") from None
    return read_settings(storage.get_study_user_attrs(study_id))


def open_study(cfg: RunConfig, settings: StudySettings, worker: int = 0,
               create: bool = True) -> tuple[optuna.Study, optuna.storages.RDBStorage, StudySettings]:
    """Create the study or load it to resume; refuse one made with other settings, naming each difference.

    Returns the study, its storage (with the study's own heartbeat) and the settings in force."""
    url = cfg.storage_url
    with storage_lock(url, "nas:open", cfg.paths.lock if cfg.storage is None else None):
        storage = open_storage(url, settings.heartbeat_s)
        stored = with_retry(url, "read", lambda: _existing(storage, cfg.study))
        if stored is _ABSENT:
            if not create:
                raise SearchError(f"no study {cfg.study!r} in {redact_url(url)}")
            with_retry(url, "write", lambda: _create(storage, cfg, settings))
            stored = settings
        elif stored is None:  # a study without our record: made elsewhere, or killed by an older version
            stored = _repair(storage, cfg, settings, url)
        else:
            diffs = stored.differences(settings)
            if diffs:
                raise SearchError(f"study {cfg.study!r} was started with other settings ({'; '.join(diffs)}); "
                                  "rerun with the same settings to resume, or pick a new --study name")
    if stored.heartbeat_s != settings.heartbeat_s:  # every process uses the study's own grace period
        storage = open_storage(url, stored.heartbeat_s)
    study = optuna.load_study(study_name=cfg.study, storage=storage, sampler=make_sampler(cfg, worker),
                              pruner=make_pruner(cfg, stored.epochs))
    return study, storage, stored


def run_changes(study: optuna.Study, cfg: RunConfig, stored: StudySettings) -> list[str]:
    """One line per per-run choice that differs from the study's last run (--sampler, --pruner) or from the study
    (--heartbeat, which the study keeps); allowed, but said. Records this run's choices for the next one."""
    now = {"sampler": cfg.sampler, "pruner": cfg.pruner}
    last = study.user_attrs.get(RUN_KEY) or {}
    lines = [f"--{k} {v}: the study's last run used {last[k]}; this run uses {v} (it steers only this run)"
             for k, v in now.items() if last.get(k) not in (None, v)]
    if cfg.heartbeat != stored.heartbeat_s:
        lines.append(f"--heartbeat {cfg.heartbeat} is not used: the study keeps the {stored.heartbeat_s} s its first "
                     "run set, so every process agrees when a silent trial is dead")
    if last != now:
        study.set_user_attr(RUN_KEY, now)
    return lines


_ABSENT = object()


def _existing(storage: optuna.storages.RDBStorage, name: str):
    try:
        study_id = storage.get_study_id_from_name(name)
    except KeyError:
        return _ABSENT
    return read_settings(storage.get_study_user_attrs(study_id)) if SETTINGS_KEY in \
        storage.get_study_user_attrs(study_id) else None


def _create(storage: optuna.storages.RDBStorage, cfg: RunConfig, settings: StudySettings) -> None:
    """The study appears under its name only with its settings and metric names: created under a temporary
    name, completed, then renamed in one statement, so a kill at any point leaves no half-made study."""
    from optuna.study import StudyDirection

    temp = f"{cfg.study}.creating-{uuid.uuid4().hex[:8]}"
    directions = [StudyDirection.MAXIMIZE if d == "maximize" else StudyDirection.MINIMIZE for d in cfg.directions]
    study_id = storage.create_new_study(directions, temp)
    storage.set_study_user_attr(study_id, SETTINGS_KEY, settings.to_json())
    # optuna-dashboard shows these instead of "Objective 0"
    storage.set_study_system_attr(study_id, "study:metric_names", list(settings.objectives))
    try:
        rename_study(storage, study_id, cfg.study)
    except Exception:
        storage.delete_study(study_id)
        raise


def _repair(storage: optuna.storages.RDBStorage, cfg: RunConfig, settings: StudySettings,
            url: str) -> StudySettings:
    study_id = storage.get_study_id_from_name(cfg.study)
    if storage.get_all_trials(study_id, deepcopy=False):
        raise SearchError(f"study {cfg.study!r} in {redact_url(url)} holds trials but no nas settings record "
                          "(made by another tool or an older nas), so a resume cannot be checked; "
                          "pick a new --study name")
    with_retry(url, "write", lambda: storage.set_study_user_attr(study_id, SETTINGS_KEY, settings.to_json()))
    return settings
