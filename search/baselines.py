"""Budget-matched hand-designed yardsticks; ``nas run --baselines`` trains them as trials of the study."""

from __future__ import annotations

import math
from dataclasses import replace

from space import Genome, Stem, complexity, preset

from .data import ImageData
from .budget import Budget
from .sampling import fit_to_budget

FILL = 0.9  # a baseline is widened or narrowed to use between 90 % and 100 % of the budget


def adapt(g: Genome, data: ImageData, resolution: int) -> Genome:
    """A preset for this data: its channels and classes, and for small images a stride-1 stem (as CIFAR variants do)."""
    g = replace(g, in_channels=data.channels, num_classes=data.num_classes, resolution=resolution)
    if resolution <= 64 and g.stem.kind in ("conv3x3", "resnet"):
        # MobileNetV2 on CIFAR: stride-1 stem and second stage, output stride 8 instead of 32
        stages = list(g.stages)
        stages[1] = replace(stages[1], stride=1)
        g = replace(g, stem=Stem("cifar", g.stem.width), stages=tuple(stages))
    return g


DEPTHS = (1, 1.5, 2, 3, 4)  # per-stage depth multipliers tried when width alone cannot fill the budget


def fill_budget(g: Genome, budget: Budget) -> Genome | None:
    """Width (and if needed depth) of g scaled to use FILL..100 % of the budget; the fullest fit otherwise."""
    target = replace(budget, min_macs=max(budget.min_macs, int(FILL * budget.max_macs))) if budget.max_macs else budget
    fits = []
    for d in DEPTHS:
        deeper = replace(g, stages=tuple(replace(s, depth=math.ceil(s.depth * d)) for s in g.stages))
        fitted = fit_to_budget(deeper, target) or fit_to_budget(deeper, budget)
        if fitted is not None:
            if target.fits(complexity(fitted[0]).macs, complexity(fitted[0]).params):
                return fitted[0]
            fits.append(fitted[0])
    return max(fits, key=lambda f: complexity(f).macs, default=None)


def baseline_genomes(data: ImageData, resolution: int, budget: Budget) -> dict[str, Genome]:
    """resnet20-style and MobileNetV2-style genomes fitted to the budget."""
    out = {}
    for name, base in (("resnet20-style", "resnet20"), ("mobilenet_v2-style", "mobilenet_v2")):
        g = fill_budget(adapt(preset(base), data, resolution), budget)
        if g is not None:
            out[name] = g
    return out
