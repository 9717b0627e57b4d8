"""Data already in memory, as the Python API takes it: tensors or ``torch.utils.data.Dataset`` objects.

``in_memory(data)`` accepts ``(x, y)`` (images and labels), or ``(train, test)`` where each is a Dataset of
``(image, label)`` items or an ``(x, y)`` pair and ``test`` may be None. Images are uint8 or floats in [0, 1],
``(N, C, H, W)`` (a Dataset's items ``(C, H, W)`` tensors or PIL images); labels are class indices 0..K-1.
They become the same uint8 splits every other source gives, with the seeded validation carve.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .core import DataError, ImageData, Splits, with_val


def in_memory(data: Any, val_fraction: float = 0.1, seed: int = 0) -> ImageData:
    """The ImageData of tensors or Datasets (see the module docstring); DataError names what is wrong."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise DataError(f"data: expected a spec string, (x, y) tensors or a (train, test) pair, got "
                        f"{type(data).__name__}")
    if isinstance(data[0], Tensor):
        (train_x, train_y), (test_x, test_y) = _pair(data, "data"), (None, None)
    else:
        train_x, train_y = _split(data[0], "train")
        test_x, test_y = _split(data[1], "test") if data[1] is not None else (None, None)
    if test_x is None:
        test_x, test_y = train_x[:0], train_y[:0]
    elif test_x.shape[1:] != train_x.shape[1:]:
        raise DataError(f"test: images are {tuple(test_x.shape[1:])}, train's are {tuple(train_x.shape[1:])}")
    k = int(max(train_y.max(), test_y.max() if len(test_y) else 0)) + 1
    classes = tuple(getattr(data[0], "classes", None) or ()) if not isinstance(data[0], Tensor) else ()
    if len(classes) != k:
        classes = tuple(str(i) for i in range(k))
    name = "tensors" if isinstance(data[0], (Tensor, tuple, list)) else "dataset"
    return with_val(name, Splits(train_x, train_y, test_x, test_y, classes), val_fraction, seed)


def _split(part: Any, where: str) -> tuple[Tensor, Tensor]:
    """One split given as an (x, y) pair or a Dataset of (image, label) items."""
    if isinstance(part, (tuple, list)) and len(part) == 2 and isinstance(part[0], Tensor):
        return _pair(part, where)
    if not (hasattr(part, "__getitem__") and hasattr(part, "__len__")):
        raise DataError(f"{where}: expected a torch Dataset or an (x, y) pair of tensors, got {type(part).__name__}")
    if len(part) == 0:
        raise DataError(f"{where}: the Dataset is empty")
    images, labels = [], []
    for i in range(len(part)):
        image, label = part[i]
        images.append(image if isinstance(image, Tensor) else _from_pil(image))
        labels.append(int(label))
    if len({tuple(im.shape) for im in images}) != 1:
        raise DataError(f"{where}: the Dataset's images differ in size; resize them in its transform")
    return _pair((torch.stack(images), torch.tensor(labels)), where)


def _from_pil(image: Any) -> Tensor:
    """A PIL image (grey or RGB) as a uint8 (C, H, W) tensor."""
    import numpy as np

    array = np.asarray(image.convert("RGB" if image.mode not in ("L", "RGB") else image.mode))
    return torch.from_numpy(array.copy()).reshape(array.shape[0], array.shape[1], -1).permute(2, 0, 1)


def _pair(pair: Any, where: str) -> tuple[Tensor, Tensor]:
    """Images as uint8 (N, C, H, W) and labels as int64 (N,), checked."""
    x, y = pair
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise DataError(f"{where}: expected (x, y) tensors, got ({type(x).__name__}, {type(y).__name__})")
    if x.dim() != 4 or x.shape[1] not in (1, 3) or len(x) == 0:
        raise DataError(f"{where}: images must be (N, C, H, W) with C 1 or 3 and N >= 1, got {tuple(x.shape)}")
    if y.shape != (len(x),) or y.dtype.is_floating_point or y.dtype == torch.bool or (len(y) and int(y.min()) < 0):
        raise DataError(f"{where}: labels must be {len(x)} class indices >= 0, got {y.dtype} {tuple(y.shape)}")
    if x.dtype.is_floating_point:
        if not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            raise DataError(f"{where}: float images must lie in [0, 1]")
        x = (x * 255).round().to(torch.uint8)
    elif x.dtype != torch.uint8:
        raise DataError(f"{where}: images must be uint8 or floats in [0, 1], got {x.dtype}")
    return x.contiguous(), y.to(torch.int64)


__all__ = ["in_memory"]
