"""Image data for proxy training: load once, decode once, keep as uint8 tensors.

A data spec is one string:

- ``synthetic[:N[:RES[:CLASSES]]]``: generated, learnable images (default 4000 train
  images, 32x32 RGB, 10 classes; test holds N // 5 more), deterministic from ``seed``.
- a torchvision name (``cifar10``, ``cifar100``, ``svhn``, ``fashionmnist``, ``mnist``),
  downloaded into the cache on first use.
- a directory holding an ImageFolder tree: ``DIR/train`` (+ ``DIR/test``, + optional
  ``DIR/val``), or a single tree of class folders, which has no test split.
- a ``.tar.gz``/``.tgz``/``.tar``/``.zip`` archive of such a tree, possibly wrapped in one
  top-level folder. Members are read from the archive in memory, never extracted to disk, so
  no member can write outside the cache (links, devices and ``..`` paths are skipped anyway).

A name wins over a folder of the same name in the working directory: write ``./cifar10``.

Trees: class = first folder below the split folder (deeper nesting allowed); files directly
in a split folder, hidden files and non-image files are ignored. ``DIR/val`` (or ``valid``,
``validation``) is used as the validation split as is, and ``val_fraction`` is then ignored.
A single tree of class folders has an empty test split (``nas train`` reports test as
unavailable). Images may have any size and channel count: the set becomes 3 channels if any
image has colour, else 1 (alpha is dropped, grey is replicated), and images whose size
differs from the most common one are resized to it (bilinear, antialiased).

Decoded splits are cached as one ``.pt`` file under the cache dir (``NAS_CACHE``, else
``~/.cache/nas``), keyed by content, so a second load only reads that file. The validation
split is carved from train at load time (seeded, stratified) unless the tree has ``val``.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

TORCHVISION_NAMES = ("cifar10", "cifar100", "svhn", "fashionmnist", "mnist")
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".ppm", ".pgm"})
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
SYNTHETIC_DEFAULTS = (4000, 32, 10)  # train images, resolution, classes
_CACHE_VERSION = 1  # bump when the cached layout or decoding changes
_VAL_NAMES = ("val", "valid", "validation")


class DataError(ValueError):
    """A data problem the user can fix: bad spec, missing path, corrupt archive, no network."""


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

    @cached_property
    def mean(self) -> tuple[float, ...]:
        """Per-channel mean of the train split, in [0, 1] units."""
        return self._moments()[0]

    @cached_property
    def std(self) -> tuple[float, ...]:
        """Per-channel standard deviation of the train split, in [0, 1] units."""
        return self._moments()[1]

    def _moments(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
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


DownloadFn = Callable[[str, Path], Splits]


def default_cache_dir() -> Path:
    """``$NAS_CACHE`` if set, else ``~/.cache/nas``."""
    return Path(os.environ.get("NAS_CACHE") or Path.home() / ".cache" / "nas")


def load_data(
    spec: str,
    cache_dir: str | Path | None = None,
    val_fraction: float = 0.1,
    seed: int = 0,
    download_fn: DownloadFn | None = None,
) -> ImageData:
    """Load the data named by ``spec`` (see the module docstring) with a seeded validation split."""
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(f"val_fraction: must be in [0, 1), got {val_fraction}")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    spec = spec.strip()
    low = spec.lower()
    if low == "synthetic" or low.startswith("synthetic:"):
        name, splits = "synthetic", synthetic_splits(*_parse_synthetic(spec), seed=seed)
    elif low in TORCHVISION_NAMES:
        name, splits = low, _load_torchvision(low, cache, download_fn or torchvision_download)
    else:
        path = Path(spec).expanduser()
        if not path.exists():
            known = ", ".join(TORCHVISION_NAMES)
            raise DataError(f"--data {spec}: no such file or directory, and not a known data set "
                            f"(synthetic[:N[:RES[:CLASSES]]], {known})")
        name, splits = _archive_stem(path), _load_tree(path, cache)
    return _with_val(name, splits, val_fraction, seed)


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


def _with_val(name: str, s: Splits, val_fraction: float, seed: int) -> ImageData:
    if s.val_x is not None:
        train_x, train_y, val_x, val_y = s.train_x, s.train_y, s.val_x, s.val_y
    else:
        tr, va = stratified_split(s.train_y, val_fraction, seed)
        train_x, train_y, val_x, val_y = s.train_x[tr], s.train_y[tr], s.train_x[va], s.train_y[va]
    return ImageData(train_x, train_y, val_x, val_y, s.test_x, s.test_y, tuple(s.classes), name)


# --- synthetic -------------------------------------------------------------------------


def _parse_synthetic(spec: str) -> tuple[int, int, int]:
    parts = spec.split(":")[1:]
    if len(parts) > 3 or not all(p.isdigit() for p in parts):
        raise DataError(f"--data {spec}: expected synthetic[:N[:RES[:CLASSES]]] with positive integers")
    n, res, k = (int(p) for p in parts + [str(d) for d in SYNTHETIC_DEFAULTS[len(parts):]])
    if n < 2 * k or res < 4 or k < 2:
        raise DataError(f"--data {spec}: need CLASSES >= 2, N >= 2 * CLASSES and RES >= 4")
    return n, res, k


def synthetic_splits(n: int, resolution: int, num_classes: int, seed: int = 0) -> Splits:
    """Learnable RGB images: a per-class low-frequency pattern and tint under distractors and noise."""
    gen = torch.Generator().manual_seed(seed)
    total = n + n // 5
    r, k, channels = resolution, num_classes, 3

    def smooth(count: int) -> Tensor:  # (count, C, r, r) in [0, 1], coarse 4x4 grid upsampled
        coarse = torch.rand(count, channels, 4, 4, generator=gen)
        return F.interpolate(coarse, size=(r, r), mode="bicubic", align_corners=False).clamp(0, 1)

    patterns, tints = smooth(k), torch.rand(k, channels, 1, 1, generator=gen)
    y = torch.arange(total) % k
    y = y[torch.randperm(total, generator=gen)]
    signal = 0.6 * patterns[y] + 0.4 * tints[y]  # (total, C, r, r)
    distractor = smooth(total)
    noise = torch.rand(total, channels, r, r, generator=gen)
    x = 0.4 * signal + 0.35 * distractor + 0.25 * noise
    x = (x * 255).round().clamp(0, 255).to(torch.uint8)
    classes = tuple(f"class{i}" for i in range(k))
    return Splits(x[:n], y[:n], x[n:], y[n:], classes)


# --- torchvision -----------------------------------------------------------------------


def torchvision_download(name: str, root: Path) -> Splits:
    """Download (or find in ``root``) a torchvision data set and convert it to uint8 tensors."""
    from torchvision import datasets  # only this path needs the dataset classes

    def to_nchw(data) -> Tensor:
        x = torch.as_tensor(data)
        if x.dim() == 3:  # (N, H, W) grayscale
            return x.unsqueeze(1).contiguous()
        return x if x.shape[1] in (1, 3) else x.permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW

    if name == "svhn":
        parts = [datasets.SVHN(root, split=s, download=True) for s in ("train", "test")]
        (tr, te), classes = [(to_nchw(p.data), torch.as_tensor(p.labels)) for p in parts], tuple(map(str, range(10)))
    else:
        cls = {"cifar10": datasets.CIFAR10, "cifar100": datasets.CIFAR100,
               "mnist": datasets.MNIST, "fashionmnist": datasets.FashionMNIST}[name]
        parts = [cls(root, train=t, download=True) for t in (True, False)]
        (tr, te), classes = [(to_nchw(p.data), torch.as_tensor(p.targets)) for p in parts], tuple(parts[0].classes)
    return Splits(tr[0].to(torch.uint8), tr[1].long(), te[0].to(torch.uint8), te[1].long(), classes)


def _load_torchvision(name: str, cache: Path, download_fn: DownloadFn) -> Splits:
    target = cache / "decoded" / f"{name}-v{_CACHE_VERSION}.pt"
    if (cached := _read_cache(target)) is not None:
        return cached
    root = cache / "torchvision" / name
    try:
        root.mkdir(parents=True, exist_ok=True)
        splits = download_fn(name, root)
    except DataError:
        raise
    except Exception as e:  # torchvision raises URLError, RuntimeError or OSError when offline
        raise DataError(f"--data {name}: could not download into {root} ({_one_line(e)}); "
                        f"without network, point --data at a local folder or archive") from e
    _write_cache(target, splits)
    return splits


# --- folders and archives --------------------------------------------------------------


def _archive_stem(path: Path) -> str:
    name = path.resolve().name
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _load_tree(path: Path, cache: Path) -> Splits:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not _skipped(p.relative_to(path).parts))
        listing = "\n".join(f"{p.relative_to(path).as_posix()}\t{p.stat().st_size}\t{p.stat().st_mtime_ns}"
                            for p in files)
        key = hashlib.sha256(listing.encode()).hexdigest()[:20]

        def members() -> Iterator[tuple[PurePosixPath, bytes]]:
            for p in files:
                yield PurePosixPath(p.relative_to(path).as_posix()), p.read_bytes()
    elif _is_archive(path):
        key = _file_hash(path)

        def members() -> Iterator[tuple[PurePosixPath, bytes]]:
            yield from _archive_members(path)
    else:
        raise DataError(f"--data {path}: not a directory or a {'/'.join(ARCHIVE_SUFFIXES)} archive")
    target = cache / "decoded" / f"{_archive_stem(path)}-{key}-v{_CACHE_VERSION}.pt"
    if (cached := _read_cache(target)) is not None:
        return cached
    splits = _decode_tree(path, members())
    _write_cache(target, splits)
    return splits


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()[:20]


def _skipped(parts: tuple[str, ...]) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" or p == ".." for p in parts)


def _archive_members(path: Path) -> Iterator[tuple[PurePosixPath, bytes]]:
    """Regular files of the archive, read in order; links, devices and ``..`` paths are skipped."""
    try:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    rel = PurePosixPath(info.filename.lstrip("/"))
                    if not info.is_dir() and not _skipped(rel.parts):
                        yield rel, zf.read(info)
        else:
            with tarfile.open(path, "r|*") as tf:  # streaming: one pass, any compression
                for m in tf:
                    rel = PurePosixPath(m.name.lstrip("/"))
                    if m.isfile() and not _skipped(rel.parts):
                        yield rel, tf.extractfile(m).read()
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as e:
        raise DataError(f"--data {path}: cannot read the archive ({_one_line(e)})") from e
    except Exception as e:  # zlib.error and friends on a damaged stream
        raise DataError(f"--data {path}: corrupt archive ({_one_line(e)})") from e


def _split_layout(rels: list[PurePosixPath]) -> tuple[int, dict[str, str]]:
    """Depth of the tree root below the top, and which top folders are splits (maybe none)."""
    depth = 0
    while True:  # unwrap single top-level folders, as archives often hold DATA/train/...
        tops = {r.parts[depth] for r in rels if len(r.parts) > depth + 1}
        loose = any(len(r.parts) == depth + 1 for r in rels)
        names = {t.lower(): t for t in tops}
        if "train" in names:
            splits = {"train": names["train"]}
            splits |= {"test": names["test"]} if "test" in names else {}
            splits |= {"val": names[v] for v in _VAL_NAMES if v in names}
            return depth, splits
        if len(tops) != 1 or loose:
            return depth, {}
        depth += 1


def _decode_tree(path: Path, members: Iterator[tuple[PurePosixPath, bytes]]) -> Splits:
    rels, images = _decode_stream(path, members)
    if not rels:
        raise DataError(f"--data {path}: no image files found ({', '.join(sorted(IMAGE_SUFFIXES))})")
    depth, split_dirs = _split_layout(rels)
    split_of = {v: k for k, v in split_dirs.items()}
    grouped: dict[str, list[tuple[str, int]]] = {"train": [], "val": [], "test": []}  # (class, image index)
    for i, rel in enumerate(rels):
        parts = rel.parts[depth:]
        if split_dirs:
            if parts[0] not in split_of:
                continue
            split, parts = split_of[parts[0]], parts[1:]
        else:
            split = "train"
        if len(parts) >= 2:  # images directly in a split folder have no class: ignored
            grouped[split].append((parts[0], i))
    classes = tuple(sorted({c for c, _ in grouped["train"]}))
    if len(classes) < 2:
        raise DataError(f"--data {path}: need at least 2 class folders with images under the training "
                        f"tree, found {len(classes)} (expected DIR/train/CLASS/*.jpg or DIR/CLASS/*.jpg)")
    for split in ("val", "test"):
        extra = {c for c, _ in grouped[split]} - set(classes)
        if extra:
            raise DataError(f"--data {path}: {split} has classes missing from train: {', '.join(sorted(extra))}")
    x = _uniform(images)
    index = {c: i for i, c in enumerate(classes)}
    out = {split: (x[torch.tensor([i for _, i in entries], dtype=torch.int64)],
                   torch.tensor([index[c] for c, _ in entries], dtype=torch.int64))
           for split, entries in grouped.items()}
    val = out["val"] if grouped["val"] else (None, None)
    return Splits(*out["train"], *out["test"], classes, *val)


def _decode_stream(path: Path, members: Iterator[tuple[PurePosixPath, bytes]]
                   ) -> tuple[list[PurePosixPath], list[Tensor]]:
    """Decode image members in chunks as they are read. Threads do not help here: the decoders
    hold the GIL, and on CIFAR-10 reading the archive costs as much as decoding it."""
    rels: list[PurePosixPath] = []
    images: list[Tensor] = []
    chunk: list[bytes] = []
    try:
        for rel, blob in members:
            if rel.suffix.lower() in IMAGE_SUFFIXES:
                rels.append(rel)
                chunk.append(blob)
                if len(chunk) == 2048:
                    images += _decode_chunk(chunk)
                    chunk = []
        images += _decode_chunk(chunk)
    except DataError:
        raise
    except Exception as e:  # PIL.UnidentifiedImageError, truncated or empty files
        raise DataError(f"--data {path}: an image could not be decoded ({_one_line(e)})") from e
    return rels, images


def _decode_chunk(blobs: list[bytes]) -> list[Tensor]:
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
    return [img if img is not None else _decode_one(blob) for img, blob in zip(out, blobs)]


def _decode_one(blob: bytes) -> Tensor:
    """One image as uint8 (C, H, W), C in {1, 2, 3, 4} as stored."""
    if not blob:
        raise ValueError("empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # as in _decode_chunk
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


def _uniform(images: list[Tensor]) -> Tensor:
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


# --- cache -----------------------------------------------------------------------------


def _read_cache(target: Path) -> Splits | None:
    """The cached splits, or None when absent or unreadable (then they are decoded and written anew)."""
    if not target.is_file():
        return None
    try:
        blob = torch.load(target, weights_only=True)
        return Splits(**{**blob, "classes": tuple(blob["classes"])})
    except Exception as e:
        warnings.warn(f"ignoring the unreadable cache file {target} ({_one_line(e)})", stacklevel=3)
        return None


def _write_cache(target: Path, splits: Splits) -> None:
    """Atomic write, so concurrent runs never read a half-written file."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.save({**splits._asdict(), "classes": list(splits.classes)}, tmp)
        os.replace(tmp, target)
    except OSError as e:
        if tmp.is_file():
            tmp.unlink()
        raise DataError(f"cannot write the data cache {target} ({_one_line(e)}); "
                        f"set NAS_CACHE to a writable folder") from e


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


__all__ = ["DataError", "ImageData", "Splits", "load_data", "stratified_split", "synthetic_splits",
           "torchvision_download", "default_cache_dir", "TORCHVISION_NAMES"]
