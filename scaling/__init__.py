"""Compound scaling: grow a base genome in depth, width and resolution together (EfficientNet's recipe)."""

from .compound import (DIVISOR, MAX_PHI, Coefficients, Variant, family_notes, macs_growth, parse_coefficients,
                       parse_variant, round_depth, round_resolution, round_width, scale_family, scale_genome,
                       upsample_note)
from .derive import (GRID_STEP, TARGET, TOLERANCE, Candidate, DeriveResult, candidate_grid, candidates, choose,
                     derive, scaled_candidate)
from .efficientnet import EFFICIENTNET, PAPER_COEFFICIENTS, TABLES, TableRow, table

__all__ = [
    "Candidate", "Coefficients", "DIVISOR", "DeriveResult", "EFFICIENTNET", "GRID_STEP",
    "MAX_PHI", "PAPER_COEFFICIENTS", "TABLES", "TARGET", "TOLERANCE", "TableRow", "Variant", "candidate_grid",
    "candidates", "choose", "derive", "family_notes", "macs_growth", "parse_coefficients", "parse_variant",
    "round_depth", "round_resolution", "round_width", "scale_family", "scale_genome", "scaled_candidate", "table",
    "upsample_note",
]
