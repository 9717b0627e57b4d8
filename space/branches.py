"""Blocks that concatenate: DenseNet's dense layer and GoogLeNet's inception module, each with its ``cost`` twin,
and what follows a stage's blocks when it halves the resolution after them (a pool, DenseNet's transition).

Both blocks take the arguments every block takes ``(c_in, c_out, stride, stage, act)``; neither strides (their
facts name the downsample mode their stages use instead). Their cost twins, and ``stage_tail``'s, are in
:mod:`space.twins` (no torch there); they walk each branch on :meth:`space.cx.Cx.concat`, which adds up the
branches' channels as ``torch.cat`` does.
"""

from __future__ import annotations

import torch
from torch import nn

from . import twins
from .blocks import ACTIVATIONS, SqueezeExcite, conv_bn
from .facts import BLOCK_FACTS, compressed, inception_branches
from .genome import Stage
from .twins import POOLS, squeeze_width


def _preact_conv(c_in: int, c_out: int, k: int, act: str) -> list[nn.Module]:
    """BN -> act -> conv without bias: DenseNet's pre-activation order."""
    return [nn.BatchNorm2d(c_in), ACTIVATIONS[act](), nn.Conv2d(c_in, c_out, k, 1, k // 2, bias=False)]


class DenseLayer(nn.Module):
    """DenseNet-BC layer: BN-act-1x1 to width x expansion, BN-act-k x k to width (the growth rate k), optional SE
    on those k channels, concatenated to the input: ``c_out = c_in + width``."""

    def __init__(self, c_in: int, c_out: int, stride: int, st: Stage, act: str) -> None:
        super().__init__()
        inner = BLOCK_FACTS["dense"].inner_width(c_in, st.width, st.expansion)
        self.new = nn.Sequential(*_preact_conv(c_in, inner, 1, act), *_preact_conv(inner, st.width, st.kernel, act))
        self.se = SqueezeExcite(st.width, squeeze_width(st.width, st.se), act) if st.se else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.se(self.new(x))], 1)  # (B, C_in + k, H, W)

    cost = staticmethod(twins.dense_cost)


class Inception(nn.Module):
    """GoogLeNet's module: 1x1; 1x1 -> k x k; 1x1 -> k x k; 3x3 max-pool -> 1x1; each conv + BN + act
    (torchvision's BasicConv2d), concatenated, optional SE on the concatenation."""

    def __init__(self, c_in: int, c_out: int, stride: int, st: Stage, act: str) -> None:
        super().__init__()
        b1, r3, b3, r5, b5, pool = inception_branches(c_out, st.branches)
        k = st.kernel
        self.branch1 = conv_bn(c_in, b1, 1, act=act)
        self.branch2 = nn.Sequential(conv_bn(c_in, r3, 1, act=act), conv_bn(r3, b3, k, act=act))
        self.branch3 = nn.Sequential(conv_bn(c_in, r5, 1, act=act), conv_bn(r5, b5, k, act=act))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), conv_bn(c_in, pool, 1, act=act))
        self.se = SqueezeExcite(c_out, squeeze_width(c_out, st.se), act) if st.se else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)  # (B, C_out, H, W)
        return self.se(y)

    cost = staticmethod(twins.inception_cost)


def stage_tail(st: Stage, c: int, act: str) -> list[nn.Module]:
    """What follows a stage's ``c``-channel blocks: a pre-activation stage's closing BN + act (unless its
    transition opens with them), then the pool or the transition of a stage that halves after its blocks."""
    out: list[nn.Module] = [nn.BatchNorm2d(c), ACTIVATIONS[act]()] if BLOCK_FACTS[st.block].preact and not \
        st.transition else []
    if st.transition:
        out += [*_preact_conv(c, compressed(c), 1, act), nn.AvgPool2d(2, 2)]
    elif st.pools_after:
        k, pad = POOLS[st.downsample]
        out.append(nn.MaxPool2d(k, 2, pad))
    return out

