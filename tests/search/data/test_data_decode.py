import io

import numpy as np
from PIL import Image

from search import data as data_mod


def test_decode_formats_via_pil_fallback():
    buf = io.BytesIO()
    Image.fromarray(np.full((5, 7, 3), 9, np.uint8)).save(buf, format="BMP")
    img = data_mod._decode_one(buf.getvalue())
    assert img.shape == (3, 5, 7) and (img == 9).all()
