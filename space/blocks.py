"""Stems, blocks and heads as torch modules: each module class names its ``cost`` twin (in
:mod:`space.twins`, which needs no torch) that mirrors its ``__init__``.

Every block takes the same arguments ``(c_in, c_out, stride, stage, act)``; ``cost`` takes a
:class:`~space.cx.Cx` in place of building anything and walks the same layers in the same order,
so a change to one is a visible change to the other (and tests hold them equal).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from . import twins
from .facts import bottleneck_inner
from .genome import Head, Stage, Stem
from .twins import check_zeropad, mbconv_inner, squeeze_width, stem_layers

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": lambda: nn.ReLU(inplace=True),
    "relu6": lambda: nn.ReLU6(inplace=True),
    "silu": lambda: nn.SiLU(inplace=True),
    "hardswish": lambda: nn.Hardswish(inplace=True),
    "gelu": nn.GELU,
}


def conv_bn(c_in: int, c_out: int, k: int = 1, stride: int = 1, groups: int = 1, act: str | None = None,
            bias: bool = False, norm: bool = True, pad: int | None = None) -> nn.Sequential:
    """conv -> BN -> act, the unit that :meth:`Cx.conv` prices."""
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, k, stride, k // 2 if pad is None else pad,
                                         groups=groups, bias=bias)]
    if norm:
        layers.append(nn.BatchNorm2d(c_out))
    if act:
        layers.append(ACTIVATIONS[act]())
    return nn.Sequential(*layers)


class SqueezeExcite(nn.Module):
    """Channel attention: global pool, reduce to ``squeeze``, expand back, sigmoid gate."""

    def __init__(self, c: int, squeeze: int, act: str) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(c, squeeze, 1)
        self.act = ACTIVATIONS[act]()
        self.expand = nn.Conv2d(squeeze, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)  # (B, C, 1, 1)
        return x * torch.sigmoid(self.expand(self.act(self.reduce(s))))


class Shortcut(nn.Module):
    """Identity, 1x1 projection + BN, or the parameter-free subsample + zero-pad of CIFAR ResNets."""

    def __init__(self, c_in: int, c_out: int, stride: int, kind: str) -> None:
        super().__init__()
        self.stride, self.pad = stride, c_out - c_in
        self.proj = None
        if (stride != 1 or c_in != c_out) and kind == "projection":
            self.proj = conv_bn(c_in, c_out, 1, stride)
        elif kind == "zeropad":
            check_zeropad(c_in, c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.proj is not None:
            return self.proj(x)
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.pad)) if self.pad else x

    cost = staticmethod(twins.shortcut_cost)


class Plain(nn.Module):
    """VGG-style conv (with bias, as torchvision's vgg*_bn) -> BN -> act, optional SE."""

    def __init__(self, c_in: int, c_out: int, stride: int, st: Stage, act: str) -> None:
        super().__init__()
        self.conv = conv_bn(c_in, c_out, st.kernel, stride, act=act, bias=True)
        self.se = SqueezeExcite(c_out, squeeze_width(c_out, st.se), act) if st.se else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.se(self.conv(x))

    cost = staticmethod(twins.plain_cost)


class Basic(nn.Module):
    """ResNet basic block: two k x k convs, SE on the residual branch, shortcut, act."""

    def __init__(self, c_in: int, c_out: int, stride: int, st: Stage, act: str) -> None:
        super().__init__()
        self.conv1 = conv_bn(c_in, c_out, st.kernel, stride, act=act)
        self.conv2 = conv_bn(c_out, c_out, st.kernel)
        self.se = SqueezeExcite(c_out, squeeze_width(c_out, st.se), act) if st.se else nn.Identity()
        self.shortcut = Shortcut(c_in, c_out, stride, st.shortcut)
        self.act = ACTIVATIONS[act]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.se(self.conv2(self.conv1(x))) + self.shortcut(x))

    cost = staticmethod(twins.basic_cost)


class Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck: 1x1 reduce, k x k (strided, grouped when group_width is set: ResNeXt/RegNet),
    SE on the inner width squeezed from the block input (RegNetY), 1x1 expand, shortcut, act."""

    def __init__(self, c_in: int, c_out: int, stride: int, st: Stage, act: str) -> None:
        super().__init__()
        inner = bottleneck_inner(c_out, st.expansion)
        self.conv1 = conv_bn(c_in, inner, 1, act=act)
        self.conv2 = conv_bn(inner, inner, st.kernel, stride, groups=st.groups, act=act)
        self.se = SqueezeExcite(inner, squeeze_width(c_in, st.se), act) if st.se else nn.Identity()
        self.conv3 = conv_bn(inner, c_out, 1)
        self.shortcut = Shortcut(c_in, c_out, stride, st.shortcut)
        self.act = ACTIVATIONS[act]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv3(self.se(self.conv2(self.conv1(x)))) + self.shortcut(x))

    cost = staticmethod(twins.bottleneck_cost)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand (if e > 1), depthwise k x k, SE, linear 1x1 projection, residual."""

    def __init__(self, c_in: int, c_out: int, stride: int, st: Stage, act: str) -> None:
        super().__init__()
        inner = mbconv_inner(c_in, st.expansion)
        self.expand = conv_bn(c_in, inner, 1, act=act) if inner != c_in else nn.Identity()
        self.dw = conv_bn(inner, inner, st.kernel, stride, groups=inner, act=act)
        self.se = SqueezeExcite(inner, squeeze_width(c_in, st.se), act) if st.se else nn.Identity()
        self.project = conv_bn(inner, c_out, 1)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.se(self.dw(self.expand(x))))
        return x + y if self.residual else y

    cost = staticmethod(twins.mbconv_cost)


class DWSep(nn.Module):
    """MobileNetV1 depthwise-separable: depthwise k x k -> BN -> act, SE, pointwise 1x1 -> BN -> act."""

    def __init__(self, c_in: int, c_out: int, stride: int, st: Stage, act: str) -> None:
        super().__init__()
        self.dw = conv_bn(c_in, c_in, st.kernel, stride, groups=c_in, act=act)
        self.se = SqueezeExcite(c_in, squeeze_width(c_in, st.se), act) if st.se else nn.Identity()
        self.pw = conv_bn(c_in, c_out, 1, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw(self.se(self.dw(x)))

    cost = staticmethod(twins.dwsep_cost)




def build_stem(stem: Stem, in_channels: int, act: str) -> nn.Sequential:
    """The stem as an ``nn.Sequential``."""
    layers: list[nn.Module] = []
    c = in_channels
    for kind, w, k, s, p, a in stem_layers(stem):
        if kind == "conv":
            layers.append(conv_bn(c, w, k, s, act=act if a else None, pad=p))
            c = w
        else:
            layers.append(nn.MaxPool2d(k, s, p))
    return nn.Sequential(*layers)


def build_head(head: Head, c_in: int, num_classes: int, act: str) -> nn.Sequential:
    """Head: optional 1x1 conv, adaptive pool, flatten, hidden FC layers, dropout, classifier."""
    layers: list[nn.Module] = []
    if head.conv_width:
        layers.append(conv_bn(c_in, head.conv_width, 1, act=act))
        c_in = head.conv_width
    layers += [nn.AdaptiveAvgPool2d(head.pool), nn.Flatten()]
    c_in *= head.pool * head.pool
    for h in head.hidden:
        layers += [nn.Linear(c_in, h), ACTIVATIONS[act](), nn.Dropout(head.dropout)]
        c_in = h
    if head.dropout and not head.hidden:
        layers.append(nn.Dropout(head.dropout))
    layers.append(nn.Linear(c_in, num_classes))
    return nn.Sequential(*layers)
