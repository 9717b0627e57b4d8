"""The design space: genomes, the model builder, and exact analytic complexity.

Names load on first use (PEP 562), so importing ``space`` for a genome or a preset does not import
torch; ``build``, ``complexity`` and the rest of ``space.network`` load it when first asked for.
"""

from importlib import import_module
from typing import Any

_HOME = {
    "Layer": "cx",
    **dict.fromkeys(("ACTIVATIONS", "BLOCK_FACTS", "BLOCK_KINDS", "KERNELS", "STEM_KINDS", "BlockFacts", "Genome",
                     "GenomeError", "Head", "Stage", "Stem", "arch_string", "load_genome", "stage_string"), "genome"),
    **dict.fromkeys(("Cost", "Network", "StageCost", "build", "complexity", "stem_channels", "stem_size"), "network"),
    **dict.fromkeys(("DESCRIPTIONS", "PRESETS", "preset", "resolve_model"), "presets"),
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'space' has no attribute {name!r}")
    home = _HOME[name]
    module = import_module(f".{home}", __name__)
    # bind every name of that module now: importing it also bound the submodule's own name on the package
    # (scaling.derive the module would shadow derive the function)
    globals().update({n: getattr(module, n) for n, h in _HOME.items() if h == home})
    return globals()[name]
