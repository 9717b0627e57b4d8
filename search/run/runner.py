"""The steps of a search, shared by ``nas run`` and the Python API: prepare (data, settings, refusals), then
execute (open the study, enqueue warm starts, run the workers, read the study back). Nothing is printed
here: messages go to the ``log`` the caller gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from ..config import VAL_FRACTION, ConfigError

Log = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class Prepared:
    """A search ready to run: its config, its data, the study settings they imply, and warnings worth showing."""

    cfg: Any  # a checked RunConfig
    data: Any  # ImageData
    settings: Any  # StudySettings
    warnings: tuple[str, ...]


def prepare(cfg: Any) -> Prepared:
    """Check the device, load the data with the study's split, derive its settings; refuse what cannot work."""
    from ..data import in_memory, load_data
    from ..study import SPLIT_SEED, peek_settings, quiet_optuna, settings_for
    from ..train import resolve_device

    quiet_optuna()
    resolve_device(cfg.device)  # "cuda" without a GPU fails here, before anything is written
    stored = peek_settings(cfg)  # a resumed study keeps its validation split and heartbeat
    split_seed = stored.split_seed if stored else SPLIT_SEED  # never --seed: it is each worker's own
    data = (load_data(cfg.data, cfg.cache_dir, VAL_FRACTION, split_seed) if isinstance(cfg.data, str)
            else in_memory(cfg.data, VAL_FRACTION, split_seed))
    settings = settings_for(cfg, data, split_seed, stored.heartbeat_s if stored else cfg.heartbeat)
    return Prepared(cfg, data, settings, tuple(check_run(cfg, settings, data)))


def check_run(cfg: Any, settings: Any, data: Any) -> list[str]:
    """Refuse what cannot work (ConfigError); return the warnings worth showing."""
    from ..sampling import DataShape, feasible_range, refusal
    from ..train import few_steps_warning

    classes = data.num_classes
    if cfg.train.max_train_images is not None and cfg.train.max_train_images < classes:
        raise ConfigError(f"--max-train-images {cfg.train.max_train_images} is fewer than the {classes} classes: "
                          "every class needs training images")
    cutout = max([settings.train.get("cutout", 0)] + [r["high"] for n, r in settings.tune.items() if n == "cutout"])
    if cutout > settings.resolution:
        raise ConfigError(f"cutout {cutout} is larger than the {settings.resolution}-px images")
    shape = DataShape(settings.resolution, settings.channels, classes)
    lo, hi = feasible_range(cfg.space, shape)
    problem = refusal(cfg.budget, lo, hi, settings.resolution) or unreachable(cfg, shape)
    if problem:
        raise ConfigError(problem)
    n = min(len(data.train_y), cfg.train.max_train_images or len(data.train_y))
    warning = few_steps_warning(n, settings.train["batch_size"], settings.epochs)
    return [warning] if warning else []


PROBE_SAMPLES = 32  # genomes drawn before a study exists, to see whether the bounds can be met


def unreachable(cfg: Any, shape: Any) -> str | None:
    """Why a parameter budget or a lower MACs bound is out of reach, or None: so few of PROBE_SAMPLES genomes
    drawn as the search draws them fit that the run would more likely than not reject its first --max-failures
    trials in a row and stop, having only recorded rejections."""
    import optuna

    from space.units import human

    from ..sampling import dry_run

    b = cfg.budget
    if b.max_params is None and not b.min_macs:
        return None
    report = dry_run(cfg.space, shape, b, len(cfg.directions), PROBE_SAMPLES, optuna.samplers.RandomSampler(seed=0))
    fit = len(report.sampled)
    if (1 - fit / PROBE_SAMPLES) ** cfg.max_failures <= 0.5:
        return None
    wants = " and ".join(w for w in (f"--params-budget {human(b.max_params)}" if b.max_params is not None else "",
                                     f"--min-budget {b.min_macs / b.max_macs:g} ({human(b.min_macs)} to "
                                     f"{human(b.max_macs)} MACs)" if b.min_macs else "") if w)
    return (f"no network of this space meets {wants} often enough: {fit} of {PROBE_SAMPLES} genomes sampled as the "
            f"search would fit at {shape.resolution}x{shape.resolution}, so the run would stop after "
            f"{cfg.max_failures} rejected in a row (--max-failures); loosen the bound")


def make_folder(folder: Path) -> None:
    """Create the study folder (best.json and trials.csv go there whatever the storage), or say why not."""
    from ..files import probe_folder

    try:
        probe_folder(folder)
    except OSError as e:
        raise ConfigError(f"cannot create the study folder {folder} or write in it: {e.strerror or e}") from None


def fit_to_data(genome: Any, settings: Any) -> Any:
    """A warm-start genome made to take the study's images and give its classes."""
    return genome.replace(in_channels=settings.channels, num_classes=settings.num_classes,
                          resolution=settings.resolution)


def warm_starts(p: Prepared, genomes: Sequence[Any] = (), baselines: bool = False) -> list[tuple[str, Any]]:
    """What a run trains first: ``genomes`` (named ""), then the budget-matched baselines when asked, as
    (baseline name or "", genome) pairs."""
    wanted: list[tuple[str, Any]] = [("", g) for g in genomes]
    if baselines:
        from .baselines import baseline_genomes

        wanted += list(baseline_genomes(p.data.channels, p.data.num_classes, p.settings.resolution,
                                        p.settings.budget).items())
    return wanted


def stop_reason(view: Any, outcome: Any, cfg: Any) -> str:
    """Why a finished run stopped early: a callback's study.stop(), its first trials all at chance, or too many
    failures in a row ('' if it did none of these)."""
    from ..report.results import chance_stop

    if outcome.stopped:
        return outcome.stopped
    if chance := chance_stop(view, cfg.chance_stop):
        return chance
    if outcome.failures_in_a_row < cfg.max_failures:
        return ""
    failed = [r for r in view.trials if r.status.failed]
    last = outcome.last_failure or (f"{failed[-1].status.value}: {failed[-1].reason}" if failed else "")
    return f"stopped after {outcome.failures_in_a_row} failed trials in a row; the last one: {last}"


def warm_start(study: Any, wanted: Sequence[tuple[str, Any]], log: Log, space: Any = None) -> int:
    """Enqueue (baseline name or "", genome) pairs as trials, once: a rerun does not add them again. A genome
    that is a point of ``space`` is enqueued with its params, which the trial stores as a sampled one would.

    Returns how many were enqueued now."""
    from space import arch_string

    from ..sampling import PatternSpace, SpaceError, encode
    from ..study import baseline_of, enqueue_genome, enqueued_of, genome_key

    def params(g: Any) -> dict | None:  # only the pattern space encodes a genome as its params
        try:
            return encode(g, space) if isinstance(space, PatternSpace) else None
        except SpaceError:
            return None

    have = {(baseline_of(t), genome_key(enqueued_of(t))) for t in study.get_trials(deepcopy=False)
            if enqueued_of(t) is not None}
    added = 0
    for name, g in wanted:
        key = (name, genome_key(g))
        if key not in have:
            have.add(key)
            p = params(g)
            enqueue_genome(study, g, p, **({"baseline": name} if name else {}))
            log(f"enqueued {name or 'genome'}: {arch_string(g)}{' (a point of the space)' if p else ''}")
            added += 1
    return added


def execute(p: Prepared, wanted: Sequence[tuple[str, Any]] = (), *, log: Log, callbacks: Sequence = (),
            train_fn: Callable | None = None, on_open: Callable[[Any, Any], None] | None = None) -> tuple:
    """Open (or resume) the study, enqueue ``wanted``, run the workers; returns (study, StudyView, WorkOutcome).

    ``on_open(study, settings)`` runs once the study is open, before any trial (the CLI prints its header)."""
    from ..report.results import read_study
    from ..study import open_study, run_changes, run_workers

    if p.cfg.workers > 1 and (callbacks or train_fn is not None):
        raise ConfigError("callbacks and train_fn run in this process: use workers=1 with them")
    make_folder(p.cfg.paths.folder)
    study, _, settings = open_study(p.cfg, p.settings)  # a refused rerun says only why
    if on_open is not None:
        on_open(study, settings)
    for line in run_changes(study, p.cfg, settings):
        log(f"note: {line}")
    warm_start(study, [(name, fit_to_data(g, settings)) for name, g in wanted], log, p.cfg.space)
    kw = {"callbacks": tuple(callbacks), "train_fn": train_fn} if p.cfg.workers == 1 else {}
    outcome = run_workers(p.cfg, p.data, settings, **kw)
    return study, read_study(study), outcome


__all__ = ["Prepared", "check_run", "execute", "fit_to_data", "make_folder", "prepare", "stop_reason", "warm_start",
           "warm_starts"]
