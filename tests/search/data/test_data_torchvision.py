import numpy as np
import pytest
import torch

from search import data as data_mod
from search.data import DataError, Splits, load_data


def _fake_splits(n=50, test=20) -> Splits:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n + test, 1, 28, 28), dtype=torch.uint8, generator=g)
    y = torch.arange(n + test) % 10
    return Splits(x[:n], y[:n], x[n:], y[n:], tuple(str(i) for i in range(10)))


def test_torchvision_name_through_injected_download(tmp_path):
    calls = []

    def fake(name, root):
        calls.append((name, root))
        return _fake_splits()

    d = load_data("MNIST", cache_dir=tmp_path, val_fraction=0.2, download_fn=fake)
    assert calls == [("mnist", tmp_path / "torchvision" / "mnist")]
    assert (d.name, d.channels, d.resolution) == ("mnist", 1, 28)
    assert (len(d.train_y), len(d.val_y), len(d.test_y)) == (40, 10, 20)
    again = load_data("mnist", cache_dir=tmp_path, val_fraction=0.2, download_fn=fake)
    assert len(calls) == 1 and torch.equal(again.train_x, d.train_x)


def test_download_failure_is_a_data_error(tmp_path):
    def offline(name, root):
        raise OSError("<urlopen error [Errno -3] Temporary failure in name resolution>")

    with pytest.raises(DataError, match="could not download"):
        load_data("cifar10", cache_dir=tmp_path, download_fn=offline)


def test_torchvision_conversion_with_fake_datasets(tmp_path, monkeypatch):
    from torchvision import datasets

    class FakeCifar:  # torchvision's layout: NHWC numpy images, list targets
        classes = ["plane", "car"]

        def __init__(self, root, train, download):
            n = 6 if train else 2
            self.data = np.arange(n * 4 * 4 * 3, dtype=np.uint8).reshape(n, 4, 4, 3)
            self.targets = [i % 2 for i in range(n)]

    class FakeMnist(FakeCifar):  # (N, H, W) uint8 tensor
        def __init__(self, root, train, download):
            self.data = torch.zeros(4 if train else 2, 5, 5, dtype=torch.uint8)
            self.targets = torch.tensor([0, 1, 0, 1][: len(self.data)])

    class FakeSvhn:  # NCHW numpy, labels
        def __init__(self, root, split, download):
            self.data = np.zeros((3, 3, 6, 6), np.uint8)
            self.labels = np.array([0, 1, 9])

    monkeypatch.setattr(datasets, "CIFAR10", FakeCifar)
    monkeypatch.setattr(datasets, "MNIST", FakeMnist)
    monkeypatch.setattr(datasets, "SVHN", FakeSvhn)
    c = data_mod.torchvision_download("cifar10", tmp_path)
    assert c.train_x.shape == (6, 3, 4, 4) and c.classes == ("plane", "car") and c.train_y.dtype == torch.int64
    assert c.train_x[0, :, 0, 0].tolist() == [0, 1, 2]  # channels came from the last axis
    m = data_mod.torchvision_download("mnist", tmp_path)
    assert (m.train_x.shape, m.test_x.shape) == ((4, 1, 5, 5), (2, 1, 5, 5))
    s = data_mod.torchvision_download("svhn", tmp_path)
    assert s.train_x.shape == (3, 3, 6, 6) and s.classes == tuple("0123456789") and s.test_y.tolist() == [0, 1, 9]

