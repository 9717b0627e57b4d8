"""A worker process and its parent: signals held while a trial's end is written, and a worker that ends its trial
as interrupted when the ``nas run`` that spawned it dies (kill -9 included)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from typing import Any

PR_SET_PDEATHSIG = 1  # Linux prctl option: a signal the kernel sends this process when its parent dies
_parent: list[int] = []  # in a worker process: the pid of the nas run that spawned it (empty in nas run itself)


@contextlib.contextmanager
def no_interrupts():
    """Hold Ctrl-C and SIGTERM while a trial's end is written, so a second one cannot leave it RUNNING; one that
    came meanwhile is raised as KeyboardInterrupt after the block (ignoring it would lose the orphan guard's)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    old = {}
    for s in (signal.SIGINT, signal.SIGTERM):
        old[s] = signal.getsignal(s)
        # a signal the process ignored stays ignored (nohup, a background job)
        signal.signal(s, (lambda signum, frame: held.append(signum)) if callable(old[s]) else signal.SIG_IGN)
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if held:
        raise KeyboardInterrupt


def orphaned() -> bool:
    """Whether this is a worker process whose nas run has died (its parent pid changed)."""
    return bool(_parent) and os.getppid() != _parent[0]


def parent_death_signal() -> None:
    """Ask Linux to send SIGTERM the moment the parent dies (kill -9 included); elsewhere the guard's polling
    and the check before every claim remain."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def orphan_guard() -> None:
    """A worker process ends its trial as interrupted when its parent dies (kill -9 of nas run included).

    It signals itself SIGTERM, which the worker turns into KeyboardInterrupt: an interrupt_main would be lost
    where SIGINT is ignored, as in a background job of a script."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True).start()


def interrupt(signum: int, frame: Any) -> None:
    """A worker's SIGTERM handler: end as Ctrl-C would (the trial in flight is failed as interrupted)."""
    raise KeyboardInterrupt


def become_worker(parent: int) -> bool:
    """Make this process a worker of ``parent``: SIGTERM ends it as Ctrl-C would, and its parent's death is
    noticed; False when the parent has died already."""
    signal.signal(signal.SIGTERM, interrupt)
    _parent.append(parent)
    parent_death_signal()
    if orphaned():
        return False
    orphan_guard()
    return True
