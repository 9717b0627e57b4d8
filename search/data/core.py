"""The records every source produces: ``Splits`` before the validation carve, ``ImageData`` after."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import torch
from torch import Tensor

MAX_PIXELS = 50_000_000  # per image, read from the header before decoding (a 7071x7071 image)
MAX_FILE_BYTES = 64 << 20  # per image file or archive member, checked before it is read


class DataError(ValueError):
    """A data problem the user can fix: bad spec, missing path, corrupt archive, no network."""


@dataclass(frozen=True)
class Limits:
    """What one image may cost before it is read or decoded; both bound memory on hostile input."""

    max_pixels: int = MAX_PIXELS  # width * height of the first frame, from the header
    max_file_bytes: int = MAX_FILE_BYTES  # size of one image file or archive member

    def __post_init__(self) -> None:
        for field in ("max_pixels", "max_file_bytes"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DataError(f"{field}: expected a positive integer, got {value!r}")


@dataclass(frozen=True, eq=False, repr=False)
class ImageData:
    """Train/val/test splits as uint8 ``(N, C, H, W)`` images and int64 labels.

    ``test_x`` is empty (``N == 0``) when the source has no test split (a single tree of
    class folders). All images share one size; ``resolution`` is ``max(H, W)``.
    """

    train_x: Tensor
    train_y: Tensor
    val_x: Tensor
    val_y: Tensor
    test_x: Tensor
    test_y: Tensor
    classes: tuple[str, ...]
    name: str

    def __post_init__(self) -> None:
        for split in ("train", "val", "test"):
            x, y = getattr(self, f"{split}_x"), getattr(self, f"{split}_y")
            if x.dtype != torch.uint8 or x.dim() != 4:
                raise ValueError(f"{split}_x: expected uint8 (N, C, H, W), got {x.dtype} {tuple(x.shape)}")
            if y.dtype != torch.int64 or y.shape != (x.shape[0],):
                raise ValueError(f"{split}_y: expected int64 ({x.shape[0]},), got {y.dtype} {tuple(y.shape)}")
            if x.shape[0] and x.shape[1:] != self.train_x.shape[1:]:
                raise ValueError(f"{split}_x: image shape {tuple(x.shape[1:])} differs from train's")
        if len(self.train_y) == 0:
            raise ValueError("train_x: the training split is empty")

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    @property
    def channels(self) -> int:
        """Channels per image (1 grayscale, 3 RGB)."""
        return self.train_x.shape[1]

    @property
    def resolution(self) -> int:
        """Native image side in pixels, ``max(H, W)`` for non-square images."""
        return max(self.train_x.shape[2:])

    @property
    def mean(self) -> tuple[float, ...]:
        """Per-channel mean of the train split, in [0, 1] units."""
        return self._moments[0]

    @property
    def std(self) -> tuple[float, ...]:
        """Per-channel standard deviation of the train split, in [0, 1] units."""
        return self._moments[1]

    @cached_property
    def _moments(self) -> tuple[tuple[float, ...], tuple[float, ...]]:  # one pass over the split for both
        # exact and fast: a 256-bin histogram per channel instead of a float copy of the set
        values = torch.arange(256, dtype=torch.float64) / 255
        means, stds = [], []
        for c in range(self.channels):
            counts = torch.bincount(self.train_x[:, c].reshape(-1), minlength=256).double()
            mean = (counts * values).sum() / counts.sum()
            var = (counts * (values - mean) ** 2).sum() / counts.sum()
            means.append(mean.item())
            stds.append(max(var.sqrt().item(), 1e-6))
        return tuple(means), tuple(stds)

    def __repr__(self) -> str:
        c, h, w = self.train_x.shape[1:]
        return (f"ImageData({self.name!r}, train={len(self.train_y)}, val={len(self.val_y)}, "
                f"test={len(self.test_y)}, {c}x{h}x{w}, {self.num_classes} classes)")


class Splits(NamedTuple):
    """Decoded splits before the validation carve; ``val_x`` is None unless the source has one."""

    train_x: Tensor
    train_y: Tensor
    test_x: Tensor
    test_y: Tensor
    classes: tuple[str, ...]
    val_x: Tensor | None = None
    val_y: Tensor | None = None


def stratified_split(labels: Tensor, fraction: float, seed: int) -> tuple[Tensor, Tensor]:
    """Seeded split of ``range(len(labels))`` taking ``round(fraction * n_c)`` of each class; sorted indices."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction: must be in [0, 1), got {fraction}")
    gen = torch.Generator().manual_seed(seed)
    held = []
    for c in torch.unique(labels).tolist():  # sorted, so the draw order is fixed
        members = (labels == c).nonzero().flatten()
        k = min(round(fraction * len(members)), len(members) - 1)  # keep one per class for training
        held.append(members[torch.randperm(len(members), generator=gen)[:k]])
    mask = torch.zeros(len(labels), dtype=torch.bool)
    if held:
        mask[torch.cat(held)] = True
    return (~mask).nonzero().flatten(), mask.nonzero().flatten()


def with_val(name: str, s: Splits, val_fraction: float, seed: int) -> ImageData:
    """The final record: the source's own val split, else a seeded stratified carve from train."""
    if s.val_x is not None:
        train_x, train_y, val_x, val_y = s.train_x, s.train_y, s.val_x, s.val_y
    else:
        tr, va = stratified_split(s.train_y, val_fraction, seed)
        train_x, train_y, val_x, val_y = s.train_x[tr], s.train_y[tr], s.train_x[va], s.train_y[va]
    return ImageData(train_x, train_y, val_x, val_y, s.test_x, s.test_y, tuple(s.classes), name)


def refuse_flat(spec: str, x: Tensor) -> None:
    """A DataError when every pixel of every training image ``x`` (N, C, H, W) has one value: nothing to learn,
    and the sign of a decoding gone wrong (a bit depth misread) rather than of real data."""
    if len(x) and int(x.amin()) == int(x.amax()):
        raise DataError(f"--data {spec}: all {len(x)} training images decode to the single value {int(x.amin())} "
                        "in every pixel: nothing to learn; check the images' bit depth and content")


def one_line(e: BaseException) -> str:
    """An exception as one short line, for messages that wrap it."""
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__
