"""One trial: sample a genome of the study's space (solved to the budget), train a proxy, record it all."""

from __future__ import annotations

import inspect
import json
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Protocol

import optuna
from optuna.trial import TrialState

from space import Genome, arch_string, build, complexity

from ..sampling.base import Space
from ..sampling.tuning import suggest_training
from ..status import Status
from ..train import EpochStats, Pruned, TrainConfig, at_chance, train_proxy
from .record import ENQUEUED_KEY, ENQUEUED_PARAMS_KEY, TrialRecord, enqueued_of, record_attrs, write_record
from .schema import StudySettings

if TYPE_CHECKING:
    from space.walk import Cost

    from ..data import ImageData
    from ..sampling.base import Sampled


class TrainFn(Protocol):
    """What trains a trial's network: ``search.train.train_proxy``, or a user's function of the same shape (with a
    ``trial`` keyword, it is also given the Optuna trial); it returns a TrainResult-like object."""

    def __call__(self, model: Any, data: ImageData, cfg: TrainConfig, device: str | None, *,
                 on_epoch: Callable[[EpochStats], None]) -> Any: ...


@dataclass(frozen=True, eq=False)
class TrialContext:
    """What every trial of one worker's run shares: the study, its data and settings, the space and the recipe."""

    study: optuna.Study
    data: ImageData
    settings: StudySettings
    space: Space
    train: TrainConfig
    device: str | None = None
    pruner: str = "median"  # its name, for the reason a pruned trial gives
    log: Callable[[str], None] = print
    train_fn: TrainFn | None = None  # None: the proxy engine
    on_step: Callable[[int, int], None] | None = None  # the progress bar's per-step callback (proxy engine only)


class Rejected(Exception):
    """The sampled genome cannot be fitted to the budget; recorded, never trained."""


class TrialFailed(Exception):
    """Training ended with nan, oom, error or timeout: recorded, and the study goes on."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(f"{status.value}: {reason}")
        self.status, self.reason = status, reason


def record_genome(trial: optuna.trial.BaseTrial, g: Genome, **extra: Any) -> Cost:
    """Store the genome and its analytic cost on the trial; returns the cost."""
    c = complexity(g)
    write_record(trial, genome=g.to_dict(), arch=arch_string(g), params=c.params, macs=c.macs, acts=c.acts,
                receptive_field=c.receptive_field, **extra)
    return c


def genome_key(g: Genome | dict) -> str:
    """The identity of an architecture across trials and studies: its genome's JSON text, keys sorted."""
    return json.dumps(g.to_dict() if isinstance(g, Genome) else g, sort_keys=True)


def enqueue_genome(study: optuna.Study, g: Genome, params: dict | None = None, **attrs: Any) -> None:
    """Add a waiting trial that trains ``g`` as it is when a worker claims it; with ``params`` (the space's params
    of ``g``) the trial also stores those, so the sampler learns from it as from any trial."""
    extra = {ENQUEUED_PARAMS_KEY: params} if params else {}
    study.enqueue_trial(params or {}, user_attrs={ENQUEUED_KEY: g.to_dict(), **extra, **record_attrs(**attrs)})


def enqueued_genome(trial: optuna.trial.BaseTrial) -> Genome | None:
    """The genome an enqueued trial was given, or None for a sampled one."""
    g = enqueued_of(trial)
    return Genome.from_dict(g) if g is not None else None


def rung_pruner(study: optuna.Study, epochs: int) -> Callable[[int, float], bool]:
    """Multi-objective studies cannot use Optuna's pruners: prune on accuracy alone at the middle epoch
    when it is below the median of finished trials at that epoch (a successive-halving rung)."""
    rung = max(1, epochs // 2)

    def should_prune(epoch: int, acc: float) -> bool:
        if epoch != rung or epoch >= epochs:
            return False
        histories = (TrialRecord.from_trial(t).history for t in study.get_trials(deepcopy=False,
                                                                                  states=(TrialState.COMPLETE,)))
        peers = sorted(h[rung - 1] for h in histories if len(h) >= rung)
        return len(peers) >= 3 and acc < peers[len(peers) // 2]

    return should_prune


def sample(trial: optuna.trial.BaseTrial, settings: StudySettings, space: Space) -> Sampled:
    """The trial's genome, drawn from the space and solved to the budget; Rejected when it cannot fit."""
    from ..sampling import DataShape, Infeasible

    shape = DataShape(settings.resolution, settings.channels, settings.num_classes)
    try:
        return space.sample(trial, shape, settings.budget, len(settings.objectives))
    except Infeasible as e:
        raise Rejected(str(e)) from None


def replay(trial: optuna.trial.BaseTrial, settings: StudySettings, space: Space) -> None:
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


def run_trial(trial: optuna.Trial, ctx: TrialContext, genome: Genome | None = None) -> tuple[float, ...]:
    """Sample (or take ``genome``), train, record; returns the objective values or raises Rejected,
    optuna.TrialPruned or TrialFailed."""
    settings = ctx.settings
    if genome is None:
        sampled = sample(trial, settings, ctx.space)
        genome, solved = sampled.genome, sampled.attrs()
    else:
        solved = None
        if trial.user_attrs.get(ENQUEUED_PARAMS_KEY):
            replay(trial, settings, ctx.space)
    cost = record_genome(trial, genome, **({"solved": solved} if solved else {}))
    if not settings.budget.fits(cost.macs, cost.params):
        raise Rejected(f"{cost.macs:,} MACs and {cost.params:,} params are outside the budget")
    tuned = suggest_training(trial, settings.tune)  # Optuna params beside the genome's; the proxy trains with them
    train = replace(ctx.train, **tuned)
    mult = (solved or {}).get("width_mult", 1.0)
    ctx.log(f"  trial {trial.number}: training {arch_string(genome)} ({cost.macs / 1e6:.2f}M MACs, "
            f"{cost.params / 1e6:.2f}M params{f', widths x{mult:.2f}' if mult != 1 else ''}"
            f"{''.join(f', {k} {v:.3g}' for k, v in tuned.items())})")
    multi = len(settings.objectives) > 1
    rung = rung_pruner(ctx.study, train.epochs) if multi else None
    history: list[float] = []

    def on_epoch(stats: EpochStats) -> None:
        history.append(stats.val_acc)
        write_record(trial, history=history)
        if stats.epoch >= train.epochs:
            return  # pruning at the last epoch saves nothing
        if multi:
            if rung(stats.epoch, stats.val_acc):
                raise Pruned(f"below the median accuracy at epoch {stats.epoch}")
        else:
            trial.report(stats.val_acc, stats.epoch)
            if trial.should_prune():
                raise Pruned(f"pruned by the {ctx.pruner} pruner after epoch {stats.epoch}")

    fn = ctx.train_fn or train_proxy
    kwargs = {"on_epoch": on_epoch} | ({"on_step": ctx.on_step} if ctx.on_step and ctx.train_fn is None else {})
    if ctx.train_fn is not None and "trial" in inspect.signature(ctx.train_fn).parameters:
        kwargs["trial"] = trial  # a train_fn that suggests its own hyper-parameters
    result = fn(build(genome), ctx.data, replace(train, seed=train.seed + trial.number), ctx.device, **kwargs)
    chance = (at_chance(result.val_acc, settings.num_classes, len(ctx.data.val_y))
              if result.val_acc is not None and len(ctx.data.val_y) else None)
    write_record(trial, train_seconds=getattr(result, "train_seconds", None),
                 images_per_second=getattr(result, "images_per_second", None),
                 latency_ms=getattr(result, "latency_ms", None), device=getattr(result, "device", ""),
                 peak_memory_bytes=getattr(result, "run_peak_bytes", None), epochs=result.epochs,
                 accuracy=result.val_acc, history=[h["val_acc"] for h in result.history] or history,
                 at_chance=chance)
    status = Status(result.status)
    write_record(trial, status=status, reason=result.reason)
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
