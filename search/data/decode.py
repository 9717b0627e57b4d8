"""Image decoding: JPEGs in batches (the fast path), every other image one by one.

Every image is checked before a decoder sees it: its content must be one of the listed formats
and match its suffix (so no other PIL plugin, such as EPS calling Ghostscript, is ever reached),
and the size in its header must be within ``max_pixels``. Errors name the file.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections import Counter
from pathlib import PurePosixPath

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .core import MAX_PIXELS, DataError, one_line
from .headers import BY_SUFFIX, FORMAT_NAMES, Header, ImageFormat, detect

# PIL mode -> the 8-bit mode it is converted to (None: it is one already)
_PIL_CONVERT = {"1": "L", "L": None, "LA": None, "La": "LA", "RGB": None, "RGBA": None, "RGBa": "RGBA",
                "RGBX": "RGB", "P": "RGBA", "PA": "RGBA", "CMYK": "RGB", "YCbCr": "RGB", "LAB": "RGB",
                "HSV": "RGB"}
# PIL's wide grey modes -> the full scales their values may be read against, narrowest first: a 16-bit image
# says its depth; 32-bit integer and float files do not say what range their values use (numpy's int32 or
# float32 of 8-bit values is common), so the narrowest scale that holds the image's largest value is taken
_WIDE_SCALES = {"I;16": (65535,), "I;16L": (65535,), "I;16B": (65535,), "I;16N": (65535,),
                "I": (255, 65535, 2**32 - 1), "F": (1.0, 255, 65535, 2**32 - 1)}


def checked_format(blob: bytes, name: str, max_pixels: int) -> tuple[ImageFormat, Header | None]:
    """The image's format and header, or a DataError naming the file; nothing is decoded."""
    if not blob:
        raise DataError(f"{name} could not be decoded (empty file)")
    expected, found = BY_SUFFIX.get(PurePosixPath(name).suffix.lower()), detect(blob)
    if found is None:
        raise DataError(f"{name} is not a {FORMAT_NAMES} image")
    if expected is not None and found is not expected:
        raise DataError(f"{name} holds {found.name} data, not {expected.name}")
    header = None
    if found.header is not None:
        try:
            header = found.header(blob)
        except (ValueError, IndexError, struct.error) as e:
            raise DataError(f"{name} could not be decoded ({one_line(e)})") from e
        check_pixels(name, header.width, header.height, max_pixels)
    return found, header


def check_pixels(name: str, width: int, height: int, max_pixels: int) -> None:
    """Refuse an image over the pixel limit, before it is decoded."""
    if width * height > max_pixels:
        raise DataError(f"{name} is {width}x{height} pixels, over the limit of {max_pixels} "
                        f"(raise max_pixels or NAS_MAX_PIXELS if it is genuine)")


def decode_chunk(blobs: list[bytes], names: list[str] | None = None, max_pixels: int = MAX_PIXELS) -> list[Tensor]:
    """Images as uint8 (C, H, W), C as stored; JPEGs in one batched call (the fast path)."""
    names = names or [f"image {i}" for i in range(len(blobs))]
    checked = [checked_format(b, n, max_pixels) for b, n in zip(blobs, names)]
    out: list[Tensor | None] = [None] * len(blobs)
    jpegs = [i for i, (fmt, header) in enumerate(checked) if fmt.name == "JPEG" and header.fast]
    try:
        with warnings.catch_warnings():
            # torchvision 0.29 deprecates its decoders for TorchCodec; PIL takes over once they are gone.
            # frombuffer warns that bytes are read-only; the decoder never writes.
            warnings.simplefilter("ignore")
            from torchvision.io import decode_jpeg

            if jpegs:
                decoded = decode_jpeg([torch.frombuffer(blobs[i], dtype=torch.uint8) for i in jpegs])
                for i, img in zip(jpegs, decoded):
                    out[i] = img
    except (ImportError, RuntimeError):  # one bad file fails the batch: decode one by one to name it
        pass
    return [img if img is not None else _decode_checked(blob, name, max_pixels, *found)
            for img, blob, name, found in zip(out, blobs, names, checked)]


def decode_one(blob: bytes, name: str = "image", max_pixels: int = MAX_PIXELS) -> Tensor:
    """One image as uint8 (C, H, W), C in {1, 2, 3, 4} (grey, grey + alpha, RGB, RGBA); first frame only."""
    return _decode_checked(blob, name, max_pixels, *checked_format(blob, name, max_pixels))


def _decode_checked(blob: bytes, name: str, max_pixels: int, fmt: ImageFormat, header: Header | None) -> Tensor:
    """decode_one once the format and the pixel limit have been checked (decode_chunk checked them all)."""
    try:
        img = _torchvision_pixels(blob) if header is not None and header.fast else None
        if img is None:
            img = _pil_pixels(blob, fmt, name, max_pixels)
    except DataError:
        raise
    except Exception as e:  # PIL.UnidentifiedImageError, truncated or corrupt data
        raise DataError(f"{name} could not be decoded ({one_line(e)})") from e
    if img.dtype == torch.uint16:  # 16-bit PNG
        img = (img.int() // 257).to(torch.uint8)
    return img


def _torchvision_pixels(blob: bytes) -> Tensor | None:
    """JPEG or PNG through torchvision.io, or None where it cannot (then PIL tries and names the error)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # as in decode_chunk
            from torchvision.io import decode_image

            return decode_image(torch.frombuffer(blob, dtype=torch.uint8))
    except (ImportError, RuntimeError):
        return None


def _pil_pixels(blob: bytes, fmt: ImageFormat, name: str, max_pixels: int) -> Tensor:
    """First frame through PIL, opened as the one format the content was recognised as."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PIL's own DecompressionBombWarning: our limit was checked
        with Image.open(io.BytesIO(blob), formats=[fmt.name]) as im:  # lazy: reads the header only
            if im.format not in (fmt.name, *fmt.pil_names):
                raise DataError(f"{name} holds {im.format} data, not {fmt.name}")
            check_pixels(name, *im.size, max_pixels)
            if im.mode in _WIDE_SCALES:
                arr = wide_to_8bit(np.asarray(im), _WIDE_SCALES[im.mode])
            elif im.mode in _PIL_CONVERT:
                target = _PIL_CONVERT[im.mode]
                arr = np.asarray(im.convert(target) if target else im)
            else:
                raise DataError(f"{name} has the unsupported image mode {im.mode}")
    img = torch.from_numpy(arr.copy())
    return img.unsqueeze(0) if img.dim() == 2 else img.permute(2, 0, 1)


def wide_to_8bit(values: np.ndarray, scales: tuple[float, ...]) -> np.ndarray:
    """Grey values of a wide mode as uint8: negatives and NaN are 0, then divided by the first of ``scales``
    (narrowest first) that holds the largest value, so 175 of a 32-bit image stays 175, 51400 of a 16-bit 200."""
    v = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0).clip(0, None)
    top = v.max(initial=0.0)
    full = next((s for s in scales if top <= s), scales[-1])
    return np.floor(v.clip(0, full) * (255 / full) + 1e-6).astype(np.uint8)


def uniform(images: list[Tensor]) -> Tensor:
    """Stack to (N, C, H, W): 3 channels if any image has colour, else 1; alpha dropped;
    images whose size differs from the most common size are resized to it (bilinear, antialiased)."""
    shapes = Counter(tuple(img.shape) for img in images)
    if len(shapes) == 1 and next(iter(shapes))[0] in (1, 3):  # the common case: nothing to fix
        return torch.stack(images)
    colour = any(shape[0] >= 3 for shape in shapes)
    size = Counter({shape[1:]: 0 for shape in shapes})
    for shape, n in shapes.items():
        size[shape[1:]] += n
    size = size.most_common(1)[0][0]

    def fix(img: Tensor) -> Tensor:
        img = img[: 3 if img.shape[0] >= 3 else 1]  # drop alpha: LA has 2 channels, RGBA 4
        if colour and img.shape[0] == 1:
            img = img.expand(3, -1, -1)
        if tuple(img.shape[1:]) != size:
            img = F.interpolate(img[None].float(), size=size, mode="bilinear", antialias=True,
                                align_corners=False)[0].round().clamp(0, 255).to(torch.uint8)
        return img

    return torch.stack([fix(img) for img in images])
