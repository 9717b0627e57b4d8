"""Decoded splits cached as one ``.pt`` file per source, written atomically."""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import torch

from ..files import write_atomic
from ..logs import NasWarning
from .core import DataError, Splits, one_line

CACHE_VERSION = 3  # bump when the cached layout or decoding changes (2: safe decoding, every mode; 3: 32-bit and
# float images read by their range, and the warnings of the decoding kept with the splits)


def default_cache_dir() -> Path:
    """``$NAS_CACHE`` if set, else ``~/.cache/nas``."""
    return Path(os.environ.get("NAS_CACHE") or Path.home() / ".cache" / "nas")


def cache_file(cache: Path, stem: str) -> Path:
    """Where the decoded splits of the source named ``stem`` live."""
    return cache / "decoded" / f"{stem}-v{CACHE_VERSION}.pt"


def file_hash(path: Path) -> str:
    """A short content hash of one file, read in blocks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()[:20]


def read_cache(target: Path) -> tuple[Splits, list[str]] | None:
    """The cached splits and the warnings their decoding gave, or None when absent or unreadable (then they are
    decoded and written anew)."""
    if not target.is_file():
        return None
    try:
        blob = torch.load(target, weights_only=True)
        notes = [str(n) for n in blob.pop("notes", [])]
        return Splits(**{**blob, "classes": tuple(blob["classes"])}), notes
    except Exception as e:
        warnings.warn(f"ignoring the unreadable cache file {target} ({one_line(e)})", NasWarning, stacklevel=3)
        return None


def write_cache(target: Path, splits: Splits, notes: list[str] = ()) -> None:
    """Atomic write, so concurrent runs never read a half-written file; ``notes`` are said again on every read."""
    blob = {**splits._asdict(), "classes": list(splits.classes), "notes": list(notes)}
    try:
        write_atomic(target, lambda tmp: torch.save(blob, tmp))
    except OSError as e:
        raise DataError(f"cannot write the data cache {target} ({one_line(e)}); "
                        f"set NAS_CACHE to a writable folder") from e
