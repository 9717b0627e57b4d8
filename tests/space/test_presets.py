"""Presets are exactly the reference networks."""

import pytest
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

from space import PRESETS, build, complexity, preset

IMAGENET = ["resnet18", "resnet34", "resnet50", "resnet101", "vgg16_bn", "mobilenet_v2", "efficientnet_b0",
            "regnet_x_400mf", "regnet_y_400mf"]
# each preset's exact numbers are pinned once, in golden_presets.json (test_golden.py); here they meet torchvision


@pytest.mark.parametrize("name", IMAGENET)
def test_imagenet_presets_equal_torchvision(name):
    reference = getattr(torchvision.models, name)(weights=None)
    cost = complexity(preset(name))
    assert cost.params == sum(p.numel() for p in reference.parameters())
    published_gmacs = torchvision.models.get_model_weights(name).DEFAULT.meta["_ops"]
    assert abs(cost.macs / 1e9 - published_gmacs) / published_gmacs < 0.01


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2", "efficientnet_b0", "regnet_x_400mf", "regnet_y_400mf"])
def test_imagenet_preset_macs_equal_torchvision_forward(name):
    reference = getattr(torchvision.models, name)(weights=None).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        reference(torch.zeros(1, 3, 224, 224))
    assert complexity(preset(name)).macs == counter.get_total_flops() // 2


# torchvision's arguments to build them at 224 px (GoogLeNet without its auxiliary heads)
CONCATENATING = {"densenet121": {}, "googlenet": {"aux_logits": False, "init_weights": True}}


@pytest.mark.parametrize("name", list(CONCATENATING))
def test_densenet121_and_googlenet_equal_torchvision(name):
    reference = getattr(torchvision.models, name)(weights=None, **CONCATENATING[name]).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        reference(torch.zeros(1, 3, 224, 224))
    cost = complexity(preset(name))
    assert cost.params == sum(p.numel() for p in reference.parameters())
    assert cost.macs == counter.get_total_flops() // 2
    published_gmacs = torchvision.models.get_model_weights(name).DEFAULT.meta["_ops"]
    assert abs(cost.macs / 1e9 - published_gmacs) / published_gmacs < 0.01


def test_densenet121_stage_widths_are_torchvisions_concatenations():
    # dense blocks end at 256, 512, 1024, 1024 channels; the transitions halve them; norm5 + ReLU close the net
    cost, g = complexity(preset("densenet121")), preset("densenet121")
    assert [s.channels for s in cost.stages] == [128, 256, 512, 1024]
    assert [s.size for s in cost.stages] == [28, 14, 7, 7] and cost.stem.size == 56
    features = torchvision.models.densenet121(weights=None).features
    assert [st.blocks_out(c) for st, c in zip(g.stages, (64, 128, 256, 512))] == \
        [features.transition1.norm.num_features, features.transition2.norm.num_features,
         features.transition3.norm.num_features, features.norm5.num_features]


def test_cifar_densenet_bc_is_torchvisions_densenet_with_a_3x3_stem():
    # torchvision's DenseNet class at k = 12, 3 x 16 layers, 24 initial features differs only in its 7x7 first conv
    reference = torchvision.models.DenseNet(12, (16, 16, 16), 24, 4, num_classes=10)
    assert complexity(preset("densenet_bc100")).params == \
        sum(p.numel() for p in reference.parameters()) - 24 * 3 * (7 * 7 - 3 * 3)


def test_googlenet_modules_are_torchvisions():
    reference = torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=True)
    modules = [getattr(reference, f"inception{n}") for n in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")]
    built = build(preset("googlenet"))
    for ours, theirs in zip(built.stages, modules):
        assert [sum(p.numel() for p in getattr(ours[0], f"branch{i}").parameters()) for i in range(1, 5)] == \
            [sum(p.numel() for p in getattr(theirs, f"branch{i}").parameters()) for i in range(1, 5)]
    assert [s.size for s in complexity(preset("googlenet")).stages] == [28, 14, 14, 14, 14, 14, 7, 7, 7]


def test_regnet_y_squeezes_its_first_block_from_the_input_width():
    # DESIGN-SPACES.md: in regnet_y_400mf's first block, SE squeezes 48 channels to 8 (0.25 x the 32 input channels)
    se = build(preset("regnet_y_400mf")).stages[0][0].se
    assert (se.reduce.in_channels, se.reduce.out_channels) == (48, 8)
    assert preset("regnet_x_400mf").stages[3].groups == 25 and preset("regnet_y_400mf").stages[3].groups == 55


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_builds_with_the_counted_params(name):
    assert sum(p.numel() for p in build(preset(name)).parameters()) == complexity(preset(name)).params


def test_cifar_resnets_follow_he_et_al():
    r20, r56 = complexity(preset("resnet20")), complexity(preset("resnet56"))
    assert (round(r20.params, -4), round(r56.params, -4)) == (270_000, 850_000)  # their Table 6: 0.27M, 0.85M
    assert (r20.output_stride, r20.stages[-1].size) == (4, 8)
    assert build(preset("resnet20"))(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


def test_resnet50_stage_macs_equal_torchvision_layers():
    reference = torchvision.models.resnet50(weights=None).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        reference(torch.zeros(1, 3, 224, 224))
    per_module = {name: sum(ops.values()) // 2 for name, ops in counter.get_flop_counts().items()}
    stages = complexity(preset("resnet50")).stages
    assert [s.macs for s in stages] == [per_module[f"ResNet.layer{i}"] for i in range(1, 5)]
