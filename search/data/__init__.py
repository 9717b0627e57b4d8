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

Limits, which bound memory on hostile or odd files (each can be raised):

- ``max_pixels`` (default ``MAX_PIXELS``, 50 M; else ``$NAS_MAX_PIXELS``): width x height of
  an image, read from its header before decoding, so a decompression bomb is refused cheaply.
  PIL's own limit (about 179 M pixels) still applies to GIF, WEBP, BMP, TIFF and PPM files.
- ``max_file_bytes`` (default ``MAX_FILE_BYTES``, 64 MiB): one image file or archive member,
  refused before it is read.
- formats: JPEG, PNG, GIF, WEBP, BMP, TIFF, PPM/PGM only, recognised by content, which must
  match the suffix (a ``.png`` holding PostScript is refused; no other decoder is ever run).
- archives: only image members are read; absolute names, ``..`` parts, links, devices and
  names that are not UTF-8 are skipped with a warning (in folders too, for names).

A name wins over a folder of the same name in the working directory: write ``./cifar10``.

Trees: class = first folder below the split folder (deeper nesting allowed); files directly
in a split folder, hidden files and non-image files are ignored. ``DIR/val`` (or ``valid``,
``validation``) is used as the validation split as is, and ``val_fraction`` is then ignored.
A single tree of class folders has an empty test split (``nas train`` reports test as
unavailable). Images may have any size and mode (1, L, LA, P, PA, RGB, RGBA, CMYK, 16-bit grey...): the set
becomes 3 channels if any image has colour, else 1 (alpha is dropped, grey is replicated,
palettes are expanded, 16-bit values are scaled to 8 bits, 32-bit integer and float values by the
narrowest of 8 bits, 16 bits or [0, 1] for float that holds each image's largest value); a set whose
training images are all one value in every pixel is refused; multi-frame images (animated GIF,
multi-page TIFF) give their first frame; images whose size differs from the most common one
are resized to it (bilinear, antialiased). A tree whose layout is ambiguous (a second folder
beside the one holding ``train/``) is refused with its top folders listed.

Decoded splits are cached as one ``.pt`` file under the cache dir (``NAS_CACHE``, else
``~/.cache/nas``), keyed by content, so a second load only reads that file. The validation
split is carved from train at load time (seeded, stratified) unless the tree has ``val``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .cache import default_cache_dir
from .core import MAX_FILE_BYTES, MAX_PIXELS, DataError, ImageData, Limits, Splits, refuse_flat, stratified_split, with_val
from .decode import decode_one as _decode_one
from .folders import archive_stem, load_tree
from .memory import in_memory
from .synthetic import parse_synthetic, synthetic_splits
from .torchvision_sets import TORCHVISION_NAMES, DownloadFn, load_torchvision, torchvision_download


def load_data(
    spec: str,
    cache_dir: str | Path | None = None,
    val_fraction: float = 0.1,
    seed: int = 0,
    download_fn: DownloadFn | None = None,
    *,
    max_pixels: int | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> ImageData:
    """Load the data named by ``spec`` (see the module docstring) with a seeded validation split."""
    limits = Limits(pixel_limit(max_pixels), max_file_bytes)
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
        name, splits = archive_stem(path), load_tree(path, cache, limits)
    refuse_flat(spec, splits.train_x)  # checked on every load, the cached ones too
    return with_val(name, splits, val_fraction, seed)


def pixel_limit(max_pixels: int | None = None) -> int:
    """The pixel limit in force: the argument, else ``$NAS_MAX_PIXELS``, else ``MAX_PIXELS``."""
    if max_pixels is not None:
        return max_pixels
    text = os.environ.get("NAS_MAX_PIXELS", "").strip()
    if not text:
        return MAX_PIXELS
    if not text.isdigit() or int(text) < 1:
        raise DataError(f"NAS_MAX_PIXELS: expected a positive integer, got {text!r}")
    return int(text)


__all__ = ["DataError", "ImageData", "Splits", "in_memory", "load_data", "stratified_split", "synthetic_splits",
           "torchvision_download", "default_cache_dir", "TORCHVISION_NAMES", "MAX_PIXELS", "MAX_FILE_BYTES", "pixel_limit", "_decode_one"]
