"""The pattern space reads block types from their facts: a new row with its own expansion list is drawn, encoded,
decoded and labelled under that list's name without any sampler code naming it."""

from dataclasses import dataclass, replace

import optuna
import pytest

import space.genome
from search.budget import Budget
from search.sampling import DataShape, PatternSpace, decode, encode, label_mismatches
from search.sampling.pattern import space as pattern_space
from search.sampling.pattern.plan import expansion_param
from space import BLOCK_FACTS, BLOCK_KINDS, BlockFacts, complexity, preset
from space.twins import BLOCK_COSTS

optuna.logging.set_verbosity(optuna.logging.WARNING)
CONVNEXT = BlockFacts(short="cnx", residual="always", layers=3, inner="width_times", expansions="mlp_ratios")


@dataclass(frozen=True)
class ConvNeXtSpace(PatternSpace):
    """The pattern space with the list a ConvNeXt-like block draws its MLP ratio from."""

    mlp_ratios: tuple[float, ...] = (2.0, 4.0)


@pytest.fixture
def convnext(monkeypatch):
    """A ConvNeXt-like block registered as one more row of facts; it costs as a bottleneck (the cost is not what
    is tested here, only that the samplers take its expansion param from its row)."""
    monkeypatch.setitem(BLOCK_FACTS, "cnx", CONVNEXT)
    monkeypatch.setitem(BLOCK_COSTS, "cnx", BLOCK_COSTS["bottleneck"])
    monkeypatch.setattr(space.genome, "BLOCK_KINDS", (*BLOCK_KINDS, "cnx"))
    monkeypatch.setitem(pattern_space._ALLOWED, "blocks", (*BLOCK_KINDS, "cnx"))
    return ConvNeXtSpace(blocks=("cnx", "mbconv"))


def test_stored_expansion_param_names_stay_as_studies_hold_them():
    assert expansion_param(2, BLOCK_FACTS["mbconv"]) == "s2_expansion"
    assert expansion_param(2, BLOCK_FACTS["bottleneck"]) == "s2_bottleneck_expansion"


def test_a_new_block_row_names_its_expansion_param_after_its_own_list(convnext):
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(6):
        trial = study.ask()
        g = convnext.sample(trial, DataShape(32, 3, 10), Budget(100_000_000)).genome
        study.tell(trial, 1.0)
        assert all(trial.params[f"s{i}_mlp_ratio"] == st.expansion for i, st in enumerate(g.stages)
                   if st.block == "cnx")
        assert label_mismatches(trial.params, g) == []


def test_a_genome_of_the_new_block_encodes_and_decodes_under_its_param(convnext):
    # CIFAR ResNet-20's layout with the new block at MLP ratio 4
    g = preset("resnet20")
    g = replace(g, stages=tuple(replace(st, block="cnx", expansion=4.0) for st in g.stages))
    params = encode(g, convnext)
    assert [params[f"s{i}_mlp_ratio"] for i in range(3)] == [4.0] * 3
    assert not any(f"s{i}_expansion" in params or f"s{i}_bottleneck_expansion" in params for i in range(3))
    assert decode(params, convnext, DataShape(32, 3, 10), Budget(complexity(g).macs)) == g
    assert label_mismatches(params, g) == []
    assert label_mismatches({"s1_mlp_ratio": 2.0}, g) == ["s1_mlp_ratio: param 2.0, genome 4.0"]
