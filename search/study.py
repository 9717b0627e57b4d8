"""The search: an Optuna study whose trials sample a genome, fit it to the budget and train a proxy.

Side effects live here (storage, processes, files); the pieces it stands on (sampling, budget
fitting, training) are pure or take their inputs as arguments.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import multiprocessing as mp
import os
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import optuna
from optuna.trial import FrozenTrial, TrialState

from space import Genome, arch_string, build, complexity, load_genome

from .data import ImageData, load_data
from .budget import Budget
from .searchspace import SearchSpace, fit_to_budget, sample_genome
from .train import EpochStats, Pruned, TrainConfig, train_proxy

OBJECTIVES = {"accuracy": ("maximize",), "accuracy,macs": ("maximize", "minimize"),
              "accuracy,latency": ("maximize", "minimize")}
SAMPLERS = ("auto", "tpe", "nsga2", "random")
PRUNERS = ("median", "hyperband", "none")
COUNTED = ("ok", "pruned")  # statuses that count towards --trials (rejected and failed ones are replaced)


class SearchError(ValueError):
    """A search that cannot start or go on, for a reason the user can act on."""


@dataclass(frozen=True)
class SearchConfig:
    """Everything one ``nas run`` needs; every worker process receives a copy."""

    study: str  # study name, and the folder under studies_dir
    data: str  # --data spec (see search.data.load_data)
    budget: Budget  # MACs / params the trained candidates must fit
    objectives: str = "accuracy"  # a key of OBJECTIVES
    trials: int | None = 20  # trials that finish training (ok or pruned); None with a timeout = until then
    timeout_s: float | None = None  # stop claiming new trials after this many seconds
    train: TrainConfig = field(default_factory=TrainConfig)
    space: SearchSpace = field(default_factory=SearchSpace)
    sampler: str = "auto"
    pruner: str = "median"
    workers: int = 1
    device: str | None = None
    seed: int = 0
    studies_dir: str = "studies"
    storage: str | None = None  # any Optuna storage URL; None = sqlite under studies/<study>/
    cache_dir: str | None = None  # decoded data sets (search.data default when None)
    val_fraction: float = 0.1
    max_failures: int = 5  # stop after this many failed trials in a row
    heartbeat_s: int = 10  # a running trial beats this often; one silent for 6 beats is failed by the next claim
    quiet: bool = False

    @property
    def folder(self) -> Path:
        """studies/<name>/."""
        return Path(self.studies_dir) / self.study

    @property
    def storage_url(self) -> str:
        """The storage URL actually used."""
        return self.storage or default_storage(self.studies_dir, self.study)

    @property
    def directions(self) -> tuple[str, ...]:
        return OBJECTIVES[self.objectives]


def quiet_optuna() -> None:
    """Our progress lines replace Optuna's INFO log; its experimental-feature warnings are ours to carry."""
    import warnings

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")


# --- storage and study ---------------------------------------------------------------------------

def open_storage(url: str, heartbeat_s: int = 10) -> optuna.storages.RDBStorage:
    """An RDB storage with heartbeats (so a killed trial is failed, not left RUNNING)."""
    engine: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # several processes share one file: wait for the lock instead of failing with "database is locked"
        engine = {"connect_args": {"timeout": 120}}
    else:
        engine = {"pool_pre_ping": True}
    try:
        return optuna.storages.RDBStorage(url, engine_kwargs=engine, heartbeat_interval=heartbeat_s,
                                          grace_period=6 * heartbeat_s)
    except Exception as e:  # sqlalchemy raises many kinds; all mean "cannot use this storage"
        raise _storage_error(url, e) from None


def _storage_error(url: str, e: Exception) -> SearchError:
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return SearchError(f"cannot open storage {redact_url(url)}: {first[:200]}")


def redact_url(url: str) -> str:
    """A storage URL fit to print: its password hidden."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL sqlalchemy can parse: hide whatever stands before an '@'
        if "@" in url and "://" in url:
            scheme, rest = url.split("://", 1)
            return f"{scheme}://***@{rest.split('@', 1)[1]}"
        return url


def default_storage(studies_dir: str | Path, name: str) -> str:
    """The SQLite URL of study ``name``: studies/<name>/study.db."""
    return f"sqlite:///{(Path(studies_dir) / name / 'study.db').resolve()}"


def make_sampler(cfg: SearchConfig, stream: int) -> optuna.samplers.BaseSampler:
    """The sampler, seeded from --seed and `stream` (the number of the trial it will sample, see work())."""
    seed = zlib.crc32(f"{cfg.seed}:{stream}".encode())
    name = cfg.sampler if cfg.sampler != "auto" else ("tpe" if len(cfg.directions) == 1 else "nsga2")
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True,
                                          n_startup_trials=max(4, min(10, (cfg.trials or 20) // 3)))
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed,
                                             population_size=max(4, min(50, (cfg.trials or 50) // 4)))
    return optuna.samplers.RandomSampler(seed=seed)


def make_pruner(cfg: SearchConfig) -> optuna.pruners.BasePruner:
    """Median or Hyperband over epochs (single objective only: Optuna cannot prune multi-objective studies)."""
    if cfg.pruner == "none" or len(cfg.directions) > 1:
        return optuna.pruners.NopPruner()
    if cfg.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=cfg.train.epochs)
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)


STUDY_KEYS = ("budget_macs", "params_budget", "min_macs", "objectives", "data", "resolution", "epochs")


def study_attrs(cfg: SearchConfig, resolution: int) -> dict:
    """What makes a study what it is; a rerun must agree on these to resume it."""
    return {"budget_macs": cfg.budget.max_macs, "params_budget": cfg.budget.max_params,
            "min_macs": cfg.budget.min_macs, "objectives": cfg.objectives.split(","), "data": cfg.data,
            "resolution": resolution, "epochs": cfg.train.epochs}


def open_study(cfg: SearchConfig, resolution: int, worker: int = 0,
               create: bool = True) -> tuple[optuna.Study, optuna.storages.RDBStorage]:
    """Create the study or load it to resume (with its storage); refuse one made with other settings."""
    # processes starting together would race to create the tables and the study: one at a time
    with storage_lock(cfg.storage_url, "nas:open"):
        return _open_study(cfg, resolution, worker, create)


def _open_study(cfg: SearchConfig, resolution: int, worker: int,
                create: bool) -> tuple[optuna.Study, optuna.storages.RDBStorage]:
    storage = open_storage(cfg.storage_url, cfg.heartbeat_s)
    names = {s.study_name: s for s in storage.get_all_studies()}
    attrs = study_attrs(cfg, resolution)
    if cfg.study in names:
        existing = names[cfg.study]
        old = existing.user_attrs
        clash = [k for k in STUDY_KEYS if k in old and old[k] != attrs[k]]
        if clash:
            k = clash[0]
            raise SearchError(f"study {cfg.study!r} was started with {k}={old[k]!r}, not {attrs[k]!r}; "
                              f"rerun with the same settings to resume, or pick a new --study name")
    elif not create:
        raise SearchError(f"no study {cfg.study!r} in {redact_url(cfg.storage_url)}")
    study = optuna.create_study(study_name=cfg.study, storage=storage, directions=list(cfg.directions),
                                sampler=make_sampler(cfg, worker), pruner=make_pruner(cfg), load_if_exists=True)
    if cfg.study not in names:
        for k, v in {**attrs, "seed": cfg.seed, "space": cfg.space.to_dict(), "sampler": cfg.sampler}.items():
            study.set_user_attr(k, v)
    return study, storage


def trained(trial: FrozenTrial) -> bool:
    """Whether a trial is done and counts towards --trials: it trained (ok or pruned)."""
    return trial.state in (TrialState.COMPLETE, TrialState.PRUNED) and trial.user_attrs.get("status") in COUNTED


def counted(trial: FrozenTrial) -> bool:
    """Whether a trial counts towards --trials: it trained, or it is still running."""
    return trial.state in (TrialState.RUNNING, TrialState.WAITING) or trained(trial)


def finished(study: optuna.Study) -> int:
    """Trials that count towards --trials and are done."""
    return sum(map(trained, study.get_trials(deepcopy=False)))


def claim_lock(cfg: SearchConfig) -> contextlib.AbstractContextManager[None]:
    """Serialise 'count the trials, then ask for one' across processes so none is run twice."""
    return storage_lock(cfg.storage_url, f"nas:{cfg.study}")


@contextlib.contextmanager
def storage_lock(url: str, name: str) -> Iterator[None]:
    """Hold a lock named `name` shared by every process using the storage at `url`.

    A local storage (sqlite) is guarded by a lock file beside it (one lock per file, whatever the
    name); a server storage by a PostgreSQL advisory lock; other servers get no lock (workers may
    then overshoot by one)."""
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1] + ".lock")
        with open(path, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    elif url.startswith("postgresql"):
        import sqlalchemy

        key = zlib.crc32(name.encode())
        try:
            engine = sqlalchemy.create_engine(url)
            conn = engine.connect()
        except Exception as e:  # no driver, or the unreachable server open_storage would report
            raise _storage_error(url, e) from None
        with conn:
            conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                conn.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        engine.dispose()
    else:
        yield


def fail_stale(study: optuna.Study, storage: optuna.storages.RDBStorage) -> None:
    """Fail the running trials whose process died (silent for the grace period), saying so in status and reason."""
    # Optuna's fail_stale_trials does this test too, but would leave them status "running", and a failed trial
    # takes no new attributes
    for trial_id in storage._get_stale_trial_ids(study._study_id):
        with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):  # failed by another worker meanwhile
            storage.set_trial_user_attr(trial_id, "status", "interrupted")
            storage.set_trial_user_attr(trial_id, "reason", f"no heartbeat for {storage.grace_period} s: "
                                                            "its process was killed or lost")
            storage.set_trial_state_values(trial_id, TrialState.FAIL)


class _Heartbeat:
    """Records a trial's heartbeat from a thread while it trains."""

    def __init__(self, storage: optuna.storages.RDBStorage, trial_id: int, every_s: int) -> None:
        self.stop = threading.Event()
        storage.record_heartbeat(trial_id)
        self.thread = threading.Thread(target=self._beat, args=(storage, trial_id, every_s), daemon=True)
        self.thread.start()

    def _beat(self, storage: optuna.storages.RDBStorage, trial_id: int, every_s: int) -> None:
        while not self.stop.wait(every_s):
            with contextlib.suppress(Exception):  # a missed beat is retried; the trial goes on
                storage.record_heartbeat(trial_id)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


# --- one trial -----------------------------------------------------------------------------------

class Rejected(Exception):
    """The sampled genome cannot be fitted to the budget; it is told to the sampler, never trained."""


def _data_shape(data: ImageData, cfg: SearchConfig) -> tuple[int, int, int]:
    return cfg.train.resolution or data.resolution, data.channels, data.num_classes


def _rung_pruner(study: optuna.Study, epochs: int) -> Callable[[int, float], bool]:
    """Multi-objective studies cannot use Optuna's pruners: prune on accuracy alone at the middle epoch
    when it is below the median of finished trials at that epoch (a successive-halving rung)."""
    rung = max(1, epochs // 2)

    def should_prune(epoch: int, acc: float) -> bool:
        if epoch != rung or epoch >= epochs:
            return False
        peers = [t.user_attrs["val_acc_history"][rung - 1] for t in study.get_trials(deepcopy=False)
                 if t.state == TrialState.COMPLETE and len(t.user_attrs.get("val_acc_history", ())) >= rung]
        if len(peers) < 3:
            return False
        peers.sort()
        return acc < peers[len(peers) // 2]

    return should_prune


def run_trial(trial: optuna.Trial, study: optuna.Study, data: ImageData, cfg: SearchConfig) -> tuple[float, ...]:
    """Sample, fit to budget, train; returns the objective values or raises Rejected / TrialPruned."""
    res, channels, classes = _data_shape(data, cfg)
    sampled = sample_genome(trial, cfg.space, res, channels, classes)
    fitted = fit_to_budget(sampled, cfg.budget)
    if fitted is None:
        try:
            c = _record_genome(trial, sampled)
            _constrain(trial, cfg.budget.violation(c.macs, c.params))
            reason = "cannot fit the budget at any width"
        except Exception as e:  # the genome cannot run at this resolution at all
            _constrain(trial, [1.0, 1.0, 1.0])
            reason = str(e)
        raise Rejected(reason)
    genome, mult = fitted
    cost = _record_genome(trial, genome)
    trial.set_user_attr("width_multiplier", round(mult, 4))
    _constrain(trial, cfg.budget.violation(cost.macs, cost.params))
    assert cfg.budget.fits(cost.macs, cost.params)

    log(cfg, f"  trial {trial.number}: training {arch_string(genome)} ({cost.macs / 1e6:.2f}M MACs, "
             f"{cost.params / 1e6:.2f}M params{f', widths x{mult:.2f} to fit' if mult != 1 else ''})")
    multi = len(cfg.directions) > 1
    rung = _rung_pruner(study, cfg.train.epochs) if multi else None
    history: list[float] = []

    def on_epoch(stats: EpochStats) -> None:
        history.append(stats.val_acc)
        trial.set_user_attr("val_acc_history", history)
        if stats.epoch >= cfg.train.epochs:
            return  # pruning at the last epoch saves nothing
        if multi:
            if rung(stats.epoch, stats.val_acc):
                raise Pruned(f"below the median accuracy at epoch {stats.epoch}")
        else:
            trial.report(stats.val_acc, stats.epoch)
            if trial.should_prune():
                raise Pruned(f"pruned by the {cfg.pruner} pruner after epoch {stats.epoch}")

    torch_seed = cfg.seed + trial.number
    result = train_proxy(build(genome), data, replace(cfg.train, seed=torch_seed), cfg.device, on_epoch=on_epoch)
    for key in ("train_seconds", "images_per_second", "latency_ms", "device", "peak_memory_bytes", "epochs"):
        trial.set_user_attr(key, getattr(result, key))
    trial.set_user_attr("val_acc", result.val_acc)
    trial.set_user_attr("val_acc_history", [h["val_acc"] for h in result.history])
    trial.set_user_attr("status", result.status)
    trial.set_user_attr("reason", result.reason)
    if result.status == "pruned":
        raise optuna.TrialPruned(result.reason)
    if result.status != "ok":
        raise TrialFailed(result.status, result.reason)
    values = [result.val_acc]
    if cfg.objectives == "accuracy,macs":
        values.append(cost.macs)
    elif cfg.objectives == "accuracy,latency":
        values.append(result.latency_ms.get("b1") or math.inf)
    return tuple(values)


class TrialFailed(Exception):
    """Training ended with nan, oom, error or timeout: recorded, and the study goes on."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status, self.reason = status, reason


def _constrain(trial: optuna.Trial, values: list[float]) -> None:
    """Tell the sampler how far the genome is from the budget (<= 0: inside)."""
    for key, v in zip(("macs", "params", "min_macs"), values):
        trial.set_constraint(key, v)


def _record_genome(trial: optuna.Trial, g: Genome):
    c = complexity(g)
    for key, value in (("genome", g.to_dict()), ("arch", arch_string(g)), ("params", c.params), ("macs", c.macs),
                       ("acts", c.acts), ("receptive_field", c.receptive_field)):
        trial.set_user_attr(key, value)
    return c


# --- the worker loop -----------------------------------------------------------------------------

def log(cfg: SearchConfig, message: str) -> None:
    if not cfg.quiet:
        print(message, file=sys.stderr, flush=True)


def work(cfg: SearchConfig, worker: int = 0, data: ImageData | None = None) -> None:
    """Claim and run trials until the study holds cfg.trials counted trials, time runs out, or trials keep failing."""
    if data is None:
        data = load_data(cfg.data, cfg.cache_dir, cfg.val_fraction, cfg.seed)
    res = _data_shape(data, cfg)[0]
    study, storage = open_study(cfg, res, worker)
    failed_in_a_row = 0
    start = time.time()
    while True:
        if cfg.timeout_s is not None and time.time() - start > cfg.timeout_s:
            break
        with claim_lock(cfg):
            fail_stale(study, storage)
            trials = study.get_trials(deepcopy=False)
            trial = None
            if cfg.trials is None or sum(counted(t) for t in trials) < cfg.trials:
                # seeded by the number the next trial gets: its genome depends on --seed and the results so far
                # only, so parallel workers and commands never draw alike, and a resumed study does not redraw
                study.sampler = make_sampler(cfg, len(trials))
                trial = study.ask()
                beat = _Heartbeat(storage, trial._trial_id, cfg.heartbeat_s)  # Optuna's optimize beats by this id too
        if trial is None:
            if not any(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in trials):
                break
            time.sleep(min(2, cfg.heartbeat_s))  # wait for the trials in flight: one that fails is replaced
            continue
        trial.set_user_attr("worker", worker)
        trial.set_user_attr("status", "running")
        t0 = time.time()
        try:
            values = run_trial(trial, study, data, cfg)
            study.tell(trial, values)
            failed_in_a_row = 0
            outcome = f"ok val_acc {values[0]:.4f}"
        except (Rejected, optuna.TrialPruned) as e:
            rejected = isinstance(e, Rejected)
            if rejected:
                trial.set_user_attr("status", "rejected")
                trial.set_user_attr("reason", str(e))
            study.tell(trial, state=TrialState.PRUNED)
            outcome = f"{'rejected' if rejected else 'pruned'}: {e}"
            failed_in_a_row = 0
        except Exception as e:  # noqa: BLE001 - a failing trial never ends the study
            failed = isinstance(e, TrialFailed)
            status, reason = (e.status, e.reason) if failed else ("error", f"{type(e).__name__}: {e}")
            trial.set_user_attr("status", status)
            trial.set_user_attr("reason", reason.splitlines()[0][:500] if reason else status)
            study.tell(trial, state=TrialState.FAIL)
            failed_in_a_row += 1
            outcome = f"failed ({status}): {reason.splitlines()[0][:120] if reason else ''}"
        except KeyboardInterrupt:  # Ctrl-C: fail the trial now, so a rerun need not wait for it to go stale
            trial.set_user_attr("status", "interrupted")
            trial.set_user_attr("reason", "stopped by Ctrl-C")
            study.tell(trial, state=TrialState.FAIL)
            raise
        finally:
            beat.close()
        _progress(cfg, study, trial.number, outcome, time.time() - t0, start, worker)
        if failed_in_a_row >= cfg.max_failures:  # the command reports it, from the study
            break


def _progress(cfg: SearchConfig, study: optuna.Study, number: int, outcome: str, seconds: float, start: float,
              worker: int) -> None:
    done = finished(study)
    accs = [t.values[0] for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    best = f"{max(accs):.4f}" if accs else "-"
    total = cfg.trials or 0
    elapsed = time.time() - start
    eta = ""
    if total and done:
        left = max(0, total - done) * elapsed / max(1, done) / max(1, cfg.workers)
        eta = f" eta {int(left // 60)}m{int(left % 60):02d}s"
    bar = ""
    if total:
        filled = int(20 * min(done, total) / total)
        bar = f"[{'#' * filled}{'.' * (20 - filled)}] {done}/{total}"
    tag = f"w{worker} " if cfg.workers > 1 else ""
    log(cfg, f"{bar} best {best}{eta} | {tag}trial {number} {outcome} ({seconds:.1f}s)")


def _worker_entry(cfg: SearchConfig, worker: int, threads: int, gpu: str | None) -> None:
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    import torch

    torch.set_num_threads(threads)
    quiet_optuna()
    work(cfg, worker)


def run_workers(cfg: SearchConfig, data: ImageData) -> None:
    """Run cfg.workers workers: in this process for one, else as spawned processes (spread over GPUs)."""
    if cfg.workers == 1:
        work(cfg, 0, data)
        return
    import torch

    gpus = torch.cuda.device_count() if (cfg.device or "auto").startswith(("auto", "cuda")) else 0
    threads = max(1, (os.cpu_count() or 1) // cfg.workers)
    ctx = mp.get_context("spawn")
    procs = []
    for w in range(cfg.workers):
        gpu = str(w % gpus) if gpus > 1 and os.environ.get("CUDA_VISIBLE_DEVICES") is None else None
        p = ctx.Process(target=_worker_entry, args=(cfg, w, threads, gpu), daemon=False)
        p.start()
        procs.append(p)
    for p in procs:
        p.join()
    bad = [p.exitcode for p in procs if p.exitcode]
    if bad:
        log(cfg, f"warning: {len(bad)} worker process(es) exited with code {bad[0]}")


# --- results -------------------------------------------------------------------------------------

def failure_streak(study: optuna.Study) -> list[FrozenTrial]:
    """The failed trials at the end of the study, newest last (empty when the last trial did not fail)."""
    streak: list[FrozenTrial] = []
    for t in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number, reverse=True):
        if t.state != TrialState.FAIL:
            break
        streak.insert(0, t)
    return streak


def resolve_genome(spec: str, studies_dir: str | Path, flag: str = "") -> Genome:
    """A preset, a genome JSON file, or ``study:NAME`` (that study's ``best.json``)."""
    from space import resolve_model

    if not spec.startswith("study:"):
        return resolve_model(spec)
    name = spec[len("study:"):]
    if not name:
        raise SearchError(f"{flag}study:NAME needs a study name")
    best = Path(studies_dir) / name / "best.json"
    if not best.is_file():
        raise SearchError(f"{flag}{spec}: {best} does not exist (has a search with --study {name} finished "
                          f"a trial? use --studies-dir if the study lives elsewhere)")
    return load_genome(best)


def trials_table(study: optuna.Study):
    """One row per trial with its state, values and every recorded attribute (a pandas DataFrame)."""
    import pandas as pd

    rows = []
    for t in study.get_trials(deepcopy=False):
        row = {"number": t.number, "state": t.state.name,
               "duration_s": t.duration.total_seconds() if t.duration else None}
        names = ["accuracy"] + [n for n in study.user_attrs.get("objectives", ["accuracy"])[1:]]
        for name, v in zip(names, t.values or ()):
            row[f"value_{name}"] = v
        for k, v in t.user_attrs.items():
            if k == "genome":
                v = json.dumps(v)
            elif isinstance(v, (list, dict)):
                v = json.dumps(v)
            row[k] = v
        row.update({f"param_{k}": v for k, v in t.params.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def pareto_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Non-dominated COMPLETE trials (for one objective: the best trial)."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        return []
    if len(study.directions) == 1:
        return [max(complete, key=lambda t: t.values[0])]
    return sorted(study.best_trials, key=lambda t: -t.values[0])


def best_trial(study: optuna.Study) -> FrozenTrial | None:
    """The most accurate COMPLETE trial; a tie goes to fewer MACs (as in the dashboard)."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return max(complete, key=lambda t: (t.values[0], -t.user_attrs.get("macs", 0))) if complete else None


def write_results(study: optuna.Study, folder: Path) -> dict:
    """best.json and trials.csv in the study folder; returns what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    best = best_trial(study)
    if best is not None:
        info = {"study": study.study_name, "trial": best.number, "val_acc": best.values[0],
                "params": best.user_attrs["params"], "macs": best.user_attrs["macs"], "arch": best.user_attrs["arch"],
                "genome": best.user_attrs["genome"]}
        (folder / "best.json").write_text(json.dumps(info, indent=2))
        out["best"] = str(folder / "best.json")
    trials_table(study).to_csv(folder / "trials.csv", index=False)
    out["csv"] = str(folder / "trials.csv")
    return out


def summary(study: optuna.Study, top: int = 5) -> dict:
    """Counts by status, the top trials and the Pareto front, JSON-ready."""
    trials = study.get_trials(deepcopy=False)
    statuses: dict[str, int] = {}
    for t in trials:
        key = t.user_attrs.get("status", t.state.name.lower())
        statuses[key] = statuses.get(key, 0) + 1

    def row(t: FrozenTrial) -> dict:
        return {"trial": t.number, "val_acc": t.values[0], "params": t.user_attrs["params"],
                "macs": t.user_attrs["macs"], "latency_ms": (t.user_attrs.get("latency_ms") or {}).get("b1"),
                "train_seconds": t.user_attrs.get("train_seconds"), "arch": t.user_attrs["arch"]}

    complete = sorted(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), key=lambda t: -t.values[0])
    return {"study": study.study_name, "trials": len(trials), "finished": finished(study), "statuses": statuses,
            "budget_macs": study.user_attrs.get("budget_macs"), "params_budget": study.user_attrs.get("params_budget"),
            "objectives": study.user_attrs.get("objectives"), "top": [row(t) for t in complete[:top]],
            "pareto": [row(t) for t in pareto_trials(study)]}
