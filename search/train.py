"""Proxy training: the whole data set on the device as uint8, augmentation on the device in
batch, SGD with a per-step schedule, and every failure reported as a status, not raised.

The shape follows airbench: a model in, a few numbers out, no data loader, no per-image
Python on the hot path.
"""

from __future__ import annotations

import gc
import math
import resource
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from search.data import ImageData

STATUSES = ("ok", "pruned", "nan", "oom", "error", "timeout")
SCHEDULES = ("onecycle", "cosine")
_NAN_CHECK_EVERY = 32  # steps between loss syncs: cheap on GPU, still stops a diverged run early


@dataclass(frozen=True)
class TrainConfig:
    """Recipe of one proxy training run; defaults suit ResNet-sized CNNs on CIFAR-sized data."""

    epochs: int = 10  # passes over the (possibly subsampled) training split
    batch_size: int = 256  # training batch; a smaller set trains in one batch of everything
    lr: float = 0.2  # peak SGD learning rate, used as given (0.2 suits batch 256)
    momentum: float = 0.9  # SGD momentum
    nesterov: bool = True  # Nesterov momentum (needs momentum > 0)
    weight_decay: float = 5e-4  # L2 on conv/linear weights only; norms and biases are not decayed
    label_smoothing: float = 0.1  # training loss only; reported losses are plain cross-entropy
    schedule: str = "onecycle"  # "onecycle": linear up then linear down to 0; "cosine": linear up, cosine down
    warmup: float = 0.2  # fraction of all steps spent rising linearly to the peak lr
    crop_padding: int = 4  # random crop after reflect-padding this many native pixels per side; 0 = off
    flip: bool = True  # random horizontal flip
    cutout: int = 0  # side in pixels (at the training resolution) of a zeroed random square; 0 = off
    bf16: bool | str = "auto"  # bf16 autocast: "auto" = on CUDA when supported, True/False to force
    channels_last: bool = True  # channels_last memory format, applied on CUDA only
    seed: int = 0  # seeds the global RNG (dropout) and the shuffle/augmentation generator
    eval_batch_size: int = 1024  # batch for validation, test and nothing else
    max_train_images: int | None = None  # train on a seeded random subset of this size; None = all
    resolution: int | None = None  # train/eval at this square size (bilinear resize on device); None = native
    time_limit_s: float | None = None  # stop with status "timeout" past this many seconds; None = no limit
    latency_batch_sizes: tuple[int, ...] = (1, 256)  # batches timed after a run that ends "ok"; () = skip

    def __post_init__(self) -> None:
        if not isinstance(self.latency_batch_sizes, (list, tuple)):
            raise ValueError(f"latency_batch_sizes: must be a list of batch sizes, got {self.latency_batch_sizes!r}")
        object.__setattr__(self, "latency_batch_sizes", tuple(self.latency_batch_sizes))  # lists from YAML/JSON
        positive = {"epochs": self.epochs, "batch_size": self.batch_size, "eval_batch_size": self.eval_batch_size}
        for name, value in positive.items():
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        for name in ("max_train_images", "resolution"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value < 1):
                raise ValueError(f"{name}: must be a positive integer or None, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"lr: must be > 0, got {self.lr}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum: must be in [0, 1), got {self.momentum}")
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov: needs momentum > 0")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay: must be >= 0, got {self.weight_decay}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing: must be in [0, 1), got {self.label_smoothing}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule: must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if not 0 <= self.warmup < 1:
            raise ValueError(f"warmup: must be in [0, 1), got {self.warmup}")
        for name in ("crop_padding", "cutout"):
            if not _is_int(getattr(self, name)) or getattr(self, name) < 0:
                raise ValueError(f"{name}: must be an integer >= 0, got {getattr(self, name)!r}")
        if self.bf16 not in (True, False, "auto"):
            raise ValueError(f"bf16: must be true, false or 'auto', got {self.bf16!r}")
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s: must be > 0 or None, got {self.time_limit_s}")
        if not all(_is_int(b) and b >= 1 for b in self.latency_batch_sizes):
            raise ValueError(f"latency_batch_sizes: must be positive integers, got {self.latency_batch_sizes!r}")


@dataclass(frozen=True)
class EpochStats:
    """What ``on_epoch`` sees after each epoch's validation."""

    epoch: int  # 1-based
    train_loss: float  # mean label-smoothed training loss over the epoch
    val_loss: float  # plain cross-entropy on the validation split
    val_acc: float  # fraction in [0, 1]
    seconds: float  # wall time since the run started, evaluation included


@dataclass
class TrainResult:
    """Outcome of one run; the metrics describe the last completed epoch."""

    status: str  # one of STATUSES
    reason: str  # one line; "" when status is "ok"
    epochs: int  # completed epochs
    val_acc: float | None  # None when no epoch completed
    val_loss: float | None
    history: list[dict] = field(default_factory=list)  # EpochStats as dicts
    train_seconds: float = 0.0  # training steps only, evaluation excluded
    images_per_second: float = 0.0  # training images per training second
    peak_memory_bytes: int = 0  # see peak_memory_kind
    peak_memory_kind: str = ""  # "cuda_max_allocated" (this run) or "cpu_max_rss" (process lifetime)
    latency_ms: dict[str, float | None] = field(default_factory=dict)  # {"b1": ms, "b256": ms}; None = OOM
    test_acc: float | None = None  # only with evaluate_test=True and a non-empty test split
    test_loss: float | None = None
    device: str = ""  # "cpu" or the GPU's name

    def to_dict(self) -> dict:
        """JSON-safe dict: non-finite floats become None."""
        return _json_safe(asdict(self))


class Pruned(Exception):
    """Raised by an ``on_epoch`` callback to stop a run; the result has status "pruned"."""


class _NonFinite(Exception):
    pass


class _Timeout(Exception):
    pass


class _CallbackError(Exception):
    """Carries a non-Pruned exception out of ``on_epoch``: the caller's bug, re-raised as is."""


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


def lr_at(step: int, total: int, peak: float, warmup: float, schedule: str) -> float:
    """Learning rate before optimizer step ``step`` (0-based) of ``total``."""
    rise = max(1, round(warmup * total))
    if step < rise:
        return peak * (step + 1) / rise
    progress = (step - rise + 1) / max(1, total - rise)  # reaches 1 at the last step
    if schedule == "onecycle":
        return peak * max(0.0, 1 - progress)
    return peak * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def augment(x: Tensor, padding: int, flip: bool, gen: torch.Generator) -> Tensor:
    """Random crop with reflect padding and horizontal flip of a batch, as one gather."""
    b, c, h, w = x.shape  # (B, C, H, W), any dtype
    dev = x.device
    rows = torch.arange(h, device=dev).expand(b, h)  # (B, H)
    cols = torch.arange(w, device=dev).expand(b, w)  # (B, W)
    if padding:
        dy = torch.randint(-padding, padding + 1, (b, 1), device=dev, generator=gen)
        dx = torch.randint(-padding, padding + 1, (b, 1), device=dev, generator=gen)
        rows, cols = _reflect(rows + dy, h), _reflect(cols + dx, w)
    if flip:
        mirror = torch.rand(b, 1, device=dev, generator=gen) < 0.5  # (B, 1)
        cols = torch.where(mirror, w - 1 - cols, cols)
    if not padding and not flip:
        return x
    batch = torch.arange(b, device=dev).view(b, 1, 1, 1)
    chans = torch.arange(c, device=dev).view(1, c, 1, 1)
    return x[batch, chans, rows.view(b, 1, h, 1), cols.view(b, 1, 1, w)]  # (B, C, H, W)


def _reflect(i: Tensor, n: int) -> Tensor:
    """Reflect indices into [0, n) as F.pad(mode="reflect") would (valid for |overshoot| < n)."""
    i = i.abs()
    return torch.where(i > n - 1, 2 * (n - 1) - i, i)


def cutout(x: Tensor, size: int, gen: torch.Generator) -> Tensor:
    """Zero one random ``size`` x ``size`` square per image (clipped at the borders)."""
    b, _, h, w = x.shape  # (B, C, H, W)
    cy = torch.randint(0, h, (b, 1, 1), device=x.device, generator=gen)
    cx = torch.randint(0, w, (b, 1, 1), device=x.device, generator=gen)
    ys = torch.arange(h, device=x.device).view(1, h, 1) - cy + size // 2  # (B, H, 1)
    xs = torch.arange(w, device=x.device).view(1, 1, w) - cx + size // 2  # (B, 1, W)
    box = (ys >= 0) & (ys < size) & (xs >= 0) & (xs < size)  # (B, H, W)
    return x.masked_fill(box.unsqueeze(1), 0.0)


class _Prep:
    """uint8 batch -> normalised float batch at the training resolution and memory format."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], cfg: TrainConfig, dev: torch.device):
        self.scale = (255 * torch.tensor(std, device=dev)).view(1, -1, 1, 1)
        self.shift = (255 * torch.tensor(mean, device=dev)).view(1, -1, 1, 1)
        self.resolution = cfg.resolution
        self.channels_last = cfg.channels_last and dev.type == "cuda"

    def __call__(self, x: Tensor) -> Tensor:
        x = (x.float() - self.shift) / self.scale  # (B, C, H, W) float32
        if self.resolution and x.shape[-2:] != (self.resolution, self.resolution):
            x = F.interpolate(x, size=(self.resolution, self.resolution), mode="bilinear", align_corners=False,
                              antialias=self.resolution < max(x.shape[-2:]))  # no aliasing when shrinking
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x


def _bf16_on(cfg_bf16: bool | str, dev: torch.device) -> bool:
    return cfg_bf16 is True or (cfg_bf16 == "auto" and dev.type == "cuda" and torch.cuda.is_bf16_supported())


def _autocast(cfg_bf16: bool | str, dev: torch.device):
    return torch.autocast(dev.type, dtype=torch.bfloat16) if _bf16_on(cfg_bf16, dev) else nullcontext()


@torch.no_grad()
def evaluate(model: nn.Module, x_uint8: Tensor, y: Tensor, data_stats: tuple[Sequence[float], Sequence[float]],
             cfg: TrainConfig, device: torch.device | str | None = None) -> tuple[float, float]:
    """Plain cross-entropy and accuracy of ``model`` on uint8 images; (nan, nan) for an empty split."""
    if len(y) == 0:
        return math.nan, math.nan
    dev = resolve_device(device)
    prep = _Prep(*data_stats, cfg, dev)
    model.eval()
    loss = torch.zeros((), device=dev)
    correct = torch.zeros((), device=dev, dtype=torch.int64)
    for xb, yb in zip(x_uint8.split(cfg.eval_batch_size), y.split(cfg.eval_batch_size)):
        xb, yb = xb.to(dev, non_blocking=True), yb.to(dev, non_blocking=True)
        with _autocast(cfg.bf16, dev):
            out = model(prep(xb))
        loss += F.cross_entropy(out.float(), yb, reduction="sum")
        correct += (out.argmax(1) == yb).sum()
    return loss.item() / len(y), correct.item() / len(y)


@torch.no_grad()
def measure_latency(model: nn.Module, channels: int, resolution: int, device: torch.device | str | None = None,
                    batch_sizes: Sequence[int] = (1, 256), bf16: bool = False,
                    channels_last: bool = False) -> dict[str, float | None]:
    """Median forward time in ms per batch size, eval mode, after warm-up; None where it ran out of memory."""
    dev = resolve_device(device)
    model.eval()
    out: dict[str, float | None] = {}
    for bs in batch_sizes:
        try:
            x = torch.randn(bs, channels, resolution, resolution, device=dev)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)

            def once() -> float:
                _sync(dev)
                t = time.perf_counter()
                with torch.autocast(dev.type, dtype=torch.bfloat16) if bf16 else nullcontext():
                    model(x)
                _sync(dev)
                return time.perf_counter() - t

            first = max(once(), once())  # warm-up: allocator, cuDNN autotune, caches
            reps = int(min(50, max(5, 0.3 / max(first, 1e-6))))  # about 0.3 s per batch size
            times = sorted(once() for _ in range(reps))
            out[f"b{bs}"] = 1000 * times[len(times) // 2]
        except Exception as e:
            if not _is_oom(e):
                raise
            out[f"b{bs}"] = None
            _free(dev)
    return out


def train_proxy(model: nn.Module, data: ImageData, cfg: TrainConfig, device: torch.device | str | None = None,
                on_epoch: Callable[[EpochStats], None] | None = None, evaluate_test: bool = False) -> TrainResult:
    """Train ``model`` in place (moved to the device) on ``data``; failures are statuses, not exceptions."""
    dev = resolve_device(device)
    if cfg.crop_padding >= min(data.train_x.shape[2:]):
        raise ValueError(f"crop_padding: {cfg.crop_padding} must be smaller than the image side "
                         f"({min(data.train_x.shape[2:])})")
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    run = _Run(history=[], train_seconds=0.0, images=0, start=time.perf_counter())
    status, reason = "ok", ""
    try:
        _fit(model, data, cfg, dev, on_epoch, run)
    except _CallbackError as e:
        raise e.__cause__ from None
    except Pruned as e:
        status, reason = "pruned", str(e) or f"pruned after epoch {len(run.history)}"
    except _NonFinite as e:
        status, reason = "nan", str(e)
    except _Timeout as e:
        status, reason = "timeout", str(e)
    except Exception as e:  # a model that cannot run (too small for the resolution, bad shapes) or OOM
        status, reason = ("oom" if _is_oom(e) else "error"), _one_line(e)
    if status != "ok":
        model.zero_grad(set_to_none=True)
        _free(dev)  # the failed run's frames are gone by now, so their tensors can be released

    last = run.history[-1] if run.history else None
    result = TrainResult(
        status=status, reason=reason, epochs=len(run.history),
        val_acc=last["val_acc"] if last else None, val_loss=last["val_loss"] if last else None,
        history=run.history, train_seconds=run.train_seconds,
        images_per_second=run.images / run.train_seconds if run.train_seconds else 0.0,
        device=torch.cuda.get_device_name(dev) if dev.type == "cuda" else dev.type)
    if status == "ok":
        res = cfg.resolution or data.resolution
        try:
            if evaluate_test and len(data.test_y):
                result.test_loss, result.test_acc = evaluate(model, data.test_x, data.test_y,
                                                             (data.mean, data.std), cfg, dev)
            result.latency_ms = measure_latency(model, data.channels, res, dev, cfg.latency_batch_sizes,
                                                bf16=_bf16_on(cfg.bf16, dev),
                                                channels_last=cfg.channels_last and dev.type == "cuda")
        except Exception as e:
            result.status, result.reason = ("oom" if _is_oom(e) else "error"), _one_line(e)
            _free(dev)
    if dev.type == "cuda":
        result.peak_memory_bytes, result.peak_memory_kind = torch.cuda.max_memory_allocated(dev), "cuda_max_allocated"
    else:
        result.peak_memory_bytes, result.peak_memory_kind = _max_rss_bytes(), "cpu_max_rss"
    return result


@dataclass
class _Run:
    history: list[dict]
    train_seconds: float
    images: int
    start: float


def _fit(model: nn.Module, data: ImageData, cfg: TrainConfig, dev: torch.device,
         on_epoch: Callable[[EpochStats], None] | None, run: _Run) -> None:
    torch.manual_seed(cfg.seed)
    gen = torch.Generator(device=dev).manual_seed(cfg.seed)
    train_x, train_y = data.train_x, data.train_y
    if cfg.max_train_images and cfg.max_train_images < len(train_y):
        keep = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(cfg.seed))[:cfg.max_train_images]
        train_x, train_y = train_x[keep], train_y[keep]
    train_x, train_y = train_x.to(dev), train_y.to(dev)  # (N, C, H, W) uint8, stays on the device
    val_x, val_y = data.val_x.to(dev), data.val_y.to(dev)
    norm = (data.mean, data.std)
    prep = _Prep(*norm, cfg, dev)
    model.to(dev)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: autotuned kernels pay off within one epoch
    if prep.channels_last:
        model.to(memory_format=torch.channels_last)

    decay = [p for p in model.parameters() if p.requires_grad and p.dim() > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": cfg.weight_decay},
                           {"params": no_decay, "weight_decay": 0.0}],
                          lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)
    n = len(train_y)
    bs = min(cfg.batch_size, n)
    steps_per_epoch = n // bs  # drop the last partial batch: a batch of 1 breaks BatchNorm
    total = steps_per_epoch * cfg.epochs
    step = 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        running = torch.zeros((), device=dev)
        order = torch.randperm(n, device=dev, generator=gen)
        for i in range(steps_per_epoch):
            if cfg.time_limit_s is not None and time.perf_counter() - run.start > cfg.time_limit_s:
                raise _Timeout(f"time limit of {cfg.time_limit_s:g} s reached in epoch {epoch}")
            idx = order[i * bs:(i + 1) * bs]
            xb = augment(train_x[idx], cfg.crop_padding, cfg.flip, gen)  # (B, C, H, W) uint8
            xb = prep(xb)  # (B, C, R, R) float, normalised
            if cfg.cutout:
                xb = cutout(xb, cfg.cutout, gen)
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, cfg.lr, cfg.warmup, cfg.schedule)
            with _autocast(cfg.bf16, dev):
                out = model(xb)
            loss = F.cross_entropy(out.float(), train_y[idx], label_smoothing=cfg.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            running += loss.detach()
            step += 1
            if (i + 1) % _NAN_CHECK_EVERY == 0 and not torch.isfinite(running).item():
                raise _NonFinite(f"non-finite training loss in epoch {epoch}, step {i + 1}")
        train_loss = running.item() / steps_per_epoch  # also waits for the device, for the timing
        run.train_seconds += time.perf_counter() - t0
        run.images += steps_per_epoch * bs
        if not math.isfinite(train_loss):
            raise _NonFinite(f"non-finite training loss in epoch {epoch}")
        val_loss, val_acc = evaluate(model, val_x, val_y, norm, cfg, dev)
        if len(val_y) and not math.isfinite(val_loss):
            raise _NonFinite(f"non-finite validation loss in epoch {epoch}")
        stats = EpochStats(epoch, train_loss, val_loss, val_acc, time.perf_counter() - run.start)
        run.history.append(asdict(stats))
        if on_epoch is not None:
            try:
                on_epoch(stats)
            except Pruned:
                raise
            except Exception as e:
                raise _CallbackError() from e


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    elif dev.type == "mps":
        torch.mps.synchronize()


def _is_oom(e: BaseException) -> bool:
    return isinstance(e, torch.OutOfMemoryError) or (isinstance(e, RuntimeError) and "out of memory" in str(e))


def _free(dev: torch.device) -> None:
    gc.collect()
    if dev.type == "cuda":
        torch.cuda.empty_cache()


def _max_rss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # macOS reports bytes, Linux KiB


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def _json_safe(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


__all__ = ["TrainConfig", "TrainResult", "EpochStats", "Pruned", "train_proxy", "evaluate",
           "measure_latency", "resolve_device", "lr_at", "augment", "cutout", "STATUSES"]
