"""Kept for old imports until the study code moves to ``search.sampling``; ``load_space`` keeps its old meaning."""

from pathlib import Path

from .budget import Budget
from .sampling import SearchSpace, SpaceError, fit_to_budget, sample_genome, scale_widths
from .sampling import load_space as _load


def load_space(path: str | Path | None) -> SearchSpace:
    """The free space, or a file of its fields (the old meaning; ``search.sampling.load_space`` is the new one)."""
    return _load("free" if path is None else path, default_kind="free")


__all__ = ["Budget", "SearchSpace", "SpaceError", "fit_to_budget", "load_space", "sample_genome", "scale_widths"]
