"""The complexity accumulator that every module's cost twin writes into.

Conventions, stated once:
- ``macs``: multiply-accumulates of conv and linear layers (bias adds not counted). This is
  the "FLOPs" of the EfficientNet paper and of torchvision's GFLOPS column, and of ``--budget``.
- ``params``: trainable parameters (BN weight and bias count, running statistics do not).
- ``acts``: output elements of every conv and linear layer (as in pycls).
- ``elementwise``: the work kept out of the budget figure: BN, activations, SE scaling,
  residual adds and pooling, one op per output element.
- receptive field: theoretical, along the main path, ignoring global operations (SE, head pool).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from .genome import GenomeError


@dataclass(frozen=True)
class Layer:
    """One layer's row in the detailed report."""

    name: str
    kind: str  # conv | linear | pool | se | norm | concat
    channels: int  # output channels
    size: int  # output height (= width for square inputs)
    params: int
    macs: int
    receptive_field: int


class Cx:
    """Running geometry (h, w, c, receptive field) and cost totals of a network walk."""

    __slots__ = ("h", "w", "c", "params", "macs", "acts", "elementwise", "rf", "jump", "layers", "prefix")

    def __init__(self, h: int, w: int, c: int, detail: bool = False, rf: int = 1, jump: int = 1) -> None:
        self.h, self.w, self.c = h, w, c
        self.params = self.macs = self.acts = self.elementwise = 0
        self.rf, self.jump = rf, jump
        self.layers: list[Layer] | None = [] if detail else None
        self.prefix = ""

    def _record(self, name: str, kind: str, params: int, macs: int) -> None:
        if self.layers is not None:
            self.layers.append(Layer(self.prefix + name, kind, self.c, self.h, params, macs, self.rf))

    def _spatial(self, k: int, stride: int, pad: int, what: str) -> None:
        h = (self.h + 2 * pad - k) // stride + 1
        w = (self.w + 2 * pad - k) // stride + 1
        if h < 1 or w < 1:
            raise GenomeError(f"resolution: the feature map is {self.h}x{self.w} at {self.prefix}{what}, "
                              f"too small for a {k}x{k}/{stride} window; raise the resolution or remove a stride")
        self.h, self.w = h, w
        self.rf += (k - 1) * self.jump
        self.jump *= stride

    def conv(self, name: str, c_out: int, k: int = 1, stride: int = 1, groups: int = 1, bias: bool = False,
             norm: bool = True, act: bool = True, pad: int | None = None) -> None:
        """A k x k conv (padding k // 2 unless given), optionally followed by BN and an activation."""
        p2 = 2 * (k // 2 if pad is None else pad) - k
        h = (self.h + p2) // stride + 1
        w = (self.w + p2) // stride + 1
        if h < 1 or w < 1:
            self._spatial(k, stride, (p2 + k) // 2, name)  # raises the clear error
        self.h, self.w = h, w
        self.rf += (k - 1) * self.jump
        self.jump *= stride
        weights = c_out * (self.c // groups) * k * k
        n = h * w * c_out
        params = weights + (c_out if bias else 0) + (2 * c_out if norm else 0)
        macs = weights * h * w
        self.params += params
        self.macs += macs
        self.acts += n
        self.elementwise += n * (norm + act)
        self.c = c_out
        if self.layers is not None:
            self._record(name, "conv", params, macs)

    def maxpool(self, name: str, k: int, stride: int, pad: int) -> None:
        """A k x k max-pool."""
        self._spatial(k, stride, pad, name)
        self.elementwise += self.h * self.w * self.c
        self._record(name, "pool", 0, 0)

    def norm(self, name: str, act: bool = True) -> None:
        """BN (and an activation) on the current map: a pre-activation layer's opening, DenseNet's norm5."""
        self.params += 2 * self.c
        self.elementwise += self.h * self.w * self.c * (1 + int(act))
        self._record(name, "norm", 2 * self.c, 0)

    def avgpool(self, name: str, k: int, stride: int) -> None:
        """A k x k average pool without padding (DenseNet's transition)."""
        self._spatial(k, stride, 0, name)
        self.elementwise += self.h * self.w * self.c
        self._record(name, "pool", 0, 0)

    def concat(self, name: str, branches: Sequence[Callable[["Cx"], object]]) -> None:
        """Parallel branches from the current map, concatenated on the channel axis: their channels add up, the
        receptive field is the widest branch's; each branch must keep the map's size (none strides)."""
        start = self.h, self.w, self.c, self.rf, self.jump
        ends = []
        for walk in branches:
            self.h, self.w, self.c, self.rf, self.jump = start
            walk(self)
            ends.append((self.h, self.w, self.c, self.rf, self.jump))
        assert len({(h, w, jump) for h, w, _, _, jump in ends}) == 1, "concatenated branches keep one geometry"
        self.c = sum(end[2] for end in ends)
        self.rf = max(end[3] for end in ends)
        self._record(name, "concat", 0, 0)

    def squeeze_excite(self, name: str, squeeze: int) -> None:
        """SE on the current map: pool, 1x1 conv to ``squeeze`` (bias), act, 1x1 conv back (bias), gate."""
        c = self.c
        params = 2 * c * squeeze + squeeze + c
        self.params += params
        self.macs += 2 * c * squeeze
        self.acts += squeeze + c
        self.elementwise += 2 * self.h * self.w * c  # the pooling sum and the channel scaling
        self._record(name, "se", params, 2 * c * squeeze)

    def add(self, act: bool = False) -> None:
        """A residual addition, optionally followed by an activation."""
        self.elementwise += self.h * self.w * self.c * (1 + int(act))

    def adaptive_pool(self, name: str, size: int) -> None:
        """Adaptive average pool to size x size (global at 1); leaves the receptive field alone."""
        self.elementwise += max(self.h * self.w, size * size) * self.c
        self.h = self.w = size
        self._record(name, "pool", 0, 0)

    def linear(self, name: str, c_out: int, act: bool = False) -> None:
        """A fully-connected layer with bias on the flattened map."""
        c_in = self.c * self.h * self.w
        params = c_in * c_out + c_out
        self.params += params
        self.macs += c_in * c_out
        self.acts += c_out
        self.elementwise += c_out * int(act)
        self.h = self.w = 1
        self.c = c_out
        self._record(name, "linear", params, c_in * c_out)

    def geometry(self) -> tuple[int, int, int]:
        """The current (h, w, c), to price a side branch from later."""
        return self.h, self.w, self.c

    def side_conv(self, name: str, at: tuple[int, int, int], c_out: int, stride: int) -> None:
        """A 1x1 strided conv + BN on a side branch from ``at``; the main path's geometry is kept."""
        h, w, c = self.h, self.w, self.c
        rf, jump = self.rf, self.jump
        self.h, self.w, self.c = at
        self.conv(name, c_out, 1, stride, act=False)
        self.h, self.w, self.c = h, w, c
        self.rf, self.jump = rf, jump

    def side_free(self, at: tuple[int, int, int], stride: int) -> None:
        """A parameter-free side branch (subsample + zero-pad channels): checks it fits, costs nothing."""
        h, w, _ = at
        if (h - 1) // stride + 1 != self.h or (w - 1) // stride + 1 != self.w:
            raise GenomeError(f"{self.prefix}shortcut: a zero-pad shortcut needs the main path to keep "
                              f"the size {h}x{w} / {stride}")
