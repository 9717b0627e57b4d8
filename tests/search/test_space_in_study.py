"""The default space inside a study: the dry run draws what the search trains first, every stored param holds the
value its genome field trains with, and an enqueued hand design is stored as the point of the space it is."""

import json

import optuna
import pytest

import search
from search.cli import main
from search.sampling import PatternSpace, encode, label_mismatches
from space import Genome, preset
from test_api import config, fake_train
from tiny_search import load


@pytest.mark.slow
def test_dry_run_json_samples_what_nas_run_trains_first(tmp_path, capsys):
    args = ["run", "--budget", "3M", "--data", "synthetic:120:8:3", "--epochs", "1", "--batch-size", "64",
            "--trials", "3", "--seed", "7", "--study", "s", "--studies-dir", str(tmp_path / "studies"),
            "--cache-dir", str(tmp_path / "cache"), "--device", "cpu", "--chance-stop", "0"]
    assert main([*args, "--dry-run", "3", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["rejected"] == 0 and len(dry["samples"]) == 3 and dry["genomes"] == [s["genome"] for s in dry["samples"]]
    assert not (tmp_path / "studies" / "s").exists()  # a dry run writes nothing
    assert main(args) == 0
    trials = sorted(load(tmp_path).get_trials(), key=lambda t: t.number)
    assert [t.user_attrs["genome"] for t in trials] == [s["genome"] for s in dry["samples"]]
    assert [t.params for t in trials] == [s["params"] for s in dry["samples"]]
    for t in trials:
        assert label_mismatches(t.params, Genome.from_dict(t.user_attrs["genome"])) == []
        assert {"stem", "stages", "s0_block", "s0_kernel"} <= set(t.params)


def test_an_enqueued_hand_design_stores_its_params(tmp_path):
    # resnet20's own images (32 px RGB, 10 classes) and its own MACs as the budget: a point of the default space
    cfg = config(tmp_path, data="synthetic:120:32:10", budget=40_551_040, trials=2)
    result = search.run(cfg, train_fn=fake_train, enqueue=["resnet20"])
    first = min(result.study.trials, key=lambda t: t.number)
    assert Genome.from_dict(first.user_attrs["genome"]) == preset("resnet20")
    assert first.params == encode(preset("resnet20"), PatternSpace()) and first.params["s0_depth"] == 3
    assert first.state == optuna.trial.TrialState.COMPLETE and len(result.trials) == 2
    assert label_mismatches(first.params, preset("resnet20")) == []
