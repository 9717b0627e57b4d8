from pathlib import Path

import numpy as np
import pytest
import torch

from imagetrees import png, tar, tree
from search.data import decode
from search.data import DataError, default_cache_dir, load_data


def test_second_load_reads_the_cache(tmp_path, monkeypatch):
    decoded = []
    real = decode.decode_chunk  # the folder loader calls it through the module, so patching it there counts
    monkeypatch.setattr(decode, "decode_chunk", lambda blobs, *a: decoded.append(len(blobs)) or real(blobs, *a))
    root = tree(tmp_path / "pets", per_class=3, test_per_class=1)
    archive = tar(root, tmp_path / "pets.tgz")
    first = [load_data(str(p), cache_dir=tmp_path / "cache") for p in (root, archive)]
    assert decoded == [12, 12]
    for before, p in zip(first, (root, archive)):
        again = load_data(str(p), cache_dir=tmp_path / "cache")
        assert torch.equal(before.train_x, again.train_x) and torch.equal(before.test_y, again.test_y)
    assert decoded == [12, 12]
    assert len(list((tmp_path / "cache" / "decoded").glob("*.pt"))) == 2
    png(root / "train" / "cat" / "new.png", np.zeros((20, 20, 3), np.uint8))  # a changed tree is decoded anew
    assert len(load_data(str(root), cache_dir=tmp_path / "cache", val_fraction=0.0).train_y) == 10
    assert decoded == [12, 12, 13]


def test_cache_problems(tmp_path):
    root = tree(tmp_path / "pets", per_class=2, test_per_class=1)
    first = load_data(str(root), cache_dir=tmp_path / "cache")
    (cached,) = (tmp_path / "cache" / "decoded").glob("*.pt")
    cached.write_bytes(b"not a torch file")
    with pytest.warns(UserWarning, match="unreadable cache"):
        again = load_data(str(root), cache_dir=tmp_path / "cache")
    assert torch.equal(first.train_x, again.train_x) and cached.stat().st_size > 1000  # rebuilt
    (tmp_path / "a-file").write_text("")
    with pytest.raises(DataError, match="NAS_CACHE"):
        load_data(str(root), cache_dir=tmp_path / "a-file")


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("NAS_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("NAS_CACHE")
    assert default_cache_dir() == Path.home() / ".cache" / "nas"
