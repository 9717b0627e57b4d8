import numpy as np
import pytest
import torch

from imagetrees import png, tree
from search.data import DataError, load_data


def test_image_folder_with_train_and_test(tmp_path):
    root = tree(tmp_path / "pets")
    d = load_data(str(root), cache_dir=tmp_path / "cache", val_fraction=0.2)
    assert d.classes == ("cat", "dog", "fox") and d.name == "pets"
    assert (len(d.train_y), len(d.val_y), len(d.test_y)) == (24, 6, 9)
    assert d.train_x.shape[1:] == (3, 20, 20) and d.resolution == 20
    assert torch.bincount(d.val_y).tolist() == [2, 2, 2]
    assert torch.bincount(d.test_y).tolist() == [3, 3, 3]
    # PNG is lossless: each image's constant value names its class and index
    values = torch.cat([d.train_x, d.val_x])[:, :, 0, 0]
    labels = torch.cat([d.train_y, d.val_y])
    assert (values[:, 0] // 10 == labels).all() and (values == values[:, :1]).all()
    assert sorted((values[:, 0] % 10).tolist()) == sorted(list(range(10)) * 3)


def test_grayscale_and_odd_sizes(tmp_path):
    root = tmp_path / "mix"
    for c in ("a", "b"):
        for i in range(4):
            png(root / c / f"{i}.png", np.full((12, 12, 3), 100, np.uint8))
    png(root / "a" / "gray.png", np.full((12, 12), 77, np.uint8))  # grayscale in a colour set
    png(root / "b" / "big.png", np.full((24, 30, 3), 200, np.uint8))  # resized to the common 12x12
    d = load_data(str(root), cache_dir=tmp_path / "cache", val_fraction=0.0)
    assert d.train_x.shape == (10, 3, 12, 12)
    x = d.train_x.reshape(10, 3, -1)
    assert {tuple(img[:, 0].tolist()) for img in x} == {(100, 100, 100), (77, 77, 77), (200, 200, 200)}
    assert len(d.test_y) == 0 and d.test_x.shape == (0, 3, 12, 12)  # a single tree has no test split


def test_all_grayscale_gives_one_channel(tmp_path):
    root = tmp_path / "digits"
    for c in ("0", "1"):
        for i in range(5):
            png(root / "train" / c / f"{i}.png", np.full((28, 28), 30 * i, np.uint8))
    d = load_data(str(root), cache_dir=tmp_path / "cache")
    assert (d.channels, d.resolution, len(d.train_y) + len(d.val_y), len(d.test_y)) == (1, 28, 10, 0)


def test_val_folder_is_used_as_is(tmp_path):
    root = tree(tmp_path / "pets", per_class=4, test_per_class=1)
    for c in ("cat", "dog", "fox"):
        png(root / "val" / c / "v.png", np.zeros((20, 20, 3), np.uint8))
    d = load_data(str(root), cache_dir=tmp_path / "cache", val_fraction=0.5)
    assert (len(d.train_y), len(d.val_y), len(d.test_y)) == (12, 3, 3)
    assert d.val_x.sum() == 0


def test_user_errors(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="not a known data set"):
        load_data("imagenet-but-misspelt", cache_dir=cache)
    with pytest.raises(DataError, match="no such file"):
        load_data(str(tmp_path / "missing"), cache_dir=cache)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no image files"):
        load_data(str(tmp_path / "empty"), cache_dir=cache)
    (tmp_path / "junk.tar.gz").write_bytes(b"\x1f\x8b" + bytes(range(200)))
    with pytest.raises(DataError, match="archive"):
        load_data(str(tmp_path / "junk.tar.gz"), cache_dir=cache)
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DataError, match="archive"):
        load_data(str(tmp_path / "junk.zip"), cache_dir=cache)
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(DataError, match="not a directory or"):
        load_data(str(tmp_path / "notes.txt"), cache_dir=cache)
    with pytest.raises(DataError, match="val_fraction"):
        load_data("synthetic", cache_dir=cache, val_fraction=1.0)


def test_tree_problems(tmp_path):
    one = tmp_path / "one"
    png(one / "train" / "only" / "a.png", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(DataError, match="at least 2 class folders"):
        load_data(str(one), cache_dir=tmp_path / "cache")
    bad = tree(tmp_path / "bad", per_class=2, test_per_class=1)
    (bad / "train" / "cat" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    with pytest.raises(DataError, match="could not be decoded"):
        load_data(str(bad), cache_dir=tmp_path / "cache")
    extra = tree(tmp_path / "extra", per_class=2, test_per_class=1)
    png(extra / "test" / "wolf" / "w.png", np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(DataError, match="wolf"):
        load_data(str(extra), cache_dir=tmp_path / "cache")
