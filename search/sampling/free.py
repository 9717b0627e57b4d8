"""The free space: every stage drawn independently, and an over-budget draw squashed by shrinking its widths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from scaling.compound import scale_genome
from space.genome import halved
from space import (ACTIVATIONS, BLOCK_FACTS, BLOCK_KINDS, KERNELS, STEM_KINDS, Genome, GenomeError, Head, Stage, Stem, complexity,
                   stem_size)

from ..budget import Budget
from .base import (DataShape, Extreme, Infeasible, Sampled, SpaceError, Suggest, check_head_widths, check_range,
                   check_subset, pick, pick_int, space_dict, tuple_fields)


@dataclass(frozen=True)
class SearchSpace:
    """Ranges of every genome field the search samples; a single-value list fixes the field."""

    stages: tuple[int, int] = (3, 6)  # fewest and most stages
    stems: tuple[str, ...] = ("cifar", "conv3x3", "deep", "patchify", "resnet")
    stem_widths: tuple[int, ...] = (16, 24, 32, 48, 64)
    patch_sizes: tuple[int, ...] = (2, 4)  # patchify stem only
    blocks: tuple[str, ...] = BLOCK_KINDS
    depths: tuple[int, int] = (1, 4)  # fewest and most blocks per stage
    widths: tuple[int, ...] = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
    strides: tuple[int, ...] = (1, 2)  # a stride that would shrink the map below min_size is taken as 1
    kernels: tuple[int, ...] = KERNELS
    se: tuple[float, ...] = (0.0, 0.25)
    expansions: tuple[float, ...] = (2.0, 4.0, 6.0)  # mbconv expansion / bottleneck reduction
    activations: tuple[str, ...] = ("relu", "silu", "hardswish")
    head_widths: tuple[int, ...] = (0,)  # 1x1 head conv before pooling, 0 = none
    dropouts: tuple[float, ...] = (0.0,)
    min_size: int = 2  # smallest feature map (pixels) the strides may reach
    kind: ClassVar[str] = "free"

    def __post_init__(self) -> None:
        tuple_fields(self)
        check_subset(self.stems, STEM_KINDS, "stems")
        check_subset(self.blocks, BLOCK_KINDS, "blocks")
        check_subset(self.kernels, KERNELS, "kernels")
        check_subset(self.strides, (1, 2), "strides")
        check_subset(self.activations, ACTIVATIONS, "activations")
        check_range(self.stages, "stages", 1, 8)
        check_range(self.depths, "depths", 1, 64)
        _positive(self.stem_widths, "stem_widths")
        _positive(self.widths, "widths")
        _positive(self.patch_sizes, "patch_sizes")
        for i, e in enumerate(self.expansions):
            if not isinstance(e, (int, float)) or not 1 <= e <= 8:
                raise SpaceError(f"space.expansions[{i}]: must be between 1 and 8, got {e!r}")
        for i, s in enumerate(self.se):
            if not isinstance(s, (int, float)) or not 0 <= s <= 1:
                raise SpaceError(f"space.se[{i}]: an SE ratio is 0 (off) or in (0, 1], got {s!r}")
        for i, d in enumerate(self.dropouts):
            if not isinstance(d, (int, float)) or not 0 <= d < 1:
                raise SpaceError(f"space.dropouts[{i}]: must be in [0, 1), got {d!r}")
        check_head_widths(self.head_widths)
        if not isinstance(self.min_size, int) or self.min_size < 1:
            raise SpaceError(f"space.min_size: must be a whole number >= 1, got {self.min_size!r}")

    def to_dict(self) -> dict:
        """JSON-ready dict, with the kind of space."""
        return space_dict(self)

    def sample(self, trial: Suggest, shape: DataShape, budget: Budget, objectives_count: int = 1) -> Sampled:
        """Draw a genome and squash its widths into the budget; Infeasible when no width fits."""
        g = sample_genome(trial, self, *shape)
        fitted = fit_to_budget(g, budget)
        if fitted is None:
            raise Infeasible("cannot fit the budget at any width")
        g, m = fitted
        return Sampled(g, m, 1.0, tuple(s.width for s in g.stages), tuple(s.depth for s in g.stages))

    def extremes(self, shape: DataShape) -> list[Genome]:
        """The cheapest and costliest genomes per stem and block kind, for the feasible range."""
        out = []
        for stem in self.stems:
            for block in self.blocks:
                for high in (False, True):
                    g = sample_genome(Extreme(high, {"stem": stem, "block": block}), self, *shape)
                    out.append(g if high else scale_widths(g, 1e-3))
        return out


def _positive(values: tuple, name: str) -> None:
    for v in values:
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise SpaceError(f"space.{name}: {v!r} is not a positive whole number")


def sample_genome(trial: Suggest, space: SearchSpace, resolution: int, in_channels: int, num_classes: int) -> Genome:
    """Draw one genome; strides that would shrink the map below ``space.min_size`` are taken as 1."""
    kind = pick(trial, "stem", space.stems)
    stem = Stem(kind, pick(trial, "stem_width", space.stem_widths),
                pick(trial, "stem_patch", space.patch_sizes) if kind == "patchify" else 4)
    size = stem_size(stem, resolution)
    stages = []
    for i in range(pick_int(trial, "n_stages", space.stages)):
        block = pick(trial, f"s{i}_block", space.blocks)
        facts = BLOCK_FACTS[block]
        stride = pick(trial, f"s{i}_stride", space.strides)
        if stride == 2 and halved(size, facts.downsample) < space.min_size:
            stride = 1
        size = halved(size, facts.downsample) if stride == 2 else size
        stages.append(Stage(block, pick_int(trial, f"s{i}_depth", space.depths), pick(trial, f"s{i}_width", space.widths),
                            stride, pick(trial, f"s{i}_kernel", space.kernels),
                            pick(trial, f"s{i}_expansion", space.expansions) if facts.expands else 1.0,
                            pick(trial, f"s{i}_se", space.se), facts.downsample if stride == 2 else "stride"))
    head = Head(pick(trial, "head_width", space.head_widths), dropout=pick(trial, "dropout", space.dropouts))
    return Genome(tuple(stages), stem, head, pick(trial, "activation", space.activations), resolution,
                  in_channels, num_classes)


def scale_widths(g: Genome, m: float) -> Genome:
    """Every width times m, rounded to a multiple of 8 (the compound-scaling width rule, depth kept)."""
    return scale_genome(g, width_mult=m, depth_mult=1.0, resolution=g.resolution)


def fit_to_budget(g: Genome, budget: Budget, steps: int = 24) -> tuple[Genome, float] | None:
    """Scale widths (then round to multiples of 8) until the genome fits; None when no width can.

    Returns the fitted genome and its width multiplier (1.0 when it already fit)."""
    try:
        c = complexity(g)
    except GenomeError:
        return None
    if budget.fits(c.macs, c.params):
        return g, 1.0
    over = budget.over(c.macs, c.params)
    lo, hi = (0.0, 1.0) if over else (1.0, 64.0)
    best = None
    for _ in range(steps):  # bisection on the multiplier; MACs and params grow with it
        m = (lo + hi) / 2
        cand = scale_widths(g, m)
        cc = complexity(cand)
        fits = budget.fits(cc.macs, cc.params)
        if fits:
            best = (cand, m)  # going down: the largest fit so far; going up: the smallest
        too_big = budget.over(cc.macs, cc.params)
        go_down = too_big if over else (fits or too_big)
        lo, hi = (lo, m) if go_down else (m, hi)
    return best
