"""Reading a search space: by name (``pattern``, ``free``) or from a YAML/JSON file, errors naming the field."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from .base import Space, SpaceError
from .free import SearchSpace
from .pattern import PatternSpace

KINDS: dict[str, type] = {"pattern": PatternSpace, "free": SearchSpace}


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
