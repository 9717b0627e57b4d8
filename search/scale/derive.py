"""The derive grid as an Optuna study: one trial per distinct candidate network, resumable.

``scaling.derive`` owns the grid and the choice; this module only supplies its ``evaluate``: look
the candidate up among the study's finished trials, else enqueue it, train it with the proxy
engine and tell the study. Re-running with the same storage and study name therefore trains only
the candidates still missing (a trial that crashed or was interrupted counts as missing), and the
trials show in the dashboard with alpha, beta, gamma as parameters.

The study is made, stored and resumed as a search's is: one StudySettings record (its space is the
base genome), opened by ``search.study.open_study`` (a rerun with other settings is refused, naming
each difference), and one TrialRecord per trial, whose ``solved`` field says how the candidate was scaled.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Callable, Sequence

import optuna
import torch

from scaling import GRID_STEP, TARGET, TOLERANCE, Candidate, Coefficients, DeriveResult, candidate_grid, derive
from space import Genome, build

from ..budget import Budget
from ..config import RunConfig
from ..data import ImageData
from ..paths import StudyPaths
from ..status import Status
from ..study import (StudySettings, TrialRecord, data_fingerprint, genome_key, open_study,
                    quiet_optuna, record_genome, write_record)
from ..train import TrainConfig, train_proxy

STUDY_KIND = "scale-derive"
CHOSEN_KEY = "chosen"  # the study attribute holding the chosen alpha, beta, gamma
# the recipe fields a candidate's score does not depend on (its resolution is the candidate's own)
_NOT_SETTINGS = ("resolution", "latency_batch_sizes", "time_limit_s", "eval_batch_size")


def study_storage(studies_dir: str | Path, name: str) -> str:
    """The SQLite URL of study ``name`` under ``studies_dir`` (its folder is created)."""
    paths = StudyPaths.of(studies_dir, name)
    paths.folder.mkdir(parents=True, exist_ok=True)
    return paths.sqlite_url()


def _key(alpha: float, beta: float, gamma: float) -> tuple[float, float, float]:
    return round(alpha, 6), round(beta, 6), round(gamma, 6)


def _settings(base: Genome, data: ImageData, cfg: TrainConfig) -> StudySettings:
    """What a finished trial's score depends on: a rerun with any of it changed would mix the scores of different
    experiments, so it is refused (the grid itself may change: new points train). ``nas scale`` splits its data
    with the recipe's seed, which is therefore the split seed; the data's fingerprint holds the split itself."""
    train = {k: v for k, v in asdict(cfg).items() if k not in _NOT_SETTINGS}
    return StudySettings(Budget(), ("accuracy",), data.name, data_fingerprint(data), data.resolution, data.channels,
                         data.num_classes, cfg.seed, train=train, space={"kind": STUDY_KIND, "base": base.to_dict()})


def derive_study(base: Genome, data: ImageData, cfg: TrainConfig, study_name: str, storage: str,
                 target: float = TARGET, tolerance: float = TOLERANCE, step: float = GRID_STEP,
                 device: str | None = None, log: Callable[[str], None] = print,
                 grid: Sequence[Coefficients] | None = None) -> DeriveResult:
    """Derive alpha, beta, gamma on ``data``: each candidate at phi = 1 trained by the proxy engine in a study.

    ``grid`` replaces the grid that ``target``, ``tolerance`` and ``step`` define (the choice still uses ``target``).
    """
    # bad target/tolerance/step fail before any storage is made
    grid = candidate_grid(target, tolerance, step) if grid is None else list(grid)
    quiet_optuna()
    run = RunConfig(data=data.name, study=study_name, storage=storage, sampler="random", pruner="none")
    study, _, _ = open_study(run, _settings(base, data, cfg))  # made, or resumed with the same settings only
    stale = _fail_leftovers(study)
    if stale:
        log(f"derive: {stale} trials of an interrupted run marked failed; their candidates train again")
    # a finished trial scores its network: keyed by the genome, any grid point that rounds to it reuses it
    done: dict[str, float | None] = {}
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,
                                                      optuna.trial.TrialState.PRUNED)):
        r = TrialRecord.from_trial(t)
        if r.genome is not None:
            done[genome_key(r.genome)] = r.accuracy if r.status is Status.OK else None
    # fixed, generous ranges, so that trials of differently gridded runs of one study share one search space
    distributions = {k: optuna.distributions.FloatDistribution(1.0, max(top, *(getattr(c, k) for c in grid)))
                     for k, top in (("alpha", 4.0), ("beta", 2.0), ("gamma", 2.0))}
    counter = {"trained": 0, "reused": 0}
    log(f"derive: {len(grid)} candidates (alpha*beta^2*gamma^2 in {target:g} +- {tolerance:.0%}, grid step "
        f"{step:g}), study {study_name!r} at {storage}")

    def evaluate(c: Candidate) -> float | None:
        key = genome_key(c.genome)
        if key in done:
            counter["reused"] += 1
            return done[key]
        counter["trained"] += 1
        return _train_trial(study, distributions, c, data, cfg, device, log)

    result = derive(base, evaluate, target, tolerance, step, grid=grid)
    log(f"derive: trained {counter['trained']}, reused {counter['reused']} finished trials; "
        f"{len(grid) - counter['trained'] - counter['reused']} candidates round to a network already scored")
    c = result.chosen
    study.set_user_attr(CHOSEN_KEY, {"alpha": c.alpha, "beta": c.beta, "gamma": c.gamma, "val_acc": c.val_acc,
                                   "macs_ratio": c.macs_ratio})
    return result


def _fail_leftovers(study) -> int:
    """Mark trials a killed run left running or enqueued as failed, so that they count as missing."""
    states = optuna.trial.TrialState
    trials = study.get_trials(deepcopy=False, states=(states.RUNNING, states.WAITING))
    for t in trials:
        if t.state == states.RUNNING:
            study.tell(t.number, state=states.FAIL)
    for _ in range(sum(t.state == states.WAITING for t in trials)):
        study.tell(study.ask(), state=states.FAIL)  # ask pops the oldest enqueued trial
    return len(trials)


def _train_trial(study, distributions: dict, c: Candidate, data: ImageData, cfg: TrainConfig,
                 device: str | None, log: Callable[[str], None]) -> float | None:
    study.enqueue_trial({"alpha": c.alpha, "beta": c.beta, "gamma": c.gamma})
    trial = study.ask(distributions)
    assert _key(*(trial.params[k] for k in ("alpha", "beta", "gamma"))) == _key(c.alpha, c.beta, c.gamma)
    upsampled = c.resolution > data.resolution
    record_genome(trial, c.genome, solved={"alpha": c.alpha, "beta": c.beta, "gamma": c.gamma, "product": c.product,
                                           "macs_ratio": c.macs_ratio, "resolution": c.resolution,
                                           "upsampled": upsampled})
    t0 = time.perf_counter()
    try:
        torch.manual_seed(cfg.seed)  # the same initial weights for a candidate on every run
        model = build(c.genome)
        res = train_proxy(model, data, replace(cfg, resolution=c.resolution, latency_batch_sizes=()), device)
    except BaseException:
        study.tell(trial, state=optuna.trial.TrialState.FAIL)  # counts as missing: a re-run trains it again
        raise
    write_record(trial, status=res.status, reason=res.reason, accuracy=res.val_acc, train_seconds=res.train_seconds,
                 epochs=res.epochs, history=[h["val_acc"] for h in res.history], device=res.device)
    where = f"res {c.resolution}" + (f" (upsampled from {data.resolution})" if upsampled else "")
    head = (f"trial {trial.number}: alpha={c.alpha:g} beta={c.beta:g} gamma={c.gamma:g} {where}, "
            f"MACs x{c.macs_ratio:.2f}")
    if res.status is not Status.OK or res.val_acc is None:
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)  # a deterministic failure: not retried
        log(f"{head}: {res.status} ({res.reason})")
        return None
    study.tell(trial, res.val_acc)
    log(f"{head}: val acc {res.val_acc:.4f} ({time.perf_counter() - t0:.1f} s)")
    return res.val_acc
