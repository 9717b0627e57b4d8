"""The design space: genomes, the model builder, and exact analytic complexity.

Names load on first use (PEP 562), so importing ``space`` for a genome or a preset does not import
torch; only ``build`` and ``Network`` (``space.network``) load it, when first asked for: the cost walk
(``complexity``, ``space.walk``) needs none.
"""

from .lazy import lazy_getattr

_HOME = {
    "Layer": "cx",
    **dict.fromkeys(("BLOCK_FACTS", "BLOCK_KINDS", "BlockFacts"), "facts"),
    **dict.fromkeys(("ACTIVATIONS", "KERNELS", "STEM_KINDS", "Genome", "GenomeError", "Head", "Stage", "Stem",
                     "load_genome"), "genome"),
    **dict.fromkeys(("arch_string", "stage_string"), "render"),
    **dict.fromkeys(("Network", "build"), "network"),
    **dict.fromkeys(("Cost", "StageCost", "complexity", "stem_channels", "stem_size"), "walk"),
    **dict.fromkeys(("DESCRIPTIONS", "PRESETS", "preset", "resolve_model"), "presets"),
}

__all__ = sorted(_HOME)


__getattr__ = lazy_getattr(__name__, globals(), _HOME)
