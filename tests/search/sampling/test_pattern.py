"""The pattern space: the bars on its samples, the hand designs as points (encode/decode), honest labels, the
dry run that draws what the search trains first, and space files."""

import json
import re
from pathlib import Path

import optuna
import pytest

from search.budget import Budget
from search.sampling import (DataShape, Infeasible, PatternSpace, SpaceError, decode, dry_run, encode, feasible_range,
                             label_mismatches, load_space, refusal)
from space import PRESETS, Genome, Stage, complexity, preset

optuna.logging.set_verbosity(optuna.logging.WARNING)
SETTINGS = {"32px-40M": (DataShape(32, 3, 10), 40_000_000), "32px-400M": (DataShape(32, 3, 10), 400_000_000),
            "224px-400M": (DataShape(224, 3, 1000), 400_000_000), "24px-grey-5M": (DataShape(24, 1, 5), 5_000_000),
            "64px-50M": (DataShape(64, 3, 10), 50_000_000)}
SMALL = ("24px-grey-5M", "64px-50M")
HAND_DESIGNS = ["resnet20", "resnet56", "resnet18", "resnet34", "resnet50", "mobilenet_v2", "efficientnet_b0",
                "regnet_x_400mf", "regnet_y_400mf"]


def run(setting, n=120, objectives=1, space=None):
    shape, macs = SETTINGS[setting]
    budget = Budget(macs)
    return dry_run(space or PatternSpace(), shape, budget, objectives, n, optuna.samplers.RandomSampler(seed=1)), budget


@pytest.mark.slow
@pytest.mark.parametrize("setting", SETTINGS)
def test_samples_meet_the_space_bars(setting):
    d, budget = run(setting)
    q = d.quality
    assert q.rejected == 0.0 and q.near_top >= 0.9 and q.mislabelled == 0.0 and q.over_cap == 0.0
    assert q.pile <= 0.02 and q.depth_falls <= 0.3 and q.rf_ok >= 0.99 and q.last_map_ok == 1.0
    assert q.shallow <= (1.0 if setting in SMALL else 0.1)
    assert q.narrow_stage <= (0.1 if setting in SMALL else 0.0)
    assert all(budget.fits(complexity(s.genome).macs, None) for s in d.sampled)
    if setting.startswith(("32px", "224px")):
        assert len(q.stage_counts) >= 2
    if setting.startswith("32px"):
        assert set(q.stems) == {"cifar", "conv3x3"}


@pytest.mark.parametrize("name", HAND_DESIGNS)
def test_hand_designs_are_points_of_the_space(name):
    g = preset(name)
    params = encode(g, PatternSpace())
    shape = DataShape(g.resolution, g.in_channels, g.num_classes)
    assert decode(params, PatternSpace(), shape, Budget(complexity(g).macs)) == g
    assert label_mismatches(params, g) == []


def test_densenet121_is_a_point_of_a_space_that_lists_dense_blocks(tmp_path):
    # DenseNet keeps its growth rate k = 32 where it halves and stacks 24 layers: outside the default growth
    # (1.25-3 at a halving) and depths (1-16), and dense blocks are not in the default list; a space file widens them
    (tmp_path / "dense.yaml").write_text("blocks: [dense]\ndepths: [1, 24]\ngrowth: [1.0, 3.0]\n")
    space, g = load_space(tmp_path / "dense.yaml"), preset("densenet121")
    params = encode(g, space)
    assert decode(params, space, DataShape(224, 3, 1000), Budget(complexity(g).macs)) == g
    assert label_mismatches(params, g) == []
    assert [params[f"s{i}_depth"] for i in range(4)] == [6, 12, 24, 16] and params["s1_growth"] == 1.0
    assert params["s0_bottleneck_expansion"] == 4 and [params[f"s{i}_stride"] for i in range(4)] == [2, 2, 2, 1]
    with pytest.raises(SpaceError, match="s0_block = 'dense' is not offered there"):
        encode(g, PatternSpace())


def test_googlenet_is_not_a_point_of_the_pattern_space():
    # its stem, its nine stages (a space has at most eight) and its per-module branch widths are not drawn
    with pytest.raises(SpaceError, match="stem = 'inception' is not offered there"):
        encode(preset("googlenet"), PatternSpace(blocks=("inception",)))


@pytest.mark.parametrize("block", ["dense", "inception"])
def test_a_space_file_of_concatenating_blocks_samples_honest_params(tmp_path, block):
    (tmp_path / "space.yaml").write_text(f"blocks: [{block}]\n")
    d, budget = run("32px-40M", n=12, space=load_space(tmp_path / "space.yaml"))
    assert d.rejected == 0 and len(d.sampled) == 12
    for s, params in zip(d.sampled, d.params):
        assert {st.block for st in s.genome.stages} == {block} and label_mismatches(params, s.genome) == []
        assert budget.fits(complexity(s.genome).macs, None)
        assert all(st.downsample == ("stride" if st.stride == 1 else {"dense": "transition",
                                                                       "inception": "maxpool3"}[block])
                   for st in s.genome.stages)


def test_the_params_of_a_hand_design_name_its_decisions():
    params = encode(preset("resnet20"), PatternSpace())
    assert {k: params[k] for k in ("stem", "stages", "s0_stride", "s0_block", "s0_depth", "s2_depth", "shortcut",
                                   "s1_growth", "head_ratio")} == {
        "stem": "cifar", "stages": 3, "s0_stride": 1, "s0_block": "basic", "s0_depth": 3, "s2_depth": 3,
        "shortcut": "zeropad", "s1_growth": 2.0, "head_ratio": 0.0}
    regnet = encode(preset("regnet_y_400mf"), PatternSpace())
    assert [regnet[f"s{i}_group_width"] for i in range(4)] == [8] * 4 and regnet["s0_bottleneck_expansion"] == 1
    assert "s0_expansion" not in regnet and "s0_group_width" not in encode(preset("resnet50"), PatternSpace())


def test_a_smaller_budget_decodes_the_same_shape_narrower():
    params = encode(preset("regnet_x_400mf"), PatternSpace())
    g = decode(params, PatternSpace(), DataShape(224, 3, 1000), Budget(200_000_000))
    assert [st.depth for st in g.stages] == [1, 2, 7, 12] and {st.group_width for st in g.stages} == {16}
    # whole groups of 16, and torchvision's rule that rounding never loses over 10 % (a 21-wide stage is 32)
    assert [st.width for st in g.stages] == [32, 48, 96, 240] and g.stem.width == 24
    assert 160_000_000 < complexity(g).macs <= 200_000_000


@pytest.mark.parametrize("name, message", [
    ("vgg16_bn", "stem = 'none' is not offered there (choices: conv3x3, resnet)"),
    ("resnet101", "s2_depth = 23 is not offered there (whole numbers 4-15"),
])
def test_a_genome_outside_the_space_names_the_first_decision(name, message):
    with pytest.raises(SpaceError, match=re.escape(f"not a point of the pattern space: {message}")):
        encode(preset(name), PatternSpace())


def test_a_field_the_space_never_draws_is_named():
    g = preset("resnet20")
    g = g.replace(stages=(g.stages[0].__class__(**{**g.stages[0].__dict__, "downsample": "maxpool"}),) + g.stages[1:])
    with pytest.raises(SpaceError, match=r"stages\[0\].downsample is 'maxpool' where the space draws 'stride'"):
        encode(g, PatternSpace())


@pytest.mark.parametrize("change, message", [
    (lambda p: {k: v for k, v in p.items() if k != "s1_depth"}, "params: missing 's1_depth'"),
    (lambda p: {**p, "s1_block": "dense"}, "s1_block = 'dense' is not offered there"),
    (lambda p: {**p, "s3_depth": 2}, "params: 's3_depth' is not asked by the space"),
])
def test_decode_names_the_bad_param(change, message):
    params = change(encode(preset("resnet20"), PatternSpace()))
    with pytest.raises(SpaceError, match=message):
        decode(params, PatternSpace(), DataShape(32, 3, 10), Budget(40_551_040))


def test_every_param_named_after_a_genome_field_holds_its_value():
    d, _ = run("32px-400M", n=60)
    names = {name for p in d.params for name in p}
    assert {"stem", "activation", "stages", "s0_block", "s0_kernel", "s0_se", "s0_depth", "dropout"} <= names
    assert all(label_mismatches(p, s.genome) == [] for p, s in zip(d.params, d.sampled))
    for p, s in zip(d.params, d.sampled):
        assert p["stages"] == len(s.genome.stages) if "stages" in p else True
        assert all(p.get(f"s{i}_block", st.block) == st.block for i, st in enumerate(s.genome.stages))


def test_a_mismatched_label_is_reported():
    g = preset("resnet20")
    assert label_mismatches({"s1_block": "mbconv", "s0_depth": 3, "lr": 0.1}, g) == [
        "s1_block: param 'mbconv', genome 'basic'"]


def test_multi_objective_spreads_across_the_budget():
    d, _ = run("32px-400M", n=80, objectives=2)
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


def test_a_dry_run_seeded_per_trial_draws_what_each_trial_draws():
    def sampler_for(k):
        return optuna.samplers.RandomSampler(seed=100 + k)

    d = dry_run(PatternSpace(), DataShape(32, 3, 10), Budget(40_000_000), 1, 3, sampler_for)
    for k, s in enumerate(d.sampled):
        alone = optuna.create_study(sampler=sampler_for(k))
        for _ in range(k):  # the trials before it, as the study holds them
            alone.tell(alone.ask(), state=optuna.trial.TrialState.FAIL)
        assert PatternSpace().sample(alone.ask(), DataShape(32, 3, 10), Budget(40_000_000), 1) == s


def test_budgets_no_network_can_meet_are_refused_before_any_trial():
    lo, hi = feasible_range(PatternSpace(), DataShape(32, 3, 10))
    assert lo < 2_000_000 < 1_000_000_000 < hi
    msg = refusal(Budget(1000), lo, hi, 32)
    assert msg.startswith("no network in this space fits 1.00K MACs: the smallest costs ")
    assert msg.endswith(" at 32x32") and refusal(Budget(400_000_000), lo, hi, 32) is None
    with pytest.raises(Infeasible):
        trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
        PatternSpace().sample(trial, DataShape(32, 3, 10), Budget(1000), 1)


README_SPACE = """\
stages: [3, 4]           # fewest and most stages
stems: [cifar, conv3x3]
blocks: [basic, mbconv]  # also bottleneck, plain, dwsep, dense, inception
depths: [1, 6]           # blocks per stage
growth: [1.5, 2.5]       # width factor where a stage halves the resolution
kernels: [3, 5]
se: [0.0, 0.25]
expansions: [1, 4, 6]    # mbconv
activations: [relu, silu]
head_ratios: [0]         # 1x1 head conv as a multiple of the last width, 0 = none
dropouts: [0.0]
"""


def test_space_files_narrow_and_widen(tmp_path):
    (tmp_path / "space.yaml").write_text(README_SPACE)
    space = load_space(tmp_path / "space.yaml")
    d, _ = run("32px-40M", n=30, space=space)
    assert d.rejected == 0 and d.quality.mislabelled == 0
    assert {st.block for g in d.genomes for st in g.stages} == {"basic", "mbconv"}
    assert {len(g.stages) for g in d.genomes} <= {3, 4} and max(st.depth for g in d.genomes for st in g.stages) <= 6
    assert {g.head.conv_width for g in d.genomes} == {0} and {g.activation for g in d.genomes} <= {"relu", "silu"}
    (tmp_path / "narrow.yaml").write_text("blocks: [mbconv]\nkernels: [3]\nstems: [resnet]\ndepths: [2, 2]\n")
    d, _ = run("224px-400M", n=20, space=load_space(tmp_path / "narrow.yaml"))
    assert {st.block for g in d.genomes for st in g.stages} == {"mbconv"} and {g.stem.kind for g in d.genomes} == {
        "resnet"}
    assert {st.depth for g in d.genomes for st in g.stages[:-1]} == {2}
    assert load_space(None) == load_space("pattern") == PatternSpace()
    assert PatternSpace().to_dict() == json.loads(json.dumps(PatternSpace().to_dict()))


@pytest.mark.parametrize("content, message", [
    ({"blocks": ["transformer"]}, "space.blocks: 'transformer' is not allowed"),
    ({"kernels": [4]}, "space.kernels: 4 is not allowed"),
    ({"depths": [3, 1]}, "space.depths: must be [min, max]"),
    ({"stages": [2, 9]}, "space.stages: must be [min, max]"),
    ({"growth": [1.5]}, "space.growth: must be [min, max]"),
    ({"se": [2]}, "space.se[0]"),
    ({"stems": ["cifar", "cifar"]}, "space.stems: 'cifar' is listed twice"),
    ({"se": [0.25, 0, 0.25]}, "space.se: 0.25 is listed twice"),
    ({"group_widths": [8, -8]}, "space.group_widths[1]: must be 0 or a positive width"),
    ({"widths": [8]}, "unknown field 'widths' for a pattern space"),
    ({"kind": "grid"}, "kind 'grid' is not a kind of space"),
])
def test_space_file_errors_name_the_field(tmp_path, content, message):
    path = tmp_path / "space.json"
    path.write_text(json.dumps(content))
    with pytest.raises(SpaceError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_space(path)


def test_every_preset_is_a_genome_the_cost_model_knows():
    assert set(HAND_DESIGNS) <= set(PRESETS) and isinstance(preset("regnet_x_400mf"), Genome)
    assert Stage("bottleneck", 1, 64, group_width=16).groups == 4


def test_the_readme_space_files_load(tmp_path):
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    assert blocks[0] == README_SPACE  # the example the test above samples from
    kinds = []
    for i, text in enumerate(blocks):
        (tmp_path / f"{i}.yaml").write_text(text)
        kinds.append(load_space(tmp_path / f"{i}.yaml").kind)
    assert kinds == ["pattern", "free"]
