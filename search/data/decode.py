"""Image decoding: JPEGs in batches (the fast path), every other image one by one."""

from __future__ import annotations

import warnings
from collections import Counter

import torch
import torch.nn.functional as F
from torch import Tensor

def decode_chunk(blobs: list[bytes]) -> list[Tensor]:
    """Images as uint8 (C, H, W), C as stored; JPEGs in one batched call (the fast path)."""
    out: list[Tensor | None] = [None] * len(blobs)
    jpegs = [i for i, b in enumerate(blobs) if b[:2] == b"\xff\xd8"]
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
    return [img if img is not None else decode_one(blob) for img, blob in zip(out, blobs)]


def decode_one(blob: bytes) -> Tensor:
    """One image as uint8 (C, H, W), C in {1, 2, 3, 4} as stored."""
    if not blob:
        raise ValueError("empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # as in decode_chunk
            from torchvision.io import decode_image

            img = decode_image(torch.frombuffer(blob, dtype=torch.uint8))
    except (ImportError, RuntimeError):  # formats torchvision.io lacks (BMP, TIFF, PPM): PIL
        import io

        import numpy as np
        from PIL import Image

        with Image.open(io.BytesIO(blob)) as im:
            if im.mode not in ("L", "LA", "RGB", "RGBA"):
                im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
            arr = np.asarray(im)
        img = torch.from_numpy(arr.copy())
        img = img.unsqueeze(0) if img.dim() == 2 else img.permute(2, 0, 1)
    if img.dtype == torch.uint16:  # 16-bit PNG
        img = (img.int() // 257).to(torch.uint8)
    return img


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
        img = img[:3] if colour else img[:1]  # drop alpha
        if colour and img.shape[0] == 1:
            img = img.expand(3, -1, -1)
        if tuple(img.shape[1:]) != size:
            img = F.interpolate(img[None].float(), size=size, mode="bilinear", antialias=True,
                                align_corners=False)[0].round().clamp(0, 255).to(torch.uint8)
        return img

    return torch.stack([fix(img) for img in images])

