"""One builder (genome -> ``nn.Module``) and one cost walk (genome -> :class:`Cost`) over one layout."""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from typing import Iterator, NamedTuple

import torch
from torch import nn

from .blocks import DWSep, MBConv, Basic, Bottleneck, Plain, build_head, build_stem, head_cost, stem_cost, stem_layers
from .branches import DenseLayer, Inception, stage_tail, tail_cost
from .cx import Cx, Layer
from .facts import BLOCK_FACTS
from .genome import Genome, Stage, Stem

# The one registry of block modules; what is known of each type is its row in space.facts.BLOCK_FACTS
BLOCKS: dict[str, type[nn.Module]] = {
    "plain": Plain, "basic": Basic, "bottleneck": Bottleneck, "mbconv": MBConv, "dwsep": DWSep,
    "dense": DenseLayer, "inception": Inception,
}
assert BLOCKS.keys() == BLOCK_FACTS.keys(), "every block type has a module and a row of facts"


def stem_channels(g: Genome) -> int:
    """Channels out of the stem (the input channels when there is none)."""
    layers = stem_layers(g.stem)
    return layers[-1][1] if layers else g.in_channels


def stem_size(stem: Stem, resolution: int) -> int:
    """Side of the feature map the stem hands to the first stage."""
    cx = Cx(resolution, resolution, 1)
    stem_cost(cx, stem)
    return cx.h


def stage_layout(st: Stage, c_in: int) -> Iterator[tuple[int, int, int]]:
    """(c_in, c_out, stride) of each block of a stage; a stage that halves after its blocks has them at stride 1;
    a concatenating block's output is its input and ``width`` new channels."""
    grows = BLOCK_FACTS[st.block].concat
    c = c_in
    for i in range(st.depth):
        stride = st.stride if i == 0 and st.downsample == "stride" else 1
        c_out = c + st.width if grows else st.width
        yield c, c_out, stride
        c = c_out


class Network(nn.Module):
    """stem -> stages -> head, with the genome kept alongside."""

    def __init__(self, g: Genome) -> None:
        super().__init__()
        self.genome = g
        self.stem = build_stem(g.stem, g.in_channels, g.activation)
        c = stem_channels(g)
        stages = []
        for st in g.stages:
            blocks: list[nn.Module] = [BLOCKS[st.block](ci, co, s, st, g.activation)
                                       for ci, co, s in stage_layout(st, c)]
            blocks += stage_tail(st, st.blocks_out(c), g.activation)
            stages.append(nn.Sequential(*blocks))
            c = st.out_channels(c)
        self.stages = nn.Sequential(*stages)
        self.head = build_head(g.head, c, g.num_classes, g.activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # (B, C_stem, H/s, W/s)
        x = self.stages(x)  # (B, C_last, H/os, W/os)
        return self.head(x)  # (B, num_classes)


def build(g: Genome) -> Network:
    """Build the untrained ``nn.Module`` a genome describes (weights initialised as torchvision does)."""
    net = Network(g)
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)
    return net


class StageCost(NamedTuple):
    """Cost of one section (stem, stage or head) and the geometry at its output."""

    index: int
    block: str
    depth: int
    channels: int
    size: int  # output height
    params: int
    macs: int
    acts: int
    elementwise: int
    receptive_field: int
    output_stride: int


class Cost(NamedTuple):
    """Analytic cost of a genome at one resolution. ``macs`` is what this tool calls FLOPs."""

    resolution: int
    params: int
    macs: int
    acts: int
    elementwise: int
    receptive_field: int  # at the last stage's output
    output_stride: int
    stem: StageCost
    stages: tuple[StageCost, ...]
    head: StageCost
    layers: tuple[Layer, ...] = ()  # filled only by complexity(..., detail=True)

    def to_dict(self) -> dict:
        """JSON-ready dict (layers included when present)."""
        d = self._asdict()
        for key in ("stem", "head"):
            d[key] = d[key]._asdict()
        d["stages"] = [s._asdict() for s in self.stages]
        d["layers"] = [asdict(layer) for layer in self.layers]
        return d


# A stage's cost depends only on the stage and its input geometry, and the receptive field it adds is
# a fixed multiple of the incoming jump: so it is cached, which makes repeated stages nearly free
# when a search filters candidates in bulk. Inside, the blocks walk the same layout as the builder.
@lru_cache(maxsize=1 << 16)
def _stage_delta(st: Stage, h: int, w: int, c_in: int) -> tuple:
    cx = Cx(h, w, c_in, rf=0, jump=1)
    _walk_stage(cx, st)
    return cx.h, cx.w, cx.c, cx.params, cx.macs, cx.acts, cx.elementwise, cx.rf, cx.jump


def _walk_stage(cx: Cx, st: Stage, prefix: str = "") -> None:
    cost = BLOCKS[st.block].cost
    for j, (_, c_out, stride) in enumerate(stage_layout(st, cx.c)):
        if cx.layers is not None:
            cx.prefix = f"{prefix}{j}."
        cost(cx, c_out, stride, st)
    cx.prefix = prefix
    tail_cost(cx, st)


def complexity(g: Genome, resolution: int | None = None, detail: bool = False) -> Cost:
    """Exact params, MACs, activations, receptive field and output stride, with no model built."""
    res = g.resolution if resolution is None else resolution
    cx = Cx(res, res, g.in_channels, detail=detail)
    cx.prefix = "stem."
    stem_cost(cx, g.stem)
    stem = StageCost(-1, "stem", len(stem_layers(g.stem)), cx.c, cx.h, cx.params, cx.macs, cx.acts,
                     cx.elementwise, cx.rf, cx.jump)
    stages = []
    for i, st in enumerate(g.stages):
        if detail:
            before = cx.params, cx.macs, cx.acts, cx.elementwise
            _walk_stage(cx, st, f"stages.{i}.")
            p, m, a, e = cx.params - before[0], cx.macs - before[1], cx.acts - before[2], cx.elementwise - before[3]
        else:
            cx.h, cx.w, cx.c, p, m, a, e, rf, jump = _stage_delta(st, cx.h, cx.w, cx.c)
            cx.params += p
            cx.macs += m
            cx.acts += a
            cx.elementwise += e
            cx.rf += rf * cx.jump
            cx.jump *= jump
        stages.append(StageCost(i, st.block, st.depth, cx.c, cx.h, p, m, a, e, cx.rf, cx.jump))
    rf, os_ = cx.rf, cx.jump
    before = cx.params, cx.macs, cx.acts, cx.elementwise
    cx.prefix = "head."
    head_cost(cx, g.head, g.num_classes)
    head = StageCost(len(g.stages), "head", len(g.head.hidden) + 1, cx.c, cx.h, cx.params - before[0],
                     cx.macs - before[1], cx.acts - before[2], cx.elementwise - before[3], rf, os_)
    return Cost(res, cx.params, cx.macs, cx.acts, cx.elementwise, rf, os_, stem, tuple(stages), head,
                tuple(cx.layers or ()))
