"""Deployable models: the trained network with its input normalisation inside, in a format that
loads without this package (``torch.export`` .pt2, ONNX, or TorchScript).

A bare state_dict needs this code to rebuild the network and the data's mean and std to feed it;
the exported wrapper needs neither: it takes float images in [0, 1] at the training resolution.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Sequence

import torch
import torch.nn as nn
from torch import Tensor

from search.files import write_atomic
from search.logs import silenced

EXAMPLE_BATCH = 2  # images in the example batch an export traces the network with
ONNX_TOLERANCE = 1e-4  # max abs difference allowed between ONNX Runtime and PyTorch logits
_EXTRA = 'pip install "nas-cnn[onnx]"'  # the optional dependencies ONNX export needs


class Deployable(nn.Module):
    """A trained network that normalises its own input: (N, C, H, W) floats in [0, 1] -> logits."""

    def __init__(self, model: nn.Module, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        if len(mean) != len(std):
            raise ValueError(f"std: has {len(std)} channels but mean has {len(mean)}")
        if any(s <= 0 for s in std):
            raise ValueError(f"std: must be positive per channel, got {tuple(std)}")
        self.model = model
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))
        self.eval()

    def forward(self, x: Tensor) -> Tensor:
        return self.model((x - self.mean) / self.std)  # (N, C, H, W) -> (N, classes)


def deployable(model: nn.Module, mean: Sequence[float], std: Sequence[float]) -> Deployable:
    """The CPU float32 eval-mode wrapper every exporter starts from (a trained model may sit on a GPU)."""
    return Deployable(model, mean, std).to("cpu", torch.float32)  # in eval mode since __init__


def example_input(channels: int, resolution: int, batch: int = EXAMPLE_BATCH, seed: int = 0) -> Tensor:
    """A seeded batch of images in [0, 1], shape (batch, channels, resolution, resolution)."""
    return torch.rand(batch, channels, resolution, resolution, generator=torch.Generator().manual_seed(seed))


def export_pt2(model: nn.Module, mean: Sequence[float], std: Sequence[float], channels: int, resolution: int,
               path: str | Path) -> Path:
    """Save a ``torch.export`` program of the wrapped model with a dynamic batch, atomically, to ``path``."""
    ep = _exported(deployable(model, mean, std), channels, resolution)

    def save(tmp: Path) -> None:
        with silenced("torch.export.pt2_archive._package"):  # "expect a file ending in .pt2": the final name has it
            torch.export.save(ep, tmp)

    return write_atomic(path, save)


def export_torchscript(model: nn.Module, mean: Sequence[float], std: Sequence[float], channels: int,
                       resolution: int, path: str | Path) -> Path:
    """Save a TorchScript trace of the wrapped model, atomically, to ``path`` (for ``torch.jit.load``)."""
    wrapper = deployable(model, mean, std)
    with warnings.catch_warnings(), torch.no_grad():
        # torch deprecates TorchScript in favour of torch.export; the option stays for runtimes that only read it
        warnings.simplefilter("ignore", FutureWarning)
        scripted = torch.jit.trace(wrapper, example_input(channels, resolution))
        return write_atomic(path, lambda tmp: torch.jit.save(scripted, str(tmp)))


def export_onnx(model: nn.Module, mean: Sequence[float], std: Sequence[float], channels: int, resolution: int,
                path: str | Path, check: bool = True) -> Path:
    """Save an ONNX graph of the wrapped model with a dynamic batch; checked against PyTorch when onnxruntime is there."""
    try:
        import onnx  # noqa: F401  the exporter needs both; a clear line beats its ImportError
        import onnxscript  # noqa: F401
    except ImportError as e:
        raise ValueError(f"ONNX export needs the onnx and onnxscript packages ({e.name} is missing): {_EXTRA}") from None
    wrapper = deployable(model, mean, std)
    x = example_input(channels, resolution)
    program = torch.onnx.export(wrapper, (x,), dynamo=True, input_names=["images"], output_names=["logits"],
                                dynamic_shapes=_any_batch(), verbose=False)
    path = write_atomic(path, lambda tmp: program.save(str(tmp)))
    if check:
        check_onnx(wrapper, path, channels, resolution)
    return path


def check_onnx(wrapper: nn.Module, path: str | Path, channels: int, resolution: int) -> float | None:
    """Max abs difference of ONNX Runtime vs PyTorch on a random batch; ValueError past 1e-4; None without onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        return None
    x = example_input(channels, resolution, batch=3, seed=1)  # another batch size than the export's
    with torch.no_grad():
        expected = wrapper(x).numpy()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    diff = float(abs(got - expected).max())
    if not diff <= ONNX_TOLERANCE:
        raise ValueError(f"ONNX export: outputs differ from PyTorch by {diff:.3g} (max abs), "
                         f"more than {ONNX_TOLERANCE:g}")
    return diff


def _any_batch() -> dict:
    """The exported input's first dimension, the batch, is free (1 to 4096)."""
    return {"x": {0: torch.export.Dim("batch", min=1, max=4096)}}


def _exported(wrapper: Deployable, channels: int, resolution: int) -> torch.export.ExportedProgram:
    with torch.no_grad():
        return torch.export.export(wrapper, (example_input(channels, resolution),), dynamic_shapes=_any_batch())


# each export format: the file name nas train gives it, and the function that writes it
EXPORTS = {"pt2": ("model.pt2", export_pt2), "onnx": ("model.onnx", export_onnx),
           "torchscript": ("model.ts", export_torchscript)}
