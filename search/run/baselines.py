"""Budget-matched hand-designed yardsticks; ``nas run --baselines`` trains them beside the search.

A person fits a ResNet or a MobileNetV2 to a budget by dropping blocks before narrowing stages (resnet56 ->
resnet20 -> resnet14 -> resnet8 at 16/32/64 channels, and only then fewer channels), so each yardstick has a
ladder of per-stage depths, deepest first: the deepest that fits at the family's own widths is taken and widened as
far as the budget allows (or the rung above it, narrowed, when that fills more of the budget); when even the
shallowest does not fit, the shallowest is narrowed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from space import Genome, Stem, complexity, preset

from ..budget import Budget
from ..sampling import scale_widths

@dataclass(frozen=True)
class Yardstick:
    """A hand design: the preset it starts from and the per-stage depths a person would try, deepest first."""

    preset: str
    depths: tuple[tuple[int, ...], ...]


YARDSTICKS = {
    # He et al.'s CIFAR family: resnet56, 44, 32, 20, 14, 8 (n blocks per stage at 16/32/64)
    "resnet-style": Yardstick("resnet20", tuple((n,) * 3 for n in (9, 7, 5, 3, 2, 1))),
    # MobileNetV2's repeats, then one block fewer where there are most, down to one block per stage
    "mobilenet_v2-style": Yardstick("mobilenet_v2", ((1, 2, 3, 4, 3, 3, 1), (1, 2, 2, 3, 2, 2, 1),
                                                     (1, 1, 2, 2, 2, 1, 1), (1,) * 7)),
}


def adapt(g: Genome, channels: int, classes: int, resolution: int) -> Genome:
    """A preset for this data: its channels and classes, and for small images a stride-1 stem (as CIFAR variants do)."""
    g = replace(g, in_channels=channels, num_classes=classes, resolution=resolution)
    if resolution <= 64 and g.stem.kind in ("conv3x3", "resnet"):
        # MobileNetV2 on CIFAR: stride-1 stem and second stage, output stride 8 instead of 32
        stages = list(g.stages)
        stages[1] = replace(stages[1], stride=1)
        g = replace(g, stem=Stem("cifar", g.stem.width), stages=tuple(stages))
    return g


def with_depths(g: Genome, depths: tuple[int, ...]) -> Genome:
    """g with these blocks per stage."""
    return replace(g, stages=tuple(replace(s, depth=d) for s, d in zip(g.stages, depths, strict=True)))


def widest(g: Genome, budget: Budget, steps: int = 20) -> Genome | None:
    """g with every width scaled by the largest multiplier (rounded to multiples of 8) that fits; None if none does."""
    lo, hi, best = 0.0, 8.0, None
    for _ in range(steps):  # bisection: cost grows with the multiplier
        m = (lo + hi) / 2
        cand = scale_widths(g, m)
        c = complexity(cand)
        if budget.over(c.macs, c.params):
            hi = m
        else:
            lo, best = m, cand
    return best


def shrink(g: Genome, ladder: tuple[tuple[int, ...], ...], budget: Budget) -> Genome | None:
    """The deepest rung of ``ladder`` that fits at g's widths, made as wide as fits; or the rung above it narrowed
    until it fits, when that uses more of the budget (widths round to multiples of 8, so widening alone can fall
    well short); the shallowest rung narrowed when none fits at g's widths."""
    for i, depths in enumerate(ladder):
        rung = with_depths(g, depths)
        c = complexity(rung)
        if not budget.over(c.macs, c.params):
            options = [widest(rung, budget)] + ([widest(with_depths(g, ladder[i - 1]), budget)] if i else [])
            return max((o for o in options if o is not None), key=lambda o: complexity(o).macs)
    return widest(with_depths(g, ladder[-1]), budget)


def baseline_genomes(channels: int, classes: int, resolution: int, budget: Budget) -> dict[str, Genome]:
    """The yardsticks fitted to the budget, by name (one that cannot fit at any width is left out)."""
    out = {}
    for name, y in YARDSTICKS.items():
        g = shrink(adapt(preset(y.preset), channels, classes, resolution), y.depths, budget)
        if g is not None:
            out[name] = g
    return out
