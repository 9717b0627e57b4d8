"""Every preset's cost is pinned in golden_presets.json, so a change to the cost walk that moves any of them is seen."""

import pytest

from make_golden import FIELDS, REGENERATE, costs, load
from space import PRESETS

GOLDEN = load()


def test_every_preset_has_a_golden_row():
    assert set(PRESETS) == set(GOLDEN), (
        f"presets without a golden row: {sorted(set(PRESETS) - set(GOLDEN))}; golden rows without a preset: "
        f"{sorted(set(GOLDEN) - set(PRESETS))}; run `{REGENERATE}`")


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_costs_equal_the_golden_file(name):
    assert name in GOLDEN, f"{name} has no golden row; run `{REGENERATE}` and commit the file"
    now = costs(name)
    moved = [f"{name}.{f}: golden {GOLDEN[name][f]}, now {now[f]}" for f in FIELDS if now[f] != GOLDEN[name][f]]
    assert not moved, "; ".join(moved) + f". If the change is meant, run `{REGENERATE}` and commit the file"
