"""A trial's record: the one table of the keys a trial stores, its one writer and its one reader.

The stored fields of :class:`TrialRecord` ARE the key table: each is written as a trial user attribute under
its own name (one key per field, so optuna-dashboard shows them) by :func:`write_record`, and read back under
the same name by :meth:`TrialRecord.from_trial`. Two more keys hold what an enqueued trial is given
(:data:`ENQUEUED_KEY`, :data:`ENQUEUED_PARAMS_KEY`). Nothing else in the package spells a trial's keys.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Mapping

from ..files import jsonable
from ..status import Status

if TYPE_CHECKING:
    from optuna.trial import BaseTrial, FrozenTrial

ENQUEUED_KEY = "enqueued_genome"  # the genome an enqueued trial trains
ENQUEUED_PARAMS_KEY = "enqueued_params"  # and, when the genome is a point of the study's space, the params drawing it
LEGACY_KEYS = {"val_acc": "accuracy", "val_acc_history": "history"}  # as studies of nas 0.1 stored them


def _stored(default: Any = None) -> Any:
    """A field written as a trial user attribute of its own name."""
    return field(default=default, metadata={"stored": True})


@dataclass(frozen=True)
class TrialRecord:
    """One trial as the tool writes and reads it: what it was, what it cost, how it ended."""

    number: int
    status: Status = _stored(Status.WAITING)
    reason: str = _stored("")
    values: tuple[float, ...] | None = None  # Optuna's objective values (COMPLETE trials only)
    accuracy: float | None = _stored()  # the last validation accuracy: a complete trial's objective
    genome: dict | None = _stored()  # the genome trained (JSON form)
    arch: str = _stored("")
    params: int | None = _stored()
    macs: int | None = _stored()
    acts: int | None = _stored()
    receptive_field: int | None = _stored()
    solved: dict | None = _stored()  # how the size was solved: width_mult, depth_mult, widths, depths
    history: tuple[float, ...] = _stored(())  # validation accuracy per epoch
    epochs: int | None = _stored()  # epochs trained (fewer than the recipe's when pruned or failed)
    train_seconds: float | None = _stored()
    images_per_second: float | None = _stored()
    peak_memory_bytes: int | None = _stored()  # the GPU's peak allocation while it trained (None on a CPU)
    latency_ms: dict | None = _stored()  # {"b1": median ms}
    device: str = _stored("")
    worker: int | None = _stored()
    at_chance: bool | None = _stored()
    baseline: str = _stored("")  # the baseline's name when the trial trained a hand design
    optuna_params: dict = field(default_factory=dict)
    duration_s: float | None = None

    @property
    def category(self) -> str:
        """complete | pruned | rejected | failed | running."""
        return self.status.category

    @classmethod
    def from_trial(cls, t: FrozenTrial) -> "TrialRecord":
        """Read an Optuna FrozenTrial (ours, or another tool's that stores at least a genome)."""
        from optuna.trial import TrialState

        a = stored_attrs(t.user_attrs)
        kw = {f.name: _READ[f.type](a.get(f.name)) for f in fields(cls) if f.name in STORED and f.name != "status"}
        status = status_of(t)
        values = tuple(t.values) if t.state == TrialState.COMPLETE and t.values else None
        if values:
            kw["accuracy"] = _num(values[0], float)
        elif status is not Status.PRUNED:
            kw["accuracy"] = None  # only a complete trial has one, and a pruned one where it stood when stopped
        elif kw["accuracy"] is None:
            last = t.intermediate_values[max(t.intermediate_values)] if t.intermediate_values else None
            kw["accuracy"] = _num(kw["history"][-1] if kw["history"] else last, float)
        if kw["genome"] is not None and (not kw["arch"] or kw["params"] is None or kw["macs"] is None):
            kw["arch"], kw["params"], kw["macs"] = _costs(kw["genome"], kw["arch"], kw["params"], kw["macs"])
        return cls(number=t.number, status=status, values=values, optuna_params=dict(t.params),
                   duration_s=t.duration.total_seconds() if t.duration else None, **kw)


STORED = frozenset(f.name for f in fields(TrialRecord) if f.metadata.get("stored"))


def record_attrs(**values: Any) -> dict:
    """The user attributes that store these record fields (JSON-safe); KeyError for a name not in the table."""
    unknown = sorted(set(values) - STORED)
    if unknown:
        raise KeyError(f"{unknown[0]!r} is not a field of a trial's record ({', '.join(sorted(STORED))})")
    return {k: jsonable(v.value if isinstance(v, Status) else v) for k, v in values.items()}


def write_record(trial: BaseTrial, **values: Any) -> None:
    """Store record fields on a live trial: the one way a trial's record is written."""
    for key, value in record_attrs(**values).items():
        trial.set_user_attr(key, value)


def stored_attrs(user_attrs: Mapping[str, Any]) -> dict:
    """A trial's user attributes under today's names (a legacy key is read where today's is absent)."""
    out = dict(user_attrs)
    for old, new in LEGACY_KEYS.items():
        if old in out and new not in out:
            out[new] = out[old]
    return out


def status_of(t: FrozenTrial) -> Status:
    """How a FrozenTrial ended: its stored status, checked against Optuna's state."""
    from optuna.trial import TrialState

    if t.state == TrialState.RUNNING:
        return Status.RUNNING
    if t.state == TrialState.WAITING:
        return Status.WAITING
    try:
        status = Status(t.user_attrs.get("status"))
    except ValueError:
        status = None
    if t.state == TrialState.COMPLETE:
        return Status.OK
    if t.state == TrialState.PRUNED:
        return Status.REJECTED if status is Status.REJECTED else Status.PRUNED  # older studies pruned rejections
    if status is None or not status.failed:
        return Status.ERROR
    return status


def baseline_of(t: BaseTrial) -> str:
    """The hand design a FrozenTrial trains for --baselines ("" for a searched one): it sits beside the search."""
    return str(t.user_attrs.get("baseline") or "")


def enqueued_of(t: BaseTrial) -> dict | None:
    """The genome (JSON form) a FrozenTrial was enqueued with, or None for a sampled one."""
    g = t.user_attrs.get(ENQUEUED_KEY)
    return g if isinstance(g, dict) else None


def counts_toward_trials(t: FrozenTrial) -> bool:
    """Whether a FrozenTrial is one of the trials --trials asks for: a searched one trained to its end, or pruned."""
    return status_of(t).trained and not baseline_of(t)


def owed_by(t: FrozenTrial) -> bool:
    """Whether a FrozenTrial takes up one of the --trials: counted, or a searched one running or waiting."""
    return (counts_toward_trials(t) or status_of(t) in (Status.RUNNING, Status.WAITING)) and not baseline_of(t)


def _num(v: Any, kind: type) -> Any:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return kind(v) if ok else None


def _floats(v: Any) -> tuple[float, ...]:
    return tuple(float(x) for x in v or () if isinstance(x, (int, float)) and not isinstance(x, bool)) \
        if isinstance(v, (list, tuple)) else ()


# how a stored value of each field type is read back (a value of the wrong type reads as missing)
_READ = {
    "int | None": lambda v: _num(v, int),
    "float | None": lambda v: _num(v, float),
    "str": lambda v: str(v or ""),
    "dict | None": lambda v: v if isinstance(v, dict) else None,
    "bool | None": lambda v: v if isinstance(v, bool) else None,
    "tuple[float, ...]": _floats,
}


def _costs(genome: dict, arch: str, params: int | None, macs: int | None) -> tuple[str, int | None, int | None]:
    """Arch, params and MACs computed from a genome, for trials (of other tools) that did not store them."""
    from space import Genome, arch_string, complexity

    try:
        g = Genome.from_dict(genome)
        cost = complexity(g)
    except ValueError:
        return arch, params, macs
    return arch or arch_string(g), cost.params if params is None else params, cost.macs if macs is None else macs


def dumps(value: Any) -> str:
    """JSON text of a record field, for CSV cells."""
    return json.dumps(jsonable(value))
