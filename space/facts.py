"""The table of facts per block type: what the rules, the samplers and the reports know of a block.

A new block type is a row here and a module (with its ``cost`` twin) in ``space.network.BLOCKS``; nothing else
names block types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

COMPRESSION = 0.5  # DenseNet-BC's transition keeps this share of the channels (theta)


def compressed(c: int) -> int:
    """Channels out of a transition from ``c`` (torchvision's ``num_features // 2``)."""
    return int(c * COMPRESSION)


# The inner (k x k, or a dense layer's 1x1 bottleneck) width from (block input, stage width, expansion), and that
# width over the stage width as the size solve reads it, by the rule a block's facts name
INNER_RULES: dict[str, tuple[Callable[[int, int, float], int], Callable[[float], float]]] = {
    "width": (lambda c_in, width, e: width, lambda e: 1.0),  # plain, basic, dwsep, inception
    "input_times": (lambda c_in, width, e: int(round(c_in * e)), lambda e: 1.0),  # inverted residual
    "width_over": (lambda c_in, width, e: max(1, round(width / e)), lambda e: 1 / e),  # ResNet bottleneck
    "width_times": (lambda c_in, width, e: max(1, int(round(width * e))), lambda e: e),  # DenseNet-B: bn_size x k
}


@dataclass(frozen=True)
class BlockFacts:
    """What the rules, the samplers and the reports need to know about one block type."""

    short: str  # token in the one-line architecture string
    residual: str  # always: via its shortcut; same_shape: only at stride 1 and c_in == c_out; never;
    #                concat: its input is carried to its output by concatenation (DenseNet)
    layers: int  # weighted (conv) layers per block on its longest path, expansion layer included
    inner: str = "width"  # the rule of INNER_RULES that gives its inner (k x k or 1x1-bottleneck) width
    expansions: str = ""  # the search space's list its expansion is drawn from ("" = takes none: 1)
    expand_layer: bool = False  # its 1x1 expansion conv exists only when the expansion is above 1
    min_width: int = 1  # narrower than this, the design literature prefers the stand-in
    stand_in: str = ""  # the block the design notes suggest where this one breaks a rule (too narrow, or skip-free)
    grouped: bool = False  # its k x k conv may be grouped (group_width channels per group: ResNeXt, RegNet)
    concat: bool = False  # each block adds ``width`` channels to its input (growth rate), the stage ends wider
    preact: bool = False  # its layers begin with BN + act, so its stage ends with BN + act (DenseNet's norm5)
    downsample: str = "stride"  # how a stage of these blocks halves the resolution (a sampler's stride 2); any
    #                             other mode than stride: the blocks never stride themselves
    branches: int = 0  # branch widths a stage may give (inception: 6, torchvision's order); 0 = takes none

    @property
    def expands(self) -> bool:
        """Whether it takes an expansion ratio other than 1."""
        return bool(self.expansions)

    def inner_width(self, c_in: int, width: int, expansion: float) -> int:
        """Its inner width in a block from ``c_in`` channels in a stage of this width and expansion."""
        return INNER_RULES[self.inner][0](c_in, width, expansion)

    def width_share(self, expansion: float) -> float:
        """Its inner width over the stage width, where the rule reads the width (1 where it reads the input)."""
        return INNER_RULES[self.inner][1](expansion)

    def has_residual(self, c_in: int, c_out: int, stride: int) -> bool:
        """Whether a block with this input/output shape has a skip connection around its layers."""
        return self.residual in ("always", "concat") or (self.residual == "same_shape" and stride == 1
                                                          and c_in == c_out)

    def too_narrow(self, width: int, expansion: float) -> bool:
        """Narrower than the literature uses this block: a bottleneck that reduces its width (expansion above 1,
        ResNet's) under 256 channels; RegNet's bottleneck of ratio 1 reduces nothing and is used from 24 up."""
        return width < self.min_width and expansion != 1

    def weighted_layers(self, expansion: float) -> int:
        """Conv layers in one block at this expansion."""
        return self.layers - int(self.expand_layer and expansion == 1)


# The one table of facts per block type; the modules themselves are in space.network.BLOCKS.
BLOCK_FACTS: dict[str, BlockFacts] = {
    "plain": BlockFacts(short="pl", residual="never", layers=1, stand_in="basic"),
    "basic": BlockFacts(short="res", residual="always", layers=2),
    "bottleneck": BlockFacts(short="bot", residual="always", layers=3, inner="width_over",
                             expansions="bottleneck_expansions", min_width=256, stand_in="basic", grouped=True),
    "mbconv": BlockFacts(short="mb", residual="same_shape", layers=3, inner="input_times", expansions="expansions",
                         expand_layer=True),
    "dwsep": BlockFacts(short="dw", residual="never", layers=2, stand_in="mbconv"),
    "dense": BlockFacts(short="dn", residual="concat", layers=2, inner="width_times",
                        expansions="bottleneck_expansions", concat=True, preact=True, downsample="transition"),
    "inception": BlockFacts(short="inc", residual="never", layers=2, downsample="maxpool3",
                            branches=6),
}
BLOCK_KINDS = tuple(BLOCK_FACTS)


def bottleneck_inner(c_out: int, expansion: float) -> int:
    """Width of a bottleneck's 1x1-reduced k x k conv: the output width over the expansion."""
    return BLOCK_FACTS["bottleneck"].inner_width(c_out, c_out, expansion)


def concatenated(branches: tuple[int, ...]) -> int:
    """An inception stage's output width: its 1x1, two k x k and pool branches side by side."""
    b1, _, b3, _, b5, pool = branches
    return b1 + b3 + b5 + pool


def inception_branches(width: int, branches: tuple[int, ...]) -> tuple[int, int, int, int, int, int]:
    """An inception stage's (1x1, kxk reduce, kxk, kxk2 reduce, kxk2, pool proj) widths: as given, or GoogLeNet
    3a's shares of ``width`` (1/4, 3/8, 1/2, 1/16, 1/8, the rest to the pool branch)."""
    if branches:
        return tuple(branches)  # type: ignore[return-value]
    b1, b3, b5 = width // 4, width // 2, width // 8
    return b1, max(1, 3 * width // 8), b3, max(1, width // 16), b5, width - b1 - b3 - b5
