"""The image files of a folder or an archive, read one at a time and safely.

Only files with an image suffix are read. Skipped, with one warning per source: absolute
names, ``..`` parts, links, devices and names that are not UTF-8. Hidden files and
``__MACOSX`` are skipped silently. A file over ``max_file_bytes`` is refused before it is read.
"""

from __future__ import annotations

import stat
import tarfile
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from typing import Iterator

from ..logs import NasWarning
from .core import DataError, one_line
from .headers import IMAGE_SUFFIXES

Member = tuple[PurePosixPath, bytes]  # path relative to the source root, content


def printable(name: str) -> str:
    """A file name as text, undecodable bytes shown as escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def unsafe(name: str) -> str | None:
    """Why a member name must be skipped (absolute, ``..``, not UTF-8), or None when it is safe."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "'..' in the path"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "name is not UTF-8"
    return None


def wanted(rel: PurePosixPath) -> bool:
    """An image file outside hidden and macOS resource folders."""
    hidden = any(p.startswith(".") or p == "__MACOSX" for p in rel.parts)
    return not hidden and rel.suffix.lower() in IMAGE_SUFFIXES


def folder_files(path: Path) -> list[PurePosixPath]:
    """The folder's image files, sorted, relative to it."""
    files, skipped = [], []
    for p in path.rglob("*"):
        rel = p.relative_to(path).as_posix()
        if (reason := unsafe(rel)) is not None:
            skipped.append((rel, reason))
        elif wanted(PurePosixPath(rel)) and p.is_file():
            files.append(PurePosixPath(rel))
    _warn_skipped(path, skipped)
    return sorted(files)


def folder_members(path: Path, files: list[PurePosixPath], max_file_bytes: int) -> Iterator[Member]:
    """Read the listed files of the folder, refusing any over the size limit before reading it."""
    for rel in files:
        p = path / rel
        _check_size(path, str(rel), p.stat().st_size, max_file_bytes)
        yield rel, p.read_bytes()


def archive_members(path: Path, max_file_bytes: int) -> Iterator[Member]:
    """Image files of a zip or tar archive, in archive order, read in memory and never extracted."""
    skipped: list[tuple[str, str]] = []
    try:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    kind = stat.S_IFMT(info.external_attr >> 16)
                    if info.is_dir() or not _keep(info.filename, kind in (0, stat.S_IFREG), skipped):
                        continue
                    _check_size(path, info.filename, info.file_size, max_file_bytes)
                    with zf.open(info) as f:  # the header's size bounds what is read, whatever it claims
                        yield PurePosixPath(info.filename), f.read(max_file_bytes + 1)
        else:
            with tarfile.open(path, "r|*") as tf:  # streaming: one pass, any compression
                for m in tf:
                    if m.isdir() or not _keep(m.name, m.isfile(), skipped):
                        continue
                    _check_size(path, m.name, m.size, max_file_bytes)
                    yield PurePosixPath(m.name), tf.extractfile(m).read()
    except DataError:
        raise
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as e:
        raise DataError(f"--data {path}: cannot read the archive ({one_line(e)})") from e
    except Exception as e:  # zlib.error and friends on a damaged stream
        raise DataError(f"--data {path}: corrupt archive ({one_line(e)})") from e
    _warn_skipped(path, skipped)


def _keep(name: str, regular: bool, skipped: list[tuple[str, str]]) -> bool:
    """Whether to read a member; unsafe image members are noted for the warning."""
    if PurePosixPath(name).suffix.lower() not in IMAGE_SUFFIXES:
        return False
    reason = unsafe(name) or (None if regular else "link or device")
    if reason is not None:
        skipped.append((name, reason))
        return False
    return wanted(PurePosixPath(name))


def _check_size(path: Path, name: str, size: int, max_file_bytes: int) -> None:
    if size > max_file_bytes:
        raise DataError(f"--data {path}: {name} is {size} bytes, over the limit of {max_file_bytes} "
                        f"bytes per image (raise max_file_bytes if it is genuine)")


def _warn_skipped(path: Path, skipped: list[tuple[str, str]]) -> None:
    if skipped:
        shown = ", ".join(f"{printable(n)} ({why})" for n, why in skipped[:3])
        more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        warnings.warn(f"--data {path}: skipped {len(skipped)} unsafe file(s): {shown}{more}", NasWarning, stacklevel=4)
