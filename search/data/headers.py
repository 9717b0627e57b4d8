"""Image formats told apart by content, and each image's size read from its header.

Nothing here decodes pixels: a header that claims 60000x60000 pixels costs a few bytes to read,
so the pixel limit is checked before any decoder allocates the image.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Callable, NamedTuple


class Header(NamedTuple):
    """What the header says: size of the first frame, and whether torchvision decodes it faithfully."""

    width: int
    height: int
    fast: bool  # False for CMYK JPEGs (torchvision returns raw CMYK) and palette PNGs


# SOFn markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_JPEG_NO_LENGTH = frozenset({0x01, *range(0xD0, 0xD9)})  # TEM, RSTn, SOI


def jpeg_header(b: bytes) -> Header:
    """Walk the marker segments up to the scan; the largest frame header wins (libjpeg refuses a second)."""
    i, n, best = 2, len(b), None
    while i + 4 <= n:
        if b[i] != 0xFF:
            raise ValueError(f"bad JPEG marker at byte {i}")
        marker = b[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _JPEG_NO_LENGTH:
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # EOI, SOS: no frame header may follow
            break
        if marker in _JPEG_SOF and i + 10 <= n:
            height, width, comps = b[i + 5] << 8 | b[i + 6], b[i + 7] << 8 | b[i + 8], b[i + 9]
            if best is None or width * height > best.width * best.height:
                best = Header(width, height, comps in (1, 3))
        i += 2 + (b[i + 2] << 8 | b[i + 3])
    if best is None:
        raise ValueError("no JPEG frame header before the image data")
    return best


def png_header(b: bytes) -> Header:
    """IHDR is the first chunk by the PNG specification; colour type 3 is a palette."""
    if len(b) < 26 or b[12:16] != b"IHDR":
        raise ValueError("no PNG header chunk")
    width, height = struct.unpack(">II", b[16:24])
    return Header(width, height, b[25] != 3)


def webp_header(b: bytes) -> Header:
    """The first chunk: VP8X holds the canvas, VP8 and VP8L the one frame."""
    chunk = b[12:16]
    if chunk == b"VP8X" and len(b) >= 30:
        return Header(int.from_bytes(b[24:27], "little") + 1, int.from_bytes(b[27:30], "little") + 1, False)
    if chunk == b"VP8 " and len(b) >= 30 and b[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", b[26:30])
        return Header(w & 0x3FFF, h & 0x3FFF, False)
    if chunk == b"VP8L" and len(b) >= 25 and b[20] == 0x2F:
        bits = int.from_bytes(b[21:25], "little")
        return Header((bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1, False)
    raise ValueError("no WebP frame header")


@dataclass(frozen=True)
class ImageFormat:
    """One image format the loader reads: how to recognise it, which suffixes name it, its header."""

    name: str  # PIL's name, passed to Image.open(formats=...)
    suffixes: tuple[str, ...]
    magic: Callable[[bytes], bool]
    header: Callable[[bytes], Header] | None  # None: PIL's lazy open reads the size from the header
    pil_names: tuple[str, ...] = ()  # further names PIL may report for it


FORMATS = (
    ImageFormat("JPEG", (".jpg", ".jpeg"), lambda b: b[:3] == b"\xff\xd8\xff", jpeg_header, ("MPO",)),
    ImageFormat("PNG", (".png",), lambda b: b[:8] == b"\x89PNG\r\n\x1a\n", png_header),
    ImageFormat("GIF", (".gif",), lambda b: b[:6] in (b"GIF87a", b"GIF89a"), None),
    ImageFormat("WEBP", (".webp",), lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP", webp_header),
    ImageFormat("BMP", (".bmp",), lambda b: b[:2] == b"BM", None),
    ImageFormat("TIFF", (".tif", ".tiff"), lambda b: b[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"), None),
    ImageFormat("PPM", (".ppm", ".pgm"), lambda b: len(b) > 1 and b[:1] == b"P" and b[1] in b"123456", None),
)
BY_SUFFIX = {suffix: fmt for fmt in FORMATS for suffix in fmt.suffixes}
IMAGE_SUFFIXES = frozenset(BY_SUFFIX)
FORMAT_NAMES = "JPEG, PNG, GIF, WEBP, BMP, TIFF, PPM/PGM"


def detect(blob: bytes) -> ImageFormat | None:
    """The listed format the content is in, or None."""
    return next((fmt for fmt in FORMATS if fmt.magic(blob)), None)
