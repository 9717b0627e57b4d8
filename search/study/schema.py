"""The study schema: what a study's settings hold, and how they live in Optuna.

A study is a plain Optuna study. Everything that fixes what its trials mean is one frozen
:class:`StudySettings`, stored as ONE study user attribute (``nas_settings``, a JSON object), so it
is written in one step and read back whole. A trial's record is :mod:`.record`'s; a study folder's
files are :mod:`.paths`'. Nothing else in the package spells these keys.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Mapping

from ..budget import Budget
from ..files import jsonable

SETTINGS_KEY = "nas_settings"
RUN_KEY = "nas_last_run"  # the per-run choices (sampler, pruner) of the study's last run, to say when they change
SCHEMA_VERSION = 2
SPLIT_SEED = 0  # seeds a new study's validation split and synthetic images: never a worker's --seed, so workers
# started at once with their own seeds (Optuna's way to run several) draw the same data and join one study
PER_RUN = ("data", "version", "heartbeat_s")  # settings a rerun or a racing worker adopts instead of comparing


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
