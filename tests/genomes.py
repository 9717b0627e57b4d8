"""Random valid genomes for property tests."""

import random
from dataclasses import replace

from space import ACTIVATIONS, BLOCK_KINDS, KERNELS, STEM_KINDS, Genome, Head, Stage, Stem
from space.genome import bottleneck_inner


def random_genome(rng: random.Random, resolution: int = 32) -> Genome:
    """A random valid genome touching every field, small enough to run a forward pass in milliseconds."""
    stages = []
    for i in range(rng.randint(1, 4)):
        block = rng.choice(BLOCK_KINDS)
        exp = rng.choice((1, 2, 4, 6)) if block in ("mbconv", "bottleneck") else 1
        width = rng.choice((8, 16, 24, 32))
        groups = [0] + [g for g in (2, 4, 8) if block == "bottleneck" and bottleneck_inner(width, exp) % g == 0]
        stages.append(Stage(block, rng.randint(1, 2), width, rng.choice((1, 2)),
                            rng.choice(KERNELS), exp, rng.choice((0, 0.25, 0.5)),
                            rng.choice(("stride", "stride", "maxpool")) if block == "plain" else "stride",
                            "zeropad" if block == "basic" and rng.random() < 0.3 else "projection",
                            rng.choice(groups)))
    # zeropad cannot shrink channels: fall back to projection where a stage narrows
    c, fixed = 0, []
    for st in stages:
        if st.shortcut == "zeropad" and st.width < c:
            st = replace(st, shortcut="projection")
        fixed.append(st)
        c = st.width
    stem = Stem(rng.choice(STEM_KINDS), rng.choice((8, 16)), rng.choice((2, 4)))
    head = Head(rng.choice((0, 0, 32)), rng.choice((1, 1, 2)), rng.choice(((), (16,), (16, 8))),
                rng.choice((0.0, 0.2)))
    return Genome(tuple(fixed), stem, head, rng.choice(ACTIVATIONS), resolution, rng.choice((1, 3)),
                  rng.choice((2, 10)))
