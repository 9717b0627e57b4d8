"""The builder (genome -> ``nn.Module``), over the same layout as the cost walk in :mod:`space.walk`."""

from __future__ import annotations

import torch
from torch import nn

from .blocks import BLOCKS, build_head, build_stem
from .genome import Genome
from .walk import pools_after, stage_layout, stem_channels


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
            if pools_after(st):
                blocks.append(nn.MaxPool2d(2, 2))
            stages.append(nn.Sequential(*blocks))
            c = st.width
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
