"""Compound scaling: grow a base genome in depth, width and resolution together (EfficientNet's recipe).

Names load on first use (PEP 562): the published table and the grid constants need no torch.
"""

from importlib import import_module
from typing import Any

_HOME = {
    **dict.fromkeys(("DIVISOR", "MAX_PHI", "Coefficients", "Variant", "family_notes", "macs_growth",
                     "parse_coefficients", "parse_variant", "round_depth", "round_resolution", "round_width",
                     "scale_family", "scale_genome", "upsample_note"), "compound"),
    **dict.fromkeys(("GRID_STEP", "TARGET", "TOLERANCE", "Candidate", "DeriveResult", "candidate_grid", "candidates",
                     "choose", "derive", "scaled_candidate"), "derive"),
    **dict.fromkeys(("EFFICIENTNET", "PAPER_COEFFICIENTS", "TABLES", "TableRow", "table"), "efficientnet"),
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'scaling' has no attribute {name!r}")
    home = _HOME[name]
    module = import_module(f".{home}", __name__)
    # bind every name of that module now: importing it also bound the submodule's own name on the package
    # (scaling.derive the module would shadow derive the function)
    globals().update({n: getattr(module, n) for n, h in _HOME.items() if h == home})
    return globals()[name]
