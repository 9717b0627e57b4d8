"""One record of a run: the flags and the API build the same RunConfig, checked once, with one set of defaults."""

from dataclasses import fields

import pytest

from search.budget import Budget
from search.cli import parser
from search.config import DEFAULT_TRIALS, RunConfig, default
from search.sampling import PatternSpace


def test_every_flag_default_is_the_run_configs(monkeypatch):
    monkeypatch.delenv("NAS_STORAGE", raising=False)  # --storage defaults to it
    args = parser().parse_args(["run", "--data", "synthetic", "--budget", "1M"])
    shared = [f.name for f in fields(RunConfig) if hasattr(args, f.name) and f.name not in ("data", "budget", "quiet")]
    assert len(shared) >= 25  # every flag of nas run but --data, --budget and --quiet (the API's default is quiet)
    assert {n: getattr(args, n) for n in shared} == {n: default(n) for n in shared}


def test_checked_gives_the_working_forms_and_is_idempotent():
    c = RunConfig(data="synthetic:200:16:4", budget="3M", params_budget="50k", timeout="2m", trial_timeout=30,
                  tune="lr").checked()
    assert (c.budget, c.timeout, c.trial_timeout, c.trials, c.study) == (Budget(3_000_000, 50_000), 120.0, 30.0,
                                                                         None, "synthetic-3M-50Kparams")
    assert isinstance(c.space, PatternSpace) and [t.name for t in c.tune] == ["lr"]
    assert (c.train.epochs, c.train.time_limit_s, c.train.latency_batch_sizes) == (10, 30.0, (1,))
    assert c.checked() == c
    assert RunConfig(data="synthetic", budget="3M").checked().trials == DEFAULT_TRIALS


@pytest.mark.parametrize("sizes, message", [((0,), "must be positive integers, got \\(0,\\)"),
                                            (5, "must be a list of batch sizes, got 5")])
def test_a_recipe_the_trainer_refuses_is_refused_when_checked(sizes, message):
    with pytest.raises(ValueError, match=f"latency_batch_sizes: {message}"):
        RunConfig(data="synthetic", budget="3M", latency_batch_sizes=sizes).checked()
