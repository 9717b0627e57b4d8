"""One-line renderings of a genome (``arch_string`` for logs, tables and hover text): renderings of the record,
never parsed back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .facts import BLOCK_FACTS

if TYPE_CHECKING:
    from .genome import Genome, Head, Stage, Stem


def _fmt(x: float) -> str:
    return f"{x:g}"


_DOWNSAMPLE_TOKENS = {"stride": "", "maxpool": "_mp", "maxpool3": "_mp3", "transition": "_tr"}


def stage_string(s: Stage) -> str:
    """Compact one-token rendering of a stage, e.g. ``mb_d2_w24_s2_k3_e6_se.25``."""
    out = f"{BLOCK_FACTS[s.block].short}_d{s.depth}_w{s.width}_s{s.stride}_k{s.kernel}"
    if s.expansion != 1:
        out += f"_e{_fmt(s.expansion)}"
    if s.group_width:
        out += f"_g{s.group_width}"
    if s.se:
        out += "_se" + _fmt(s.se).lstrip("0")
    out += _DOWNSAMPLE_TOKENS[s.downsample]
    if s.branches:
        out += "_b" + ".".join(map(str, s.branches))
    if s.shortcut == "zeropad":
        out += "_zp"
    return out


def stem_string(s: Stem) -> str:
    """Compact rendering of a stem, e.g. ``resnet:64`` or ``patchify4:96``."""
    name = f"{s.kind}{s.patch if s.kind == 'patchify' else ''}"
    return name if s.kind == "none" else f"{name}:{s.width}"


def head_string(h: Head) -> str:
    """Compact rendering of a head, e.g. ``c1280_gap_do0.2`` or ``flat7_fc4096x4096_do0.5``."""
    out = ("gap" if h.pool == 1 else f"flat{h.pool}")
    if h.conv_width:
        out = f"c{h.conv_width}_" + out
    if h.hidden:
        out += "_fc" + "x".join(map(str, h.hidden))
    if h.dropout:
        out += f"_do{_fmt(h.dropout)}"
    return out


def arch_string(g: Genome) -> str:
    """One-line architecture string for logs, tables and hover text."""
    return " ".join([stem_string(g.stem), *map(stage_string, g.stages), head_string(g.head),
                     f"{g.activation}@{g.resolution}"])
