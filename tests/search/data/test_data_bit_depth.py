"""Decoding by mode and bit depth: each wide mode's pixel values, and a set that decodes flat refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from search.data import DataError, _decode_one, load_data

RAMP = np.arange(6, 176).reshape(10, 17)  # the hostile tester's 32-bit TIFF held values 6-175


def _tiff(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="TIFF")
    return buf.getvalue()


@pytest.mark.parametrize(("arr", "mode", "expected"), [
    (RAMP.astype(np.uint8), "L", RAMP),  # 8-bit: as stored
    (RAMP.astype(np.uint16) * 257, "I;16", RAMP),  # 16-bit: divided by 257 (65535 / 255)
    (RAMP.astype(np.int32), "I", RAMP),  # 32-bit integer holding 8-bit values: as stored, not divided by 257
    (RAMP.astype(np.int32) * 300, "I", RAMP * 300 // 257),  # 32-bit integer past 255: a 16-bit range
    (RAMP.astype(np.float32) / 255, "F", RAMP),  # float in [0, 1]: times 255
    (RAMP.astype(np.float32), "F", RAMP),  # float past 1: 8-bit values
])
def test_each_mode_keeps_its_pixel_values(arr, mode, expected):
    blob = _tiff(arr)
    assert Image.open(io.BytesIO(blob)).mode == mode
    img = _decode_one(blob, "x.tif")
    assert img.shape == (1, 10, 17)
    assert img[0].numpy().astype(int).tolist() == expected.astype(int).tolist()


def test_negative_and_nan_values_are_black():
    arr = np.array([[-5.0, np.nan, 0.5, 1.0]], np.float32)
    assert _decode_one(_tiff(arr), "x.tif")[0, 0].tolist() == [0, 0, 127, 255]


def test_a_set_of_flat_images_is_refused_from_the_cache_too(tmp_path):
    root = tmp_path / "flat"
    for c in ("a", "b"):
        (root / c).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / c / f"{i}.png")
    for _ in range(2):  # the second load reads the decoded cache
        with pytest.raises(DataError) as info:
            load_data(str(root), cache_dir=tmp_path / "c")
        assert str(info.value) == (f"--data {root}: all 4 training images decode to the single value 0 in every "
                                   "pixel: nothing to learn; check the images' bit depth and content")
