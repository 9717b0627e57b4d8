"""The torchvision data sets, downloaded into the cache on first use."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from torch import Tensor

from .cache import cache_file, read_cache, write_cache
from .core import DataError, Splits, one_line

TORCHVISION_NAMES = ("cifar10", "cifar100", "svhn", "fashionmnist", "mnist")

DownloadFn = Callable[[str, Path], Splits]


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


def load_torchvision(name: str, cache: Path, download_fn: DownloadFn) -> Splits:
    """The named set from the cache, else downloaded, converted and cached."""
    target = cache_file(cache, name)
    if (cached := read_cache(target)) is not None:
        return cached[0]  # a torchvision set's conversion warns of nothing
    root = cache / "torchvision" / name
    try:
        root.mkdir(parents=True, exist_ok=True)
        splits = download_fn(name, root)
    except DataError:
        raise
    except Exception as e:  # torchvision raises URLError, RuntimeError or OSError when offline
        raise DataError(f"--data {name}: could not download into {root} ({one_line(e)}); "
                        f"without network, point --data at a local folder or archive") from e
    write_cache(target, splits)
    return splits
