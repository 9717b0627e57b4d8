"""Stems, blocks and heads: each module class has a ``cost`` twin that mirrors its ``__init__``.

Every block takes the same arguments ``(c_in, c_out, stride, stage, act)``; ``cost`` takes a
:class:`~space.cx.Cx` in place of building anything and walks the same layers in the same order,
so a change to one is a visible change to the other (and tests hold them equal).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .cx import Cx
from .facts import BLOCK_FACTS, bottleneck_inner
from .genome import GenomeError, Head, Stage, Stem

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


def _squeeze(c: int, ratio: float) -> int:
    return max(1, int(c * ratio))


def _check_zeropad(c_in: int, c_out: int) -> None:
    if c_out < c_in:
        raise GenomeError(f"stage.shortcut: zeropad cannot shrink channels ({c_in} -> {c_out}); use projection")


class Shortcut(nn.Module):
    """Identity, 1x1 projection + BN, or the parameter-free subsample + zero-pad of CIFAR ResNets."""

    def __init__(self, c_in: int, c_out: int, stride: int, kind: str) -> None:
        super().__init__()
        self.stride, self.pad = stride, c_out - c_in
        self.proj = None
        if (stride != 1 or c_in != c_out) and kind == "projection":
            self.proj = conv_bn(c_in, c_out, 1, stride)
        elif kind == "zeropad":
            _check_zeropad(c_in, c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.proj is not None:
            return self.proj(x)
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.pad)) if self.pad else x

    @staticmethod
    def cost(cx: Cx, at: tuple[int, int, int], c_out: int, stride: int, kind: str) -> None:
        """Price the shortcut from the block input geometry ``at``."""
        if stride == 1 and at[2] == c_out:
            return
        if kind == "projection":
            cx.side_conv("shortcut", at, c_out, stride)
        else:
            _check_zeropad(at[2], c_out)
            cx.side_free(at, stride)


class Plain(nn.Module):
    """VGG-style conv (with bias, as torchvision's vgg*_bn) -> BN -> act, optional SE."""

    def __init__(self, c_in: int, c_out: int, stride: int, st: Stage, act: str) -> None:
        super().__init__()
        self.conv = conv_bn(c_in, c_out, st.kernel, stride, act=act, bias=True)
        self.se = SqueezeExcite(c_out, _squeeze(c_out, st.se), act) if st.se else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.se(self.conv(x))

    @staticmethod
    def cost(cx: Cx, c_out: int, stride: int, st: Stage) -> None:
        cx.conv("conv", c_out, st.kernel, stride, bias=True)
        if st.se:
            cx.squeeze_excite("se", _squeeze(c_out, st.se))


class Basic(nn.Module):
    """ResNet basic block: two k x k convs, SE on the residual branch, shortcut, act."""

    def __init__(self, c_in: int, c_out: int, stride: int, st: Stage, act: str) -> None:
        super().__init__()
        self.conv1 = conv_bn(c_in, c_out, st.kernel, stride, act=act)
        self.conv2 = conv_bn(c_out, c_out, st.kernel)
        self.se = SqueezeExcite(c_out, _squeeze(c_out, st.se), act) if st.se else nn.Identity()
        self.shortcut = Shortcut(c_in, c_out, stride, st.shortcut)
        self.act = ACTIVATIONS[act]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.se(self.conv2(self.conv1(x))) + self.shortcut(x))

    @staticmethod
    def cost(cx: Cx, c_out: int, stride: int, st: Stage) -> None:
        at = cx.geometry()
        cx.conv("conv1", c_out, st.kernel, stride)
        cx.conv("conv2", c_out, st.kernel, act=False)
        if st.se:
            cx.squeeze_excite("se", _squeeze(c_out, st.se))
        Shortcut.cost(cx, at, c_out, stride, st.shortcut)
        cx.add(act=True)


class Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck: 1x1 reduce, k x k (strided, grouped when group_width is set: ResNeXt/RegNet),
    SE on the inner width squeezed from the block input (RegNetY), 1x1 expand, shortcut, act."""

    def __init__(self, c_in: int, c_out: int, stride: int, st: Stage, act: str) -> None:
        super().__init__()
        inner = bottleneck_inner(c_out, st.expansion)
        self.conv1 = conv_bn(c_in, inner, 1, act=act)
        self.conv2 = conv_bn(inner, inner, st.kernel, stride, groups=st.groups, act=act)
        self.se = SqueezeExcite(inner, _squeeze(c_in, st.se), act) if st.se else nn.Identity()
        self.conv3 = conv_bn(inner, c_out, 1)
        self.shortcut = Shortcut(c_in, c_out, stride, st.shortcut)
        self.act = ACTIVATIONS[act]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv3(self.se(self.conv2(self.conv1(x)))) + self.shortcut(x))

    @staticmethod
    def cost(cx: Cx, c_out: int, stride: int, st: Stage) -> None:
        at = cx.geometry()
        inner = bottleneck_inner(c_out, st.expansion)
        cx.conv("conv1", inner, 1)
        cx.conv("conv2", inner, st.kernel, stride, groups=st.groups)
        if st.se:
            cx.squeeze_excite("se", _squeeze(at[2], st.se))
        cx.conv("conv3", c_out, 1, act=False)
        Shortcut.cost(cx, at, c_out, stride, st.shortcut)
        cx.add(act=True)


def mbconv_inner(c_in: int, expansion: float) -> int:
    """Expanded width of an inverted residual: input width times the expansion ratio."""
    return BLOCK_FACTS["mbconv"].inner_width(c_in, c_in, expansion)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand (if e > 1), depthwise k x k, SE, linear 1x1 projection, residual."""

    def __init__(self, c_in: int, c_out: int, stride: int, st: Stage, act: str) -> None:
        super().__init__()
        inner = mbconv_inner(c_in, st.expansion)
        self.expand = conv_bn(c_in, inner, 1, act=act) if inner != c_in else nn.Identity()
        self.dw = conv_bn(inner, inner, st.kernel, stride, groups=inner, act=act)
        self.se = SqueezeExcite(inner, _squeeze(c_in, st.se), act) if st.se else nn.Identity()
        self.project = conv_bn(inner, c_out, 1)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.se(self.dw(self.expand(x))))
        return x + y if self.residual else y

    @staticmethod
    def cost(cx: Cx, c_out: int, stride: int, st: Stage) -> None:
        c_in = cx.c
        inner = mbconv_inner(c_in, st.expansion)
        if inner != c_in:
            cx.conv("expand", inner, 1)
        cx.conv("dw", inner, st.kernel, stride, groups=inner)
        if st.se:
            cx.squeeze_excite("se", _squeeze(c_in, st.se))
        cx.conv("project", c_out, 1, act=False)
        if stride == 1 and c_in == c_out:
            cx.add()


class DWSep(nn.Module):
    """MobileNetV1 depthwise-separable: depthwise k x k -> BN -> act, SE, pointwise 1x1 -> BN -> act."""

    def __init__(self, c_in: int, c_out: int, stride: int, st: Stage, act: str) -> None:
        super().__init__()
        self.dw = conv_bn(c_in, c_in, st.kernel, stride, groups=c_in, act=act)
        self.se = SqueezeExcite(c_in, _squeeze(c_in, st.se), act) if st.se else nn.Identity()
        self.pw = conv_bn(c_in, c_out, 1, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw(self.se(self.dw(x)))

    @staticmethod
    def cost(cx: Cx, c_out: int, stride: int, st: Stage) -> None:
        c_in = cx.c
        cx.conv("dw", c_in, st.kernel, stride, groups=c_in)
        if st.se:
            cx.squeeze_excite("se", _squeeze(c_in, st.se))
        cx.conv("pw", c_out, 1)


# Each stem is a list of layer specs (kind, width, kernel, stride, padding, activation?) read by both
# the builder and the cost walk: one table, two readers.
@lru_cache(maxsize=256)
def stem_layers(stem: Stem) -> tuple[tuple[str, int, int, int, int, bool], ...]:
    """The stem's layers as (kind, width, kernel, stride, padding, activation?) rows."""
    w, half, third = stem.width, max(1, stem.width // 2), max(1, stem.width // 3)
    return {
        "resnet": (("conv", w, 7, 2, 3, True), ("maxpool", w, 3, 2, 1, False)),
        "conv3x3": (("conv", w, 3, 2, 1, True),),
        "cifar": (("conv", w, 3, 1, 1, True),),
        "deep": (("conv", half, 3, 2, 1, True), ("conv", half, 3, 1, 1, True), ("conv", w, 3, 1, 1, True),
                 ("maxpool", w, 3, 2, 1, False)),
        "patchify": (("conv", w, stem.patch, stem.patch, 0, False),),
        "inception": (("conv", third, 7, 2, 3, True), ("maxpool", third, 3, 2, 1, False),
                      ("conv", third, 1, 1, 0, True), ("conv", w, 3, 1, 1, True), ("maxpool", w, 3, 2, 1, False)),
        "none": (),
    }[stem.kind]


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


def stem_cost(cx: Cx, stem: Stem) -> None:
    """Price the stem."""
    for i, (kind, w, k, s, p, a) in enumerate(stem_layers(stem)):
        if kind == "conv":
            cx.conv(f"{i}", w, k, s, act=a, pad=p)
        else:
            cx.maxpool(f"{i}", k, s, p)


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


def head_cost(cx: Cx, head: Head, num_classes: int) -> None:
    """Price the head."""
    if head.conv_width:
        cx.conv("conv", head.conv_width, 1)
    cx.adaptive_pool("pool", head.pool)
    for i, h in enumerate(head.hidden):
        cx.linear(f"fc{i}", h, act=True)
    cx.linear("classifier", num_classes)
