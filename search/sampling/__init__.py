"""Search spaces: how a trial's params become the network it trains.

API the study calls:
- ``load_space(spec) -> Space``: None or "pattern" the default pattern space, "free" today's free-form
  space, or a .yaml/.yml/.json file of either (``kind: free`` selects the free one); ``SpaceError`` names
  the bad field.
- ``space.sample(trial, shape, budget, objectives_count) -> Sampled``: ``trial`` is anything with optuna's
  ``suggest_categorical/suggest_int/suggest_float``; ``shape`` is ``DataShape(resolution, in_channels,
  num_classes)``. ``Sampled.genome`` is the network to train, ``Sampled.attrs()`` the solved size for user
  attributes. Raises ``Infeasible`` when the drawn shape cannot fit. The params alone (with the same
  space, shape, budget and objectives count) give the same genome again: enqueue them to repeat a trial.
- ``space.to_dict()``: JSON-ready, with ``kind``; equal dicts mean the same space.
- ``feasible_range(space, shape) -> (min_macs, max_macs)`` and ``refusal(budget, lo, hi, resolution)``:
  the message to refuse a budget no network of the space can meet, before any trial.
- ``dry_run(space, shape, budget, objectives_count, n, sampler) -> DryRun``: sample as the search would,
  train nothing, and summarise budget fit and design-rule pass rates (``Quality``).
- ``encode(genome, space) -> params`` and ``decode(params, space, shape, budget) -> genome``: the pattern space's
  params of a genome and back (``decode(encode(g), ..., budget=cost(g))`` is ``g`` for every genome it holds);
  ``label_mismatches(params, genome)``: params named after a genome field that do not hold its value.
"""

from .base import DataShape, Infeasible, Sampled, SpaceError, Suggest
from .free import SearchSpace, fit_to_budget, sample_genome, scale_widths
from .load import Space, load_space, space_from_dict
from .pattern import PatternSpace, decode, encode, label_mismatches
from .quality import DryRun, Quality, dry_run, measure, summarise
from .solve import feasible_range, refusal

__all__ = [
    "DataShape", "DryRun", "Infeasible", "PatternSpace", "Quality", "Sampled", "SearchSpace", "Space", "SpaceError",
    "Suggest", "decode", "dry_run", "encode", "feasible_range", "fit_to_budget", "label_mismatches", "load_space",
    "measure", "refusal", "sample_genome", "scale_widths", "space_from_dict", "summarise",
]
