"""Compound scaling: grow a base genome in depth, width and resolution together (EfficientNet's recipe).

Names load on first use (PEP 562): the published table and the grid constants need no torch.
"""

from space.lazy import lazy_getattr

_HOME = {
    **dict.fromkeys(("DIVISOR", "MAX_PHI", "Coefficients", "Variant", "family_notes", "macs_growth",
                     "parse_coefficients", "parse_variant", "round_depth", "round_resolution", "round_width",
                     "scale_family", "scale_genome", "upsample_note"), "compound"),
    **dict.fromkeys(("GRID_STEP", "TARGET", "TOLERANCE", "Candidate", "DeriveResult", "candidate_grid", "candidates",
                     "choose", "derive", "scaled_candidate"), "derive"),
    **dict.fromkeys(("EFFICIENTNET", "PAPER_COEFFICIENTS", "TABLES", "TableRow", "table"), "efficientnet"),
}

__all__ = sorted(_HOME)


__getattr__ = lazy_getattr(__name__, globals(), _HOME)
