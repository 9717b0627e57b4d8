"""Writes golden_presets.json, every preset's analytic cost at its native resolution, and prints what changed.

Run ``python tests/space/make_golden.py`` after a change meant to alter a preset's cost (or a new preset);
test_golden.py fails on any number that moves otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path

from space import PRESETS, complexity, preset

GOLDEN = Path(__file__).with_name("golden_presets.json")
FIELDS = ("params", "macs", "acts", "receptive_field")
REGENERATE = "python tests/space/make_golden.py"


def costs(name: str) -> dict[str, int]:
    """A preset's four numbers, as the cost walk gives them now."""
    cost = complexity(preset(name))
    return {f: getattr(cost, f) for f in FIELDS}


def load() -> dict[str, dict[str, int]]:
    """The numbers last written to the golden file."""
    return json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}


def changes(old: dict[str, dict[str, int]], new: dict[str, dict[str, int]]) -> list[str]:
    """What moved between two tables: each field that differs, each preset added or removed."""
    out = [f"{name}: removed" for name in old if name not in new]
    for name, row in new.items():
        before = old.get(name)
        out += [f"{name}: added {row}"] if before is None else \
            [f"{name}.{f}: {before.get(f)} -> {v}" for f, v in row.items() if before.get(f) != v]
    return out


def render(table: dict[str, dict[str, int]]) -> str:
    """One preset a line, so a diff of the file shows which presets moved."""
    return "{\n" + ",\n".join(f"  {json.dumps(name)}: {json.dumps(row)}" for name, row in table.items()) + "\n}\n"


def main() -> None:
    """Rewrite the file and say what moved."""
    new = {name: costs(name) for name in PRESETS}
    moved = changes(load(), new)
    GOLDEN.write_text(render(new))
    print("\n".join(moved) if moved else "no change", f"({GOLDEN.name}: {len(new)} presets)", sep="\n")


if __name__ == "__main__":
    main()
