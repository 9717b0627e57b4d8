"""Augmentation of a whole batch on the device: no per-image Python on the hot path."""

from __future__ import annotations

import torch
from torch import Tensor


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
