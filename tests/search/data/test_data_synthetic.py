import pytest
import torch

from search.data import DataError, load_data


def test_synthetic_shapes_and_determinism(tmp_path):
    d = load_data("synthetic:200:16:4", cache_dir=tmp_path, val_fraction=0.1, seed=3)
    assert (len(d.train_y) + len(d.val_y), len(d.test_y)) == (200, 40)
    assert d.train_x.shape[1:] == (3, 16, 16) and d.train_x.dtype == torch.uint8
    assert (d.num_classes, d.channels, d.resolution, d.name) == (4, 3, 16, "synthetic")
    assert d.classes == ("class0", "class1", "class2", "class3")
    again = load_data("synthetic:200:16:4", cache_dir=tmp_path, val_fraction=0.1, seed=3)
    assert torch.equal(d.train_x, again.train_x) and torch.equal(d.val_y, again.val_y)
    other = load_data("synthetic:200:16:4", cache_dir=tmp_path, seed=4)
    assert not torch.equal(d.test_x, other.test_x)


def test_synthetic_defaults(tmp_path):
    d = load_data("Synthetic", cache_dir=tmp_path)
    assert (len(d.train_y) + len(d.val_y), len(d.test_y), d.resolution, d.num_classes) == (4000, 800, 32, 10)


@pytest.mark.parametrize("spec", ["synthetic:abc", "synthetic:10:32:10", "synthetic:100:2", "synthetic:1:2:3:4"])
def test_synthetic_bad_spec(tmp_path, spec):
    with pytest.raises(DataError, match="synthetic"):
        load_data(spec, cache_dir=tmp_path)
