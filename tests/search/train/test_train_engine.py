import dataclasses
import json
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from search.data import ImageData, load_data
import space
from search.train import EpochStats, Pruned, TrainConfig, at_chance, auto_recipe, evaluate, train_proxy

FAST = TrainConfig(epochs=2, batch_size=128, lr=0.1, latency_batch_sizes=(1, 8))


def tiny_cnn(channels: int = 3, classes: int = 10, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes))


class Raises(nn.Module):
    def __init__(self, error: Exception):
        super().__init__()
        self.conv = nn.Conv2d(3, 10, 1)
        self.error = error

    def forward(self, x):
        raise self.error


class NaNOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 10, 1)

    def forward(self, x):  # (B, C, H, W) -> (B, 10), all NaN
        return self.conv(x).mean(dim=(2, 3)) * math.nan


@pytest.fixture(scope="module")
def synth() -> ImageData:
    return load_data("synthetic:2000:16", cache_dir=None)  # 16 px keeps every run well under a second


def test_training_beats_chance(synth):
    result = train_proxy(tiny_cnn(), synth, FAST, device="cpu", evaluate_test=True)
    assert result.status == "ok" and result.reason == "" and result.epochs == 2
    assert result.val_acc > 0.4  # chance is 0.1
    assert result.test_acc > 0.4 and result.test_loss < 2.0
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert result.history[1]["val_loss"] < result.history[0]["train_loss"]
    assert set(result.latency_ms) == {"b1", "b8"} and all(v > 0 for v in result.latency_ms.values())
    assert set(result.latency_iqr_ms) == {"b1", "b8"} and result.latency_threads == 1
    assert result.images_per_second > 0 and result.device == "cpu"
    assert result.peak_memory_kind == "cpu_max_rss" and result.peak_memory_bytes > 10 * 2**20


def test_cpu_runs_are_bit_reproducible(synth):
    cfg = TrainConfig(epochs=2, batch_size=64, lr=0.1, max_train_images=512, cutout=4, latency_batch_sizes=())
    runs = [train_proxy(tiny_cnn(seed=1), synth, cfg, device="cpu") for _ in range(2)]
    strip = [[{k: v for k, v in h.items() if k != "seconds"} for h in r.history] for r in runs]
    assert strip[0] == strip[1]
    other = train_proxy(tiny_cnn(seed=1), synth, TrainConfig(**{**cfg.__dict__, "seed": 1}), device="cpu")
    assert other.history[0]["train_loss"] != strip[0][0]["train_loss"]


def test_subset_and_resolution(synth):
    seen = []

    class Spy(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = tiny_cnn()

        def forward(self, x):
            seen.append(tuple(x.shape[1:]))
            return self.net(x)

    cfg = TrainConfig(epochs=1, batch_size=100, max_train_images=300, resolution=20, latency_batch_sizes=(2,))
    result = train_proxy(Spy(), synth, cfg, device="cpu")
    assert result.status == "ok" and set(seen) == {(3, 20, 20)}
    assert result.images_per_second * result.train_seconds == pytest.approx(300)
    assert result.latency_ms.keys() == {"b2"}


@pytest.mark.parametrize("model, status, reason", [
    (NaNOut(), "nan", "non-finite"),
    (Raises(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")), "oom", "out of memory"),
    (Raises(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")), "oom", "out of memory"),
    (Raises(RuntimeError("Given input size: (64x1x1). Calculated output size: (64x0x0). Output size is too small")),
     "error", "Output size is too small"),
])
def test_failures_are_statuses(synth, model, status, reason):
    result = train_proxy(model, synth, FAST, device="cpu")
    assert (result.status, result.epochs, result.val_acc, result.latency_ms) == (status, 0, None, {})
    assert reason in result.reason and "\n" not in result.reason


def test_model_too_small_for_resolution(synth):
    deep = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), *[nn.MaxPool2d(2) for _ in range(5)],
                         nn.Flatten(), nn.Linear(8, 10))  # 16 px halves to 0 at the fifth pool
    result = train_proxy(deep, synth, FAST, device="cpu")
    assert result.status == "error" and result.reason.startswith("RuntimeError") and "too small" in result.reason


def test_pruned_stops_after_the_right_epoch(synth):
    seen: list[EpochStats] = []

    def prune_at_two(stats: EpochStats) -> None:
        seen.append(stats)
        if stats.epoch == 2:
            raise Pruned("val_acc too low")

    cfg = TrainConfig(epochs=5, batch_size=128, max_train_images=256, latency_batch_sizes=())
    result = train_proxy(tiny_cnn(), synth, cfg, device="cpu", on_epoch=prune_at_two)
    assert (result.status, result.reason, result.epochs, len(result.history)) == ("pruned", "val_acc too low", 2, 2)
    assert [s.epoch for s in seen] == [1, 2] and result.val_acc == seen[-1].val_acc


def test_callback_bugs_propagate(synth):
    def broken(stats):
        raise KeyError("storage")

    cfg = TrainConfig(epochs=1, max_train_images=256, latency_batch_sizes=())
    with pytest.raises(KeyError, match="storage"):
        train_proxy(tiny_cnn(), synth, cfg, device="cpu", on_epoch=broken)


def test_timeout(synth):
    result = train_proxy(tiny_cnn(), synth, TrainConfig(epochs=3, time_limit_s=1e-9), device="cpu")
    assert (result.status, result.epochs) == ("timeout", 0) and "time limit" in result.reason


def test_to_dict_is_json_safe(synth):
    keys = {"val_acc", "epochs", "train_seconds", "images_per_second", "latency_ms", "status", "reason"}
    ok = train_proxy(tiny_cnn(), synth, TrainConfig(epochs=1, max_train_images=256, latency_batch_sizes=(1,)),
                     device="cpu").to_dict()
    assert keys <= ok.keys() and ok["status"] == "ok"
    nan = train_proxy(NaNOut(), synth, FAST, device="cpu").to_dict()
    json.dumps(ok, allow_nan=False)
    json.dumps(nan, allow_nan=False)


def test_evaluate_counts_exactly():
    class Always(nn.Module):
        def forward(self, x):  # (B, C, H, W) -> (B, 3), class 1 always
            return torch.tensor([0.0, 2.0, 0.0]).expand(len(x), 3)

    x = torch.zeros(10, 3, 4, 4, dtype=torch.uint8)
    y = torch.tensor([1, 1, 1, 0, 2, 1, 0, 0, 2, 1])
    stats = ((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    loss, acc = evaluate(Always(), x, y, stats, TrainConfig(eval_batch_size=3), "cpu")
    assert acc == 0.5
    assert loss == pytest.approx(F.cross_entropy(torch.tensor([0.0, 2.0, 0.0]).expand(10, 3), y).item())
    assert all(math.isnan(v) for v in evaluate(Always(), x[:0], y[:0], stats, TrainConfig(), "cpu"))


@pytest.mark.slow
@pytest.mark.data
def test_cifar10_tarball_loads_and_trains(cifar_tar, tmp_path):
    d = load_data(str(cifar_tar), cache_dir=tmp_path)
    assert (len(d.train_y), len(d.val_y), len(d.test_y)) == (45000, 5000, 10000)
    assert d.train_x.shape[1:] == (3, 32, 32) and d.classes[:3] == ("airplane", "automobile", "bird")
    assert torch.bincount(d.val_y).tolist() == [500] * 10 and torch.bincount(d.test_y).tolist() == [1000] * 10
    assert [255 * m for m in d.mean] == pytest.approx([125.3, 122.9, 113.9], abs=0.1)  # README: 50k-image means
    cfg = TrainConfig(epochs=1, batch_size=128, lr=0.1, max_train_images=5000, latency_batch_sizes=())
    result = train_proxy(tiny_cnn(), d, cfg, device="cpu")
    assert result.status == "ok" and result.val_acc > 0.2  # chance is 0.1


def test_on_step_counts_every_optimiser_step(synth):
    calls = []
    cfg = TrainConfig(epochs=3, batch_size=64, max_train_images=300, latency_batch_sizes=())  # 4 steps an epoch
    result = train_proxy(tiny_cnn(), synth, cfg, device="cpu", on_step=lambda s, t: calls.append((s, t)))
    assert result.status == "ok" and calls == [(s, 12) for s in range(1, 13)]


def test_on_step_bugs_propagate(synth):
    def broken(step, total):
        raise KeyError("progress bar")

    cfg = TrainConfig(epochs=1, max_train_images=256, latency_batch_sizes=())
    with pytest.raises(KeyError, match="progress bar"):
        train_proxy(tiny_cnn(), synth, cfg, device="cpu", on_step=broken)


@pytest.mark.parametrize("cfg, message", [
    (TrainConfig(cutout=17), "cutout: 17 px is larger than the 16 px training image"),
    (TrainConfig(cutout=20, resolution=12), "cutout: 20 px is larger than the 12 px training image"),
    (TrainConfig(max_train_images=9), "max_train_images: 9 is fewer than the 10 classes"),
    (TrainConfig(crop_padding=16), "crop_padding: 16 must be smaller than the image side"),
])
def test_nonsense_recipes_are_refused(synth, cfg, message):
    with pytest.raises(ValueError, match=message):
        train_proxy(tiny_cnn(), synth, cfg, device="cpu")
    assert train_proxy(tiny_cnn(), synth, TrainConfig(epochs=1, cutout=16, max_train_images=10,
                                                      latency_batch_sizes=()), device="cpu").status == "ok"


@pytest.mark.slow
def test_resnet20_learns_a_small_set_with_the_auto_recipe():
    data = load_data("synthetic:2000:32:10", cache_dir=None)  # 1800 train, 200 val, 400 test images
    g = dataclasses.replace(space.preset("resnet20"), in_channels=data.channels, num_classes=data.num_classes,
                            resolution=32)
    torch.manual_seed(0)
    cfg = auto_recipe(TrainConfig(epochs=3, latency_batch_sizes=()), len(data.train_y))
    assert (cfg.batch_size, cfg.lr) == (32, pytest.approx(0.025))
    result = train_proxy(space.build(g), data, cfg, device="cpu", evaluate_test=True)
    assert result.status == "ok" and result.val_acc >= 0.15 and result.test_acc >= 0.15
    assert not at_chance(result.val_acc, data.num_classes, len(data.val_y))
