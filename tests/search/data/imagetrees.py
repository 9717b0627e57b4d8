"""Small image trees and archives built on disk for the data tests."""

import tarfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image


def png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def jpeg(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=95)


def tree(root: Path, classes=("cat", "dog", "fox"), per_class=10, test_per_class=3, size=20) -> Path:
    """train/ + test/ of PNGs; image i of class c has value 10 * c + i in every pixel."""
    rng = np.random.default_rng(0)
    for c, name in enumerate(classes):
        for i in range(per_class):
            png(root / "train" / name / f"{i:03d}.png", np.full((size, size, 3), 10 * c + i, np.uint8))
        for i in range(test_per_class):
            jpeg(root / "test" / name / f"{i:03d}.jpg", rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
    return root


def tar(src: Path, out: Path, wrap: str = "") -> Path:
    with tarfile.open(out, "w:gz") as tf:
        tf.add(src, arcname=wrap or ".")
    return out


def zip_tree(src: Path, out: Path, wrap: str = "") -> Path:
    with zipfile.ZipFile(out, "w") as zf:
        for p in sorted(src.rglob("*")):
            if p.is_file():
                zf.write(p, str(Path(wrap) / p.relative_to(src)) if wrap else str(p.relative_to(src)))
    return out
