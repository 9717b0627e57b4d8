"""The Python API, used as a user would: ``import search`` and nothing else of this package (but the CLI's
``nas show``, which reads the study the API wrote)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import search
from space import Genome

DATA = "synthetic:120:8:3"  # 8x8 RGB, 3 classes: every network here builds in milliseconds
ROOT = Path(__file__).resolve().parents[2]


def fake_accuracy(model) -> float:
    """What the fake training reports: the fewer parameters, the better (so the best trial is known)."""
    return 1 - sum(p.numel() for p in model.parameters()) / 1e7


def fake_train(model, data, train_config, device, on_epoch=None):
    """Trains nothing; a TrainResult whose accuracy follows the model's parameter count."""
    from search.train import TrainResult

    acc = fake_accuracy(model)
    return TrainResult(status="ok", reason="", epochs=1, val_acc=acc, val_loss=1.0, history=[{"val_acc": acc}])


def config(tmp_path: Path, **changes) -> search.RunConfig:
    return search.RunConfig(**{"data": DATA, "budget": "3M", "trials": 3, "epochs": 1, "device": "cpu",
                               "chance_stop": 0, "studies_dir": tmp_path / "studies", "cache_dir": tmp_path / "cache",
                               "study": "api", **changes})


def test_cost_build_and_sample_give_exact_numbers():
    c = search.cost("resnet20")
    assert (c.params, c.macs, c.receptive_field, c.output_stride) == (269_722, 40_551_040, 81, 4)
    small = search.cost("resnet20", num_classes=3, resolution=8)
    assert (small.params, small.macs) == (269_267, 2_534_592)  # 7 outputs fewer: 7 * 64 weights + 7 biases
    assert search.describe("resnet20")["stages"][2]["params"] == 203_520  # 3x3 convs 32->64, 5 of 64->64, BN
    model = search.build("resnet20", num_classes=3)
    assert sum(p.numel() for p in model.parameters()) == 269_267
    g = search.sample(8, 3, 3, "3M", seed=4)
    assert g == search.sample(8, 3, 3, 3_000_000, seed=4) != search.sample(8, 3, 3, "3M", seed=5)
    assert (g.resolution, g.in_channels, g.num_classes) == (8, 3, 3)
    assert 1_500_000 <= search.cost(g).macs <= 3_000_000  # solved to the budget, not merely under it


def huge_genome() -> Genome:
    """resnet20 with 100,000 blocks of 100,000 channels per stage: petabytes of weights, cheap to cost."""
    d = search.genome("resnet20").to_dict()
    for stage in d["stages"]:
        stage.update(depth=10**5, width=10**5)
    return Genome.from_dict(d)


@pytest.mark.parametrize("call, error, message", [
    (lambda: search.cost(5), "ConfigError", "model: expected a Genome, a preset name or a genome JSON file, got int"),
    (lambda: search.cost("resnet21"), "GenomeError", "unknown model 'resnet21'"),
    (lambda: search.build("resnet20", colour=3), "ConfigError", "colour: not a genome field; give stages, stem"),
    (lambda: search.cost("resnet20", num_classes=0), "GenomeError", "num_classes"),
    (lambda: search.sample(32, 3, 10, "1000"), "ConfigError", "no network in this space fits 1.00K MACs"),
    (lambda: search.sample(32, 3, 10, "lots"), "BudgetError", "budget 'lots' is not understood"),
    (lambda: search.run(config(Path("unused"), budget=None)), "ConfigError", "give a compute budget"),
    (lambda: search.run(config(Path("unused"), min_budget=2.0)), "ConfigError", "--min-budget must be a fraction"),
    (lambda: search.run(config(Path("unused"), epochs=0)), "ConfigError", "--epochs must be a whole number >= 1"),
    (lambda: search.run(config(Path("unused"), sampler="grid")), "ConfigError", "--sampler 'grid': choose from"),
    (lambda: search.run({"data": DATA}), "ConfigError", "config: expected a search.RunConfig, got dict"),
    (lambda: search.run(config(Path("unused"), lr=float("inf"))), "ConfigError", "--lr must be a finite number > 0"),
    (lambda: search.run(config(Path("unused"), lr="0.1")), "ConfigError", "--lr must be a finite number > 0, got '0.1'"),
    (lambda: search.run(config(Path("unused"), min_budget=float("nan"))), "ConfigError", "--min-budget must be a"),
    (lambda: search.run(config(Path("unused"), budget=float("inf"))), "BudgetError", "must be a finite positive"),
    (lambda: search.run(config(Path("unused"), timeout=float("inf"))), "BudgetError", "must be a finite positive"),
    (lambda: search.run(config(Path("unused"), seed=2**64)), "ConfigError", "--seed must be a whole number from 0"),
    (lambda: search.run(config(Path("unused"), chance_stop=-1)), "ConfigError", "--chance-stop must be a whole"),
    (lambda: search.run(config(Path("unused"), study="")), "ConfigError", "--study is empty"),
    (lambda: search.build(huge_genome()), "TooLarge", "a network of 54,000,030,015,400,474 params needs about"),
])
def test_bad_arguments_are_one_clear_value_error(call, error, message):
    with pytest.raises(ValueError) as e:
        call()
    assert type(e.value).__name__ == error and message in str(e.value) and "\n" not in str(e.value)


def test_bad_data_and_callbacks_with_workers_fail_before_any_study_is_made(tmp_path):
    with pytest.raises(ValueError, match="--data nowhere: no such file or directory"):
        search.run(config(tmp_path, data="nowhere"))
    with pytest.raises(ValueError, match="use workers=1 with them"):
        search.run(config(tmp_path, workers=2), train_fn=fake_train)
    assert not (tmp_path / "studies" / "api" / "study.db").exists()


@pytest.mark.slow
def test_run_with_train_fn_callbacks_and_a_warm_start(tmp_path, capsys):
    seen = []
    result = search.run(config(tmp_path), train_fn=fake_train, enqueue=["resnet20"],
                        callbacks=[lambda study, trial: seen.append((study.study_name, trial.number, trial.values))])
    assert capsys.readouterr().err == ""  # quiet by default
    df = result.trials
    assert len(df) == 3 and list(df["number"]) == [0, 1, 2] and set(df["status"]) == {"ok"}
    assert {"accuracy", "params", "macs", "arch", "genome", "within_budget", "value_accuracy"} <= set(df.columns)
    assert list(df["accuracy"]) == [1 - p / 1e7 for p in df["params"]] == list(df["value_accuracy"])
    assert df["within_budget"].all() and (df["macs"] <= 3_000_000).all()
    assert seen == [("api", n, [a]) for n, a in zip(df["number"], df["accuracy"])]

    warm = df.iloc[0]  # the enqueued preset runs first, made to take 8x8 RGB images and give 3 classes
    assert (warm["params"], warm["macs"]) == (269_267, 2_534_592)
    assert json.loads(warm["genome"]) == search.genome("resnet20", num_classes=3, resolution=8).to_dict()

    fewest = int(df.loc[df["params"].idxmin(), "number"])
    assert result.best.number == fewest and result.best.accuracy == 1 - df["params"].min() / 1e7
    assert result.best_genome.to_dict() == json.loads(df.loc[fewest, "genome"])
    rows = sorted(zip(df["macs"], df["accuracy"], df["number"]))  # the front by hand: better than all cheaper
    front = [n for i, (_, a, n) in enumerate(rows) if all(a > b for _, b, _ in rows[:i])]
    assert [r.number for r in result.front] == front
    assert fewest in [r.number for r in result.front]
    assert result.stopped == "" and result.study.study_name == "api"
    assert json.loads(Path(result.files["best"]).read_text())["trial"] == fewest

    url = f"sqlite:///{tmp_path / 'studies' / 'api' / 'study.db'}"
    from search.cli import main

    assert main(["show", "api", "--storage", url, "--studies-dir", str(tmp_path / "studies"), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["trials"], shown["finished"], shown["statuses"]) == (3, 3, {"ok": 3})
    assert shown["top"][0]["trial"] == fewest and shown["budget_macs"] == 3_000_000

    again = search.run(config(tmp_path, trials=4), train_fn=fake_train, enqueue=["resnet20"])
    assert len(again.trials) == 4 and (again.trials["arch"] == warm["arch"]).sum() == 1  # enqueued once only


def test_importing_search_and_nas_help_load_no_torch_optuna_or_plotly():
    code = ("import sys, contextlib, io, search, search.cli\n"
            "with contextlib.redirect_stdout(io.StringIO()): assert search.cli.main(['--help']) == 0\n"
            "assert callable(search.RunConfig)\n"
            "print(sorted(m for m in ('torch', 'optuna', 'plotly', 'pandas') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_study_stop_in_a_callback_stops_the_search_after_that_trial(tmp_path):
    seen = []

    def stop_after_two(study, trial):  # the documented Optuna way to stop from a callback
        seen.append(trial.number)
        if len(seen) == 2:
            study.stop()

    result = search.run(config(tmp_path, trials=5), train_fn=fake_train, callbacks=[stop_after_two])
    assert seen == [0, 1] and len(result.trials) == 2
    assert result.stopped == "study.stop() was called by a callback after trial 1"
    again = search.run(config(tmp_path, trials=3), train_fn=fake_train, callbacks=[lambda s, t: seen.append(t.number)])
    assert len(again.trials) == 3 and again.stopped == "" and seen == [0, 1, 2]  # a rerun goes on
