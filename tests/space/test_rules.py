"""Design-rule notes name what a genome breaks, never raise; the notes of the presets are pinned."""

from space import BLOCK_FACTS, Genome, Stage, Stem, complexity, preset
from space.rules import conv_depth, design_notes, longest_skip_free, rules_ok


def notes(g, resolution=None):
    return design_notes(g, complexity(g, resolution))


RESNET_PARAMS = "(typical of ResNets; width there is the cheapest place to cut)"


def test_resnet50_passes_the_checklist():
    assert notes(preset("resnet50")) == [
        "ok: receptive field at the last stage is 427 px, 191% of the 224 px input (rule: >= 70%)",
        "ok: 4 resolution levels (56, 28, 14, 7 px) from the 224 px input (rule: 4-5 at this size)",
        "ok: 50 weighted layers, 2 of them outside residual blocks, at most 1 in a row",
        f"info: the last two stages hold 86% of the parameters, the head 8% {RESNET_PARAMS}",
    ]


def test_resnet20_passes_with_three_levels_on_cifar():
    assert notes(preset("resnet20")) == [
        "ok: receptive field at the last stage is 81 px, 253% of the 32 px input (rule: >= 70%)",
        "ok: 3 resolution levels (32, 16, 8 px) from the 32 px input (rule: 3-5 at this size)",
        "ok: 20 weighted layers, 2 of them outside residual blocks, at most 1 in a row",
        f"info: the last two stages hold 94% of the parameters, the head 0% {RESNET_PARAMS}",
    ]


def test_vgg16_pairs_each_pool_with_the_next_stage_and_sees_its_head():
    assert notes(preset("vgg16_bn")) == [
        "ok: receptive field at the last stage is 212 px, 95% of the 224 px input (rule: >= 70%)",
        "note: stage 4 halves the resolution but changes channels 512 -> 512 (x1); the rule is roughly x2",
        "ok: 5 resolution levels (112, 56, 28, 14, 7 px) from the 224 px input (rule: 4-5 at this size)",
        "note: 16 of the 16 weighted layers have no skip connection around them, 16 in a row; plain stacks "
        "deeper than ~10 layers degrade (He et al. 2016): use residual blocks",
        "info: the last two stages hold 9% of the parameters, the head 89%",
        "note: the head holds 89% of the parameters (fully-connected layers on a 7x7 map); a global-average-pool "
        "head removes most",
    ]


def test_mobilenet_v2_counts_its_transition_blocks_as_skip_free():
    assert notes(preset("mobilenet_v2")) == [
        "ok: receptive field at the last stage is 491 px, 219% of the 224 px input (rule: >= 70%)",
        "note: stage 0 shrinks channels 32 -> 16; widths usually never decrease with depth",
        "note: stage 2 halves the resolution but changes channels 24 -> 32 (x1.3); the rule is roughly x2",
        "ok: 5 resolution levels (112, 56, 28, 14, 7 px) from the 224 px input (rule: 4-5 at this size)",
        "ok: 53 weighted layers, 23 of them outside residual blocks, at most 6 in a row",
        "info: the last two stages hold 36% of the parameters, the head 48%",
    ]


def test_efficientnet_b0_at_224_and_at_24_px():
    assert notes(preset("efficientnet_b0")) == [
        "ok: receptive field at the last stage is 851 px, 380% of the 224 px input (rule: >= 70%)",
        "note: stage 0 shrinks channels 32 -> 16; widths usually never decrease with depth",
        "ok: 5 resolution levels (112, 56, 28, 14, 7 px) from the 224 px input (rule: 4-5 at this size)",
        "ok: 50 weighted layers, 23 of them outside residual blocks, at most 6 in a row",
        "info: the last two stages hold 52% of the parameters, the head 32%",
    ]
    small = notes(preset("efficientnet_b0"), 24)
    assert "ok: 5 resolution levels (12, 6, 3, 2, 1 px) from the 24 px input (rule: 3-5 at this size)" in small
    assert ("note: the last feature map is 1x1: the last stages see no spatial structure; remove a stride or "
            "raise the resolution") in small
    assert not rules_ok(small)


def test_resnet18_at_8_px_is_told_its_maps_vanish():
    assert notes(preset("resnet18"), 8)[1:3] == [
        "note: 2 resolution levels (2, 1 px) from the 8 px input (rule: 3-5 at this size)",
        "note: the last feature map is 1x1: the last stages see no spatial structure; remove a stride or "
        "raise the resolution",
    ]


def test_a_deep_plain_net_with_small_receptive_field_and_narrow_bottlenecks_gets_notes():
    g = Genome((Stage("plain", 6, 32, 1), Stage("plain", 6, 128, 2), Stage("bottleneck", 1, 128, 2, expansion=4)),
               Stem("cifar", 16), resolution=128, num_classes=10)
    text = "\n".join(notes(g))
    assert conv_depth(g) == 1 + 12 + 3 + 1
    assert conv_depth(g, skip_free_only=True) == 14 and longest_skip_free(g) == 13
    assert "14 of the 17 weighted layers have no skip connection around them, 13 in a row" in text
    assert "only" in text and "receptive field" in text
    assert "stage 1 halves the resolution but changes channels 32 -> 128 (x4)" in text
    assert "stage 2 uses bottleneck blocks at 128 channels; ResNet uses them from 256 up" in text


def test_depths_and_block_facts():
    assert conv_depth(preset("vgg16_bn")) == 16
    assert conv_depth(preset("resnet18")) == 18
    assert conv_depth(preset("mobilenet_v2")) == 53
    assert conv_depth(preset("mobilenet_v2"), skip_free_only=True) == 23
    mb = BLOCK_FACTS["mbconv"]
    assert mb.has_residual(24, 24, 1) and not mb.has_residual(24, 24, 2) and not mb.has_residual(16, 24, 1)
    assert (mb.weighted_layers(1.0), mb.weighted_layers(6.0)) == (2, 3)
    assert [BLOCK_FACTS[b].has_residual(16, 32, 2) for b in ("plain", "basic", "bottleneck", "dwsep")] == \
        [False, True, True, False]


def test_regnets_ratio_one_bottleneck_is_not_called_narrow():
    # ResNet's 256-channel floor is for bottlenecks that reduce their width; RegNet's (ratio 1) reduce nothing
    text = "\n".join(design_notes(preset("regnet_x_400mf"), complexity(preset("regnet_x_400mf"))))
    assert "uses bottleneck blocks" not in text
    narrow = Genome((Stage("bottleneck", 1, 128, 2, expansion=4),), Stem("conv3x3", 32))
    assert "stage 0 uses bottleneck blocks at 128 channels" in "\n".join(design_notes(narrow, complexity(narrow)))


def test_notes_say_what_dense_and_inception_stages_are_for_and_what_a_dense_block_holds():
    notes = design_notes(preset("densenet121"), complexity(preset("densenet121")))
    # stage 0: 6 layers at 56x56 concatenate 96, 128, ..., 256 channels: (96 + 256) * 6 / 2 * 56 * 56 elements
    assert "info: stage 0 is a dense block (DenseNet: feature reuse, few parameters, suited to little data): 6 " \
           "layers concatenate 64 + 6x32 = 256 channels at 56x56; their concatenations hold 3,311,616 activations " \
           "per image (12.6 MiB at fp32, growing with the square of the depth)" in notes
    assert "ok: 118 weighted layers, 2 of them outside residual blocks, at most 1 in a row" in notes
    notes = design_notes(preset("googlenet"), complexity(preset("googlenet")))
    assert any(n.startswith("info: stages 0, 1, 2, 3, 4, 5, 6, 7, 8 are inception modules (GoogLeNet") for n in notes)
    assert any(n.startswith("note: 22 of the 22 weighted layers have no skip connection") for n in notes)
