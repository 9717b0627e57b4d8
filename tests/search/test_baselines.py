"""Budget-matched baselines."""

import pytest

from search.baselines import adapt, baseline_genomes
from search.data import load_data
from search.budget import Budget
from space import complexity, preset


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_data("synthetic:100:32:10", tmp_path_factory.mktemp("cache"))


@pytest.mark.parametrize("macs", [20_000_000, 100_000_000, 400_000_000])
def test_baselines_use_90_to_100_percent_of_the_budget(data, macs):
    genomes = baseline_genomes(data, 32, Budget(max_macs=macs))
    assert set(genomes) == {"resnet20-style", "mobilenet_v2-style"}
    for g in genomes.values():
        assert 0.9 * macs <= complexity(g).macs <= macs
        assert (g.resolution, g.num_classes, g.in_channels) == (32, 10, 3)


def test_mobilenet_v2_is_adapted_to_small_images(data):
    g = adapt(preset("mobilenet_v2"), data, 32)
    assert g.stem.kind == "cifar" and g.stages[1].stride == 1
    assert complexity(g).output_stride == 8
    assert adapt(preset("resnet20"), data, 32).stem == preset("resnet20").stem
