"""The builder (genome -> ``nn.Module``), over the same layout as the cost walk in :mod:`space.walk`."""

from __future__ import annotations

import torch
from torch import nn

from .blocks import Basic, Bottleneck, DWSep, MBConv, Plain, build_head, build_stem
from .branches import DenseLayer, Inception, stage_tail
from .facts import BLOCK_FACTS
from .genome import Genome
from .walk import stage_layout, stem_channels

# The one registry of block modules; what is known of each type is its row in space.facts.BLOCK_FACTS, and
# each module's cost twin (its cost attribute) is in space.twins, so pricing a genome needs no torch
BLOCKS: dict[str, type[nn.Module]] = {
    "plain": Plain, "basic": Basic, "bottleneck": Bottleneck, "mbconv": MBConv, "dwsep": DWSep,
    "dense": DenseLayer, "inception": Inception,
}
assert BLOCKS.keys() == BLOCK_FACTS.keys(), "every block type has a module and a row of facts"


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
