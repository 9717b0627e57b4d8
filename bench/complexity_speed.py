"""Genomes per second of the analytic complexity walk on one CPU core.

Prints three figures: presets walked again and again with the block cache cleared before every
genome (the cold cost of one walk), random search-space genomes in bulk (the cache at work, as
when a search filters candidates), and the same random genomes with the cache cleared each time.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time

from space import PRESETS, Genome, Head, Stage, Stem, complexity, preset
from space.walk import _stage_delta


def random_candidate(rng: random.Random) -> Genome:
    """A genome like those the default search space samples (CIFAR-sized, 3-6 stages)."""
    stages, width = [], rng.choice((16, 24, 32))
    for i in range(rng.randint(3, 6)):
        block = rng.choice(("plain", "basic", "bottleneck", "mbconv", "dwsep"))
        width = min(512, width * rng.choice((1, 2)))
        stages.append(Stage(block, rng.randint(1, 4), width, 1 if i == 0 else rng.choice((1, 2)),
                            rng.choice((3, 5, 7)), rng.choice((2, 4, 6)) if block in ("mbconv", "bottleneck") else 1,
                            rng.choice((0.0, 0.25))))
    return Genome(tuple(stages), Stem(rng.choice(("cifar", "conv3x3", "deep")), rng.choice((16, 32))),
                  Head(), rng.choice(("relu", "silu")), 32, 3, 10)


def rate(genomes: list[Genome], cold: bool) -> float:
    """Genomes per second of CPU time (robust to other processes sharing the machine)."""
    start = time.process_time()
    for g in genomes:
        if cold:
            _stage_delta.cache_clear()
        complexity(g)
    return len(genomes) / (time.process_time() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=20000, help="random genomes to walk")
    args = p.parse_args()
    rng = random.Random(0)
    candidates = [random_candidate(rng) for _ in range(args.n)]
    presets = [preset(name) for name in PRESETS] * 200
    print(f"device: CPU, one core ({platform.processor() or platform.machine()}, {os.cpu_count()} cores present), "
          f"Python {platform.python_version()}")
    print(f"random candidates, bulk (block cache warm):  {rate(candidates, cold=False):>9,.0f} genomes/s")
    print(f"random candidates, cache cleared per genome: {rate(candidates[:5000], cold=True):>9,.0f} genomes/s")
    print(f"reference presets, cache cleared per genome: {rate(presets, cold=True):>9,.0f} genomes/s")


if __name__ == "__main__":
    main()
