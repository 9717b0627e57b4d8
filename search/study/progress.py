"""Progress of a search: a live bar on a terminal (tqdm), plain lines otherwise, nothing with --quiet."""

from __future__ import annotations

import sys
import time
from statistics import median
from typing import Any, Callable, Sequence

from ..status import Status
from ..train.progress import step_bar
from .ranking import best_of, counted
from .record import TrialRecord


class Progress:
    """Reports each trial's steps (on a terminal, one worker) and each trial's end, with an ETA."""

    def __init__(self, cfg: Any, settings: Any, log: Callable[[str], None], worker: int) -> None:
        self.cfg, self.budget, self.log, self.worker = cfg, settings.budget, log, worker
        live = cfg.progress if cfg.progress is not None else sys.stderr.isatty()
        self.live = live and not cfg.quiet and cfg.workers == 1
        self.bar: Any = None
        self.start_time = time.time()
        self.seconds: list[float] = []

    def start(self, number: int) -> None:
        """A trial begins training."""
        self.bar = step_bar(f"trial {number}", self.live)

    @property
    def on_step(self) -> Callable[[int, int], None] | None:
        """The per-step callback for the trainer (None when nothing is shown, so training pays nothing)."""
        return self._step if self.live else None

    def _step(self, step: int, total: int) -> None:
        if self.bar is not None:
            self.bar(step, total)

    def finish(self, number: int, status: Status, text: str, seconds: float, records: Sequence[TrialRecord]) -> None:
        """A trial ended: one line with the bar of trials, the best so far (of the study's ``records``, read once
        after the trial's end) and the ETA."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if status.trained:
            self.seconds.append(seconds)
        done = counted(records)
        top = best_of(records, self.budget)  # as results.best_trial
        best = f"{top.accuracy:.4f}" if top is not None else "-"
        total = self.cfg.trials or 0
        eta = ""
        if total and self.seconds:  # the measured time of this run's trained trials, shared by the workers
            left = max(0, total - done) * median(self.seconds) / max(1, self.cfg.workers)
            eta = f" eta {int(left // 60)}m{int(left % 60):02d}s"
        bar = ""
        if total:
            filled = int(20 * min(done, total) / total)
            bar = f"[{'#' * filled}{'.' * (20 - filled)}] {done}/{total} "
        tag = f"w{self.worker} " if self.cfg.workers > 1 else ""
        word = {Status.OK: "ok", Status.PRUNED: "pruned:", Status.REJECTED: "rejected:"}.get(status,
                                                                                           f"failed ({status.value}):")
        self.log(f"{bar}best {best}{eta} | {tag}trial {number} {word} {text} ({seconds:.1f}s)")

    def close(self) -> None:
        """Close a bar left open by an interrupted trial."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
