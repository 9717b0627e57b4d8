import pytest
import torch

from search import data as data_mod
from search.data import load_data, stratified_split


def test_mean_std_match_float_computation(tmp_path):
    d = load_data("synthetic:100:8:2", cache_dir=tmp_path)
    x = d.train_x.double() / 255
    assert d.mean == pytest.approx(x.mean(dim=(0, 2, 3)).tolist(), abs=1e-12)
    assert d.std == pytest.approx(x.std(dim=(0, 2, 3), unbiased=False).tolist(), abs=1e-12)


def test_stratified_split():
    shuffle = torch.randperm(180, generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([0] * 100 + [1] * 50 + [2] * 30)[shuffle]
    train, val = stratified_split(labels, 0.1, seed=7)
    assert torch.bincount(labels[val]).tolist() == [10, 5, 3]
    assert torch.bincount(labels[train]).tolist() == [90, 45, 27]
    assert torch.equal(torch.sort(torch.cat([train, val])).values, torch.arange(180))
    assert (train.diff() > 0).all() and (val.diff() > 0).all()
    again = stratified_split(labels, 0.1, seed=7)
    assert torch.equal(again[1], val) and torch.equal(again[0], train)
    assert not torch.equal(stratified_split(labels, 0.1, seed=8)[1], val)
    assert len(stratified_split(labels, 0.0, seed=0)[1]) == 0
    with pytest.raises(ValueError, match="fraction"):
        stratified_split(labels, 1.0, seed=0)


def test_image_data_rejects_bad_tensors():
    x = torch.zeros(4, 3, 8, 8, dtype=torch.uint8)
    y = torch.zeros(4, dtype=torch.int64)
    empty_x, empty_y = x[:0], y[:0]
    with pytest.raises(ValueError, match="train_x"):
        data_mod.ImageData(x.float(), y, empty_x, empty_y, empty_x, empty_y, ("a",), "t")
    with pytest.raises(ValueError, match="val_y"):
        data_mod.ImageData(x, y, x, y[:2], empty_x, empty_y, ("a",), "t")
    ok = data_mod.ImageData(x, y, empty_x, empty_y, empty_x, empty_y, ("a",), "t")
    assert repr(ok) == "ImageData('t', train=4, val=0, test=0, 3x8x8, 1 classes)"
