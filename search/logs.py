"""Quieting a library's logger for one call, where its message says nothing true to our user."""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator


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
