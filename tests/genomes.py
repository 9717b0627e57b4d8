"""Random valid genomes for property tests."""

import random
from dataclasses import replace

from space import ACTIVATIONS, BLOCK_FACTS, BLOCK_KINDS, KERNELS, STEM_KINDS, Genome, Head, Stage, Stem
from space.genome import bottleneck_inner


def _downsample(rng: random.Random, block: str) -> str:
    """A mode the block allows: its own where it never strides (dense, inception), VGG's pools for plain."""
    own = BLOCK_FACTS[block].downsample
    if own != "stride":
        return rng.choice((own, "maxpool", "maxpool3"))
    return rng.choice(("stride", "stride", "maxpool", "maxpool3")) if block == "plain" else "stride"


def _branches(rng: random.Random, block: str) -> tuple[int, ...]:
    """Explicit inception branch widths half of the time (the other half: the default shares of the width)."""
    if not BLOCK_FACTS[block].branches or rng.random() < 0.5:
        return ()
    return tuple(rng.randint(1, 8) for _ in range(BLOCK_FACTS[block].branches))


def random_genome(rng: random.Random, resolution: int = 32, blocks: tuple[str, ...] = BLOCK_KINDS) -> Genome:
    """A random valid genome touching every field, small enough to run a forward pass in milliseconds."""
    stages = []
    for i in range(rng.randint(1, 4)):
        block = rng.choice(blocks)
        exp = rng.choice((1, 2, 4, 6)) if BLOCK_FACTS[block].expands else 1
        branches = _branches(rng, block)
        b1, _, b3, _, b5, pool = branches or (0,) * 6
        width = b1 + b3 + b5 + pool if branches else rng.choice((8, 16, 24, 32))
        groups = [0] + [g for g in (2, 4, 8) if block == "bottleneck" and bottleneck_inner(width, exp) % g == 0]
        stages.append(Stage(block, rng.randint(1, 2), width, rng.choice((1, 2)),
                            rng.choice(KERNELS), exp, rng.choice((0, 0.25, 0.5)), _downsample(rng, block),
                            "zeropad" if block == "basic" and rng.random() < 0.3 else "projection",
                            rng.choice(groups), branches))
    # zeropad cannot shrink channels: fall back to projection where a stage narrows, or follows a dense stage
    # (whose concatenation outgrows it when the depths are scaled)
    c, grows, fixed = 0, False, []
    for st in stages:
        if st.shortcut == "zeropad" and (st.width < c or grows):
            st = replace(st, shortcut="projection")
        fixed.append(st)
        c, grows = st.out_channels(c), BLOCK_FACTS[st.block].concat
    stem = Stem(rng.choice(STEM_KINDS), rng.choice((8, 16)), rng.choice((2, 4)))
    head = Head(rng.choice((0, 0, 32)), rng.choice((1, 1, 2)), rng.choice(((), (16,), (16, 8))),
                rng.choice((0.0, 0.2)))
    return Genome(tuple(fixed), stem, head, rng.choice(ACTIVATIONS), resolution, rng.choice((1, 3)),
                  rng.choice((2, 10)))
