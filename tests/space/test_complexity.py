"""The analytic cost walk against built models: params to the unit, MACs to the multiply-add."""

import random

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from genomes import random_genome
from space import ACTIVATIONS, BLOCK_FACTS, BLOCK_KINDS, STEM_KINDS, Genome, GenomeError, Head, Stage, Stem, build, complexity


def measured(g: Genome, resolution: int | None = None) -> tuple[int, int]:
    """(parameters, conv+linear MACs) of the built model on a real forward pass."""
    res = resolution or g.resolution
    model = build(g).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = model(torch.zeros(2, g.in_channels, res, res))
    assert out.shape == (2, g.num_classes)
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 4  # 2 images, 2 flops/MAC


@pytest.mark.parametrize("seed", range(60))
def test_random_genomes_match_the_built_model(seed):
    g = random_genome(random.Random(seed), resolution=random.Random(seed).choice((32, 40, 64)))
    try:
        cost = complexity(g)
    except GenomeError:  # too many strides for this resolution: the walk must agree the model cannot run
        with pytest.raises(RuntimeError):
            measured(g)
        return
    assert (cost.params, cost.macs) == measured(g)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("block", ["dense", "inception"])
def test_concatenating_blocks_match_the_built_model(block, seed):
    # random depths, growth/branch widths, kernels, expansions, SE, downsample modes, stems and heads
    rng = random.Random(seed)
    g = random_genome(rng, resolution=rng.choice((32, 40, 64)), blocks=(block,))
    try:
        cost = complexity(g)
    except GenomeError:
        with pytest.raises(RuntimeError):
            measured(g)
        return
    assert (cost.params, cost.macs) == measured(g)


@pytest.mark.parametrize("stage, rf", [
    (Stage("inception", 1, 64, kernel=5), 3 + 4), (Stage("inception", 1, 64), 3 + 2),  # its widest branch's
    (Stage("dense", 2, 12, kernel=3), 3 + 2 * 2), (Stage("dense", 2, 12, 2, downsample="transition"), 3 + 2 * 2 + 1),
    (Stage("inception", 1, 64, 2, downsample="maxpool3"), 3 + 2 + 2),
])
def test_concatenating_blocks_receptive_field(stage, rf):
    # cifar stem: a 3x3 conv (RF 3); a dense layer's 1x1 adds nothing; a transition's 2x2 pool adds 1
    assert complexity(Genome((stage,), Stem("cifar", 16), resolution=32)).receptive_field == rf


@pytest.mark.parametrize("block", BLOCK_KINDS)
@pytest.mark.parametrize("se", [0.0, 0.25])
def test_every_block_type_with_and_without_se(block, se):
    exp = 4 if block == "bottleneck" else 6 if block == "mbconv" else 4 if BLOCK_FACTS[block].expands else 1
    halve = BLOCK_FACTS[block].downsample  # stride, or the mode of a block that never strides (dense, inception)
    g = Genome((Stage(block, 2, 32, 1, 5, exp, se), Stage(block, 2, 64, 2, 3, exp, se, halve)),
               Stem("cifar", 16), resolution=32, num_classes=10)
    cost = complexity(g)
    assert (cost.params, cost.macs) == measured(g)


@pytest.mark.parametrize("group_width", [8, 16, 32])
@pytest.mark.parametrize("se", [0.0, 0.25])
def test_grouped_bottleneck_with_and_without_se(group_width, se):
    # RegNet's block: bottleneck ratio 1, grouped k x k, SE on the inner width squeezed from the block input
    g = Genome((Stage("bottleneck", 2, 32, 2, 3, 1, se, group_width=group_width),
                Stage("bottleneck", 2, 64, 2, 5, 2, se, group_width=group_width)), Stem("conv3x3", 24),
               resolution=32, num_classes=10)
    cost = complexity(g)
    assert (cost.params, cost.macs) == measured(g)


@pytest.mark.parametrize("stem", STEM_KINDS)
def test_every_stem(stem):
    g = Genome((Stage("basic", 1, 32, 2),), Stem(stem, 24, 4), resolution=64, num_classes=10)
    assert (complexity(g).params, complexity(g).macs) == measured(g)


@pytest.mark.parametrize("stem", STEM_KINDS)
def test_stem_size_is_what_the_walk_hands_the_first_stage(stem):
    from space import stem_size

    g = Genome((Stage("basic", 1, 8),), Stem(stem, 16, 4), resolution=64)
    assert stem_size(g.stem, 64) == complexity(g).stem.size == {"resnet": 16, "deep": 16, "conv3x3": 32,
                                                                  "cifar": 64, "patchify": 16, "inception": 8,
                                                                  "none": 64}[stem]


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_every_activation_builds_and_counts(act):
    g = Genome((Stage("mbconv", 1, 16, 2, expansion=3, se=0.5),), Stem("cifar", 8), activation=act,
               resolution=16, num_classes=3)
    assert (complexity(g).params, complexity(g).macs) == measured(g)


def test_heads_fc_and_conv():
    g = Genome((Stage("plain", 2, 32, 2, downsample="maxpool"),), Stem("none"),
               Head(conv_width=48, pool=3, hidden=(20, 10), dropout=0.3), resolution=24, num_classes=5)
    assert (complexity(g).params, complexity(g).macs) == measured(g)


def test_hand_counted_tiny_network():
    # stem 3x3/1 conv 3->8 (216 w + 16 bn), 8x8: 216*64 MACs; basic block 8->8 at 8x8: 2 * (576 w + 16 bn),
    # 2*576*64 MACs; GAP + linear 8->2: 18 params, 16 MACs
    g = Genome((Stage("basic", 1, 8, 1),), Stem("cifar", 8), resolution=8, num_classes=2)
    c = complexity(g)
    assert c.params == 216 + 16 + 2 * (576 + 16) + 18 == 1434
    assert c.macs == 216 * 64 + 2 * 576 * 64 + 16 == 87568
    assert c.receptive_field == 1 + 2 + 2 + 2 == 7
    assert c.output_stride == 1


def test_receptive_field_and_output_stride_of_resnet50_stages():
    from space import preset

    c = complexity(preset("resnet50"))
    assert [s.receptive_field for s in c.stages] == [35, 91, 267, 427]
    assert [s.output_stride for s in c.stages] == [4, 8, 16, 32]
    assert [s.size for s in c.stages] == [56, 28, 14, 7]
    assert sum(s.params for s in c.stages) + c.stem.params + c.head.params == c.params
    assert sum(s.macs for s in c.stages) + c.stem.macs + c.head.macs == c.macs


def test_detail_layers_add_up_and_agree_with_the_cached_walk():
    from space import preset

    g = preset("efficientnet_b0")
    fast, detail = complexity(g), complexity(g, detail=True)
    assert (fast.params, fast.macs, fast.receptive_field) == (detail.params, detail.macs, detail.receptive_field)
    assert sum(layer.params for layer in detail.layers) == fast.params
    assert sum(layer.macs for layer in detail.layers) == fast.macs
    assert detail.layers[0].name == "stem.0" and detail.layers[-1].name == "head.classifier"
    assert len([layer for layer in detail.layers if layer.kind == "se"]) == 16


def test_other_resolution_scales_macs_not_params():
    from space import preset

    g = preset("resnet18")
    a, b = complexity(g), complexity(g, resolution=448)
    assert a.params == b.params
    assert b.macs - b.head.macs == 4 * (a.macs - a.head.macs)


def test_too_small_resolution_is_a_clear_error():
    g = Genome((Stage("plain", 1, 8, 2, downsample="maxpool"),) * 3, Stem("none"), resolution=4)
    with pytest.raises(GenomeError, match="too small"):
        complexity(g)
