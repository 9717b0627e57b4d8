"""The study: its schema, storage and locks, one trial, and the worker loop.

- ``schema``: StudySettings (what fixes a study's meaning); ``record``: TrialRecord (the one key table of a
  trial, its writer and reader); ``paths``: StudyPaths and the SQLite URL; ``ranking``: best, within budget;
- ``storage``: opening storage, locks, heartbeats, retries, one-line storage errors; ``internals``: the
  private Optuna calls, each with its reason;
- ``settings``: the settings a run implies for given data;
- ``opening``: creating a study atomically, resuming only with the same settings; samplers and pruners;
- ``trial``: one trial; ``workers``: the claim loop and worker processes; ``progress``: what is shown.
"""

from ..paths import StudyPaths, sqlite_file, sqlite_url
from ..status import Status
from .opening import make_pruner, make_sampler, open_study, peek_settings, run_changes
from .record import ENQUEUED_KEY, TrialRecord, baseline_of, enqueued_of, write_record
from .schema import SETTINGS_KEY, SPLIT_SEED, StudySettings, read_settings
from .settings import data_fingerprint, recipe, settings_for, train_config
from .storage import (SearchError, StorageError, open_storage, quiet_optuna, redact_url, storage_lock,
                      with_retry)
from .trial import (Rejected, TrainFn, TrialContext, TrialFailed, enqueue_genome, enqueued_genome, genome_key, record_genome,
                    rung_pruner, run_trial)
from .workers import WorkOutcome, run_workers, work

__all__ = [
    "ENQUEUED_KEY", "SETTINGS_KEY", "SPLIT_SEED", "Rejected", "SearchError", "Status", "StorageError", "StudyPaths",
    "StudySettings", "TrainFn", "TrialContext", "TrialFailed", "TrialRecord", "WorkOutcome", "baseline_of", "data_fingerprint",
    "enqueue_genome", "enqueued_genome", "enqueued_of", "genome_key", "make_pruner", "make_sampler", "open_storage",
    "open_study", "peek_settings", "quiet_optuna", "read_settings", "recipe", "record_genome", "redact_url",
    "run_changes", "rung_pruner", "run_trial", "run_workers", "settings_for", "sqlite_file", "sqlite_url",
    "storage_lock", "train_config", "with_retry", "work", "write_record",
]
