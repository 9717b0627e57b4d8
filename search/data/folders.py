"""Folders and archives of images: reading members, finding the split layout, grouping by class."""

from __future__ import annotations

import hashlib
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Iterator

import torch
from torch import Tensor

from . import decode
from .cache import cache_file, file_hash, read_cache, write_cache
from .core import DataError, Splits, one_line

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".ppm", ".pgm"})
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
_VAL_NAMES = ("val", "valid", "validation")


def archive_stem(path: Path) -> str:
    name = path.resolve().name
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def load_tree(path: Path, cache: Path) -> Splits:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not _skipped(p.relative_to(path).parts))
        listing = "\n".join(f"{p.relative_to(path).as_posix()}\t{p.stat().st_size}\t{p.stat().st_mtime_ns}"
                            for p in files)
        key = hashlib.sha256(listing.encode()).hexdigest()[:20]

        def members() -> Iterator[tuple[PurePosixPath, bytes]]:
            for p in files:
                yield PurePosixPath(p.relative_to(path).as_posix()), p.read_bytes()
    elif _is_archive(path):
        key = file_hash(path)

        def members() -> Iterator[tuple[PurePosixPath, bytes]]:
            yield from _archive_members(path)
    else:
        raise DataError(f"--data {path}: not a directory or a {'/'.join(ARCHIVE_SUFFIXES)} archive")
    target = cache_file(cache, f"{archive_stem(path)}-{key}")
    if (cached := read_cache(target)) is not None:
        return cached
    splits = _decode_tree(path, members())
    write_cache(target, splits)
    return splits


def _skipped(parts: tuple[str, ...]) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" or p == ".." for p in parts)


def _archive_members(path: Path) -> Iterator[tuple[PurePosixPath, bytes]]:
    """Regular files of the archive, read in order; links, devices and ``..`` paths are skipped."""
    try:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    rel = PurePosixPath(info.filename.lstrip("/"))
                    if not info.is_dir() and not _skipped(rel.parts):
                        yield rel, zf.read(info)
        else:
            with tarfile.open(path, "r|*") as tf:  # streaming: one pass, any compression
                for m in tf:
                    rel = PurePosixPath(m.name.lstrip("/"))
                    if m.isfile() and not _skipped(rel.parts):
                        yield rel, tf.extractfile(m).read()
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as e:
        raise DataError(f"--data {path}: cannot read the archive ({one_line(e)})") from e
    except Exception as e:  # zlib.error and friends on a damaged stream
        raise DataError(f"--data {path}: corrupt archive ({one_line(e)})") from e


def _split_layout(rels: list[PurePosixPath]) -> tuple[int, dict[str, str]]:
    """Depth of the tree root below the top, and which top folders are splits (maybe none)."""
    depth = 0
    while True:  # unwrap single top-level folders, as archives often hold DATA/train/...
        tops = {r.parts[depth] for r in rels if len(r.parts) > depth + 1}
        loose = any(len(r.parts) == depth + 1 for r in rels)
        names = {t.lower(): t for t in tops}
        if "train" in names:
            splits = {"train": names["train"]}
            splits |= {"test": names["test"]} if "test" in names else {}
            splits |= {"val": names[v] for v in _VAL_NAMES if v in names}
            return depth, splits
        if len(tops) != 1 or loose:
            return depth, {}
        depth += 1


def _decode_tree(path: Path, members: Iterator[tuple[PurePosixPath, bytes]]) -> Splits:
    rels, images = _decode_stream(path, members)
    if not rels:
        raise DataError(f"--data {path}: no image files found ({', '.join(sorted(IMAGE_SUFFIXES))})")
    depth, split_dirs = _split_layout(rels)
    split_of = {v: k for k, v in split_dirs.items()}
    grouped: dict[str, list[tuple[str, int]]] = {"train": [], "val": [], "test": []}  # (class, image index)
    for i, rel in enumerate(rels):
        parts = rel.parts[depth:]
        if split_dirs:
            if parts[0] not in split_of:
                continue
            split, parts = split_of[parts[0]], parts[1:]
        else:
            split = "train"
        if len(parts) >= 2:  # images directly in a split folder have no class: ignored
            grouped[split].append((parts[0], i))
    classes = tuple(sorted({c for c, _ in grouped["train"]}))
    if len(classes) < 2:
        raise DataError(f"--data {path}: need at least 2 class folders with images under the training "
                        f"tree, found {len(classes)} (expected DIR/train/CLASS/*.jpg or DIR/CLASS/*.jpg)")
    for split in ("val", "test"):
        extra = {c for c, _ in grouped[split]} - set(classes)
        if extra:
            raise DataError(f"--data {path}: {split} has classes missing from train: {', '.join(sorted(extra))}")
    x = decode.uniform(images)
    index = {c: i for i, c in enumerate(classes)}
    out = {split: (x[torch.tensor([i for _, i in entries], dtype=torch.int64)],
                   torch.tensor([index[c] for c, _ in entries], dtype=torch.int64))
           for split, entries in grouped.items()}
    val = out["val"] if grouped["val"] else (None, None)
    return Splits(*out["train"], *out["test"], classes, *val)


def _decode_stream(path: Path, members: Iterator[tuple[PurePosixPath, bytes]]
                   ) -> tuple[list[PurePosixPath], list[Tensor]]:
    """Decode image members in chunks as they are read. Threads do not help here: the decoders
    hold the GIL, and on CIFAR-10 reading the archive costs as much as decoding it."""
    rels: list[PurePosixPath] = []
    images: list[Tensor] = []
    chunk: list[bytes] = []
    try:
        for rel, blob in members:
            if rel.suffix.lower() in IMAGE_SUFFIXES:
                rels.append(rel)
                chunk.append(blob)
                if len(chunk) == 2048:
                    images += decode.decode_chunk(chunk)
                    chunk = []
        images += decode.decode_chunk(chunk)
    except DataError:
        raise
    except Exception as e:  # PIL.UnidentifiedImageError, truncated or empty files
        raise DataError(f"--data {path}: an image could not be decoded ({one_line(e)})") from e
    return rels, images

