import pytest
import torch
import torch.nn as nn

from search.train import Latency, measure_latency


def small_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(8, 10))


def test_measure_latency_keys():
    out = measure_latency(small_cnn(), 3, 16, "cpu", batch_sizes=(1, 4), min_run_time=0.02)
    assert isinstance(out, Latency) and out.threads == 1
    assert list(out.median_ms) == ["b1", "b4"] and list(out.iqr_ms) == ["b1", "b4"]
    assert all(isinstance(v, float) and v > 0 for v in out.median_ms.values())
    assert all(isinstance(v, float) and v >= 0 for v in out.iqr_ms.values())


def test_measure_latency_fixes_threads_and_restores_them():
    before = torch.get_num_threads()
    seen = []

    class Spy(nn.Module):
        def forward(self, x):  # (B, C, H, W) -> (B, C)
            seen.append(torch.get_num_threads())
            return x.mean(dim=(2, 3))

    try:
        torch.set_num_threads(2)
        out = measure_latency(Spy(), 3, 8, "cpu", batch_sizes=(2,), threads=1, min_run_time=0.01)
        assert out.threads == 1 and set(seen) == {1} and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ValueError, match="threads"):
        measure_latency(Spy(), 3, 8, "cpu", threads=0)
