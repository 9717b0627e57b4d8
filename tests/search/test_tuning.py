"""Training hyper-parameters searched with the architecture: ``nas run --tune``, ``train_fn(trial=...)``, and
data given in memory."""

import json
from pathlib import Path

import pytest
import torch

import search
from search.cli import main
from search.sampling.tuning import TUNABLES, TuneError, tune_ranges
from tiny_search import counted, load, run_args

DATA = "synthetic:120:8:3"


def test_tune_ranges_take_the_defaults_and_the_space_files_overrides():
    lr, wd = tune_ranges("lr,weight_decay", {"lr": [0.05, 0.5]})
    assert (lr.low, lr.high, lr.log) == (0.05, 0.5, True)
    assert (wd.low, wd.high) == (TUNABLES["weight_decay"].low, TUNABLES["weight_decay"].high) == (1e-5, 1e-2)
    (cutout,) = tune_ranges(["cutout"], {"cutout": [0, 8]})
    assert (cutout.low, cutout.high, cutout.integer) == (0, 8, True)
    assert tune_ranges(None) == tune_ranges("") == ()


@pytest.mark.parametrize("names, overrides, message", [
    ("lr,momentum", None, "--tune 'momentum': choose from lr, weight_decay, cutout, label_smoothing"),
    ("lr,lr", None, "a name is given twice"),
    ("lr", {"cutout": [0, 4]}, "tune.cutout: a range is given but cutout is not in --tune"),
    ("lr", {"lr": [0.0, 1.0]}, "tune.lr: need 0 < low <= high, got [0.0, 1.0]"),
    ("cutout", {"cutout": [0, 4.5]}, "tune.cutout: give whole numbers"),
    ("label_smoothing", {"label_smoothing": 0.1}, "tune.label_smoothing: give [low, high], got 0.1"),
])
def test_bad_tune_requests_name_the_problem(names, overrides, message):
    with pytest.raises(TuneError, match=message.replace("[", r"\[").replace("]", r"\]")):
        tune_ranges(names, overrides)


def test_nas_run_tune_stores_the_values_and_trains_each_proxy_with_them(tmp_path, monkeypatch, capsys):
    import search.study.trial as trial_module

    seen = []
    real = trial_module.train_proxy

    def recording(model, data, cfg, device, **kw):  # the real proxy, its TrainConfig read back
        seen.append(cfg)
        return real(model, data, cfg, device, **kw)

    monkeypatch.setattr(trial_module, "train_proxy", recording)
    args = run_args(tmp_path, "tuned", "--trials", "3", "--tune", "lr,weight_decay")
    space = Path(args[args.index("--space") + 1])
    space.write_text(json.dumps({**json.loads(space.read_text()), "tune": {"lr": [0.02, 0.3]}}))
    assert main(args) == 0
    trials = counted(load(tmp_path, "tuned"))
    assert len(trials) == len(seen) == 3
    for t, cfg in zip(sorted(trials, key=lambda t: t.number), seen):
        assert (cfg.lr, cfg.weight_decay) == (t.params["lr"], t.params["weight_decay"])
        assert 0.02 <= t.params["lr"] <= 0.3 and 1e-5 <= t.params["weight_decay"] <= 1e-2
    assert len({cfg.lr for cfg in seen}) == 3  # drawn per trial, not the recipe's one lr
    settings = load(tmp_path, "tuned").user_attrs["nas_settings"]
    assert settings["tune"]["lr"] == {"low": 0.02, "high": 0.3, "log": True, "integer": False}
    # a rerun that tunes something else is refused, naming the difference
    assert main(run_args(tmp_path, "tuned", "--trials", "4", "--tune", "lr")) == 2
    assert "tune.weight_decay" in capsys.readouterr().err


def test_nas_train_study_uses_the_best_trials_tuned_values(tmp_path, monkeypatch, capsys):
    import search.train as train_package

    assert main(run_args(tmp_path, "tuned", "--trials", "2", "--tune", "lr,label_smoothing,cutout")) == 0
    best = max(counted(load(tmp_path, "tuned")), key=lambda t: (t.values or [0])[0])
    seen = []
    monkeypatch.setattr(train_package, "train_proxy", lambda model, data, cfg, dev, **kw: seen.append(cfg)
                        or _failed())
    main(["train", "study:tuned", "--studies-dir", str(tmp_path / "studies"), "--data", "synthetic:240:16:4",
          "--epochs", "1", "--device", "cpu", "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "t")])
    (cfg,) = seen
    assert (cfg.lr, cfg.label_smoothing, cfg.cutout) == (best.params["lr"], best.params["label_smoothing"],
                                                         best.params["cutout"])
    assert "the study's tuned values: lr" in capsys.readouterr().err


def _failed():
    from search.train import TrainResult

    return TrainResult(status="error", reason="not trained in this test", epochs=0, val_acc=None, val_loss=None)


def _suggesting_train(model, data, train_config, device, on_epoch=None, *, trial):
    """A train_fn that draws its own hyper-parameter from the trial, and scores with it."""
    from search.train import TrainResult

    dropout = trial.suggest_float("my_dropout", 0.0, 0.5)
    acc = 0.9 - dropout
    return TrainResult(status="ok", reason="", epochs=1, val_acc=acc, val_loss=1.0, history=[{"val_acc": acc}])


def _config(tmp_path, **changes):
    return search.RunConfig(**{"data": DATA, "budget": "3M", "trials": 3, "epochs": 1, "device": "cpu",
                               "chance_stop": 0, "studies_dir": tmp_path / "studies", "cache_dir": tmp_path / "cache",
                               "study": "api", **changes})


def test_api_train_fn_suggests_its_own_parameter(tmp_path):
    result = search.run(_config(tmp_path), train_fn=_suggesting_train)
    trials = [t for t in result.study.trials if t.state.name == "COMPLETE"]
    assert len(trials) == 3
    for t in trials:
        assert 0.0 <= t.params["my_dropout"] <= 0.5
        assert t.values[0] == pytest.approx(0.9 - t.params["my_dropout"])
    assert result.best.accuracy == pytest.approx(0.9 - min(t.params["my_dropout"] for t in trials))


def test_api_takes_tensors_and_datasets_as_data(tmp_path):
    from search.data import in_memory

    gen = torch.Generator().manual_seed(0)
    x, y = torch.rand(90, 3, 8, 8, generator=gen), torch.arange(90) % 3
    seen = []

    def train(model, data, train_config, device, on_epoch=None):
        seen.append((tuple(data.train_x.shape), tuple(data.val_x.shape), data.train_x.dtype, data.num_classes))
        return _suggesting_train(model, data, train_config, device, trial=_Fixed())

    result = search.run(_config(tmp_path, data=(x, y), study=None, tune="lr"), train_fn=train)
    assert len(seen) == 3 and set(seen) == {((81, 3, 8, 8), (9, 3, 8, 8), torch.uint8, 3)}  # 10 % held out per class
    assert result.study.study_name == "memory-3M"
    assert result.view.settings.data == "tensors"
    assert all("lr" in t.params for t in result.study.trials)
    # a (train, test) pair of Datasets: items are (C, H, W) tensors; test kept apart from the validation carve
    train_set = torch.utils.data.TensorDataset(x, y)
    data = in_memory((train_set, torch.utils.data.TensorDataset(x[:12], y[:12])), 0.1, 0)
    assert (len(data.train_y), len(data.val_y), len(data.test_y), data.name) == (81, 9, 12, "dataset")
    assert torch.equal(data.test_x, (x[:12] * 255).round().to(torch.uint8))
    from PIL import Image

    grey = [(Image.new("L", (6, 5), color=i), i % 2) for i in range(4)]
    data = in_memory((grey, None), 0.0, 0)
    assert (tuple(data.train_x.shape), data.train_x[3, 0, 4, 5].item(), len(data.test_y)) == ((4, 1, 5, 6), 3, 0)


@pytest.mark.parametrize("data, message", [
    ((torch.rand(4, 3, 8, 8) * 2, torch.arange(4)), "data: float images must lie in [0, 1]"),
    ((torch.rand(4, 8, 8), torch.arange(4)), "images must be (N, C, H, W)"),
    ((torch.rand(4, 3, 8, 8), torch.rand(4)), "labels must be 4 class indices"),
    ("x", "no such file or directory"),
])
def test_bad_data_in_memory_is_one_line(tmp_path, data, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
                       .replace(")", r"\)")):
        search.run(_config(tmp_path, data=data))


def test_data_in_memory_needs_one_worker(tmp_path):
    with pytest.raises(search.ConfigError, match="use workers=1"):
        search.run(_config(tmp_path, data=(torch.rand(9, 3, 8, 8), torch.arange(9) % 3), workers=2))


class _Fixed:
    """A stand-in trial whose suggestions are the low end."""

    def suggest_float(self, name, low, high):
        return low
