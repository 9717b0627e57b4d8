"""The pattern space (the default): a network drawn in the terms of the design literature, then sized to the budget.

- ``space``: the record of its choices (what a space file may narrow or widen) and their checks;
- ``draw``: define-by-run sampling, one Optuna param per decision, each named after the genome field it sets
  (``stem``, ``stages``, ``s{i}_block``, ``s{i}_depth``, ...) and holding exactly that field's value, then one
  size variable solved so the net lands at the top of the budget;
- ``codec``: ``encode`` (a genome -> the params that draw it) and ``decode`` (params -> the genome again).
"""

from .codec import decode, encode, label_mismatches
from .space import PatternSpace

__all__ = ["PatternSpace", "decode", "encode", "label_mismatches"]
