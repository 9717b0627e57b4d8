"""Generated, learnable images: the data set that needs no files and no network."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..memory import FLOAT_BYTES, check_fits
from .core import DataError, Splits

SYNTHETIC_DEFAULTS = (4000, 32, 10)  # train images, resolution, classes
SYNTHETIC_FLOAT_ARRAYS = 4  # float arrays of every image's size alive at once while the images are mixed


def parse_synthetic(spec: str) -> tuple[int, int, int]:
    """``synthetic[:N[:RES[:CLASSES]]]`` as (N, RES, CLASSES), defaults filled in."""
    parts = spec.split(":")[1:]
    if len(parts) > 3 or not all(p.isdigit() for p in parts):
        raise DataError(f"--data {spec}: expected synthetic[:N[:RES[:CLASSES]]] with positive integers")
    n, res, k = (int(p) for p in parts + [str(d) for d in SYNTHETIC_DEFAULTS[len(parts):]])
    if n < 2 * k or res < 4 or k < 2:
        raise DataError(f"--data {spec}: need CLASSES >= 2, N >= 2 * CLASSES and RES >= 4")
    return n, res, k


def synthetic_splits(n: int, resolution: int, num_classes: int, seed: int = 0) -> Splits:
    """Learnable RGB images: a per-class low-frequency pattern and tint under distractors and noise."""
    total = n + n // 5
    r, k, channels = resolution, num_classes, 3
    # the images (uint8) and the float arrays they are mixed from: signal, distractor, noise and their sum
    check_fits(f"--data synthetic:{n}:{r}:{k} ({total} images of {r}x{r})",
               total * channels * r * r * (1 + SYNTHETIC_FLOAT_ARRAYS * FLOAT_BYTES))
    gen = torch.Generator().manual_seed(seed)

    def smooth(count: int) -> Tensor:  # (count, C, r, r) in [0, 1], coarse 4x4 grid upsampled
        coarse = torch.rand(count, channels, 4, 4, generator=gen)
        return F.interpolate(coarse, size=(r, r), mode="bicubic", align_corners=False).clamp(0, 1)

    patterns, tints = smooth(k), torch.rand(k, channels, 1, 1, generator=gen)
    y = torch.arange(total) % k
    y = y[torch.randperm(total, generator=gen)]
    signal = 0.6 * patterns[y] + 0.4 * tints[y]  # (total, C, r, r)
    distractor = smooth(total)
    noise = torch.rand(total, channels, r, r, generator=gen)
    x = 0.4 * signal + 0.35 * distractor + 0.25 * noise
    x = (x * 255).round().clamp(0, 255).to(torch.uint8)
    classes = tuple(f"class{i}" for i in range(k))
    return Splits(x[:n], y[:n], x[n:], y[n:], classes)
