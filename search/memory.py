"""A size check before a large allocation: an estimate in bytes, refused with one line when it exceeds the
memory the machine (or the GPU) has free. The estimates come from the analytic cost, so nothing is built first."""

from __future__ import annotations

import os
from typing import Any

FLOAT_BYTES = 4  # float32: weights, activations and the float copies of images
TRAIN_COPIES = 4  # weights, gradients, momentum and one more copy (the optimizer's step, a checkpoint)


class TooLarge(ValueError):
    """An allocation that would not fit in free memory, refused before it is tried."""


def available_bytes(device: Any = "cpu") -> int | None:
    """Free memory of ``device`` (CUDA: the GPU's; else the machine's MemAvailable), or None where unknown."""
    if str(device).startswith("cuda"):
        import torch

        return int(torch.cuda.mem_get_info(torch.device(device))[0])
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def gib(n: float) -> str:
    """Bytes as GiB for a message: 3.2 GiB."""
    return f"{n / 2**30:,.1f} GiB"


def model_bytes(params: int, acts: int, batch: int, training: bool) -> int:
    """Bytes a network of ``params`` weights and ``acts`` activations per image takes on a batch: its weights
    (TRAIN_COPIES of them to train) and its activations (kept for the backward pass when training)."""
    copies = TRAIN_COPIES if training else 1
    return FLOAT_BYTES * (params * copies + acts * batch * (2 if training else 1))


def check_fits(what: str, need: int, device: Any = "cpu") -> None:
    """Refuse (TooLarge) an allocation of about ``need`` bytes that is over the free memory of ``device``."""
    have = available_bytes(device)
    if have is not None and need > have:
        raise TooLarge(f"{what} needs about {gib(need)} of memory, more than the {gib(have)} free"
                       f"{' on ' + str(device) if str(device).startswith('cuda') else ''}; make it smaller")


__all__ = ["FLOAT_BYTES", "TooLarge", "available_bytes", "check_fits", "gib", "model_bytes"]
