"""A live bar of optimiser steps inside an epoch (tqdm), fed by the trainer's ``on_step``; terminals only."""

from __future__ import annotations

import sys
from typing import Any, TextIO


class StepBar:
    """tqdm's bar of one run's steps on ``file`` (stderr); call it as ``on_step(step, total)``."""

    def __init__(self, desc: str, file: TextIO | None = None) -> None:
        from tqdm import tqdm

        self.file = file or sys.stderr
        self.bar: Any = tqdm(desc=desc, unit="step", leave=False, file=self.file, dynamic_ncols=True)

    def __call__(self, step: int, total: int) -> None:
        self.bar.total = total
        self.bar.update(step - self.bar.n)

    def write(self, line: str) -> None:
        """A line printed above the bar, which stays whole."""
        self.bar.write(line, file=self.file)

    def close(self) -> None:
        self.bar.close()


def step_bar(desc: str, live: bool | None = None) -> StepBar | None:
    """A StepBar when ``live`` (default: stderr is a terminal), else None, so training pays nothing."""
    return StepBar(desc) if (sys.stderr.isatty() if live is None else live) else None


__all__ = ["StepBar", "step_bar"]
