"""Budget-matched hand-designed yardsticks, trained under the same proxy protocol as the search."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import optuna

from space import Genome, Stem, arch_string, build, complexity, preset

from .data import ImageData
from .budget import Budget
from .searchspace import fit_to_budget
from .study import SearchConfig, best_trial, log
from .train import train_proxy

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


def run_baselines(cfg: SearchConfig, data: ImageData, study: optuna.Study) -> list[dict]:
    """Train each baseline once (results kept in studies/<name>/baselines.json for reruns)."""
    path = cfg.folder / "baselines.json"
    done = {b["name"]: b for b in json.loads(path.read_text())} if path.exists() else {}
    best = best_trial(study)
    rows = []
    for name, g in baseline_genomes(data, cfg.train.resolution or data.resolution, cfg.budget).items():
        if name in done and done[name].get("arch") == arch_string(g):
            row = done[name]
        else:
            log(cfg, f"baseline {name}: training {arch_string(g)}")
            result = train_proxy(build(g), data, replace(cfg.train, seed=cfg.seed), cfg.device)
            c = complexity(g)
            row = {"name": name, "arch": arch_string(g), "params": c.params, "macs": c.macs,
                   "status": result.status, "reason": result.reason, "val_acc": result.val_acc,
                   "train_seconds": result.train_seconds, "genome": g.to_dict()}
        row["margin"] = (best.values[0] - row["val_acc"]) if best is not None and row["val_acc"] is not None else None
        rows.append(row)
    path.write_text(json.dumps(rows, indent=2))
    return rows
