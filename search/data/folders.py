"""Folders and archives of images: finding the split layout and grouping images by class.

The layout is found from the image files alone. Single top-level folders are unwrapped (archives
often hold ``DATA/train/...``); a level holding ``train`` is the split level; a level with several
folders and no ``train`` is a single tree of class folders, unless a split folder hides below one
of them, which is ambiguous and refused with the folders listed.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path, PurePosixPath
from typing import Iterator

import torch

from ..logs import NasWarning
from . import decode
from .cache import cache_file, file_hash, read_cache, write_cache
from .core import DataError, Limits, Splits, one_line
from .headers import IMAGE_SUFFIXES
from .members import Member, archive_members, folder_files, folder_members

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
_SPLIT_NAMES = {"train": "train", "test": "test", "val": "val", "valid": "val", "validation": "val"}
_CHUNK = 2048  # images decoded per batch: bounds the undecoded bytes held at once


def archive_stem(path: Path) -> str:
    """The data set's name: the file or folder name without an archive suffix."""
    name = path.resolve().name
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def load_tree(path: Path, cache: Path, limits: Limits = Limits()) -> Splits:
    """The splits of a folder or archive, from the cache when its content is unchanged."""
    if path.is_dir():
        files = folder_files(path)
        listing = "\n".join(f"{rel}\t{(st := (path / rel).stat()).st_size}\t{st.st_mtime_ns}" for rel in files)
        key = hashlib.sha256(listing.encode()).hexdigest()[:20]
        members: Iterator[Member] = folder_members(path, files, limits.max_file_bytes)
    elif path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES):
        key = file_hash(path)
        members = archive_members(path, limits.max_file_bytes)
    else:
        raise DataError(f"--data {path}: not a directory or a {'/'.join(ARCHIVE_SUFFIXES)} archive")
    target = cache_file(cache, f"{archive_stem(path)}-{key}")
    if (cached := read_cache(target)) is not None:
        splits, notes = cached
        for note in notes:  # the decoding's warnings, said on every load and not only the first
            warnings.warn(note, NasWarning, stacklevel=3)
        return splits
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NasWarning)
        splits = _decode_tree(path, members, limits.max_pixels)
    for w in caught:  # said now, and kept with the cached splits
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    write_cache(target, splits, [str(w.message) for w in caught if issubclass(w.category, NasWarning)])
    return splits


def split_layout(rels: list[PurePosixPath]) -> tuple[int, dict[str, str]]:
    """Depth of the tree root, and which folders there are splits (``{}`` for a single tree).

    Raises ValueError naming the top folders when the tree is ambiguous."""
    depth = 0
    while True:
        tops = sorted({r.parts[depth] for r in rels if len(r.parts) > depth + 1})
        splits = {_SPLIT_NAMES[t.lower()]: t for t in tops if t.lower() in _SPLIT_NAMES}
        if "train" in splits:
            return depth, splits
        if len(tops) == 1:  # a wrapping folder; files beside it have no class and are ignored
            depth += 1
            continue
        if any(p.lower() in _SPLIT_NAMES for r in rels for p in r.parts[depth + 1:-1]):
            where = "/".join(rels[0].parts[:depth]) or "the top level"
            raise ValueError(f"ambiguous layout, folders at {where}: {', '.join(tops)}; expected one "
                             f"folder holding train/ (and test/), or only class folders")
        return depth, {}


def _decode_tree(path: Path, members: Iterator[Member], max_pixels: int) -> Splits:
    rels, images = _decode_stream(path, members, max_pixels)
    if not rels:
        raise DataError(f"--data {path}: no image files found ({', '.join(sorted(IMAGE_SUFFIXES))})")
    try:
        depth, split_dirs = split_layout(rels)
    except ValueError as e:
        raise DataError(f"--data {path}: {e}") from e
    split_of = {v: k for k, v in split_dirs.items()}
    grouped: dict[str, list[tuple[str, int]]] = {"train": [], "val": [], "test": []}  # (class, image index)
    ignored = set()
    for i, rel in enumerate(rels):
        parts = rel.parts[depth:]
        if split_dirs:
            if parts[0] not in split_of:
                if len(parts) > 1:  # a folder, not a loose file
                    ignored.add(parts[0])
                continue
            split, parts = split_of[parts[0]], parts[1:]
        else:
            split = "train"
        if len(parts) >= 2:  # images directly in a split folder have no class: ignored
            grouped[split].append((parts[0], i))
    if ignored:
        warnings.warn(f"--data {path}: ignoring folders beside {', '.join(sorted(split_of))}: "
                      f"{', '.join(sorted(ignored))}", NasWarning, stacklevel=4)
    classes = tuple(sorted({c for c, _ in grouped["train"]}))
    if len(classes) < 2:
        raise DataError(f"--data {path}: need at least 2 class folders with images under the training "
                        f"tree, found {len(classes)} (expected DIR/train/CLASS/*.jpg or DIR/CLASS/*.jpg)")
    for split in ("val", "test"):
        extra = {c for c, _ in grouped[split]} - set(classes)
        if extra:
            raise DataError(f"--data {path}: {split} has classes missing from train: {', '.join(sorted(extra))}")
    used = [i for entries in grouped.values() for _, i in entries]
    x = decode.uniform([images[i] for i in used])  # images outside the layout do not shape the set
    row = {i: r for r, i in enumerate(used)}
    index = {c: i for i, c in enumerate(classes)}
    out = {split: (x[torch.tensor([row[i] for _, i in entries], dtype=torch.int64)],
                   torch.tensor([index[c] for c, _ in entries], dtype=torch.int64))
           for split, entries in grouped.items()}
    val = out["val"] if grouped["val"] else (None, None)
    return Splits(*out["train"], *out["test"], classes, *val)


def _decode_stream(path: Path, members: Iterator[Member], max_pixels: int) -> tuple[list[PurePosixPath], list]:
    """Decode image members in chunks as they are read. Threads do not help here: the decoders
    hold the GIL, and on CIFAR-10 reading the archive costs as much as decoding it."""
    rels: list[PurePosixPath] = []
    images: list = []
    chunk: list[bytes] = []

    def flush() -> None:
        names = [str(r) for r in rels[len(images):]]
        images.extend(decode.decode_chunk(chunk, names, max_pixels))
        chunk.clear()

    try:
        for rel, blob in members:
            rels.append(rel)
            chunk.append(blob)
            if len(chunk) == _CHUNK:
                flush()
        flush()
    except DataError as e:
        raise DataError(e.args[0] if str(e).startswith("--data ") else f"--data {path}: {e}") from e
    except Exception as e:  # anything a decoder raises that decode_one did not name
        raise DataError(f"--data {path}: an image could not be decoded ({one_line(e)})") from e
    return rels, images
