"""Compound scaling arithmetic: multipliers from (alpha, beta, gamma, phi), and a genome scaled by them.

One rule for every width in a genome, whatever its blocks: ``round_width`` is torchvision's
``_make_divisible(c * w, 8)`` (nearest multiple of 8, at least 8, never below 90 % of ``c * w``).
It applies to the stem, every stage, the head's 1x1 conv and its hidden fully-connected layers,
which is what the TF reference does for EfficientNet's head (``round_filters(1280)``) and equals
torchvision's "4 x last stage width" on every row of the published table. Inner widths are not
scaled on their own: a bottleneck's follows from its scaled width over its expansion, an
inverted residual's from its scaled input width times its expansion, an SE's from its ratio.
Depths are rounded up per stage, resolutions to a multiple of 8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import space
from space.facts import concatenated
from space.genome import Genome, Stage

from .efficientnet import TableRow

DIVISOR = 8  # channel counts and input sizes are rounded to multiples of this
MAX_PHI = 9  # B0 ... B9
# 25 * 2.2 is 55.00000000000001 in floats: a depth that is whole up to float noise must not gain a block
# (torchvision's bare ceil would give 56 there; no stage of EfficientNet-B0 meets such a product)
_EPS = 1e-9


def round_width(width: int, mult: float, divisor: int = DIVISOR) -> int:
    """``width * mult`` to the nearest multiple of ``divisor`` (at least ``divisor``), never below 90 % of it.

    A multiplier of exactly 1 keeps the width, so the base of a family is the base genome itself
    even where its widths are not multiples of 8.
    """
    return width if mult == 1 else make_divisible(width * mult, divisor)


def make_divisible(v: float, divisor: int = DIVISOR) -> int:
    """``v`` to the nearest multiple of ``divisor`` (at least ``divisor``), never below 90 % of ``v``."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new < 0.9 * v:  # rounding down must not lose more than 10 %
        new += divisor
    return new


def round_depth(depth: int, mult: float) -> int:
    """``depth * mult`` rounded up, as the reference implementations do per stage."""
    return max(1, math.ceil(depth * mult - _EPS))


def round_resolution(resolution: int, mult: float, step: int = DIVISOR) -> int:
    """``resolution * mult`` to the nearest multiple of ``step``; scaling up never lands below the base."""
    if mult == 1:
        return resolution
    r = max(step, math.floor(resolution * mult / step + 0.5) * step)
    return max(r, resolution) if mult > 1 else r


@dataclass(frozen=True)
class Coefficients:
    """The per-step growth of depth (alpha), width (beta) and resolution (gamma)."""

    alpha: float
    beta: float
    gamma: float

    def __post_init__(self) -> None:
        for name in ("alpha", "beta", "gamma"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 1:
                raise ValueError(f"coefficient {name} must be a number >= 1 (scaling only grows), got {v!r}")

    @property
    def product(self) -> float:
        """alpha * beta^2 * gamma^2: the factor by which one step of phi multiplies MACs before rounding."""
        return self.alpha * self.beta ** 2 * self.gamma ** 2

    def multipliers(self, phi: float) -> tuple[float, float, float]:
        """(depth, width, resolution) multipliers at ``phi``: alpha^phi, beta^phi, gamma^phi."""
        return self.alpha ** phi, self.beta ** phi, self.gamma ** phi


def parse_coefficients(text: str) -> Coefficients:
    """``"1.2,1.1,1.15"`` -> Coefficients(1.2, 1.1, 1.15), with a message naming what is wrong."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3:
        raise ValueError(f"coefficients must be three numbers alpha,beta,gamma (e.g. 1.2,1.1,1.15), got {text!r}")
    values = []
    for name, p in zip(("alpha", "beta", "gamma"), parts):
        try:
            values.append(float(p))
        except ValueError:
            raise ValueError(f"coefficient {name} is not a number: {p!r}") from None
    return Coefficients(*values)


def parse_variant(name: str) -> int:
    """``"B7"`` (or ``"b7"``, ``"7"``) -> 7, for B0 ... B9."""
    s = name.strip().upper().removeprefix("B")
    if not s.isdigit() or not 0 <= int(s) <= MAX_PHI:
        raise ValueError(f"variant must be one of B0 ... B{MAX_PHI}, got {name!r}")
    return int(s)


def group_divisor(group_width: int, expansion: float) -> int:
    """What a stage's width rounds to: whole groups of its inner conv when grouped (as torchvision's RegNet
    adjusts widths), else DIVISOR."""
    e = float(expansion)
    return math.lcm(DIVISOR, group_width * int(e)) if group_width and e.is_integer() else DIVISOR


def _scale_stage(st: Stage, width_mult: float, depth_mult: float) -> Stage:
    """The stage scaled; an inception stage's given branches are each scaled, its width is their concatenation."""
    depth = round_depth(st.depth, depth_mult)
    if st.branches:
        branches = tuple(round_width(b, width_mult) for b in st.branches)
        return replace(st, branches=branches, width=concatenated(branches), depth=depth)
    divisor = group_divisor(st.group_width, st.expansion)
    return replace(st, width=round_width(st.width, width_mult, divisor), depth=depth)


def scale_genome(g: Genome, width_mult: float, depth_mult: float, resolution: int,
                 dropout: float | None = None) -> Genome:
    """The genome with every width and depth scaled, carrying ``resolution`` (and ``dropout`` if given)."""
    stages = tuple(_scale_stage(st, width_mult, depth_mult) for st in g.stages)
    # a stem of kind "none" has no layers: its width field means nothing and is left alone
    stem = g.stem if g.stem.kind == "none" else replace(g.stem, width=round_width(g.stem.width, width_mult))
    head = replace(g.head, conv_width=round_width(g.head.conv_width, width_mult) if g.head.conv_width else 0,
                   hidden=tuple(round_width(h, width_mult) for h in g.head.hidden),
                   dropout=g.head.dropout if dropout is None else dropout)
    return g.replace(stages=stages, stem=stem, head=head, resolution=resolution)


@dataclass(frozen=True)
class Variant:
    """One member of a scaled family, with the cost its rounding actually gives."""

    name: str  # B0, B1, ...
    phi: float
    depth_mult: float
    width_mult: float
    resolution_mult: float  # before rounding the resolution
    resolution: int
    params: int
    macs: int
    macs_ratio: float  # macs / the base's macs, as rounded
    nominal_ratio: float  # 2^phi, the doubling per step the recipe aims at
    multiplier_ratio: float  # depth * width^2 * resolution^2 multipliers: the ratio before any rounding
    genome: Genome


def _variant(base: Genome, base_macs: int, name: str, phi: float, d: float, w: float, r_mult: float,
             resolution: int, dropout: float | None) -> Variant:
    g = scale_genome(base, w, d, resolution, dropout)
    cost = space.complexity(g)
    return Variant(name, phi, d, w, r_mult, resolution, cost.params, cost.macs, cost.macs / base_macs,
                   2.0 ** phi, d * w * w * r_mult * r_mult, g)


def scale_family(base: Genome, up_to: int, *, coefficients: Coefficients | None = None,
                 table: Sequence[TableRow] | None = None) -> list[Variant]:
    """B0 ... B``up_to`` of ``base``, by the compound formula or by a published table (exactly one)."""
    if (coefficients is None) == (table is None):
        raise ValueError("scale by exactly one of coefficients or a table")
    if not 0 <= up_to <= MAX_PHI:
        raise ValueError(f"variant must be one of B0 ... B{MAX_PHI}, got B{up_to}")
    base_macs = space.complexity(base).macs
    out = []
    if coefficients is not None:
        for phi in range(up_to + 1):
            d, w, r = coefficients.multipliers(phi)
            out.append(_variant(base, base_macs, f"B{phi}", phi, d, w, r,
                                round_resolution(base.resolution, r), None))
        return out
    if up_to >= len(table):
        raise ValueError(f"the table stops at {table[-1].name}; ask for B0 ... {table[-1].name} "
                         "or scale by coefficients beyond it")
    b0 = table[0]
    for phi, row in enumerate(table[: up_to + 1]):
        r = row.resolution / b0.resolution
        # a base at the table's own input size takes the published sizes as they are; any other
        # base takes the same relative growth, rounded to a multiple of 8
        res = row.resolution if base.resolution == b0.resolution else round_resolution(base.resolution, r)
        # the table's dropout rises from B0's; a base with its own dropout rises by the same steps
        dropout = min(0.9, max(0.0, base.head.dropout + row.dropout - b0.dropout))
        out.append(_variant(base, base_macs, row.name, phi, row.depth / b0.depth, row.width / b0.width, r, res,
                            round(dropout, 6)))
    return out


def macs_growth(variants: Sequence[Variant]) -> float:
    """The family's MACs growth per step of phi: exp of the least-squares slope of log(macs_ratio) on phi
    through the base, so that one rounding jump (a one-block stage becoming two) does not dominate it."""
    pts = [(v.phi, math.log(v.macs_ratio)) for v in variants if v.phi]
    if not pts:
        return 1.0
    return math.exp(sum(p * y for p, y in pts) / sum(p * p for p, _ in pts))


def family_notes(variants: Sequence[Variant], native_resolution: int | None = None) -> list[str]:
    """Plain-language notes on a family: rounding departures, and upsampling beyond the data's native size."""
    notes = []
    worst = max(variants, key=lambda v: abs(math.log(v.macs_ratio / v.multiplier_ratio)) if v.phi else 0)
    if worst.phi and abs(worst.macs_ratio / worst.multiplier_ratio - 1) > 0.1:
        notes.append(f"rounding (whole blocks per stage, widths to multiples of 8) moves {worst.name}'s MACs ratio "
                     f"to {worst.macs_ratio:.2f}x where its multipliers give {worst.multiplier_ratio:.2f}x")
    if native_resolution:
        up = [v for v in variants if v.resolution > native_resolution]
        if up:
            notes.append(upsample_note(native_resolution, [v.resolution for v in up]))
    return notes


def upsample_note(native: int, resolutions: Sequence[int]) -> str:
    """The note that a scaled input size exceeds the data's native images."""
    sizes = ", ".join(str(r) for r in sorted(set(resolutions)))
    return (f"the data's images are {native}x{native}: training at {sizes} upsamples them, so the extra "
            "resolution adds no new detail, only compute")
