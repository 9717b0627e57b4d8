"""The cost twins of the stems, blocks and heads in :mod:`space.blocks`: each prices, on a
:class:`~space.cx.Cx`, the layers its module's ``__init__`` builds, in the same order.

They live apart from the modules so that pricing a genome never imports torch (``nas presets`` and
``nas describe`` start in a fraction of torch's import time); each module class names its twin as its
``cost`` attribute, and the tests hold the two equal on every block type, stem and head.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from .cx import Cx
from .facts import BLOCK_FACTS, bottleneck_inner, compressed, inception_branches
from .genome import GenomeError, Head, Stage, Stem

POOLS = {"maxpool": (2, 0), "maxpool3": (3, 1)}  # (kernel, padding) of the stride-2 max-pool after a stage


def squeeze_width(c: int, ratio: float) -> int:
    """The squeeze-and-excitation width: ``ratio`` of ``c``, at least 1."""
    return max(1, int(c * ratio))


def check_zeropad(c_in: int, c_out: int) -> None:
    """A zero-padded shortcut can only widen."""
    if c_out < c_in:
        raise GenomeError(f"stage.shortcut: zeropad cannot shrink channels ({c_in} -> {c_out}); use projection")


def mbconv_inner(c_in: int, expansion: float) -> int:
    """Expanded width of an inverted residual: input width times the expansion ratio."""
    return BLOCK_FACTS["mbconv"].inner_width(c_in, c_in, expansion)


def shortcut_cost(cx: Cx, at: tuple[int, int, int], c_out: int, stride: int, kind: str) -> None:
    """Price the shortcut from the block input geometry ``at``."""
    if stride == 1 and at[2] == c_out:
        return
    if kind == "projection":
        cx.side_conv("shortcut", at, c_out, stride)
    else:
        check_zeropad(at[2], c_out)
        cx.side_free(at, stride)


def plain_cost(cx: Cx, c_out: int, stride: int, st: Stage) -> None:
    """blocks.Plain."""
    cx.conv("conv", c_out, st.kernel, stride, bias=True)
    if st.se:
        cx.squeeze_excite("se", squeeze_width(c_out, st.se))


def basic_cost(cx: Cx, c_out: int, stride: int, st: Stage) -> None:
    """blocks.Basic."""
    at = cx.geometry()
    cx.conv("conv1", c_out, st.kernel, stride)
    cx.conv("conv2", c_out, st.kernel, act=False)
    if st.se:
        cx.squeeze_excite("se", squeeze_width(c_out, st.se))
    shortcut_cost(cx, at, c_out, stride, st.shortcut)
    cx.add(act=True)


def bottleneck_cost(cx: Cx, c_out: int, stride: int, st: Stage) -> None:
    """blocks.Bottleneck."""
    at = cx.geometry()
    inner = bottleneck_inner(c_out, st.expansion)
    cx.conv("conv1", inner, 1)
    cx.conv("conv2", inner, st.kernel, stride, groups=st.groups)
    if st.se:
        cx.squeeze_excite("se", squeeze_width(at[2], st.se))
    cx.conv("conv3", c_out, 1, act=False)
    shortcut_cost(cx, at, c_out, stride, st.shortcut)
    cx.add(act=True)


def mbconv_cost(cx: Cx, c_out: int, stride: int, st: Stage) -> None:
    """blocks.MBConv."""
    c_in = cx.c
    inner = mbconv_inner(c_in, st.expansion)
    if inner != c_in:
        cx.conv("expand", inner, 1)
    cx.conv("dw", inner, st.kernel, stride, groups=inner)
    if st.se:
        cx.squeeze_excite("se", squeeze_width(c_in, st.se))
    cx.conv("project", c_out, 1, act=False)
    if stride == 1 and c_in == c_out:
        cx.add()


def dwsep_cost(cx: Cx, c_out: int, stride: int, st: Stage) -> None:
    """blocks.DWSep."""
    c_in = cx.c
    cx.conv("dw", c_in, st.kernel, stride, groups=c_in)
    if st.se:
        cx.squeeze_excite("se", squeeze_width(c_in, st.se))
    cx.conv("pw", c_out, 1)


def dense_cost(cx: Cx, c_out: int, stride: int, st: Stage) -> None:
    """branches.DenseLayer: BN-act-1x1, BN-act-k x k to the growth rate, SE, concatenated to the input."""
    inner = BLOCK_FACTS["dense"].inner_width(cx.c, st.width, st.expansion)

    def new(cx: Cx) -> None:
        cx.norm("norm1")
        cx.conv("conv1", inner, 1, norm=False, act=False)
        cx.norm("norm2")
        cx.conv("conv2", st.width, st.kernel, norm=False, act=False)
        if st.se:
            cx.squeeze_excite("se", squeeze_width(st.width, st.se))

    cx.concat("concat", (lambda cx: None, new))


def inception_cost(cx: Cx, c_out: int, stride: int, st: Stage) -> None:
    """branches.Inception: four branches (1x1; 1x1 -> k x k twice; pool -> 1x1) concatenated, SE."""
    b1, r3, b3, r5, b5, pool = inception_branches(c_out, st.branches)
    k = st.kernel

    def reduced(name: str, reduce: int, width: int) -> Callable[[Cx], object]:
        return lambda cx: (cx.conv(f"{name}.0", reduce, 1), cx.conv(f"{name}.1", width, k))

    cx.concat("concat", (lambda cx: cx.conv("branch1", b1, 1), reduced("branch2", r3, b3), reduced("branch3", r5, b5),
                         lambda cx: (cx.maxpool("branch4.0", 3, 1, 1), cx.conv("branch4.1", pool, 1))))
    if st.se:
        cx.squeeze_excite("se", squeeze_width(c_out, st.se))


def tail_cost(cx: Cx, st: Stage) -> None:
    """branches.stage_tail: a pre-activation stage's closing BN + act, then its pool or its transition."""
    if BLOCK_FACTS[st.block].preact and not st.transition:
        cx.norm("norm")
    if st.transition:
        cx.norm("transition.norm")
        cx.conv("transition.conv", compressed(cx.c), 1, norm=False, act=False)
        cx.avgpool("transition.pool", 2, 2)
    elif st.pools_after:
        k, pad = POOLS[st.downsample]
        cx.maxpool("pool", k, 2, pad)


BLOCK_COSTS: dict[str, Callable[[Cx, int, int, Stage], None]] = {
    "plain": plain_cost, "basic": basic_cost, "bottleneck": bottleneck_cost, "mbconv": mbconv_cost,
    "dwsep": dwsep_cost, "dense": dense_cost, "inception": inception_cost,
}
assert BLOCK_COSTS.keys() == BLOCK_FACTS.keys(), "every block type has a cost twin and a row of facts"


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


def stem_cost(cx: Cx, stem: Stem) -> None:
    """Price the stem (blocks.build_stem)."""
    for i, (kind, w, k, s, p, a) in enumerate(stem_layers(stem)):
        if kind == "conv":
            cx.conv(f"{i}", w, k, s, act=a, pad=p)
        else:
            cx.maxpool(f"{i}", k, s, p)


def head_cost(cx: Cx, head: Head, num_classes: int) -> None:
    """Price the head (blocks.build_head)."""
    if head.conv_width:
        cx.conv("conv", head.conv_width, 1)
    cx.adaptive_pool("pool", head.pool)
    for i, h in enumerate(head.hidden):
        cx.linear(f"fc{i}", h, act=True)
    cx.linear("classifier", num_classes)
