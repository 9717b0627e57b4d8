"""The studies behind ``nas calibrate``: one ordinary study per training length, the same architectures in each.

Study ``NAME.calibrate-e5`` holds the architectures trained for 5 epochs: its settings are those ``nas run
--epochs 5 --study NAME`` would give, so a trial means what it means in a search and a rerun resumes (or is
refused) by the same rules. The architectures are drawn once, deterministically from ``--seed``, and enqueued
as trials; a rerun enqueues only those a study does not hold yet (or whose trial was interrupted), so it
trains nothing twice. The main study NAME is never created here: the result is written to its folder
(``calibration.json``) and onto it only when it exists; ``nas run`` picks the file up (:func:`sync`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

import optuna
from optuna.trial import TrialState

from space import Genome

from ..config import RunConfig
from ..paths import StudyPaths
from ..report.calibration import read_calibration
from ..report.results import CALIBRATION_KEY, StudyView
from ..status import Status
from ..study import StudySettings, enqueue_genome, enqueued_of, genome_key, open_storage, peek_settings
from ..study.record import status_of

SUFFIX = ".calibrate-e"  # NAME.calibrate-e5: the calibration study of 5-epoch training


def study_name(name: str, epochs: int) -> str:
    """The calibration study of study ``name`` for ``epochs``-epoch training."""
    return f"{name}{SUFFIX}{epochs}"


def length_config(cfg: RunConfig, epochs: int) -> RunConfig:
    """cfg for one training length: it runs only the enqueued architectures, each to its last epoch (latency,
    which says nothing of rank, is not timed)."""
    return replace(cfg, study=study_name(cfg.study, epochs), epochs=epochs, latency_batch_sizes=(), trials=0,
                   timeout=None, pruner="none", chance_stop=0)


def sample_archs(space: Any, settings: StudySettings, k: int, seed: int) -> list[Genome]:
    """``k`` distinct architectures within the budget, drawn as the search draws them (a random sampler seeded
    by ``seed``); the first k of a larger k are the same, so a rerun with more --archs only adds."""
    from ..sampling import DataShape, dry_run

    shape = DataShape(settings.resolution, settings.channels, settings.num_classes)
    out: dict[str, Genome] = {}
    for draws in (4 * k, 64 * k):  # a space that rejects many draws gets a second, longer look
        report = dry_run(space, shape, settings.budget, 1, draws, optuna.samplers.RandomSampler(seed=seed))
        out = {}
        for g in report.genomes:
            out.setdefault(genome_key(g), g)
            if len(out) == k:
                return list(out.values())
    raise ValueError(f"only {len(out)} distinct architectures of the space fit the budget; ask for fewer --archs "
                     "or give a larger --budget")


def _held(t: optuna.trial.FrozenTrial) -> bool:
    """Whether a trial settles its architecture: waiting, running, trained, or failed on its own account
    (an interrupted one is trained again)."""
    return status_of(t) is not Status.INTERRUPTED


def enqueue_missing(study: optuna.Study, genomes: Sequence[Genome]) -> int:
    """Enqueue each architecture the study does not hold yet; how many were enqueued."""
    held = {genome_key(enqueued_of(t)) for t in study.get_trials(deepcopy=False)
            if enqueued_of(t) is not None and _held(t)}
    missing = [g for g in genomes if genome_key(g) not in held]
    for g in missing:
        enqueue_genome(study, g)
    return len(missing)


def pending(study: optuna.Study) -> int:
    """Trials waiting to be trained or training now."""
    return sum(t.state in (TrialState.WAITING, TrialState.RUNNING) for t in study.get_trials(deepcopy=False))


def accuracies(view: StudyView, genomes: Sequence[Genome]) -> list[float | None]:
    """Each architecture's validation accuracy in the study (its first trial trained to the end; None if none)."""
    acc: dict[str, float] = {}
    for r in view.trials:  # in trial-number order
        if r.status is Status.OK and r.accuracy is not None and r.genome is not None:
            acc.setdefault(genome_key(r.genome), r.accuracy)
    return [acc.get(genome_key(g)) for g in genomes]


def attach(cfg: RunConfig, calibration: dict) -> bool:
    """Store the calibration on cfg's study when it exists (nothing is created, not even a database file);
    whether it did."""
    if peek_settings(cfg) is None:
        return False
    storage = open_storage(cfg.storage_url)
    storage.set_study_user_attr(storage.get_study_id_from_name(cfg.study), CALIBRATION_KEY, calibration)
    return True


def sync(study: optuna.Study, paths: StudyPaths) -> None:
    """Give the study the calibration in its folder when it does not hold that one yet (``nas run`` after
    ``nas calibrate``, which may have run before the study existed)."""
    calibration = read_calibration(paths.calibration)
    if calibration is not None and study.user_attrs.get(CALIBRATION_KEY) != calibration:
        study.set_user_attr(CALIBRATION_KEY, calibration)
