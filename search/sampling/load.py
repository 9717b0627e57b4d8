"""Reading a search space: by name (``pattern``, ``free``) or from a YAML/JSON file, errors naming the field."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any, Union

from space import ACTIVATIONS, BLOCK_KINDS, KERNELS, STEM_KINDS

from .base import SpaceError
from .free import SearchSpace
from .pattern import PatternSpace

Space = Union[PatternSpace, SearchSpace]
KINDS: dict[str, type] = {"pattern": PatternSpace, "free": SearchSpace}
# what each field of the pattern space may hold: (check, message), one row per field kind
_ALLOWED = {"stems": STEM_KINDS, "blocks": BLOCK_KINDS, "kernels": KERNELS, "activations": ACTIVATIONS}
_RANGES = {"depths": (1, 64), "growth": (1.0, 4.0), "targets": (0.01, 1.0)}


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_fields(space: PatternSpace) -> None:
    """Validate a pattern space, naming the field of the first bad value."""
    for f in fields(space):
        value = getattr(space, f.name)
        if isinstance(value, list):
            value = tuple(value)
            object.__setattr__(space, f.name, value)
        if isinstance(value, tuple) and not value and f.name != "stems":
            raise SpaceError(f"space.{f.name}: must not be empty")
    for name, allowed in _ALLOWED.items():
        for v in getattr(space, name):
            if v not in allowed:
                raise SpaceError(f"space.{name}: {v!r} is not allowed; choose from {', '.join(map(str, allowed))}")
    for name, (lo, hi) in _RANGES.items():
        pair = getattr(space, name)
        whole = name == "depths"
        if (len(pair) != 2 or not all(_is_num(v) and (not whole or isinstance(v, int)) for v in pair)
                or not lo <= pair[0] <= pair[1] <= hi):
            raise SpaceError(f"space.{name}: must be [min, max] {'whole ' if whole else ''}numbers with "
                             f"{lo} <= min <= max <= {hi}, got {list(pair)}")
    for name, lo, hi in (("se", 0, 1), ("expansions", 1, 8), ("dropouts", 0, 0.99)):
        for i, v in enumerate(getattr(space, name)):
            if not _is_num(v) or not lo <= v <= hi:
                raise SpaceError(f"space.{name}[{i}]: must be between {lo} and {hi}, got {v!r}")
    for i, w in enumerate(space.head_widths):
        if not isinstance(w, int) or w < 0:
            raise SpaceError(f"space.head_widths[{i}]: must be 0 or a positive width, got {w!r}")
    for name in ("patch", "min_width", "max_width"):
        v = getattr(space, name)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise SpaceError(f"space.{name}: must be a whole number >= 1, got {v!r}")
    if space.max_width < space.min_width:
        raise SpaceError(f"space.max_width: must be at least min_width ({space.min_width}), got {space.max_width}")


def _read(p: Path) -> Any:
    try:
        text = p.read_text()
    except OSError as e:
        raise SpaceError(f"cannot read search-space file {str(p)!r}: {e.strerror or e}") from None
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text)
        return json.loads(text)
    except Exception as e:  # yaml and json raise different types; both mean the same to the user
        raise SpaceError(f"{p}: malformed {p.suffix.lstrip('.').upper() or 'JSON'}: "
                         f"{str(e).splitlines()[0]}") from None


def space_from_dict(data: Any, where: str = "space", default_kind: str = "pattern") -> Space:
    """A space from its dict form (``kind`` picks pattern or free, ``default_kind`` when absent)."""
    if not isinstance(data, dict):
        raise SpaceError(f"{where}: a search-space file holds one mapping of field: values")
    data = dict(data)
    kind = data.pop("kind", default_kind)
    if kind not in KINDS:
        raise SpaceError(f"{where}: kind {kind!r} is not a kind of space; choose from {', '.join(KINDS)}")
    known = {f.name for f in fields(KINDS[kind])}
    for key in data:
        if key not in known:
            raise SpaceError(f"{where}: unknown field {key!r} for a {kind} space; known fields: "
                             f"{', '.join(sorted(known))}")
    try:
        return KINDS[kind](**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
    except TypeError as e:
        raise SpaceError(f"{where}: {e}") from None


def load_space(spec: str | Path | None, default_kind: str = "pattern") -> Space:
    """None or "pattern": the default pattern space; "free": the free space; else a YAML/JSON file of either."""
    if spec is None or (isinstance(spec, str) and spec in KINDS):
        return KINDS[spec or "pattern"]()
    p = Path(spec)
    if p.suffix.lower() not in (".yaml", ".yml", ".json") and not p.exists():
        raise SpaceError(f"unknown search space {str(spec)!r}: give {' or '.join(KINDS)}, or a .yaml/.json file")
    return space_from_dict(_read(p), str(p), default_kind)
