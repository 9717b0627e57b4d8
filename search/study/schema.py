"""The study schema: what a study's settings and a trial's record hold, and how they live in Optuna.

A study is a plain Optuna study. Everything that fixes what its trials mean is one frozen
:class:`StudySettings`, stored as ONE study user attribute (``nas_settings``, a JSON object), so it
is written in one step and read back whole. Each trial's facts are one :class:`TrialRecord`, written
as trial user attributes (one key per field, so optuna-dashboard shows them) and read back by
:func:`TrialRecord.from_trial`. :class:`Status` names every outcome; :class:`StudyPaths` every file
of a study folder. Nothing else in the package spells these keys or file names.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Any, Mapping

from ..budget import Budget
from ..files import jsonable

SETTINGS_KEY = "nas_settings"
RUN_KEY = "nas_last_run"  # the per-run choices (sampler, pruner) of the study's last run, to say when they change
SCHEMA_VERSION = 2
SPLIT_SEED = 0  # seeds a new study's validation split and synthetic images: never a worker's --seed, so workers
# started at once with their own seeds (Optuna's way to run several) draw the same data and join one study
PER_RUN = ("data", "version", "heartbeat_s")  # settings a rerun or a racing worker adopts instead of comparing


class Status(str, Enum):
    """How a trial ended (or that it has not yet)."""

    OK = "ok"  # trained to the last epoch
    PRUNED = "pruned"  # stopped early by the pruner
    REJECTED = "rejected"  # its genome cannot fit the budget: never trained
    NAN = "nan"  # the loss diverged
    OOM = "oom"  # out of memory
    ERROR = "error"  # an exception in the model or its training
    TIMEOUT = "timeout"  # --trial-timeout reached
    INTERRUPTED = "interrupted"  # Ctrl-C, SIGTERM, or its process died (no heartbeat)
    RUNNING = "running"
    WAITING = "waiting"  # enqueued, not yet claimed

    @property
    def trained(self) -> bool:
        """Counts towards --trials: it finished training (to the end or pruned)."""
        return self in (Status.OK, Status.PRUNED)

    @property
    def failed(self) -> bool:
        """Ended without a result (rejections included: they count towards --max-failures)."""
        return self not in (Status.OK, Status.PRUNED, Status.RUNNING, Status.WAITING)

    @property
    def category(self) -> str:
        """The dashboard's five states: complete, pruned, rejected, failed, running."""
        if self in (Status.RUNNING, Status.WAITING):
            return "running"
        if self is Status.OK:
            return "complete"
        if self in (Status.PRUNED, Status.REJECTED):
            return self.value
        return "failed"


CATEGORIES = ("complete", "pruned", "rejected", "failed", "running")


@dataclass(frozen=True)
class StudySettings:
    """Everything that changes what a trial means; a rerun must agree on all of it to resume."""

    budget: Budget
    objectives: tuple[str, ...] = ("accuracy",)
    data: str = ""  # the --data spec of the first run (shown to users; not compared)
    data_id: str = ""  # fingerprint of the data's content and splits (compared)
    resolution: int = 0  # the search resolution
    channels: int = 3
    num_classes: int = 0
    split_seed: int = 0  # seeds the validation split; fixed by the first run, whatever later --seed says
    val_fraction: float = 0.1
    train: Mapping[str, Any] = field(default_factory=dict)  # the proxy recipe (TrainConfig fields but seed)
    space: Mapping[str, Any] = field(default_factory=dict)  # the search space, as its to_dict()
    heartbeat_s: int = 10  # every process of the study uses the stored one
    tune: Mapping[str, Any] = field(default_factory=dict)  # training hyper-parameters drawn per trial: name -> range
    version: int = SCHEMA_VERSION

    @property
    def epochs(self) -> int:
        """Proxy epochs per trial."""
        return int(self.train.get("epochs", 0))

    @property
    def grace_s(self) -> int:
        """A running trial silent this long is failed as interrupted."""
        return 6 * self.heartbeat_s

    def to_json(self) -> dict:
        """The JSON object stored under SETTINGS_KEY."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["budget"] = asdict(self.budget)
        return jsonable(d)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "StudySettings":
        """Inverse of :meth:`to_json` (unknown keys ignored, so newer files stay readable)."""
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        kw["budget"] = Budget(**d.get("budget", {}))
        kw["objectives"] = tuple(d.get("objectives", ("accuracy",)))
        return cls(**kw)

    def differences(self, other: "StudySettings") -> list[str]:
        """Each setting in which ``other`` (a rerun) differs from these (the study's), as 'name: old -> new'."""
        mine, theirs = self.to_json(), other.to_json()
        out = []
        for key in mine:
            if key in PER_RUN:
                continue
            a, b = mine[key], theirs.get(key)
            if isinstance(a, dict) and isinstance(b, dict):
                out += [f"{key}.{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b))
                        if a.get(k) != b.get(k)]
            elif a != b:
                shown = (f"{self.data!r} -> {other.data!r} (other images)" if key == "data_id" else f"{a!r} -> {b!r}")
                out.append(f"{'data' if key == 'data_id' else key}: {shown}")
        return out


def read_settings(user_attrs: Mapping[str, Any]) -> StudySettings | None:
    """The settings stored in a study's user attributes; legacy keys (budget_macs ...) read as a fallback."""
    if isinstance(user_attrs.get(SETTINGS_KEY), dict):
        return StudySettings.from_json(user_attrs[SETTINGS_KEY])
    if not any(k in user_attrs for k in ("budget_macs", "params_budget", "objectives")):
        return None
    def num(key: str) -> int | None:
        v = user_attrs.get(key)
        return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None

    budget = Budget(num("budget_macs"), num("params_budget"), num("min_macs") or 0)
    return StudySettings(budget, tuple(user_attrs.get("objectives") or ("accuracy",)), str(user_attrs.get("data", "")),
                         resolution=num("resolution") or 0, train={"epochs": num("epochs") or 0})


@dataclass(frozen=True)
class TrialRecord:
    """One trial as the tool reads it back: what it was, what it cost, how it ended."""

    number: int
    status: Status
    reason: str = ""
    values: tuple[float, ...] | None = None  # Optuna's objective values (COMPLETE trials only)
    accuracy: float | None = None  # a complete trial's objective; a pruned one's last validation accuracy
    genome: dict | None = None  # the genome trained (JSON form)
    arch: str = ""
    params: int | None = None
    macs: int | None = None
    acts: int | None = None
    receptive_field: int | None = None
    solved: dict | None = None  # how the size was solved: width_mult, depth_mult, widths, depths
    history: tuple[float, ...] = ()  # validation accuracy per epoch
    train_seconds: float | None = None
    images_per_second: float | None = None
    latency_ms: dict | None = None  # {"b1": median ms}
    device: str = ""
    worker: int | None = None
    at_chance: bool | None = None
    baseline: str = ""  # the baseline's name when the trial trained a hand design
    optuna_params: dict = field(default_factory=dict)
    duration_s: float | None = None

    @property
    def category(self) -> str:
        """complete | pruned | rejected | failed | running."""
        return self.status.category

    @classmethod
    def from_trial(cls, t: Any) -> "TrialRecord":
        """Read an Optuna FrozenTrial (ours, or another tool's that stores at least a genome)."""
        from optuna.trial import TrialState

        a = t.user_attrs
        status = _status_of(t.state, a.get("status"), TrialState)
        history = tuple(float(v) for v in a.get("val_acc_history") or () if isinstance(v, (int, float)))
        values = tuple(t.values) if t.state == TrialState.COMPLETE and t.values else None
        accuracy = None
        if values:
            accuracy = _num(values[0], float)
        elif status is Status.PRUNED:  # where it stood when stopped
            last = t.intermediate_values[max(t.intermediate_values)] if t.intermediate_values else None
            accuracy = _num(a.get("val_acc", history[-1] if history else last), float)
        genome = a.get("genome") if isinstance(a.get("genome"), dict) else None
        arch, params, macs = str(a.get("arch") or ""), _num(a.get("params"), int), _num(a.get("macs"), int)
        if genome is not None and (not arch or params is None or macs is None):
            arch, params, macs = _costs(genome, arch, params, macs)
        return cls(t.number, status, str(a.get("reason") or ""), values, accuracy, genome, arch, params, macs,
                   _num(a.get("acts"), int), _num(a.get("receptive_field"), int),
                   a.get("solved") if isinstance(a.get("solved"), dict) else None, history,
                   _num(a.get("train_seconds"), float), _num(a.get("images_per_second"), float),
                   a.get("latency_ms") if isinstance(a.get("latency_ms"), dict) else None, str(a.get("device") or ""),
                   _num(a.get("worker"), int), a.get("at_chance") if isinstance(a.get("at_chance"), bool) else None,
                   str(a.get("baseline") or ""), dict(t.params),
                   t.duration.total_seconds() if t.duration else None)


def _status_of(state: Any, stored: Any, TrialState: Any) -> Status:  # noqa: N803 (the enum passed in)
    if state == TrialState.RUNNING:
        return Status.RUNNING
    if state == TrialState.WAITING:
        return Status.WAITING
    try:
        status = Status(stored)
    except ValueError:
        status = None
    if state == TrialState.COMPLETE:
        return Status.OK
    if state == TrialState.PRUNED:
        return Status.REJECTED if status is Status.REJECTED else Status.PRUNED  # older studies pruned rejections
    if status is None or not status.failed:
        return Status.ERROR
    return status


def _num(v: Any, kind: type) -> Any:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return kind(v) if ok else None


def _costs(genome: dict, arch: str, params: int | None, macs: int | None) -> tuple[str, int | None, int | None]:
    """Arch, params and MACs computed from a genome, for trials (of other tools) that did not store them."""
    from space import Genome, arch_string, complexity

    try:
        g = Genome.from_dict(genome)
        cost = complexity(g)
    except ValueError:
        return arch, params, macs
    return arch or arch_string(g), cost.params if params is None else params, cost.macs if macs is None else macs


def is_baseline(t: Any) -> bool:
    """Whether a FrozenTrial trains a hand design of --baselines: it sits beside the search, never in it."""
    return bool(t.user_attrs.get("baseline"))


def counts_toward_trials(t: Any) -> bool:
    """Whether a FrozenTrial is one of the trials --trials asks for: a searched one trained to its end, or pruned."""
    return (t.state.name in ("COMPLETE", "PRUNED") and not is_baseline(t)
            and t.user_attrs.get("status") in (Status.OK.value, Status.PRUNED.value))


def owed_by(t: Any) -> bool:
    """Whether a FrozenTrial takes up one of the --trials: counted, or a searched one running or waiting."""
    return counts_toward_trials(t) or (t.state.name in ("RUNNING", "WAITING") and not is_baseline(t))


def write_attrs(trial: Any, **values: Any) -> None:
    """Set trial user attributes (JSON-safe); the one way a trial's record is written."""
    for key, value in values.items():
        trial.set_user_attr(key, jsonable(value.value if isinstance(value, Status) else value))


def _in_folder(name: str) -> property:
    """A StudyPaths property: the file ``name`` in the study folder."""
    return property(lambda self: self.folder / name, doc=f"folder/{name}")


@dataclass(frozen=True)
class StudyPaths:
    """Every file of a study folder, named once."""

    folder: Path

    @classmethod
    def of(cls, studies_dir: str | Path, name: str) -> "StudyPaths":
        """studies_dir/name."""
        return cls(Path(studies_dir) / name)

    db = _in_folder("study.db")
    lock = _in_folder("study.db.lock")
    best = _in_folder("best.json")
    trials_csv = _in_folder("trials.csv")
    dashboard = _in_folder("dashboard.html")
    baselines = _in_folder("baselines.json")
    scaling = _in_folder("scaling.json")
    calibration = _in_folder("calibration.json")

    def sqlite_url(self) -> str:
        """The default storage URL: the SQLite file in the folder."""
        return f"sqlite:///{self.db.resolve()}"


def dumps(value: Any) -> str:
    """JSON text of a record field, for CSV cells."""
    return json.dumps(jsonable(value))
