"""Reference networks as genomes, exactly as torchvision (ImageNet) and He et al. 2016 (CIFAR) define them."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .genome import Genome, GenomeError, Head, Stage, Stem, load_genome


def _resnet(block: str, depths: tuple[int, ...]) -> Genome:
    e = 4 if block == "bottleneck" else 1
    widths = (64 * e, 128 * e, 256 * e, 512 * e)
    stages = tuple(Stage(block, d, w, 1 if i == 0 else 2, expansion=e) for i, (d, w) in enumerate(zip(depths, widths)))
    return Genome(stages, Stem("resnet", 64))


def _cifar_resnet(n: int) -> Genome:
    stages = tuple(Stage("basic", n, w, s, shortcut="zeropad") for w, s in ((16, 1), (32, 2), (64, 2)))
    return Genome(stages, Stem("cifar", 16), resolution=32, num_classes=10)


def _vgg16_bn() -> Genome:
    stages = tuple(Stage("plain", d, w, 2, downsample="maxpool")
                   for d, w in ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)))
    return Genome(stages, Stem("none"), Head(pool=7, hidden=(4096, 4096), dropout=0.5))


def _mbconv_net(rows: tuple[tuple[float, int, int, int, int], ...], se: float, act: str, dropout: float) -> Genome:
    # rows: (expansion, width, depth, stride, kernel) as in the papers' tables
    stages = tuple(Stage("mbconv", n, c, s, k, expansion=t, se=se) for t, c, n, s, k in rows)
    return Genome(stages, Stem("conv3x3", 32), Head(conv_width=1280, dropout=dropout), activation=act)


def _regnet(rows: tuple[tuple[int, int], ...], group_width: int, se: float) -> Genome:
    # rows: (blocks, width) per stage; RegNet's X block is a bottleneck of ratio 1 with a grouped 3x3, Y adds SE
    stages = tuple(Stage("bottleneck", d, w, 2, group_width=group_width, se=se) for d, w in rows)
    return Genome(stages, Stem("conv3x3", 32))


def _densenet(depths: tuple[int, ...], growth: int, stem: Stem, **data: int) -> Genome:
    # DenseNet-BC: dense stages of 1x1 (4k) -> 3x3 (k) layers, a transition after each but the last
    stages = tuple(Stage("dense", d, growth, 2 if i < len(depths) - 1 else 1, expansion=4,
                         downsample="transition" if i < len(depths) - 1 else "stride") for i, d in enumerate(depths))
    return Genome(stages, stem, **data)


def _googlenet() -> Genome:
    # torchvision's GoogLeNet without its auxiliary heads: each row is one module's branches in torchvision's
    # Inception(ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj) order; its "5x5" branches are 3x3 there
    stages = tuple(Stage("inception", 1, b1 + b3 + b5 + pool, 2 if after else 1, downsample=after or "stride",
                         branches=(b1, r3, b3, r5, b5, pool))
                   for (b1, r3, b3, r5, b5, pool), after in zip(GOOGLENET, GOOGLENET_POOLS))
    return Genome(stages, Stem("inception", 192), Head(dropout=0.2))


GOOGLENET = ((64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64),  # 3a, 3b
             (192, 96, 208, 16, 48, 64), (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64),  # 4a-4c
             (112, 144, 288, 32, 64, 64), (256, 160, 320, 32, 128, 128),  # 4d, 4e
             (256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128))  # 5a, 5b
GOOGLENET_POOLS = ("", "maxpool3", "", "", "", "", "maxpool", "", "")  # the max-pool after 3b and after 4e

MOBILENET_V2 = ((1, 16, 1, 1, 3), (6, 24, 2, 2, 3), (6, 32, 3, 2, 3), (6, 64, 4, 2, 3),
                (6, 96, 3, 1, 3), (6, 160, 3, 2, 3), (6, 320, 1, 1, 3))
EFFICIENTNET_B0 = ((1, 16, 1, 1, 3), (6, 24, 2, 2, 3), (6, 40, 2, 2, 5), (6, 80, 3, 2, 3),
                   (6, 112, 3, 1, 5), (6, 192, 4, 2, 5), (6, 320, 1, 1, 3))

PRESETS: dict[str, Callable[[], Genome]] = {
    "resnet18": lambda: _resnet("basic", (2, 2, 2, 2)),
    "resnet34": lambda: _resnet("basic", (3, 4, 6, 3)),
    "resnet50": lambda: _resnet("bottleneck", (3, 4, 6, 3)),
    "resnet101": lambda: _resnet("bottleneck", (3, 4, 23, 3)),
    "vgg16_bn": _vgg16_bn,
    "mobilenet_v2": lambda: _mbconv_net(MOBILENET_V2, 0.0, "relu6", 0.2),
    "efficientnet_b0": lambda: _mbconv_net(EFFICIENTNET_B0, 0.25, "silu", 0.2),
    "regnet_x_400mf": lambda: _regnet(((1, 32), (2, 64), (7, 160), (12, 400)), 16, 0.0),
    "regnet_y_400mf": lambda: _regnet(((1, 48), (3, 104), (6, 208), (6, 440)), 8, 0.25),
    "densenet121": lambda: _densenet((6, 12, 24, 16), 32, Stem("resnet", 64)),
    "googlenet": _googlenet,
    "densenet_bc100": lambda: _densenet((16, 16, 16), 12, Stem("cifar", 24), resolution=32, num_classes=10),
    "resnet20": lambda: _cifar_resnet(3),
    "resnet56": lambda: _cifar_resnet(9),
}

DESCRIPTIONS: dict[str, str] = {
    "resnet18": "ResNet-18 (He et al. 2016), torchvision resnet18, ImageNet 224",
    "resnet34": "ResNet-34, torchvision resnet34, ImageNet 224",
    "resnet50": "ResNet-50 v1.5 (stride on the 3x3), torchvision resnet50, ImageNet 224",
    "resnet101": "ResNet-101 v1.5, torchvision resnet101, ImageNet 224",
    "vgg16_bn": "VGG-16 with batch norm, torchvision vgg16_bn, ImageNet 224",
    "mobilenet_v2": "MobileNetV2 1.0 (Sandler et al. 2018), torchvision mobilenet_v2, ImageNet 224",
    "efficientnet_b0": "EfficientNet-B0 (Tan & Le 2019), torchvision efficientnet_b0, ImageNet 224",
    "regnet_x_400mf": "RegNetX-400MF (Radosavovic et al. 2020), torchvision regnet_x_400mf, ImageNet 224",
    "regnet_y_400mf": "RegNetY-400MF (RegNetX + squeeze-excitation), torchvision regnet_y_400mf, ImageNet 224",
    "densenet121": "DenseNet-121 (Huang et al. 2017, k = 32, BC), torchvision densenet121, ImageNet 224",
    "googlenet": "GoogLeNet (Szegedy et al. 2015) without its auxiliary heads, torchvision googlenet, ImageNet 224",
    "densenet_bc100": "CIFAR DenseNet-BC-100 (k = 12), 32x32, 10 classes; BN + act after its first conv (the cifar "
                      "stem)",
    "resnet20": "CIFAR ResNet-20 (He et al. 2016, option A shortcuts), 32x32, 10 classes",
    "resnet56": "CIFAR ResNet-56 (option A shortcuts), 32x32, 10 classes",
}


def preset(name: str) -> Genome:
    """The genome of a named reference network."""
    if name not in PRESETS:
        raise GenomeError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    return PRESETS[name]()


def resolve_model(spec: str) -> Genome:
    """A preset name or a path to a genome JSON file."""
    if spec in PRESETS:
        return preset(spec)
    if spec.endswith(".json") or Path(spec).exists():
        return load_genome(spec)
    raise GenomeError(f"unknown model {spec!r}: not a preset ({', '.join(PRESETS)}) nor a genome JSON file")
