"""Writing output files so that a crash, a full disk or a kill never leaves a half-written or lost file.

Every file the tool writes (best.json, trials.csv, baselines.json, scaling.json, dashboard.html,
trained models) goes through :func:`write_atomic`: the bytes go to a temporary file beside the target,
which replaces the target only once complete, so the previous good copy survives any failure.
"""

from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

TEMP_SUFFIX = ".nas-tmp"  # every temporary file ends so, which lets clean_stale_temps find them
STALE_AFTER_S = 3600.0  # a temp file untouched this long belongs to a writer that died


def temp_path(target: Path) -> Path:
    """A temporary name beside ``target``, unique to this process and thread."""
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}{TEMP_SUFFIX}")


def write_atomic(target: str | Path, data: str | bytes | Callable[[Path], None]) -> Path:
    """Write ``data`` (text, bytes, or a function that writes a given path) to ``target`` atomically."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(target)
    try:
        if callable(data):
            data(tmp)
        elif isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        _sync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def probe_folder(folder: str | Path) -> Path:
    """Create ``folder`` (with its parents) and prove that a file can be written in it now; OSError if not.

    Run before long work, so a read-only, missing or unreachable output folder is found before it, not after."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    probe = temp_path(folder / "probe")
    probe.write_bytes(b"")
    probe.unlink()
    return folder


def _sync(path: Path) -> None:
    """Flush ``path`` to the disk: a full disk may refuse the bytes only now, while the old copy still stands."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean_stale_temps(folder: str | Path, older_than_s: float = STALE_AFTER_S) -> int:
    """Remove temporary files a killed writer left in ``folder``; how many were removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    now, removed = time.time(), 0
    for p in folder.glob(f".*{TEMP_SUFFIX}"):
        try:
            if now - p.stat().st_mtime > older_than_s:
                p.unlink()
                removed += 1
        except OSError:  # another process removed or replaced it meanwhile
            pass
    return removed


def jsonable(value: Any) -> Any:
    """Tuples as lists, non-finite floats as None, keys as text: what JSON (files, Optuna attributes) can hold."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value
