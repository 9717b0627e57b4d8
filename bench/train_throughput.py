"""Training throughput of the proxy engine against a minimal hand-written loop of the same recipe.

Both train ResNet-20 (the ``resnet20`` preset) with the same batch size, SGD with Nesterov
momentum, one-cycle schedule, label smoothing, bf16 autocast and channels_last on CUDA, and
random crop + flip on the device. The figure of merit is the ratio of training images per
second: the engine's bookkeeping (NaN checks, time limit, per-step schedule) should cost little.

    python bench/train_throughput.py --data $NAS_CIFAR10_TAR --epochs 5
    python bench/train_throughput.py --data synthetic:1024 --epochs 1 --max-images 512 --device cpu  # smoke run
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from search.data import ImageData, load_data
from search.train import TrainConfig, evaluate, lr_at, resolve_device, train_proxy

from space import build, preset


def resnet20(data: ImageData, seed: int) -> nn.Module:
    """ResNet-20 shaped for the data's channels, classes and resolution."""
    torch.manual_seed(seed)
    g = dataclasses.replace(preset("resnet20"), resolution=data.resolution, in_channels=data.channels,
                            num_classes=data.num_classes)
    return build(g)


def baseline(model: nn.Module, data: ImageData, cfg: TrainConfig, dev: torch.device) -> tuple[float, float]:
    """The recipe written out by hand; returns (training images per second, training seconds)."""
    gen = torch.Generator(device=dev).manual_seed(cfg.seed)
    x, y = data.train_x, data.train_y
    if cfg.max_train_images:
        keep = torch.randperm(len(y), generator=torch.Generator().manual_seed(cfg.seed))[:cfg.max_train_images]
        x, y = x[keep], y[keep]
    p = cfg.crop_padding
    mean = torch.tensor(data.mean, device=dev).view(1, -1, 1, 1) * 255
    std = torch.tensor(data.std, device=dev).view(1, -1, 1, 1) * 255
    x = F.pad(x.to(dev).float(), (p, p, p, p), mode="reflect")  # (N, C, H+2p, W+2p), padded once
    x = ((x - mean) / std).to(torch.bfloat16 if dev.type == "cuda" else torch.float32)
    y = y.to(dev)
    h, w = data.train_x.shape[2:]
    cuda = dev.type == "cuda"
    model.to(dev)
    if cuda:
        model.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = True
    decay = [q for q in model.parameters() if q.dim() > 1]
    rest = [q for q in model.parameters() if q.dim() <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": cfg.weight_decay}, {"params": rest, "weight_decay": 0}],
                          lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)
    n, bs = len(y), min(cfg.batch_size, len(y))
    steps = n // bs
    total, step, seconds = steps * cfg.epochs, 0, 0.0
    for _ in range(cfg.epochs):
        model.train()
        if cuda:
            torch.cuda.synchronize(dev)
        t0 = time.perf_counter()
        order = torch.randperm(n, device=dev, generator=gen)
        for i in range(steps):
            idx = order[i * bs:(i + 1) * bs]
            xb = x[idx]  # (B, C, H+2p, W+2p)
            c = xb.shape[1]
            dy, dx = torch.randint(0, 2 * p + 1, (2, bs, 1), device=dev, generator=gen)
            rows = (dy + torch.arange(h, device=dev)).view(bs, 1, h, 1).expand(bs, c, h, w + 2 * p)
            xb = xb.gather(2, rows)  # (B, C, H, W+2p)
            cols = (dx + torch.arange(w, device=dev)).view(bs, 1, 1, w).expand(bs, c, h, w)
            xb = xb.gather(3, cols)  # (B, C, H, W), a per-image crop
            flip = torch.rand(bs, 1, 1, 1, device=dev, generator=gen) < 0.5
            xb = torch.where(flip, xb.flip(-1), xb)
            if cuda:
                xb = xb.contiguous(memory_format=torch.channels_last)
            for g in opt.param_groups:
                g["lr"] = lr_at(step, total, cfg.lr, cfg.warmup, cfg.schedule)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cuda):
                loss = F.cross_entropy(model(xb).float(), y[idx], label_smoothing=cfg.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
        if cuda:
            torch.cuda.synchronize(dev)
        seconds += time.perf_counter() - t0
    return steps * bs * cfg.epochs / seconds, seconds


def warm_up(model: nn.Module, data: ImageData, cfg: TrainConfig, dev: torch.device) -> None:
    """A few untimed steps so that neither contender pays for first-call costs (allocator, kernels)."""
    model.to(dev).train()
    x = torch.randn(cfg.batch_size, data.channels, data.resolution, data.resolution, device=dev)
    y = torch.randint(0, data.num_classes, (cfg.batch_size,), device=dev)
    for _ in range(3):
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            F.cross_entropy(model(x).float(), y).backward()


def _fmt(acc: float | None) -> str:
    return "n/a" if acc is None or acc != acc else f"{acc:.4f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("NAS_CIFAR10_TAR"), help="data spec (default: $NAS_CIFAR10_TAR)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--max-images", type=int, default=None, help="train on a subset of this size")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    if not args.data:
        sys.exit("give --data (or set NAS_CIFAR10_TAR)")
    dev = resolve_device(args.device)
    t = time.perf_counter()
    data = load_data(args.data)
    print(f"data: {data} (loaded in {time.perf_counter() - t:.1f} s)")
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu ({os.cpu_count()} cores, "\
        f"{torch.get_num_threads()} torch threads)"
    print(f"device: {name}; torch {torch.__version__}")
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, max_train_images=args.max_images)
    warm_up(resnet20(data, 1), data, cfg, dev)

    engine = train_proxy(resnet20(data, 0), data, cfg, dev, evaluate_test=True)
    print(f"engine:   {engine.images_per_second:9.0f} img/s  train {engine.train_seconds:6.1f} s  "
          f"val {_fmt(engine.val_acc)}  test {_fmt(engine.test_acc)}  status {engine.status} {engine.reason}")
    print(f"          latency ms {engine.latency_ms}  peak memory {engine.peak_memory_bytes / 2**20:.0f} MiB "
          f"({engine.peak_memory_kind})")

    model = resnet20(data, 0)
    rate, seconds = baseline(model, data, cfg, dev)
    stats = (data.mean, data.std)
    _, val_acc = evaluate(model, data.val_x, data.val_y, stats, cfg, dev)
    _, test_acc = evaluate(model, data.test_x, data.test_y, stats, cfg, dev)
    print(f"baseline: {rate:9.0f} img/s  train {seconds:6.1f} s  val {_fmt(val_acc)}  test {_fmt(test_acc)}")
    print(f"engine / baseline throughput: {engine.images_per_second / rate:.3f}")


if __name__ == "__main__":
    main()
