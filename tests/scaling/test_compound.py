"""Compound-scaling arithmetic: rounding rules, scaled genomes of every block type, and family MACs growth."""

import math
import random

import pytest
import torchvision.models._utils as tv_utils

from genomes import random_genome
from scaling import (Coefficients, macs_growth, parse_coefficients, parse_variant, round_depth, round_resolution,
                     round_width, scale_family, scale_genome)
from space import Genome, Head, Stage, Stem, build, complexity, preset

PAPER = Coefficients(1.2, 1.1, 1.15)


@pytest.mark.parametrize("width,mult,expected", [
    (32, 1.1, 32),  # 35.2 rounds down to 32, within 10 %
    (32, 1.2, 40),  # 38.4 -> 40
    (40, 1.1, 48),  # 44 is halfway: rounds up
    (16, 1.1, 16),  # 17.6 -> 16, 91 % of it
    (24, 1.1, 24),  # 26.4 -> 24, 91 % of it
    (3, 1.1, 8),  # never below the divisor
    (9, 2.0, 24),  # 18 -> 16 would lose 11 %: bumped to 24
    (20, 1.1, 24),  # 22 -> 24
    (320, 1.1, 352),
    (1280, 1.8, 2304),
    (12, 1.0, 12),  # a multiplier of 1 leaves a width alone, multiple of 8 or not
])
def test_round_width(width, mult, expected):
    assert round_width(width, mult) == expected


def test_round_width_is_torchvisions_make_divisible():
    for c in range(1, 400):
        for w in (1.05, 1.1, 1.15, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 3.3):
            assert round_width(c, w) == tv_utils._make_divisible(c * w, 8), (c, w)
            assert round_width(c, w) >= 0.9 * c * w


@pytest.mark.parametrize("depth,mult,expected", [
    (1, 1.0, 1), (1, 1.1, 2), (3, 1.1, 4), (4, 3.1, 13), (2, 1.5, 3), (5, 1.2, 6), (3, 1.2 ** 2, 5),
])
def test_round_depth_rounds_up(depth, mult, expected):
    assert round_depth(depth, mult) == expected


def test_round_depth_ignores_float_noise():
    assert 25 * 2.2 > 55  # 55.00000000000001: a bare ceil makes it 56
    assert round_depth(25, 2.2) == 55


@pytest.mark.parametrize("res,mult,expected", [
    (224, 1.15, 256),  # 257.6: nearest multiple of 8
    (224, 1.0, 224),
    (28, 1.05, 32),  # 29.4 would round to 32 anyway
    (36, 1.01, 40),  # 36.36 is nearer 40 than 32 and 32 would shrink the input
    (35, 1.02, 35),  # 35.7 rounds to 32, below the base: the base size is kept
    (32, 1.15, 40),  # 36.8
    (32, 1.1, 32),  # 35.2 rounds back to the base
])
def test_round_resolution(res, mult, expected):
    assert round_resolution(res, mult) == expected


def test_coefficients_and_multipliers():
    assert PAPER.product == pytest.approx(1.92027)
    d, w, r = PAPER.multipliers(3)
    assert (d, w, r) == pytest.approx((1.728, 1.331, 1.520875))
    with pytest.raises(ValueError, match="coefficient beta must be a number >= 1"):
        Coefficients(1.2, 0.9, 1.15)


@pytest.mark.parametrize("text,message", [
    ("1.2,1.1", "three numbers alpha,beta,gamma"),
    ("1.2,x,1.15", "coefficient beta is not a number: 'x'"),
    ("1.2,1.1,0.5", "coefficient gamma must be a number >= 1"),
    ("1.2,1.1,nan", "coefficient gamma must be a number >= 1"),
])
def test_parse_coefficients_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_coefficients(text)


def test_parse_coefficients_and_variant():
    assert parse_coefficients(" 1.2, 1.1 ,1.15") == PAPER
    assert [parse_variant(s) for s in ("B0", "b7", "9")] == [0, 7, 9]
    for bad in ("B10", "C3", "B-1", ""):
        with pytest.raises(ValueError, match="variant must be one of B0 ... B9"):
            parse_variant(bad)


def test_scale_genome_every_field():
    g = Genome((Stage("plain", 2, 64, 2, downsample="maxpool"), Stage("bottleneck", 3, 256, 2, expansion=4),
                Stage("mbconv", 1, 40, 1, 5, 6, 0.25), Stage("dwsep", 2, 24, 2), Stage("basic", 1, 20)),
               Stem("deep", 32), Head(conv_width=100, pool=2, hidden=(300, 50), dropout=0.3), resolution=64)
    s = scale_genome(g, 1.2, 1.5, 80)
    assert [(st.width, st.depth) for st in s.stages] == [(80, 3), (304, 5), (48, 2), (32, 3), (24, 2)]
    assert s.stem == Stem("deep", 40)
    assert s.head == Head(conv_width=120, pool=2, hidden=(360, 64), dropout=0.3)
    assert s.resolution == 80
    assert [(a.kernel, a.expansion, a.se, a.stride, a.downsample) for a in s.stages] == \
        [(b.kernel, b.expansion, b.se, b.stride, b.downsample) for b in g.stages]
    assert scale_genome(g, 1.0, 1.0, 64) == g
    assert scale_genome(g, 1.0, 1.0, 64, dropout=0.5).head.dropout == 0.5


def test_scale_genome_stemless_keeps_its_unused_width():
    g = preset("vgg16_bn")
    s = scale_genome(g, 1.1, 1.0, 224)
    assert s.stem == g.stem
    assert s.head.hidden == (4504, 4504)  # 4505.6 -> 4504
    assert s.stages[0].width == 72


def test_scaled_random_genomes_build_and_cost_agree():
    """Every block type scales into a valid genome whose built model has the analytic parameter count."""
    rng = random.Random(6)
    for _ in range(25):
        g = random_genome(rng)
        s = scale_genome(g, rng.choice((1.1, 1.25, 1.6)), rng.choice((1.2, 1.5, 2.0)), 40)
        assert complexity(s).params == sum(p.numel() for p in build(s).parameters())
        assert all(b.depth >= a.depth and b.width >= a.width for a, b in zip(g.stages, s.stages))


def test_bottleneck_inner_width_follows_the_scaled_width():
    s = scale_genome(preset("resnet50"), 1.1, 1.0, 224)
    assert [st.width for st in s.stages] == [280, 560, 1128, 2256]
    net = build(s)
    assert net.stages[0][0].conv1[0].out_channels == 70  # 280 / 4
    assert net.stages[3][0].conv2[0].out_channels == 564


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "efficientnet_b0", "resnet20"])
def test_formula_macs_growth_per_phi_matches_alpha_beta2_gamma2(name):
    """Residual, bottleneck, MBConv (and a CIFAR base at 32): MACs grow by about alpha*beta^2*gamma^2 per phi."""
    fam = scale_family(preset(name), 7, coefficients=PAPER)
    assert fam[0].genome == preset(name) and fam[0].macs_ratio == 1.0
    assert macs_growth(fam) == pytest.approx(PAPER.product, rel=0.15)
    for v in fam[2:]:  # at phi = 1 ceil(1.2 * depth) jumps by whole blocks (ResNet-18's 2 -> 3 is 1.5x)
        assert v.macs_ratio ** (1 / v.phi) == pytest.approx(PAPER.product, rel=0.15), v.name
        assert v.nominal_ratio == 2.0 ** v.phi
        assert v.multiplier_ratio == pytest.approx(PAPER.product ** v.phi)
    assert [v.resolution for v in fam] == [round_resolution(preset(name).resolution, 1.15 ** p) for p in range(8)]


def test_formula_family_of_efficientnet_b0():
    fam = scale_family(preset("efficientnet_b0"), 7, coefficients=PAPER)
    assert [v.resolution for v in fam] == [224, 256, 296, 344, 392, 448, 520, 592]
    assert [st.depth for st in fam[1].genome.stages] == [2, 3, 3, 4, 4, 5, 2]
    assert [v.params for v in fam[:3]] == [5288548, 9109994, 12255408]
    assert [round(v.macs_ratio, 3) for v in fam[1:3]] == [2.229, 4.693]
    assert macs_growth(fam) == pytest.approx(1.956, abs=0.001)


def test_scale_family_arguments():
    with pytest.raises(ValueError, match="exactly one of coefficients or a table"):
        scale_family(preset("resnet18"), 3)
    with pytest.raises(ValueError, match="B0 ... B9"):
        scale_family(preset("resnet18"), 10, coefficients=PAPER)
    assert math.isclose(macs_growth(scale_family(preset("resnet18"), 0, coefficients=PAPER)), 1.0)


def test_grouped_stages_scale_to_whole_groups():
    # 160 x 1.1 = 176 and 400 x 1.1 = 440: 440 is not a multiple of regnet_x's 16-channel groups, so it rounds to 448
    g = scale_genome(preset("regnet_x_400mf"), 1.1, 1.0, 224)
    assert [st.width for st in g.stages] == [32, 64, 176, 448] and all(st.width % 16 == 0 for st in g.stages)
