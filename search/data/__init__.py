"""Image data for proxy training: load once, decode once, keep as uint8 tensors.

A data spec is one string:

- ``synthetic[:N[:RES[:CLASSES]]]``: generated, learnable images (default 4000 train
  images, 32x32 RGB, 10 classes; test holds N // 5 more), deterministic from ``seed``.
- a torchvision name (``cifar10``, ``cifar100``, ``svhn``, ``fashionmnist``, ``mnist``),
  downloaded into the cache on first use.
- a directory holding an ImageFolder tree: ``DIR/train`` (+ ``DIR/test``, + optional
  ``DIR/val``), or a single tree of class folders, which has no test split.
- a ``.tar.gz``/``.tgz``/``.tar``/``.zip`` archive of such a tree, possibly wrapped in one
  top-level folder. Members are read from the archive in memory, never extracted to disk, so
  no member can write outside the cache (links, devices and ``..`` paths are skipped anyway).

A name wins over a folder of the same name in the working directory: write ``./cifar10``.

Trees: class = first folder below the split folder (deeper nesting allowed); files directly
in a split folder, hidden files and non-image files are ignored. ``DIR/val`` (or ``valid``,
``validation``) is used as the validation split as is, and ``val_fraction`` is then ignored.
A single tree of class folders has an empty test split (``nas train`` reports test as
unavailable). Images may have any size and channel count: the set becomes 3 channels if any
image has colour, else 1 (alpha is dropped, grey is replicated), and images whose size
differs from the most common one are resized to it (bilinear, antialiased).

Decoded splits are cached as one ``.pt`` file under the cache dir (``NAS_CACHE``, else
``~/.cache/nas``), keyed by content, so a second load only reads that file. The validation
split is carved from train at load time (seeded, stratified) unless the tree has ``val``.
"""

from __future__ import annotations

from pathlib import Path

from .cache import default_cache_dir
from .core import DataError, ImageData, Splits, stratified_split, with_val
from .decode import decode_chunk as _decode_chunk, decode_one as _decode_one
from .folders import archive_stem, load_tree
from .synthetic import parse_synthetic, synthetic_splits
from .torchvision_sets import TORCHVISION_NAMES, DownloadFn, load_torchvision, torchvision_download


def load_data(
    spec: str,
    cache_dir: str | Path | None = None,
    val_fraction: float = 0.1,
    seed: int = 0,
    download_fn: DownloadFn | None = None,
) -> ImageData:
    """Load the data named by ``spec`` (see the module docstring) with a seeded validation split."""
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(f"val_fraction: must be in [0, 1), got {val_fraction}")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    spec = spec.strip()
    low = spec.lower()
    if low == "synthetic" or low.startswith("synthetic:"):
        name, splits = "synthetic", synthetic_splits(*parse_synthetic(spec), seed=seed)
    elif low in TORCHVISION_NAMES:
        name, splits = low, load_torchvision(low, cache, download_fn or torchvision_download)
    else:
        path = Path(spec).expanduser()
        if not path.exists():
            known = ", ".join(TORCHVISION_NAMES)
            raise DataError(f"--data {spec}: no such file or directory, and not a known data set "
                            f"(synthetic[:N[:RES[:CLASSES]]], {known})")
        name, splits = archive_stem(path), load_tree(path, cache)
    return with_val(name, splits, val_fraction, seed)


__all__ = ["DataError", "ImageData", "Splits", "load_data", "stratified_split", "synthetic_splits",
           "torchvision_download", "default_cache_dir", "TORCHVISION_NAMES", "_decode_chunk", "_decode_one"]
