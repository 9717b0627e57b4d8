"""The design space: genomes, the model builder, and exact analytic complexity."""

from .cx import Layer
from .genome import (ACTIVATIONS, BLOCK_FACTS, BLOCK_KINDS, KERNELS, STEM_KINDS, BlockFacts, Genome, GenomeError,
                     Head, Stage, Stem, arch_string, load_genome, stage_string)
from .network import Cost, Network, StageCost, build, complexity, stem_channels, stem_size
from .presets import DESCRIPTIONS, PRESETS, preset, resolve_model

__all__ = [
    "ACTIVATIONS", "BLOCK_FACTS", "BLOCK_KINDS", "BlockFacts", "KERNELS", "STEM_KINDS", "Cost", "Genome",
    "GenomeError", "Head", "Layer", "Network", "PRESETS", "DESCRIPTIONS", "Stage", "StageCost", "Stem",
    "arch_string", "build", "complexity", "load_genome", "preset", "resolve_model", "stage_string",
    "stem_channels", "stem_size",
]
