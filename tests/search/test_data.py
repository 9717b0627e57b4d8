import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from search import data as data_mod
from search.data import DataError, Splits, default_cache_dir, load_data, stratified_split


def _png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def _jpeg(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=95)


def _tree(root: Path, classes=("cat", "dog", "fox"), per_class=10, test_per_class=3, size=20) -> Path:
    """train/ + test/ of PNGs; image i of class c has value 10 * c + i in every pixel."""
    rng = np.random.default_rng(0)
    for c, name in enumerate(classes):
        for i in range(per_class):
            _png(root / "train" / name / f"{i:03d}.png", np.full((size, size, 3), 10 * c + i, np.uint8))
        for i in range(test_per_class):
            _jpeg(root / "test" / name / f"{i:03d}.jpg", rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
    return root


def _tar(src: Path, out: Path, wrap: str = "") -> Path:
    with tarfile.open(out, "w:gz") as tf:
        tf.add(src, arcname=wrap or ".")
    return out


def _zip(src: Path, out: Path, wrap: str = "") -> Path:
    with zipfile.ZipFile(out, "w") as zf:
        for p in sorted(src.rglob("*")):
            if p.is_file():
                zf.write(p, str(Path(wrap) / p.relative_to(src)) if wrap else str(p.relative_to(src)))
    return out


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


def test_mean_std_match_float_computation(tmp_path):
    d = load_data("synthetic:100:8:2", cache_dir=tmp_path)
    x = d.train_x.double() / 255
    assert d.mean == pytest.approx(x.mean(dim=(0, 2, 3)).tolist(), abs=1e-12)
    assert d.std == pytest.approx(x.std(dim=(0, 2, 3), unbiased=False).tolist(), abs=1e-12)


def test_image_folder_with_train_and_test(tmp_path):
    root = _tree(tmp_path / "pets")
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
            _png(root / c / f"{i}.png", np.full((12, 12, 3), 100, np.uint8))
    _png(root / "a" / "gray.png", np.full((12, 12), 77, np.uint8))  # grayscale in a colour set
    _png(root / "b" / "big.png", np.full((24, 30, 3), 200, np.uint8))  # resized to the common 12x12
    d = load_data(str(root), cache_dir=tmp_path / "cache", val_fraction=0.0)
    assert d.train_x.shape == (10, 3, 12, 12)
    x = d.train_x.reshape(10, 3, -1)
    assert {tuple(img[:, 0].tolist()) for img in x} == {(100, 100, 100), (77, 77, 77), (200, 200, 200)}
    assert len(d.test_y) == 0 and d.test_x.shape == (0, 3, 12, 12)  # a single tree has no test split


def test_all_grayscale_gives_one_channel(tmp_path):
    root = tmp_path / "digits"
    for c in ("0", "1"):
        for i in range(5):
            _png(root / "train" / c / f"{i}.png", np.full((28, 28), 30 * i, np.uint8))
    d = load_data(str(root), cache_dir=tmp_path / "cache")
    assert (d.channels, d.resolution, len(d.train_y) + len(d.val_y), len(d.test_y)) == (1, 28, 10, 0)


def test_val_folder_is_used_as_is(tmp_path):
    root = _tree(tmp_path / "pets", per_class=4, test_per_class=1)
    for c in ("cat", "dog", "fox"):
        _png(root / "val" / c / "v.png", np.zeros((20, 20, 3), np.uint8))
    d = load_data(str(root), cache_dir=tmp_path / "cache", val_fraction=0.5)
    assert (len(d.train_y), len(d.val_y), len(d.test_y)) == (12, 3, 3)
    assert d.val_x.sum() == 0


@pytest.mark.parametrize("pack", [_tar, _zip])
@pytest.mark.parametrize("wrap", ["", "pets"])
def test_archives(tmp_path, pack, wrap):
    root = _tree(tmp_path / "src", per_class=5, test_per_class=2)
    suffix = ".tar.gz" if pack is _tar else ".zip"
    archive = pack(root, tmp_path / f"pets{suffix}", wrap)
    d = load_data(str(archive), cache_dir=tmp_path / "cache", val_fraction=0.2)
    assert d.name == "pets" and d.classes == ("cat", "dog", "fox")
    assert (len(d.train_y), len(d.val_y), len(d.test_y)) == (12, 3, 6)
    direct = load_data(str(root), cache_dir=tmp_path / "cache2", val_fraction=0.2)
    assert torch.equal(d.train_x, direct.train_x) and torch.equal(d.test_x, direct.test_x)


def test_second_load_reads_the_cache(tmp_path, monkeypatch):
    decoded = []
    real = data_mod._decode_chunk
    monkeypatch.setattr(data_mod, "_decode_chunk", lambda blobs: decoded.append(len(blobs)) or real(blobs))
    root = _tree(tmp_path / "pets", per_class=3, test_per_class=1)
    archive = _tar(root, tmp_path / "pets.tgz")
    first = [load_data(str(p), cache_dir=tmp_path / "cache") for p in (root, archive)]
    assert decoded == [12, 12]
    for before, p in zip(first, (root, archive)):
        again = load_data(str(p), cache_dir=tmp_path / "cache")
        assert torch.equal(before.train_x, again.train_x) and torch.equal(before.test_y, again.test_y)
    assert decoded == [12, 12]
    assert len(list((tmp_path / "cache" / "decoded").glob("*.pt"))) == 2
    _png(root / "train" / "cat" / "new.png", np.zeros((20, 20, 3), np.uint8))  # a changed tree is decoded anew
    assert len(load_data(str(root), cache_dir=tmp_path / "cache", val_fraction=0.0).train_y) == 10
    assert decoded == [12, 12, 13]


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


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("NAS_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("NAS_CACHE")
    assert default_cache_dir() == Path.home() / ".cache" / "nas"


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


def test_truncated_archive(tmp_path):
    archive = _tar(_tree(tmp_path / "src", per_class=3), tmp_path / "t.tar.gz")
    blob = archive.read_bytes()
    archive.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError, match="archive"):
        load_data(str(archive), cache_dir=tmp_path / "cache")


def test_tree_problems(tmp_path):
    one = tmp_path / "one"
    _png(one / "train" / "only" / "a.png", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(DataError, match="at least 2 class folders"):
        load_data(str(one), cache_dir=tmp_path / "cache")
    bad = _tree(tmp_path / "bad", per_class=2, test_per_class=1)
    (bad / "train" / "cat" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    with pytest.raises(DataError, match="could not be decoded"):
        load_data(str(bad), cache_dir=tmp_path / "cache")
    extra = _tree(tmp_path / "extra", per_class=2, test_per_class=1)
    _png(extra / "test" / "wolf" / "w.png", np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(DataError, match="wolf"):
        load_data(str(extra), cache_dir=tmp_path / "cache")


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


def test_decode_formats_via_pil_fallback():
    buf = io.BytesIO()
    Image.fromarray(np.full((5, 7, 3), 9, np.uint8)).save(buf, format="BMP")
    img = data_mod._decode_one(buf.getvalue())
    assert img.shape == (3, 5, 7) and (img == 9).all()


def test_cache_problems(tmp_path):
    root = _tree(tmp_path / "pets", per_class=2, test_per_class=1)
    first = load_data(str(root), cache_dir=tmp_path / "cache")
    (cached,) = (tmp_path / "cache" / "decoded").glob("*.pt")
    cached.write_bytes(b"not a torch file")
    with pytest.warns(UserWarning, match="unreadable cache"):
        again = load_data(str(root), cache_dir=tmp_path / "cache")
    assert torch.equal(first.train_x, again.train_x) and cached.stat().st_size > 1000  # rebuilt
    (tmp_path / "a-file").write_text("")
    with pytest.raises(DataError, match="NAS_CACHE"):
        load_data(str(root), cache_dir=tmp_path / "a-file")


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
