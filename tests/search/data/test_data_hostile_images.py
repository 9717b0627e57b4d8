import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imagetrees import png
from search.data import DataError, load_data

ROOT = Path(__file__).resolve().parents[3]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_bomb(side: int, real: bool) -> bytes:
    """Grey PNG claiming side x side; real: every row is there (zeros compress ~1000:1)."""
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
    z = zlib.compressobj(9)
    rows = (b"\0" * (side + 1)) * 100
    body = b"".join(z.compress(rows) for _ in range(side // 100)) if real else z.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + ihdr + _chunk(b"IDAT", body + z.flush()) + _chunk(b"IEND", b"")


def _jpeg_bomb(side: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, format="JPEG")
    b = bytearray(buf.getvalue())
    sof = b.index(b"\xff\xc0")
    b[sof + 5: sof + 9] = struct.pack(">HH", side, side)
    return bytes(b)


def _set_with(root: Path, name: str, blob: bytes) -> Path:
    for c in ("a", "b"):
        png(root / c / "0.png", np.zeros((8, 8, 3), np.uint8))
    (root / "a" / name).write_bytes(blob)
    return root


def test_decompression_bombs_are_refused_from_the_header_in_little_memory(tmp_path):
    bombs = {"real.png": _png_bomb(20000, real=True), "header.png": _png_bomb(60000, real=False),
             "header.jpg": _jpeg_bomb(60000)}
    assert len(bombs["real.png"]) < 2_000_000
    roots = [str(_set_with(tmp_path / n.replace(".", "_"), n, b)) for n, b in bombs.items()]
    child = ("import json, resource, sys\nfrom search.data import DataError, load_data\nerrors = []\n"
             "import torchvision.io, PIL.Image, PIL.PngImagePlugin, PIL.JpegImagePlugin\n"
             "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             "for root in sys.argv[1:]:\n"
             "    try:\n        load_data(root, cache_dir=root + '-cache')\n        errors.append('loaded')\n"
             "    except DataError as e:\n        errors.append(str(e))\n"
             "print(json.dumps([errors, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base]))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NAS_MAX_PIXELS", None)
    done = subprocess.run([sys.executable, "-c", child, *roots], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    errors, peak_kib = json.loads(done.stdout.strip().splitlines()[-1])
    assert [e.split(": ", 1)[1] for e in errors] == [
        "a/real.png is 20000x20000 pixels, over the limit of 50000000 (raise max_pixels or NAS_MAX_PIXELS if it is genuine)",
        "a/header.png is 60000x60000 pixels, over the limit of 50000000 (raise max_pixels or NAS_MAX_PIXELS if it is genuine)",
        "a/header.jpg is 60000x60000 pixels, over the limit of 50000000 (raise max_pixels or NAS_MAX_PIXELS if it is genuine)"]
    # KiB: the loads add well under 1 GiB to what importing torch and the decoders took (a CUDA build of torch
    # alone can take about 1 GiB to import); decoding the first bomb would have added 1.2 GB, the others 10 GB
    assert peak_kib < 1 << 18


def test_pixel_limit_argument_and_environment(tmp_path, monkeypatch):
    root = _set_with(tmp_path / "s", "1.png", Image.new("RGB", (8, 8)).tobytes() and _png_bytes((30, 20)))
    monkeypatch.setenv("NAS_MAX_PIXELS", "100")
    with pytest.raises(DataError, match=r"a/1.png is 20x30 pixels, over the limit of 100"):
        load_data(str(root), cache_dir=tmp_path / "c1")
    assert load_data(str(root), cache_dir=tmp_path / "c2", max_pixels=600).num_classes == 2
    monkeypatch.setenv("NAS_MAX_PIXELS", "lots")
    with pytest.raises(DataError, match="NAS_MAX_PIXELS: expected a positive integer, got 'lots'"):
        load_data(str(root), cache_dir=tmp_path / "c3")


def _png_bytes(shape, mode=None, **save) -> bytes:
    buf = io.BytesIO()
    im = Image.fromarray(np.full(shape, 90, np.uint8))
    (im.convert(mode) if mode else im).save(buf, format="PNG", **save)
    return buf.getvalue()


def test_postscript_named_png_never_reaches_ghostscript(tmp_path, monkeypatch):
    from PIL import EpsImagePlugin

    called = []
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", lambda *a, **k: called.append(a))
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda self: called.append(self))
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n0 0 moveto 10 10 lineto stroke\nshowpage\n"
    root = _set_with(tmp_path / "s", "evil.png", eps)
    with pytest.raises(DataError) as info:
        load_data(str(root), cache_dir=tmp_path / "c")
    assert str(info.value) == f"--data {root}: a/evil.png is not a JPEG, PNG, GIF, WEBP, BMP, TIFF, PPM/PGM image"
    assert called == []
    (root / "a" / "evil.png").write_bytes(_jpeg_bomb(8))  # a JPEG named .png: refused too
    with pytest.raises(DataError, match="a/evil.png holds JPEG data, not PNG"):
        load_data(str(root), cache_dir=tmp_path / "c")


MODES = ["1", "L", "LA", "P", "PA", "RGBA", "I;16", "I", "CMYK"]


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_converts(tmp_path, mode):
    root = tmp_path / "s"
    for c, v in (("a", 200), ("b", 100)):  # a set of one flat value would be refused
        png(root / c / "0.png", np.full((8, 8, 3), v, np.uint8))
    im = Image.fromarray(np.full((8, 8, 3), 200, np.uint8))
    if mode == "I;16":
        im = Image.fromarray(np.full((8, 8), 200 * 257, np.uint16))
    elif mode == "P":
        im = im.convert("P")
        im.info["transparency"] = 0
    else:
        im = im.convert(mode)
    fmt, suffix = {"CMYK": ("JPEG", "jpg"), "PA": ("TIFF", "tif"), "I": ("TIFF", "tif")}.get(mode, ("PNG", "png"))
    im.save(root / "a" / f"odd.{suffix}", format=fmt)
    d = load_data(str(root), cache_dir=tmp_path / "c", val_fraction=0.0)
    assert d.train_x.shape == (3, 3, 8, 8)
    odd = d.train_x[1]  # a/0, a/odd, b/0
    # "1" is dithered black and white; "I" (32-bit) holds 200, which no wider range needs: it stays 200
    value = {"1": int(np.asarray(im.convert("L")).mean())}.get(mode, 200)
    assert abs(int(odd.float().mean()) - value) <= 3, (mode, odd[:, 0, 0].tolist())


def test_all_grey_modes_give_one_channel(tmp_path):
    root = tmp_path / "s"
    png(root / "a" / "0.png", np.full((8, 8), 20, np.uint8))  # a set of one flat value would be refused
    Image.fromarray(np.full((8, 8), 10 * 257, np.uint16)).save(root / "a" / "wide.png")
    Image.fromarray(np.full((8, 8), 10, np.uint8)).convert("LA").save(root / "b" / "la.png") if (root / "b").mkdir() is None else None
    d = load_data(str(root), cache_dir=tmp_path / "c", val_fraction=0.0)
    assert d.train_x.shape == (3, 1, 8, 8) and d.train_x.flatten().tolist() == [20] * 64 + [10] * 128


def test_animated_gif_gives_its_first_frame(tmp_path):
    root = tmp_path / "s"
    for c in ("a", "b"):
        png(root / c / "0.png", np.full((8, 8, 3), 50, np.uint8))
    frames = [Image.fromarray(np.full((8, 8, 3), v, np.uint8)) for v in (100, 200)]
    frames[0].save(root / "a" / "anim.gif", save_all=True, append_images=frames[1:])
    d = load_data(str(root), cache_dir=tmp_path / "c", val_fraction=0.0)
    assert d.train_x.shape == (3, 3, 8, 8) and sorted(d.train_x[:, 0, 0, 0].tolist()) == [50, 50, 100]


def test_decode_errors_name_the_member(tmp_path):
    import tarfile

    root = _set_with(tmp_path / "s", "3.png", _png_bytes((8, 8, 3))[:33] + b"not a chunk")
    out = tmp_path / "ds.tar.gz"
    with tarfile.open(out, "w:gz") as tf:
        tf.add(root, arcname="ds")
    with pytest.raises(DataError, match=r"^--data \S+ds.tar.gz: ds/a/3.png could not be decoded \(.+\)$"):
        load_data(str(out), cache_dir=tmp_path / "c")
