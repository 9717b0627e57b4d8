import io
import os
import tarfile
import warnings

import numpy as np
import pytest
from PIL import Image

from imagetrees import png, tree
from search.data import DataError, load_data


def _png_bytes(value: int = 0) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((20, 20, 3), value, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _with_stray(tmp_path, stray: str):
    """ds/{train,test}/{bird,cat,dog} as a .tar.gz plus one stray member."""
    root = tree(tmp_path / "src", classes=("cat", "dog", "bird"), per_class=3, test_per_class=2)
    out = tmp_path / "ds.tar.gz"
    with tarfile.open(out, "w:gz") as tf:
        tf.add(root, arcname="ds")
        blob = _png_bytes()
        info = tarfile.TarInfo(stray)
        info.size = len(blob)
        tf.addfile(info, io.BytesIO(blob))
    return out


@pytest.mark.parametrize("stray", ["/abs/path/x.png", "samples/preview.png", "ds2/readme/x.png"])
def test_one_stray_member_never_scrambles_the_set(tmp_path, stray):
    archive = _with_stray(tmp_path, stray)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            d = load_data(str(archive), cache_dir=tmp_path / "cache", val_fraction=0.0)
        except DataError as e:
            top = stray.split("/")[0]
            assert str(e).count("\n") == 0 and f"ds, {top}" in str(e) and "ambiguous" in str(e)
            return
    assert d.classes == ("bird", "cat", "dog")
    assert (len(d.train_y), len(d.test_y)) == (9, 6)


def test_absolute_member_is_skipped_with_a_warning(tmp_path):
    archive = _with_stray(tmp_path, "/abs/path/x.png")
    with pytest.warns(UserWarning, match=r"skipped 1 unsafe file\(s\): /abs/path/x.png \(absolute path\)"):
        d = load_data(str(archive), cache_dir=tmp_path / "cache", val_fraction=0.0)
    assert (d.classes, len(d.train_y), len(d.test_y)) == (("bird", "cat", "dog"), 9, 6)


@pytest.mark.parametrize("kind", ["dotdot", "symlink", "device"])
def test_unsafe_members_are_skipped(tmp_path, kind):
    archive = _with_stray(tmp_path, "ds/train/cat/ok.png")
    info = tarfile.TarInfo({"dotdot": "ds/train/cat/../../../evil.png"}.get(kind, "ds/train/cat/link.png"))
    if kind == "symlink":
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    elif kind == "device":
        info.type = tarfile.CHRTYPE
    plain = tmp_path / "ds.tar"
    with tarfile.open(archive) as src, tarfile.open(plain, "w") as tf:
        for m in src.getmembers():
            tf.addfile(m, src.extractfile(m) if m.isfile() else None)
        blob = _png_bytes()
        info.size = len(blob) if kind == "dotdot" else 0
        tf.addfile(info, io.BytesIO(blob) if kind == "dotdot" else None)
    with pytest.warns(UserWarning, match="skipped 1 unsafe"):
        d = load_data(str(plain), cache_dir=tmp_path / "cache", val_fraction=0.0)
    assert (len(d.train_y), len(d.test_y)) == (10, 6)


def test_member_over_the_size_limit_is_refused_before_reading(tmp_path):
    archive = _with_stray(tmp_path, "ds/train/cat/big.png")
    limit = len(_png_bytes()) - 1  # every image is over it; the first one read is named
    with pytest.raises(DataError, match=r"ds\.tar\.gz: ds/\w+/\w+/\w+\.(png|jpg) is \d+ bytes, over the limit of \d+ bytes"):
        load_data(str(archive), cache_dir=tmp_path / "cache", max_file_bytes=limit)
    folder = tree(tmp_path / "f", per_class=2, test_per_class=1)
    with pytest.raises(DataError, match="over the limit"):
        load_data(str(folder), cache_dir=tmp_path / "cache", max_file_bytes=100)


def test_non_image_members_do_not_shape_the_layout(tmp_path):
    root = tree(tmp_path / "src", per_class=2, test_per_class=1)
    (root / "README.txt").write_text("hi")
    (root.parent / "notes").mkdir()
    (root.parent / "notes" / "x.txt").write_text("hi")
    out = tmp_path / "pets.tar.gz"
    with tarfile.open(out, "w:gz") as tf:
        tf.add(root, arcname="pets")
        tf.add(root.parent / "notes", arcname="notes")
    d = load_data(str(out), cache_dir=tmp_path / "cache", val_fraction=0.0)
    assert (d.classes, len(d.train_y), len(d.test_y)) == (("cat", "dog", "fox"), 6, 3)


def test_non_utf8_name_in_a_folder_is_skipped(tmp_path):
    root = tree(tmp_path / "pets", per_class=2, test_per_class=1)
    with open(os.path.join(os.fsencode(root / "train" / "cat"), b"caf\xe9.png"), "wb") as f:
        f.write(_png_bytes())
    with pytest.warns(UserWarning, match=r"caf\\xe9.png \(name is not UTF-8\)"):
        d = load_data(str(root), cache_dir=tmp_path / "cache", val_fraction=0.0)
    assert (len(d.train_y), len(d.test_y)) == (6, 3)


def test_stray_folder_beside_the_splits_is_ignored_with_a_warning(tmp_path):
    root = tree(tmp_path / "pets", per_class=2, test_per_class=1)
    png(root / "samples" / "a" / "x.png", np.zeros((20, 20, 3), np.uint8))
    with pytest.warns(UserWarning, match="ignoring folders beside test, train: samples"):
        d = load_data(str(root), cache_dir=tmp_path / "cache", val_fraction=0.0)
    assert (len(d.train_y), len(d.test_y)) == (6, 3)


def test_data_warnings_are_one_line_every_time_from_the_cache_too(tmp_path, capsys):
    from search.cli import main

    root = tree(tmp_path / "pets", per_class=4, test_per_class=1)
    png(root / "samples" / "a" / "x.png", np.zeros((20, 20, 3), np.uint8))
    argv = ["run", "--budget", "3M", "--data", str(root), "--cache-dir", str(tmp_path / "cache"), "--dry-run", "1",
            "--studies-dir", str(tmp_path / "studies")]
    for load in ("decoded", "cached"):
        assert main(argv) == 0, load
        err = capsys.readouterr().err
        assert [line for line in err.splitlines() if "samples" in line] == [
            f"nas: warning: --data {root}: ignoring folders beside test, train: samples"], (load, err)
        assert "UserWarning" not in err
    assert len(list((tmp_path / "cache").rglob("*.pt"))) == 1
