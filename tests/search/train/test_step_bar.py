"""The bar of optimiser steps inside an epoch: fed by on_step, shown on a terminal only."""

import io

from search.train.progress import StepBar, step_bar


def test_step_bar_follows_the_trainer_and_keeps_printed_lines_whole():
    out = io.StringIO()
    bar = StepBar("training", out)
    bar(3, 10)
    bar(7, 10)
    assert (bar.bar.n, bar.bar.total) == (7, 10)
    bar.write("[##########] epoch 1/2")
    bar.close()
    assert "[##########] epoch 1/2\n" in out.getvalue()


def test_no_bar_without_a_terminal():
    assert step_bar("training", live=False) is None
    assert step_bar("training") is None  # pytest's captured stderr is not a terminal
    shown = step_bar("training", live=True)
    assert isinstance(shown, StepBar)
    shown.close()
