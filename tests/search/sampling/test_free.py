"""The free space: validation, sampling and fitting to a budget (unchanged behaviour)."""

import json
import random

import optuna
import pytest

from search.budget import Budget
from search.sampling import DataShape, Infeasible, SearchSpace, SpaceError, fit_to_budget, sample_genome, scale_widths
from search.sampling import load_space as load_any


def load_space(path):  # a file of free-space fields, read as the free space
    return load_any(path, default_kind="free")
from space import BLOCK_FACTS, Genome, Stage, Stem, build, complexity


def sample(seed: int, space: SearchSpace = SearchSpace(), resolution: int = 32) -> Genome:
    rng = random.Random(seed)

    class Fake:  # draws uniformly, like a random sampler, without a study
        def suggest_categorical(self, name, choices):
            return rng.choice(choices)

        def suggest_int(self, name, low, high):
            return rng.randint(low, high)

    return sample_genome(Fake(), space, resolution, 3, 10)


def test_samples_span_the_design_patterns_and_always_run():
    genomes = [sample(s) for s in range(300)]
    blocks = {st.block for g in genomes for st in g.stages}
    assert blocks == {"plain", "basic", "bottleneck", "mbconv", "dwsep", "dense", "inception"}
    assert {g.stem.kind for g in genomes} == {"cifar", "conv3x3", "deep", "patchify", "resnet"}
    assert {len(g.stages) for g in genomes} == {3, 4, 5, 6}
    assert {st.kernel for g in genomes for st in g.stages} == {3, 5, 7}
    assert {st.se for g in genomes for st in g.stages} == {0.0, 0.25}
    for g in genomes:  # strides never shrink the map below min_size, so every sample has a cost
        assert complexity(g).stages[-1].size >= 2


def test_dense_and_inception_are_drawn_and_fitted_at_imagenet_size():
    rng = random.Random(0)

    class Fake:
        def suggest_categorical(self, name, choices):
            return rng.choice(choices)

        def suggest_int(self, name, low, high):
            return rng.randint(low, high)

    drawn = {}
    for _ in range(60):
        try:
            g = SearchSpace().sample(Fake(), DataShape(224, 3, 1000), Budget(3_000_000_000)).genome
        except Infeasible:
            continue
        drawn.update({st.block: g for st in g.stages if st.block in ("dense", "inception")})
    assert set(drawn) == {"dense", "inception"}
    for g in drawn.values():  # a dense stage halves in its transition, an inception stage in a 3x3 max-pool
        cost = complexity(g)
        assert 0.5e9 < cost.macs <= 3e9 and cost.params == sum(p.numel() for p in build(g).parameters())
        assert all(st.downsample == ("stride" if st.stride == 1 else BLOCK_FACTS[st.block].downsample)
                   for st in g.stages)


def test_fixed_trial_gives_exactly_the_asked_genome():
    params = {"stem": "cifar", "stem_width": 16, "n_stages": 3, "activation": "relu",
              **{f"s{i}_{k}": v for i in range(3) for k, v in
                 (("block", "basic"), ("stride", 1 if i == 0 else 2), ("depth", 3), ("width", 16 * 2 ** i),
                  ("kernel", 3), ("se", 0.0))}}
    g = sample_genome(optuna.trial.FixedTrial(params), SearchSpace(), 32, 3, 10)
    # ResNet-20 with projection (option B) shortcuts: two 1x1 convs + BN more than the zero-pad preset
    assert [s.width for s in g.stages] == [16, 32, 64] and g.stages[1].shortcut == "projection"
    assert complexity(g).params == 269_722 + (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64) == 272_474
    assert complexity(g).macs == 40_551_040 + 16 * 32 * 16 * 16 + 32 * 64 * 8 * 8


def test_fit_to_budget_shrinks_to_the_widest_fit():
    g = Genome((Stage("basic", 2, 64, 1), Stage("basic", 2, 128, 2), Stage("basic", 2, 256, 2)), Stem("cifar", 64),
               resolution=32, num_classes=10)
    budget = Budget(max_macs=50_000_000)
    assert complexity(g).macs > budget.max_macs
    fitted, m = fit_to_budget(g, budget)
    c = complexity(fitted)
    assert c.macs <= 50_000_000 and m < 1
    widths = [fitted.stem.width] + [s.width for s in fitted.stages]
    assert all(w % 8 == 0 for w in widths)
    assert complexity(scale_widths(g, m * 1.05)).macs > 50_000_000 or scale_widths(g, m * 1.05) == fitted


def test_fit_to_budget_widens_to_the_lower_bound_and_rejects_the_impossible():
    g = Genome((Stage("basic", 1, 16, 1), Stage("basic", 1, 32, 2), Stage("basic", 1, 64, 2)), Stem("cifar", 16),
               resolution=32, num_classes=10)
    fitted, m = fit_to_budget(g, Budget(max_macs=40_000_000, min_macs=20_000_000))
    assert 20_000_000 <= complexity(fitted).macs <= 40_000_000 and m > 1
    assert fit_to_budget(g, Budget(max_macs=100_000)) is None  # even 8 channels everywhere cost more
    assert fit_to_budget(g, Budget(max_params=1_000)) is None
    fitted, m = fit_to_budget(g, Budget(max_params=20_000))
    assert complexity(fitted).params <= 20_000


def test_budget_fits_its_bounds_inclusive():
    b = Budget(max_macs=100, max_params=10, min_macs=50)
    assert b.fits(100, 10) and b.fits(50, 1) and not b.fits(101, 10) and not b.fits(100, 11) and not b.fits(49, 1)


@pytest.mark.parametrize("content, message", [
    ({"blocks": ["transformer"]}, "space.blocks: 'transformer' is not allowed"),
    ({"kernels": [4]}, "space.kernels: 4 is not allowed"),
    ({"stages": [5, 3]}, "space.stages: must be [min, max]"),
    ({"depths": [0, 2]}, "space.depths"),
    ({"widths": []}, "space.widths: must not be empty"),
    ({"se": [2]}, "space.se[0]"),
    ({"widht": [8]}, "unknown field 'widht'"),
])
def test_space_file_errors_name_the_field(tmp_path, content, message):
    path = tmp_path / "space.json"
    path.write_text(json.dumps(content))
    with pytest.raises(SpaceError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_space(path)


def test_yaml_space_narrows_the_search(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("blocks: [mbconv]\nkernels: [3]\nstages: [3, 3]\n")
    space = load_space(path)
    g = sample(0, space)
    assert {s.block for s in g.stages} == {"mbconv"} and len(g.stages) == 3
    (tmp_path / "bad.yaml").write_text("blocks: [mbconv\n")
    with pytest.raises(SpaceError, match="malformed YAML"):
        load_space(tmp_path / "bad.yaml")


def test_kind_free_file_selects_the_free_space(tmp_path):
    from search.sampling import load_space as load

    path = tmp_path / "space.yaml"
    path.write_text("kind: free\nblocks: [basic]\n")
    space = load(path)
    assert space == SearchSpace(blocks=("basic",)) and space.to_dict()["kind"] == "free"
    assert load("free") == SearchSpace()
