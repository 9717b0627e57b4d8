"""The Python API: what the ``nas`` command line does, as calls that return records instead of printing.

>>> from search import api
>>> api.cost("resnet20").params
269722
>>> result = api.run(api.RunConfig(data="synthetic:400:16:4", budget="3M", trials=3, epochs=1))  # doctest: +SKIP
>>> result.trials[["number", "accuracy", "macs"]]  # doctest: +SKIP

A model is a :class:`space.Genome`, a preset name (``resnet20``) or a genome JSON file. Bad arguments raise
``ValueError`` subclasses (``ConfigError``, ``BudgetError``, ``GenomeError``, ``DataError``, ``SearchError``)
with one line that names the field or flag, before any training starts.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Callable, Sequence

from space import Genome

from .config import ConfigError, RunConfig, make_budget, space_of

Model = Genome | str  # a genome, a preset name, or a genome JSON file
Callback = Callable[[Any, Any], None]  # Optuna's (study, frozen_trial): optuna-integration callbacks fit as is


def genome(model: Model, **changes: Any) -> Genome:
    """The genome of ``model``, with fields replaced (``in_channels=1``, ``num_classes=100``, ``resolution=64``)."""
    from space import resolve_model

    if isinstance(model, str):
        g = resolve_model(model)
    elif isinstance(model, Genome):
        g = model
    else:
        raise ConfigError(f"model: expected a Genome, a preset name or a genome JSON file, got {type(model).__name__}")
    unknown = sorted(set(changes) - {f.name for f in fields(Genome)})
    if unknown:
        raise ConfigError(f"{unknown[0]}: not a genome field; give {', '.join(f.name for f in fields(Genome))}")
    return g.replace(**changes) if changes else g


def cost(model: Model, resolution: int | None = None, **changes: Any) -> Any:
    """The exact analytic cost (params, macs, acts, receptive field, ...) of ``model``; nothing is built."""
    from space import complexity

    return complexity(genome(model, **changes), resolution)


def describe(model: Model, resolution: int | None = None, **changes: Any) -> dict:
    """What ``nas describe --json`` prints: totals, per-stage shape flow and design notes."""
    from space.report import describe as report

    return report(genome(model, **changes), resolution)


def build(model: Model, **changes: Any) -> Any:
    """The ``torch.nn.Module`` of ``model`` (freshly initialised); its cost is checked first, so a genome
    that cannot run at its resolution is one GenomeError, not a shape error from inside torch."""
    from space import build as build_network

    from .memory import check_fits, model_bytes

    g = genome(model, **changes)
    c = cost(g)
    check_fits(f"a network of {c.params:,} params", model_bytes(c.params, 0, 0, training=False))  # one line, no crash
    return build_network(g)


def sample(resolution: int, channels: int, classes: int, budget: str | int | None, *,
           params_budget: str | int | None = None, space: Any = None, seed: int = 0, tries: int = 64) -> Genome:
    """One genome of ``space`` (as RunConfig.space; default the design-pattern space) solved to fit ``budget``,
    as the search's first, random trials draw them; the same arguments give the same genome."""
    import optuna

    from .sampling import DataShape, Infeasible, feasible_range, refusal
    from .study import quiet_optuna

    quiet_optuna()
    the_budget = make_budget(budget, params_budget)
    the_space = space_of(space)
    shape = DataShape(resolution, channels, classes)
    if problem := refusal(the_budget, *feasible_range(the_space, shape), resolution):
        raise ConfigError(problem)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    for _ in range(tries):
        trial = study.ask()
        try:
            return the_space.sample(trial, shape, the_budget, 1).genome
        except Infeasible:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
    raise ConfigError(f"no genome of {tries} drawn fits the budget; give a larger budget or more tries")


def encode(model: Model, space: Any = None) -> dict:
    """The params of the pattern space (the default, or ``space``) that draw ``model``: every decision the search
    would make for it, each named after the genome field it sets; ConfigError naming the first decision or field
    that is not a point of the space. ``decode`` of them at the model's own MACs gives the model back."""
    from .sampling import PatternSpace, SpaceError, encode as encode_params

    the_space, g = _pattern_space(space, PatternSpace), genome(model)
    try:
        return encode_params(g, the_space)
    except SpaceError as e:
        raise ConfigError(str(e)) from None


def decode(params: dict, *, resolution: int, channels: int, classes: int, budget: str | int | None = None,
           space: Any = None) -> Genome:
    """The genome ``params`` draw from the pattern space for images of this size, channels and classes, with
    its widths solved to the top of ``budget`` (MACs, e.g. "400M"; None: the widest the space allows)."""
    from .sampling import DataShape, Infeasible, PatternSpace, SpaceError, decode as decode_params

    the_space = _pattern_space(space, PatternSpace)
    the_budget = make_budget(budget) if budget is not None else None
    try:
        return decode_params(params, the_space, DataShape(resolution, channels, classes), the_budget)
    except SpaceError as e:
        raise ConfigError(str(e)) from None
    except Infeasible as e:
        raise ConfigError(f"params: {e}") from None


def _pattern_space(space: Any, kind: type) -> Any:
    the_space = space_of(space)
    if not isinstance(the_space, kind):
        raise ConfigError(f"space: encode and decode work on the pattern space; this is the {the_space.kind} space")
    return the_space


@dataclass(frozen=True, eq=False)
class SearchResult:
    """A finished (or stopped) search: the Optuna study, its trials as a table, the best trial and the front."""

    study: Any  # the optuna.Study, live: resume it, plot it, hand it to optuna-dashboard
    view: Any  # search.report.results.StudyView: the settings and one TrialRecord per trial
    trials: Any  # pandas.DataFrame, one row per trial (as trials.csv)
    best: Any  # TrialRecord of the most accurate complete trial within budget, or None
    front: tuple  # TrialRecords no other beats on both accuracy and MACs, by increasing MACs
    stopped: str  # why the search stopped early ("" when it ran its trials)
    files: dict  # what was written: best (best.json, when a trial is best) and csv (trials.csv)

    @property
    def best_genome(self) -> Genome | None:
        """The best trial's genome (None without a best trial)."""
        return Genome.from_dict(self.best.genome) if self.best is not None and self.best.genome else None


def run(config: RunConfig, *, callbacks: Sequence[Callback] = (), train_fn: Callable | None = None,
        enqueue: Sequence[Model] = (), baselines: bool = False) -> SearchResult:
    """Run (or resume) the search ``config`` asks for, as ``nas run`` does, printing nothing unless asked.

    - ``callbacks``: called as ``cb(study, frozen_trial)`` after each trial ends, as with ``study.optimize``;
    - ``train_fn(model, data, train_config, device, on_epoch=...)`` replaces the proxy training and returns an
      object with ``status`` ("ok", "pruned", "nan", ...), ``reason``, ``val_acc``, ``epochs`` and ``history``
      (a ``search.train.TrainResult``); with a ``trial`` parameter it is also given the Optuna trial
      (keyword), to suggest hyper-parameters of its own beside the genome's;
    - ``enqueue``: genomes or presets trained first (a warm start; once per study, as ``--enqueue``);
    - ``baselines``: also train budget-matched hand designs (``--baselines``).
    """
    from .report.results import best_trial, front, trials_table, write_results
    from .run.runner import execute, prepare, stop_reason, warm_starts

    if not isinstance(config, RunConfig):
        raise ConfigError(f"config: expected a search.RunConfig, got {type(config).__name__}")
    models = [genome(m) for m in enqueue]
    p = prepare(config.checked())
    log = (lambda m: None) if config.quiet else _stderr
    study, view, outcome = execute(p, warm_starts(p, models, baselines), log=log, callbacks=callbacks,
                                   train_fn=train_fn)
    stopped = stop_reason(view, outcome, p.cfg)
    return SearchResult(study, view, trials_table(view), best_trial(view), tuple(front(view)), stopped,
                        write_results(view, p.cfg.paths))


def _stderr(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


__all__ = ["Callback", "Model", "RunConfig", "SearchResult", "build", "cost", "decode", "describe", "encode", "genome",
           "run", "sample"]
