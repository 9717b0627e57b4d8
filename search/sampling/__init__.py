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

from space.lazy import lazy_getattr

# each name's module, loaded on first use (PEP 562): the command line imports tuning's table of ranges without
# the samplers' dependencies (optuna)
_HOME = {
    **dict.fromkeys(("DataShape", "Infeasible", "Sampled", "Space", "SpaceError", "Suggest"), "base"),
    **dict.fromkeys(("SearchSpace", "fit_to_budget", "sample_genome", "scale_widths"), "free"),
    **dict.fromkeys(("load_space", "space_from_dict"), "load"),
    **dict.fromkeys(("PatternSpace", "decode", "encode", "label_mismatches"), "pattern"),
    **dict.fromkeys(("DryRun", "Quality", "dry_run", "measure", "summarise"), "quality"),
    **dict.fromkeys(("feasible_range", "refusal"), "solve"),
}

__all__ = sorted(_HOME)

__getattr__ = lazy_getattr(__name__, globals(), _HOME)
