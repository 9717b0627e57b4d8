"""Which device to train on, and the few device facts the engine needs: sync, OOM, memory."""

from __future__ import annotations

import gc
import sys
from contextlib import nullcontext

import torch


def resolve_device(name: str | torch.device | None) -> torch.device:
    """"auto"/None -> cuda if available else cpu; "cpu", "cuda", "cuda:N", "mps" checked for availability."""
    if isinstance(name, torch.device):
        return name
    if name is None or name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ValueError(f"--device {name}: unknown device (use auto, cpu, cuda, cuda:N or mps)") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"--device {name}: no CUDA GPU is available")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"--device {name}: only {torch.cuda.device_count()} CUDA GPU(s) are available")
    elif dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(f"--device {name}: MPS is not available on this machine")
    elif dev.type != "cpu":
        raise ValueError(f"--device {name}: unsupported device type (use auto, cpu, cuda, cuda:N or mps)")
    return dev


def bf16_on(cfg_bf16: bool | str, dev: torch.device) -> bool:
    """Whether bf16 autocast applies: forced by True, or "auto" on a CUDA GPU that supports it."""
    return cfg_bf16 is True or (cfg_bf16 == "auto" and dev.type == "cuda" and torch.cuda.is_bf16_supported())


def autocast(cfg_bf16: bool | str, dev: torch.device):
    """A bf16 autocast context when ``bf16_on``, else a no-op context."""
    return torch.autocast(dev.type, dtype=torch.bfloat16) if bf16_on(cfg_bf16, dev) else nullcontext()


def is_oom(e: BaseException) -> bool:
    """True for an out-of-memory error, however the backend spelled it."""
    return isinstance(e, torch.OutOfMemoryError) or (isinstance(e, RuntimeError) and "out of memory" in str(e))


def free_memory(dev: torch.device) -> None:
    """Release what a failed run left behind, so the next trial starts with the memory it had."""
    gc.collect()
    if dev.type == "cuda":
        torch.cuda.empty_cache()


def max_rss_bytes() -> int | None:
    """Peak resident memory of this process in bytes; None where the OS cannot say (Windows)."""
    try:
        import resource  # POSIX only: a top-level import would break the package on Windows
    except ImportError:
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # macOS reports bytes, Linux KiB



def sync(dev: torch.device) -> None:
    """Wait for the device's queued work, so that a wall-clock reading covers it."""
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    elif dev.type == "mps":
        torch.mps.synchronize()
