"""A genome as the pattern space's params, and back: the hand designs are ordinary points of the space.

``encode(g)`` answers every decision of the draw from ``g`` (and checks each answer is one the space offers
there, at ``g``'s own cost as the budget); ``decode(params, ...)`` replays the draw with those answers and
solves the size into the budget. At ``budget = cost(g)`` the solve lands exactly on ``g``'s widths, so
``decode(encode(g)) == g`` for every genome the space holds.
"""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

from space import BLOCK_FACTS, Genome, Stage, complexity

from ...budget import Budget
from ..base import DataShape, SpaceError
from .draw import draw
from .plan import expansion_param
from .space import PatternSpace

_TOP = {"stem": lambda g: g.stem.kind, "activation": lambda g: g.activation, "stages": lambda g: len(g.stages),
        "dropout": lambda g: g.head.dropout}  # params named after a genome field, and where the field is
_STAGE_FIELDS = {f.name for f in fields(Stage)}  # stage params named after the field they hold
_STAGE_PARAM = re.compile(r"s(\d+)_(\w+)$")
_OTHERS = {"shortcut", "head_ratio", "target"}
_TOLERANCE = 1e-9  # a float answer this close to a bound is inside it (ratios of whole widths)


class _Replay:
    """A trial whose answers are given: each one must be among the choices (or in the range) asked there."""

    def __init__(self, answers: dict[str, Any], what: str) -> None:
        self.answers, self.what, self.asked = answers, what, {}

    def _give(self, name: str, inside: bool, offered: str) -> Any:
        value = self.answers[name]
        if not inside:
            raise SpaceError(f"{self.what}: {name} = {value!r} is not offered there ({offered})")
        self.asked[name] = value
        return value

    def _value(self, name: str) -> Any:
        if name not in self.answers:
            raise SpaceError(f"{self.what}: missing {name!r}, which the space asks for these choices")
        return self.answers[name]

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        v = self._value(name)
        return self._give(name, any(v == c and type(v) is not bool for c in choices),
                          f"choices: {', '.join(map(str, choices))}")

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False) -> int:
        v = self._value(name)
        return self._give(name, isinstance(v, int) and not isinstance(v, bool) and low <= v <= high,
                          f"whole numbers {low}-{high} for this budget and these choices")

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float:
        v = self._value(name)
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and \
            low * (1 - _TOLERANCE) <= v <= high * (1 + _TOLERANCE)
        return self._give(name, ok, f"{low:g} to {high:g} for this budget and these choices")


def _answers(g: Genome) -> dict[str, Any]:
    """Every decision of the draw, answered from ``g`` (more than any one draw asks)."""
    a: dict[str, Any] = {name: get(g) for name, get in _TOP.items()} | {"target": 1.0}
    prev = g.stem.width
    for i, st in enumerate(g.stages):
        a |= {f"s{i}_{f}": getattr(st, f) for f in ("stride", "block", "kernel", "group_width", "se", "depth")}
        if BLOCK_FACTS[st.block].expands:
            a[expansion_param(i, BLOCK_FACTS[st.block])] = st.expansion
        a[f"s{i}_growth"] = st.width / prev
        prev = st.width
    shortcuts = [st.shortcut for st in g.stages if BLOCK_FACTS[st.block].residual == "always"]
    a["shortcut"] = shortcuts[0] if shortcuts else "projection"
    a["head_ratio"] = g.head.conv_width / g.stages[-1].width
    return a


def _held_field(i: int, suffix: str) -> str:
    """The Stage field the param ``s{i}_{suffix}`` holds ("" for none): expansion under any block's expansion
    param, else the field it is named after."""
    if any(f"s{i}_{suffix}" == expansion_param(i, facts) for facts in BLOCK_FACTS.values() if facts.expands):
        return "expansion"
    return suffix if suffix in _STAGE_FIELDS else ""


def _difference(got: Any, want: Any, where: str = "genome") -> str:
    """Where two genome dicts first differ, or ""."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key in want:
            if d := _difference(got.get(key), want[key], f"{where}.{key}" if where != "genome" else key):
                return d
        return ""
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return next((d for i, (a, b) in enumerate(zip(got, want)) if (d := _difference(a, b, f"{where}[{i}]"))), "")
    return "" if got == want else f"{where} is {want!r} where the space draws {got!r}"


def encode(g: Genome, space: PatternSpace) -> dict[str, Any]:
    """The params the space's draw takes to give ``g`` (at ``g``'s own cost as the budget); SpaceError names
    the first decision or field that is not a point of the space."""
    what = f"not a point of the {space.kind} space"
    replay = _Replay(_answers(g), what)
    got = draw(space, replay, DataShape(g.resolution, g.in_channels, g.num_classes), Budget(complexity(g).macs), 1)
    if problem := _difference(got.genome.to_dict(), g.to_dict()):
        raise SpaceError(f"{what}: {problem}")
    return replay.asked


def decode(params: dict[str, Any], space: PatternSpace, data: DataShape, budget: Budget | None) -> Genome:
    """The genome ``params`` draw from ``space`` for this data, solved into ``budget`` (None: the widest size)."""
    if not isinstance(params, dict):
        raise SpaceError(f"params: expected a dict of param name -> value, got {type(params).__name__}")
    replay = _Replay(params, "params")
    g = draw(space, replay, DataShape(*data), budget or Budget(), 1).genome
    unused = [k for k in params if k not in replay.asked and k != "target" and (k in _TOP or k in _OTHERS or
                                                                                _STAGE_PARAM.match(k))]
    if unused:
        raise SpaceError(f"params: {unused[0]!r} is not asked by the space for these choices")
    return g


def label_mismatches(params: dict[str, Any], g: Genome) -> list[str]:
    """Params named after a genome field whose value is not that field's value in ``g`` (none, in this space)."""
    out = []
    for name, value in params.items():
        m = _STAGE_PARAM.match(name)
        if name in _TOP:
            held = [_TOP[name](g)]
        elif name == "shortcut":
            held = [st.shortcut for st in g.stages if BLOCK_FACTS[st.block].residual == "always"]
        elif m and (field := _held_field(i := int(m.group(1)), m.group(2))):
            held = [getattr(g.stages[i], field) if i < len(g.stages) else None]
        else:
            continue
        if any(h != value for h in held):
            out.append(f"{name}: param {value!r}, genome {held[0] if len(held) == 1 else held!r}")
    return out
