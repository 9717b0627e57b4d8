"""Design-rule notes name what a genome breaks, never raise."""

from space import Genome, Stage, Stem, complexity, preset
from space.rules import conv_depth, design_notes


def notes(g):
    return design_notes(g, complexity(g))


def test_resnet50_passes_the_checklist():
    text = "\n".join(notes(preset("resnet50")))
    assert "receptive field at the last stage is 427 px, 191%" in text
    assert "50 weighted layers, at most 2 of them without skip connections" in text
    assert "last two stages hold 86% of the parameters" in text
    assert "note:" not in text


def test_a_deep_plain_net_with_small_receptive_field_and_narrow_bottlenecks_gets_notes():
    g = Genome((Stage("plain", 6, 32, 1), Stage("plain", 6, 128, 2), Stage("bottleneck", 1, 128, 2, expansion=4)),
               Stem("cifar", 16), resolution=128, num_classes=10)
    text = "\n".join(notes(g))
    assert conv_depth(g) == 1 + 12 + 3 + 1
    assert "14 of the 17 weighted layers have no skip connection" in text
    assert "only" in text and "receptive field" in text
    assert "stage 1 halves the resolution but changes channels 32 -> 128 (x4)" in text
    assert "stage 2 uses bottlenecks at 128 channels" in text


def test_vgg16_depth_is_16():
    assert conv_depth(preset("vgg16_bn")) == 16
    assert conv_depth(preset("resnet18")) == 18
