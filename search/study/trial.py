"""One trial: sample a genome of the study's space (solved to the budget), train a proxy, record it all."""

from __future__ import annotations

import inspect
import json
import math
from dataclasses import replace
from typing import Any, Callable

import optuna
from optuna.trial import TrialState

from space import Genome, arch_string, build, complexity

from ..train import EpochStats, Pruned, TrainConfig, at_chance, train_proxy
from ..tuning import suggest_training
from .schema import Status, StudySettings, write_attrs

TrainFn = Callable[..., Any]  # (model, data, cfg, device, on_epoch=..., [trial=...]) -> TrainResult-like
ENQUEUED_KEY = "enqueued_genome"  # the trial user attribute holding the genome an enqueued trial trains
ENQUEUED_PARAMS_KEY = "enqueued_params"  # and, when the genome is a point of the study's space, the params drawing it


class Rejected(Exception):
    """The sampled genome cannot be fitted to the budget; recorded, never trained."""


class TrialFailed(Exception):
    """Training ended with nan, oom, error or timeout: recorded, and the study goes on."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(f"{status.value}: {reason}")
        self.status, self.reason = status, reason


def record_genome(trial: Any, g: Genome, **extra: Any) -> Any:
    """Store the genome and its analytic cost on the trial; returns the cost."""
    c = complexity(g)
    write_attrs(trial, genome=g.to_dict(), arch=arch_string(g), params=c.params, macs=c.macs, acts=c.acts,
                receptive_field=c.receptive_field, **extra)
    return c


def genome_key(g: Genome | dict) -> str:
    """The identity of an architecture across trials and studies: its genome's JSON text, keys sorted."""
    return json.dumps(g.to_dict() if isinstance(g, Genome) else g, sort_keys=True)


def enqueue_genome(study: optuna.Study, g: Genome, params: dict | None = None, **attrs: Any) -> None:
    """Add a waiting trial that trains ``g`` as it is when a worker claims it; with ``params`` (the space's params
    of ``g``) the trial also stores those, so the sampler learns from it as from any trial."""
    extra = {ENQUEUED_PARAMS_KEY: params} if params else {}
    study.enqueue_trial(params or {}, user_attrs={ENQUEUED_KEY: g.to_dict(), **extra, **attrs})


def enqueued_genome(trial: Any) -> Genome | None:
    """The genome an enqueued trial was given, or None for a sampled one."""
    g = trial.user_attrs.get(ENQUEUED_KEY)
    return Genome.from_dict(g) if isinstance(g, dict) else None


def rung_pruner(study: optuna.Study, epochs: int) -> Callable[[int, float], bool]:
    """Multi-objective studies cannot use Optuna's pruners: prune on accuracy alone at the middle epoch
    when it is below the median of finished trials at that epoch (a successive-halving rung)."""
    rung = max(1, epochs // 2)

    def should_prune(epoch: int, acc: float) -> bool:
        if epoch != rung or epoch >= epochs:
            return False
        peers = sorted(t.user_attrs["val_acc_history"][rung - 1] for t in study.get_trials(deepcopy=False)
                       if t.state == TrialState.COMPLETE and len(t.user_attrs.get("val_acc_history", ())) >= rung)
        return len(peers) >= 3 and acc < peers[len(peers) // 2]

    return should_prune


def sample(trial: Any, settings: StudySettings, space: Any) -> Any:
    """The trial's genome, drawn from the space and solved to the budget; Rejected when it cannot fit."""
    from ..sampling import DataShape, Infeasible

    shape = DataShape(settings.resolution, settings.channels, settings.num_classes)
    try:
        return space.sample(trial, shape, settings.budget, len(settings.objectives))
    except Infeasible as e:
        raise Rejected(str(e)) from None


def replay(trial: Any, settings: StudySettings, space: Any) -> None:
    """Have an enqueued genome's trial suggest the params it was enqueued with, so the study stores them (its
    genome is trained as given: at another budget the params may draw other widths, or fall outside a range
    the budget narrows, which Optuna allows for enqueued values)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "fixed parameter ... out of the range": expected, see above
        try:
            sample(trial, settings, space)
        except Rejected:
            pass


def run_trial(trial: optuna.Trial, study: optuna.Study, data: Any, settings: StudySettings, space: Any,
              train: TrainConfig, device: str | None, pruner_name: str, log: Callable[[str], None] = print,
              train_fn: TrainFn | None = None, on_step: Callable[[int, int], None] | None = None,
              genome: Genome | None = None) -> tuple[float, ...]:
    """Sample (or take ``genome``), train, record; returns the objective values or raises Rejected,
    optuna.TrialPruned or TrialFailed."""
    if genome is None:
        sampled = sample(trial, settings, space)
        genome, solved = sampled.genome, sampled.attrs()
    else:
        solved = None
        if trial.user_attrs.get(ENQUEUED_PARAMS_KEY):
            replay(trial, settings, space)
    cost = record_genome(trial, genome, **({"solved": solved} if solved else {}))
    if not settings.budget.fits(cost.macs, cost.params):
        raise Rejected(f"{cost.macs:,} MACs and {cost.params:,} params are outside the budget")
    tuned = suggest_training(trial, settings.tune)  # Optuna params beside the genome's; the proxy trains with them
    train = replace(train, **tuned)
    mult = (solved or {}).get("width_mult", 1.0)
    log(f"  trial {trial.number}: training {arch_string(genome)} ({cost.macs / 1e6:.2f}M MACs, "
        f"{cost.params / 1e6:.2f}M params{f', widths x{mult:.2f}' if mult != 1 else ''}"
        f"{''.join(f', {k} {v:.3g}' for k, v in tuned.items())})")
    multi = len(settings.objectives) > 1
    rung = rung_pruner(study, train.epochs) if multi else None
    history: list[float] = []

    def on_epoch(stats: EpochStats) -> None:
        history.append(stats.val_acc)
        write_attrs(trial, val_acc_history=history)
        if stats.epoch >= train.epochs:
            return  # pruning at the last epoch saves nothing
        if multi:
            if rung(stats.epoch, stats.val_acc):
                raise Pruned(f"below the median accuracy at epoch {stats.epoch}")
        else:
            trial.report(stats.val_acc, stats.epoch)
            if trial.should_prune():
                raise Pruned(f"pruned by the {pruner_name} pruner after epoch {stats.epoch}")

    fn = train_fn or train_proxy
    kwargs = {"on_epoch": on_epoch} | ({"on_step": on_step} if on_step is not None and train_fn is None else {})
    if train_fn is not None and "trial" in inspect.signature(train_fn).parameters:
        kwargs["trial"] = trial  # a train_fn that suggests its own hyper-parameters
    result = fn(build(genome), data, replace(train, seed=train.seed + trial.number), device, **kwargs)
    chance = (at_chance(result.val_acc, settings.num_classes, len(data.val_y))
              if result.val_acc is not None and len(data.val_y) else None)
    write_attrs(trial, train_seconds=getattr(result, "train_seconds", None),
                images_per_second=getattr(result, "images_per_second", None),
                latency_ms=getattr(result, "latency_ms", None), device=getattr(result, "device", ""),
                peak_memory_bytes=getattr(result, "peak_memory_bytes", None), epochs=result.epochs,
                val_acc=result.val_acc, val_acc_history=[h["val_acc"] for h in result.history] or history,
                at_chance=chance)
    status = Status(result.status)
    write_attrs(trial, status=status, reason=result.reason)
    if status is Status.PRUNED:
        raise optuna.TrialPruned(result.reason)
    if status is not Status.OK:
        raise TrialFailed(status, result.reason)
    values = [result.val_acc]
    if settings.objectives[1:] == ("macs",):
        values.append(cost.macs)
    elif settings.objectives[1:] == ("latency",):
        values.append((result.latency_ms or {}).get("b1") or math.inf)
    return tuple(values)
