"""Deriving alpha, beta, gamma for one's own base: a grid at phi = 1, each candidate scored by training.

The paper's procedure (Tan & Le 2019, section 3.3): fix phi = 1, try every (alpha, beta, gamma)
with alpha * beta^2 * gamma^2 close to 2, train each scaled model, keep the most accurate. The
training is passed in as ``evaluate`` so this module stays pure; ``search.scale.derive`` runs it as
an Optuna study.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import space
from space.genome import Genome

from .compound import Coefficients, round_resolution, scale_genome

TARGET = 2.0  # alpha * beta^2 * gamma^2: each step of phi doubles the MACs
TOLERANCE = 0.05  # relative: the paper's "approximately 2" as 1.9 ... 2.1
GRID_STEP = 0.05  # fine enough to hold the paper's 1.2, 1.1, 1.15


@dataclass(frozen=True)
class Candidate:
    """One (alpha, beta, gamma) scaled to phi = 1, its cost as rounded, and its score once trained."""

    alpha: float
    beta: float
    gamma: float
    product: float  # alpha * beta^2 * gamma^2, the nominal MACs ratio
    resolution: int
    params: int
    macs: int
    macs_ratio: float  # macs / the base's macs: what rounding actually gives
    genome: Genome
    val_acc: float | None = None  # None until trained, or when training failed

    @property
    def coefficients(self) -> Coefficients:
        """The candidate's (alpha, beta, gamma)."""
        return Coefficients(self.alpha, self.beta, self.gamma)


@dataclass(frozen=True)
class DeriveResult:
    """Every candidate (grid order) with its score, and the one chosen."""

    candidates: tuple[Candidate, ...]
    chosen: Candidate
    target: float
    tolerance: float

    @property
    def coefficients(self) -> Coefficients:
        """The chosen (alpha, beta, gamma)."""
        return self.chosen.coefficients

    def ranked(self) -> list[Candidate]:
        """Trained candidates best first, then the failed ones."""
        return sorted(self.candidates, key=_rank_key(self.target))


def _axis(top: float, step: float) -> list[float]:
    # values 1, 1 + step, ... <= top, rounded so that 1 + 3 * 0.05 prints and compares as 1.15
    return [round(1 + i * step, 6) for i in range(int(math.floor((top - 1) / step + 1e-9)) + 1)]


def candidate_grid(target: float = TARGET, tolerance: float = TOLERANCE, step: float = GRID_STEP) -> list[Coefficients]:
    """Every (alpha, beta, gamma) on a grid of ``step`` from 1 with alpha * beta^2 * gamma^2 within
    ``target`` * (1 +- ``tolerance``); the trivial (1, 1, 1) never qualifies for a target above 1."""
    if not target > 1:
        raise ValueError(f"the target MACs ratio per step must be > 1, got {target}")
    if not 0 <= tolerance < 1:
        raise ValueError(f"the tolerance must be in [0, 1), got {tolerance}")
    if not 0 < step <= 1:
        raise ValueError(f"the grid step must be in (0, 1], got {step}")
    lo, hi = target * (1 - tolerance), target * (1 + tolerance)
    out = []
    for a in _axis(hi, step):
        for b in _axis(math.sqrt(hi / a), step):
            for g in _axis(math.sqrt(hi / (a * b * b)), step):
                if lo - 1e-9 <= a * b * b * g * g <= hi + 1e-9:
                    out.append(Coefficients(a, b, g))
    if not out:
        raise ValueError(f"no grid point of step {step} has alpha * beta^2 * gamma^2 within {tolerance:.0%} "
                         f"of {target}; use a finer step or a wider tolerance")
    return out


def scaled_candidate(base: Genome, c: Coefficients, base_macs: int | None = None) -> Candidate:
    """The base scaled by ``c`` at phi = 1, with its cost as rounded."""
    g = scale_genome(base, c.beta, c.alpha, round_resolution(base.resolution, c.gamma))
    cost = space.complexity(g)
    base_macs = space.complexity(base).macs if base_macs is None else base_macs
    return Candidate(c.alpha, c.beta, c.gamma, c.product, g.resolution, cost.params, cost.macs,
                     cost.macs / base_macs, g)


def candidates(base: Genome, grid: Sequence[Coefficients]) -> list[Candidate]:
    """The grid's candidates, untrained."""
    base_macs = space.complexity(base).macs
    return [scaled_candidate(base, c, base_macs) for c in grid]


def _rank_key(target: float) -> Callable[[Candidate], tuple]:
    # best accuracy first; among equals the one whose measured ratio is nearest the target, then the cheaper
    def key(c: Candidate) -> tuple:
        trained = c.val_acc is not None
        return (not trained, -(c.val_acc or 0.0), abs(c.macs_ratio - target), c.macs)
    return key


def choose(scored: Sequence[Candidate], target: float, tolerance: float) -> DeriveResult:
    """The most accurate trained candidate (ties: measured ratio nearest ``target``, then fewer MACs)."""
    trained = [c for c in scored if c.val_acc is not None]
    if not trained:
        raise ValueError("no candidate trained successfully, so no coefficients can be chosen")
    return DeriveResult(tuple(scored), min(trained, key=_rank_key(target)), target, tolerance)


def derive(base: Genome, evaluate: Callable[[Candidate], float | None], target: float = TARGET,
           tolerance: float = TOLERANCE, step: float = GRID_STEP,
           grid: Sequence[Coefficients] | None = None) -> DeriveResult:
    """Score every grid candidate with ``evaluate`` (validation accuracy, None or NaN if training failed)
    and choose alpha, beta, gamma.

    Candidates whose rounding lands on the same genome are evaluated once and share the score.
    """
    grid = candidate_grid(target, tolerance, step) if grid is None else grid
    seen: dict[Genome, float | None] = {}
    scored = []
    for c in candidates(base, grid):
        if c.genome not in seen:
            acc = evaluate(c)
            seen[c.genome] = None if acc is None or math.isnan(acc) else float(acc)
        scored.append(replace(c, val_acc=seen[c.genome]))
    return choose(scored, target, tolerance)

