"""The study: its schema, storage and locks, one trial, and the worker loop.

- ``schema``: StudySettings, TrialRecord, Status, StudyPaths (what a study holds, named once);
- ``storage``: opening storage, locks, heartbeats, retries, one-line storage errors;
- ``config``: SearchConfig (what a run asks for) and the settings it implies;
- ``opening``: creating a study atomically, resuming only with the same settings; samplers and pruners;
- ``trial``: one trial; ``workers``: the claim loop and worker processes; ``progress``: what is shown.
"""

from .config import OBJECTIVES, PRUNERS, SAMPLERS, SearchConfig, data_fingerprint, recipe, settings_for, train_config
from .opening import make_pruner, make_sampler, open_study, peek_settings, run_changes
from .schema import SETTINGS_KEY, SPLIT_SEED, Status, StudyPaths, StudySettings, TrialRecord, read_settings, write_attrs
from .storage import (SearchError, StorageError, open_storage, quiet_optuna, redact_url, storage_lock,
                      with_retry)
from .trial import (ENQUEUED_KEY, Rejected, TrialFailed, enqueue_genome, enqueued_genome, genome_key, record_genome,
                    rung_pruner, run_trial)
from .workers import WorkOutcome, run_workers, work

__all__ = [
    "ENQUEUED_KEY", "OBJECTIVES", "PRUNERS", "SAMPLERS", "SETTINGS_KEY", "SPLIT_SEED", "Rejected", "SearchConfig", "SearchError",
    "Status", "StorageError", "StudyPaths", "StudySettings", "TrialFailed", "TrialRecord", "WorkOutcome",
    "data_fingerprint", "enqueue_genome", "enqueued_genome", "genome_key", "make_pruner", "make_sampler", "open_storage",
    "open_study", "peek_settings", "quiet_optuna", "read_settings", "recipe", "record_genome", "redact_url", "run_changes",
    "rung_pruner", "run_trial", "run_workers", "settings_for", "storage_lock", "train_config", "with_retry", "work",
    "write_attrs",
]
