"""Genome validation and JSON round trips."""

import json
import random

import pytest

from genomes import random_genome
from space import PRESETS, Genome, GenomeError, Head, Stage, Stem, arch_string, load_genome, preset


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_round_trip_through_json(name):
    g = preset(name)
    assert Genome.from_json(g.to_json()) == g
    assert hash(Genome.from_dict(json.loads(json.dumps(g.to_dict())))) == hash(g)


def test_random_genomes_round_trip():
    for seed in range(50):
        g = random_genome(random.Random(seed))
        assert Genome.from_dict(g.to_dict()) == g


@pytest.mark.parametrize("change, field", [
    ({"kernel": 4}, "stage.kernel"), ({"width": 0}, "stage.width"), ({"stride": 3}, "stage.stride"),
    ({"depth": 0}, "stage.depth"), ({"se": 2}, "stage.se"), ({"block": "densenet"}, "stage.block"),
    ({"expansion": 6}, "stage.expansion"), ({"downsample": "avg"}, "stage.downsample"),
])
def test_bad_stage_fields_name_the_field_and_allowed_values(change, field):
    d = {"block": "basic", "depth": 2, "width": 64, **change}
    with pytest.raises(GenomeError, match=field):
        Stage(**d)


@pytest.mark.parametrize("stage, message", [
    (dict(block="basic", depth=1, width=64, group_width=16), "only bottleneck blocks have a grouped conv"),
    (dict(block="bottleneck", depth=1, width=64, expansion=4, group_width=32), "16-channel inner conv"),
    (dict(block="bottleneck", depth=1, width=64, group_width=-8), "must be 0"),
])
def test_group_width_errors_name_the_field(stage, message):
    with pytest.raises(GenomeError, match=f"stage.group_width: .*{message}"):
        Stage(**stage)


@pytest.mark.parametrize("stage, message", [
    (dict(block="dense", depth=6, width=32, stride=2), r"stage.downsample: dense blocks .* do not stride: .*"
                                                       r"\(transition, or maxpool, maxpool3\)"),
    (dict(block="inception", depth=1, width=256, stride=2), r"stage.downsample: inception blocks .*\(maxpool3"),
    (dict(block="basic", depth=1, width=64, stride=2, downsample="transition"),
     "stage.downsample: a transition compresses a concatenation: only dense stages take one, not basic"),
    (dict(block="inception", depth=1, width=255, branches=(64, 96, 128, 16, 32, 32)),
     r"stage.width: an inception stage's width is its concatenated branches 64\+128\+32\+32 = 256, got 255"),
    (dict(block="inception", depth=1, width=6), "stage.width: .* at least 8, got 6"),
    (dict(block="inception", depth=1, width=64, branches=(64, 0)), r"stage.branches: must be 6 whole numbers"),
    (dict(block="basic", depth=1, width=64, branches=(64,)), "stage.branches: only inception blocks take"),
    (dict(block="basic", depth=1, width=64, expansion=4), "stage.expansion: basic blocks take no expansion"),
])
def test_concatenating_blocks_errors_name_the_field(stage, message):
    with pytest.raises(GenomeError, match=message):
        Stage(**stage)


def test_a_dense_stage_hands_on_its_concatenation_compressed_by_its_transition():
    assert Stage("dense", 6, 32, 2, expansion=4, downsample="transition").out_channels(64) == (64 + 6 * 32) // 2
    assert Stage("dense", 16, 32, 1, expansion=4).out_channels(512) == 1024
    assert Stage("inception", 1, 256).out_channels(192) == 256


def test_kernel_error_lists_the_allowed_values():
    with pytest.raises(GenomeError, match=r"stage.kernel: must be one of 3, 5, 7; got 4"):
        Stage("basic", 1, 8, kernel=4)


@pytest.mark.parametrize("make, field", [
    (lambda: Stem("vgg"), "stem.kind"), (lambda: Head(dropout=1.0), "head.dropout"),
    (lambda: Genome(()), "stages"), (lambda: Genome((Stage("basic", 1, 8),) * 13), "stages"),
    (lambda: Genome((Stage("basic", 1, 8),), activation="tanh"), "activation"),
    (lambda: Genome((Stage("basic", 1, 8),), num_classes=1), "num_classes"),
])
def test_bad_genome_fields(make, field):
    with pytest.raises(GenomeError, match=field):
        make()


def test_from_dict_rejects_unknown_and_missing_fields():
    with pytest.raises(GenomeError, match=r"stages\[0\]: unknown field 'kernal'"):
        Genome.from_dict({"stages": [{"block": "basic", "depth": 1, "width": 8, "kernal": 3}]})
    with pytest.raises(GenomeError, match="missing the field 'stages'"):
        Genome.from_dict({"stem": {}})
    with pytest.raises(GenomeError, match="malformed"):
        Genome.from_json("{")


def test_load_genome_accepts_a_wrapped_genome(tmp_path):
    g = preset("resnet20")
    (tmp_path / "g.json").write_text(json.dumps({"genome": g.to_dict(), "val_acc": 0.9}))
    assert load_genome(tmp_path / "g.json") == g
    with pytest.raises(GenomeError, match="cannot read"):
        load_genome(tmp_path / "missing.json")


def test_arch_string_renders_the_genome():
    assert arch_string(preset("efficientnet_b0")).startswith("conv3x3:32 mb_d1_w16_s1_k3_se.25 mb_d2_w24_s2_k3_e6")
    assert arch_string(preset("vgg16_bn")).endswith("flat7_fc4096x4096_do0.5 relu@224")
