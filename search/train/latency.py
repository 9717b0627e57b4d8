"""Forward latency of a trained model, timed by torch.utils.benchmark with a fixed thread count.

A CPU latency depends as much on the thread count as on the model; timing every model with the
same count (1 unless the caller says otherwise) and recording it makes latencies comparable
across trials, machines and runs that share cores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn as nn

from search.logs import silenced
from search.train.device import autocast, free_memory, is_oom, resolve_device, sync


def _timer_class() -> type:
    """torch.utils.benchmark's Timer, imported on first use: the import pulls in torch.utils.cpp_extension,
    which warns "No CUDA runtime is found" on a CUDA build without a GPU, about compiling C++ extensions
    this tool never compiles; silenced for the import, and kept out of every command that times nothing."""
    with silenced("torch.utils.cpp_extension"):
        from torch.utils.benchmark import Timer
    return Timer


@dataclass(frozen=True)
class Latency:
    """Forward time per batch size, keyed "b1", "b256"...; None where the batch ran out of memory."""

    median_ms: dict[str, float | None]  # median time of one forward pass
    iqr_ms: dict[str, float | None]  # interquartile range of the same measurements: the noise
    threads: int  # torch intra-op threads while timing


@torch.no_grad()
def measure_latency(model: nn.Module, channels: int, resolution: int, device: torch.device | str | None = None,
                    batch_sizes: Sequence[int] = (1, 256), bf16: bool = False, channels_last: bool = False,
                    threads: int = 1, min_run_time: float = 0.2) -> Latency:
    """Median and IQR of the eval-mode forward time per batch size, with ``threads`` torch threads."""
    if threads < 1:
        raise ValueError(f"threads: must be a positive integer, got {threads}")
    dev = resolve_device(device)
    model.eval()
    median: dict[str, float | None] = {}
    iqr: dict[str, float | None] = {}
    Timer = _timer_class()
    before = torch.get_num_threads()
    torch.set_num_threads(threads)  # warm-up too, so caches are sized for the timed thread count
    try:
        for bs in batch_sizes:
            key = f"b{bs}"
            try:
                x = torch.randn(bs, channels, resolution, resolution, device=dev)  # (B, C, R, R)
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)

                def forward() -> None:
                    with autocast(bf16, dev):
                        model(x)
                    if dev.type == "mps":  # the Timer syncs CUDA itself, not MPS
                        sync(dev)

                forward(), forward()  # warm-up: allocator, cuDNN autotune, caches
                m = Timer("forward()", globals={"forward": forward}, num_threads=threads).blocked_autorange(
                    min_run_time=min_run_time)
                median[key], iqr[key] = 1000 * m.median, 1000 * m.iqr
            except Exception as e:
                if not is_oom(e):
                    raise
                median[key] = iqr[key] = None
                free_memory(dev)
    finally:
        torch.set_num_threads(before)  # the Timer restores it too; a failure inside must not leak the count
    return Latency(median, iqr, threads)
