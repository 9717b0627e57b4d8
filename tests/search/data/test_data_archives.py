import pytest
import torch

from imagetrees import tar, tree, zip_tree
from search.data import DataError, load_data


@pytest.mark.parametrize("pack", [tar, zip_tree])
@pytest.mark.parametrize("wrap", ["", "pets"])
def test_archives(tmp_path, pack, wrap):
    root = tree(tmp_path / "src", per_class=5, test_per_class=2)
    suffix = ".tar.gz" if pack is tar else ".zip"
    archive = pack(root, tmp_path / f"pets{suffix}", wrap)
    d = load_data(str(archive), cache_dir=tmp_path / "cache", val_fraction=0.2)
    assert d.name == "pets" and d.classes == ("cat", "dog", "fox")
    assert (len(d.train_y), len(d.val_y), len(d.test_y)) == (12, 3, 6)
    direct = load_data(str(root), cache_dir=tmp_path / "cache2", val_fraction=0.2)
    assert torch.equal(d.train_x, direct.train_x) and torch.equal(d.test_x, direct.test_x)


def test_truncated_archive(tmp_path):
    archive = tar(tree(tmp_path / "src", per_class=3), tmp_path / "t.tar.gz")
    blob = archive.read_bytes()
    archive.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError, match="archive"):
        load_data(str(archive), cache_dir=tmp_path / "cache")
