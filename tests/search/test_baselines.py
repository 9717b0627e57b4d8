"""Budget-matched baselines, shrunk as a person would: fewer blocks per stage before narrower stages."""

import pytest

from search.run.baselines import adapt, baseline_genomes
from search.budget import Budget
from space import arch_string, complexity, preset


def fitted(macs, resolution=32):
    return {name: (complexity(g).macs, complexity(g).params, arch_string(g))
            for name, g in baseline_genomes(3, 10, resolution, Budget(max_macs=macs)).items()}


def test_at_5m_macs_on_32px_the_resnet_loses_blocks_before_channels():
    assert fitted(5_000_000) == {
        "resnet-style": (3_170_624, 19_218, "cifar:8 res_d1_w8_s1_k3_zp res_d1_w16_s2_k3_zp res_d1_w32_s2_k3_zp gap relu@32"),
        "mobilenet_v2-style": (4_187_328, 100_794, "cifar:8 mb_d1_w8_s1_k3 mb_d1_w8_s1_k3_e6 mb_d1_w8_s2_k3_e6 "
                               "mb_d1_w16_s2_k3_e6 mb_d1_w24_s1_k3_e6 mb_d1_w48_s2_k3_e6 mb_d1_w88_s1_k3_e6 "
                               "c352_gap_do0.2 relu6@32")}


def test_at_10m_macs_resnet8_keeps_its_first_stage_at_16():
    assert fitted(10_000_000)["resnet-style"] == (
        9_953_840, 54_986, "cifar:16 res_d1_w16_s1_k3_zp res_d1_w24_s2_k3_zp res_d1_w56_s2_k3_zp gap relu@32")


@pytest.mark.parametrize("macs, depth", [(12_239_488, 1), (26_395_264, 2), (40_551_040, 3), (125_485_696, 9)])
def test_a_budget_that_holds_a_cifar_resnet_exactly_gets_it(macs, depth):
    # resnet8, 14, 20 and 56 at 16/32/64 channels cost exactly these MACs
    assert fitted(macs)["resnet-style"][2] == (f"cifar:16 res_d{depth}_w16_s1_k3_zp res_d{depth}_w32_s2_k3_zp "
                                               f"res_d{depth}_w64_s2_k3_zp gap relu@32")


def test_baselines_fit_the_budget_and_the_data():
    for g in baseline_genomes(1, 4, 16, Budget(max_macs=3_000_000)).values():
        assert complexity(g).macs <= 3_000_000 and (g.resolution, g.num_classes, g.in_channels) == (16, 4, 1)


def test_mobilenet_v2_is_adapted_to_small_images():
    g = adapt(preset("mobilenet_v2"), 3, 10, 32)
    assert g.stem.kind == "cifar" and g.stages[1].stride == 1
    assert complexity(g).output_stride == 8
    assert adapt(preset("resnet20"), 3, 10, 32).stem == preset("resnet20").stem
