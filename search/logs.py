"""Quieting a library's logger for one call, where its message says nothing true to our user; the warning
category of what this tool itself warns about, which the command line prints as one line."""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from typing import Any, Iterator


class NasWarning(UserWarning):
    """Something the user should know that does not stop the work (skipped files, ignored folders)."""


@contextlib.contextmanager
def one_line_warnings() -> Iterator[None]:
    """Inside the block, each NasWarning is printed every time as ``nas: warning: ...`` on stderr, with no source
    line; other warnings keep Python's format."""
    previous = warnings.showwarning

    def show(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        if issubclass(category, NasWarning):
            print(f"nas: warning: {str(message).splitlines()[0]}", file=sys.stderr, flush=True)
        else:
            previous(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", NasWarning)
        warnings.showwarning = show
        yield


@contextlib.contextmanager
def silenced(logger: str) -> Iterator[None]:
    """Drop ``logger``'s records below ERROR inside the block."""
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)
