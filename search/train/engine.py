"""Proxy training: the whole data set on the device as uint8, augmentation on the device in
batch, SGD with a per-step schedule, and every failure reported as a status, not raised.

The shape follows airbench: a model in, a few numbers out, no data loader, no per-image
Python on the hot path.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from search.data import ImageData
from search.status import Status
from search.data.core import one_line
from search.train.augmentation import augment, cutout
from search.train.config import PROCESS_PEAK, RUN_PEAK, EpochStats, Pruned, TrainConfig, TrainResult
from search.train.device import autocast, bf16_on, free_memory, is_oom, max_rss_bytes, resolve_device
from search.train.latency import measure_latency
from search.train.recipe import lr_at

_NAN_CHECK_EVERY = 32  # steps between loss syncs: cheap on GPU, still stops a diverged run early


class _NonFinite(Exception):
    pass


class _Timeout(Exception):
    pass


class _CallbackError(Exception):
    """Carries a non-Pruned exception out of a callback: the caller's bug, re-raised as is."""


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
    bf16 = bf16_on(cfg.bf16, dev)  # once: "auto" asks the GPU whether it supports bf16
    for xb, yb in zip(x_uint8.split(cfg.eval_batch_size), y.split(cfg.eval_batch_size)):
        xb, yb = xb.to(dev, non_blocking=True), yb.to(dev, non_blocking=True)
        with autocast(bf16, dev):
            out = model(prep(xb))
        loss += F.cross_entropy(out.float(), yb, reduction="sum")
        correct += (out.argmax(1) == yb).sum()
    return loss.item() / len(y), correct.item() / len(y)


def check_fits(data: ImageData, cfg: TrainConfig) -> None:
    """Refuse a recipe that cannot mean anything on ``data``, with one line naming the field."""
    side = min(data.train_x.shape[2:])
    if cfg.crop_padding >= side:
        raise ValueError(f"crop_padding: {cfg.crop_padding} must be smaller than the image side ({side})")
    res = cfg.resolution or side
    if cfg.cutout > res:
        raise ValueError(f"cutout: {cfg.cutout} px is larger than the {res} px training image")
    if cfg.max_train_images is not None and cfg.max_train_images < data.num_classes:
        raise ValueError(f"max_train_images: {cfg.max_train_images} is fewer than the {data.num_classes} classes, "
                         "so some classes would have no training image")


def train_proxy(model: nn.Module, data: ImageData, cfg: TrainConfig, device: torch.device | str | None = None,
                on_epoch: Callable[[EpochStats], None] | None = None, evaluate_test: bool = False,
                on_step: Callable[[int, int], None] | None = None) -> TrainResult:
    """Train ``model`` in place (moved to the device) on ``data``; failures are statuses, not exceptions.

    ``on_step(step, total_steps)`` runs after every optimiser step (1-based); it is given ints only,
    so it never waits for the device.
    """
    dev = resolve_device(device)
    check_fits(data, cfg)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    run = _Run(history=[], train_seconds=0.0, images=0, start=time.perf_counter())
    status, reason = Status.OK, ""
    try:
        _fit(model, data, cfg, dev, on_epoch, on_step, run)
    except _CallbackError as e:
        raise e.__cause__ from None
    except Pruned as e:
        status, reason = Status.PRUNED, str(e) or f"pruned after epoch {len(run.history)}"
    except _NonFinite as e:
        status, reason = Status.NAN, str(e)
    except _Timeout as e:
        status, reason = Status.TIMEOUT, str(e)
    except Exception as e:  # a model that cannot run (too small for the resolution, bad shapes) or OOM
        status, reason = (Status.OOM if is_oom(e) else Status.ERROR), one_line(e)
    if status is not Status.OK:
        model.zero_grad(set_to_none=True)
        free_memory(dev)  # the failed run's frames are gone by now, so their tensors can be released

    last = run.history[-1] if run.history else None
    result = TrainResult(
        status=status, reason=reason, epochs=len(run.history),
        val_acc=last["val_acc"] if last else None, val_loss=last["val_loss"] if last else None,
        history=run.history, train_seconds=run.train_seconds,
        images_per_second=run.images / run.train_seconds if run.train_seconds else 0.0,
        device=torch.cuda.get_device_name(dev) if dev.type == "cuda" else dev.type)
    if status is Status.OK:
        try:
            if evaluate_test and len(data.test_y):
                result.test_loss, result.test_acc = evaluate(model, data.test_x, data.test_y,
                                                             (data.mean, data.std), cfg, dev)
            if cfg.latency_batch_sizes:
                lat = measure_latency(model, data.channels, cfg.resolution or data.resolution, dev,
                                      cfg.latency_batch_sizes, bf16=bf16_on(cfg.bf16, dev),
                                      channels_last=cfg.channels_last and dev.type == "cuda",
                                      threads=cfg.latency_threads)
                result.latency_ms, result.latency_iqr_ms, result.latency_threads = lat.median_ms, lat.iqr_ms, lat.threads
        except Exception as e:
            result.status, result.reason = (Status.OOM if is_oom(e) else Status.ERROR), one_line(e)
            free_memory(dev)
    if dev.type == "cuda":
        result.peak_memory_bytes, result.peak_memory_kind = torch.cuda.max_memory_allocated(dev), RUN_PEAK
    elif (rss := max_rss_bytes()) is not None:
        result.peak_memory_bytes, result.peak_memory_kind = rss, PROCESS_PEAK
    return result


@dataclass
class _Run:
    history: list[dict]
    train_seconds: float
    images: int
    start: float


def _fit(model: nn.Module, data: ImageData, cfg: TrainConfig, dev: torch.device,
         on_epoch: Callable[[EpochStats], None] | None, on_step: Callable[[int, int], None] | None,
         run: _Run) -> None:
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
    bf16 = bf16_on(cfg.bf16, dev)  # once, not per step: "auto" asks the GPU whether it supports bf16
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
            lr = lr_at(step, total, cfg.lr, cfg.warmup, cfg.schedule)
            for group in opt.param_groups:
                group["lr"] = lr
            with autocast(bf16, dev):
                out = model(xb)
            loss = F.cross_entropy(out.float(), train_y[idx], label_smoothing=cfg.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            running += loss.detach()
            step += 1
            if on_step is not None:
                _call(on_step, step, total)
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
            _call(on_epoch, stats)


def _call(callback: Callable, *args) -> None:
    """Run a caller's callback: Pruned stops the run, any other exception is the caller's bug."""
    try:
        callback(*args)
    except Pruned:
        raise
    except Exception as e:
        raise _CallbackError() from e
