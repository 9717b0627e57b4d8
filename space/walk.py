"""The cost walk (genome -> :class:`Cost`): exact params, MACs, activations, receptive field and output
stride, with no model built and no torch imported; it follows the layout the builder in
:mod:`space.network` reads, and the cost twins of :mod:`space.twins`.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from typing import Iterator, NamedTuple

from .cx import Cx, Layer
from .facts import BLOCK_FACTS
from .genome import Genome, Stage, Stem
from .twins import BLOCK_COSTS, head_cost, stem_cost, stem_layers, tail_cost


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
    cost = BLOCK_COSTS[st.block]
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
