"""The pattern space: the acceptance bar on its samples, exact reproduction from params, and space files."""

import json

import optuna
import pytest

from search.budget import Budget
from search.sampling import (DataShape, Infeasible, PatternSpace, SpaceError, dry_run, feasible_range, load_space,
                             measure, refusal)
from space import complexity

optuna.logging.set_verbosity(optuna.logging.WARNING)
SETTINGS = {"32px-400M": (DataShape(32, 3, 10), 400_000_000, 16),
            "224px-400M": (DataShape(224, 3, 1000), 400_000_000, 16), "24px-5M": (DataShape(24, 1, 5), 5_000_000, 8)}


def run(setting, n=300, objectives=1, space=None):
    shape, macs, narrow = SETTINGS[setting]
    budget = Budget(macs)
    return dry_run(space or PatternSpace(), shape, budget, objectives, n, optuna.samplers.RandomSampler(seed=1),
                   narrow), budget, narrow


@pytest.mark.parametrize("setting", SETTINGS)
def test_pattern_samples_follow_the_design_rules(setting):
    d, budget, narrow = run(setting)
    q = d.quality
    ms = [measure(s, budget) for s in d.sampled]
    assert q.non_decreasing == 1.0 and q.bad_halvings == 0.0 and q.last_map_ok == 1.0
    assert q.deep_skip_free == 0.0 and q.narrow_bottleneck == 0.0
    assert all(m.narrowest >= narrow for m in ms)
    assert q.rf_ok >= 0.99
    assert all(budget.fits(complexity(s.genome).macs, None) for s in d.sampled)
    assert q.rejected == 0.0 and q.near_top >= 0.9


def test_a_shape_too_big_for_a_small_budget_keeps_only_the_growth_that_fits():
    # stage growth x2.5 twice with 5x5 kernels: even at 8 channels its last stage is over 5M MACs at 24 px
    trial = optuna.trial.FixedTrial({"stem": "cifar", "activation": "relu", "depth": 1, "s0_block": "basic",
                                     "s0_kernel": 5, "s0_se": 0.0, "s1_block": "basic", "s1_growth": 2.5,
                                     "s1_kernel": 5, "s1_se": 0.0, "s2_block": "basic", "s2_growth": 2.5,
                                     "s2_kernel": 5, "s2_se": 0.0, "head_width": 0, "dropout": 0.0})
    s = PatternSpace().sample(trial, DataShape(24, 1, 5), Budget(5_000_000), 1)
    assert 0 < s.growth_kept < 1 and s.attrs()["growth_kept"] == round(s.growth_kept, 6)
    assert complexity(s.genome).macs <= 5_000_000
    widths = [s.genome.stem.width] + [st.width for st in s.genome.stages]
    assert widths[0] == 8 and all(1.5 <= b / a <= 3 for a, b in zip(widths[1:], widths[2:]))


def test_multi_objective_spreads_across_the_budget():
    d, _, _ = run("32px-400M", n=200, objectives=2)
    lo, mid, hi = d.quality.macs_share
    assert lo < 0.2 and 0.3 < mid < 0.8 and hi > 0.95
    assert all("target" in s.attrs() for s in d.sampled)


@pytest.mark.parametrize("sampler", [optuna.samplers.RandomSampler(seed=3), optuna.samplers.TPESampler(seed=3)])
def test_params_reproduce_the_genome_exactly(sampler):
    space, shape, budget = PatternSpace(), DataShape(32, 3, 10), Budget(400_000_000)
    study = optuna.create_study(sampler=sampler, directions=["maximize", "minimize"])
    for _ in range(12):
        trial = study.ask()
        first = space.sample(trial, shape, budget, 2)
        study.tell(trial, [1.0, 1.0])
        again = optuna.create_study(directions=["maximize", "minimize"])
        again.enqueue_trial(trial.params)
        assert space.sample(again.ask(), shape, budget, 2) == first


def test_budgets_no_network_can_meet_are_refused_before_any_trial():
    lo, hi = feasible_range(PatternSpace(), DataShape(32, 3, 10))
    assert lo < 2_000_000 < 1_000_000_000 < hi
    msg = refusal(Budget(1000), lo, hi, 32)
    assert msg.startswith("no network in this space fits 1.00K MACs: the smallest costs 445.68K MACs, the largest ")
    assert msg.endswith(" at 32x32") and refusal(Budget(400_000_000), lo, hi, 32) is None
    with pytest.raises(Infeasible):
        trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
        PatternSpace().sample(trial, DataShape(32, 3, 10), Budget(1000), 1)


def test_space_files_narrow_and_widen(tmp_path):
    (tmp_path / "narrow.yaml").write_text("blocks: [mbconv]\nkernels: [3]\nstems: [resnet]\ndepths: [2, 2]\n")
    space = load_space(tmp_path / "narrow.yaml")
    d, _, _ = run("224px-400M", n=30, space=space)
    assert {st.block for g in d.genomes for st in g.stages} == {"mbconv"}
    assert {g.stem.kind for g in d.genomes} == {"resnet"} and {st.kernel for g in d.genomes for st in g.stages} == {3}
    (tmp_path / "wide.json").write_text(json.dumps({"growth": [1.2, 3.0], "depths": [1, 8], "kernels": [3, 5, 7]}))
    wide = load_space(tmp_path / "wide.json")
    assert wide.growth == (1.2, 3.0) and wide.to_dict()["kind"] == "pattern" and wide != PatternSpace()
    assert load_space(None) == load_space("pattern") == PatternSpace()
    assert PatternSpace().to_dict() == json.loads(json.dumps(PatternSpace().to_dict()))


@pytest.mark.parametrize("content, message", [
    ({"blocks": ["dense"]}, "space.blocks: 'dense' is not allowed"),
    ({"kernels": [4]}, "space.kernels: 4 is not allowed"),
    ({"depths": [3, 1]}, "space.depths: must be [min, max]"),
    ({"growth": [1.5]}, "space.growth: must be [min, max]"),
    ({"se": [2]}, "space.se[0]"),
    ({"widths": [8]}, "unknown field 'widths' for a pattern space"),
    ({"kind": "grid"}, "kind 'grid' is not a kind of space"),
])
def test_space_file_errors_name_the_field(tmp_path, content, message):
    path = tmp_path / "space.json"
    path.write_text(json.dumps(content))
    with pytest.raises(SpaceError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_space(path)
