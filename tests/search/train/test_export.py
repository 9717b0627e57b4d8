import dataclasses
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import space
from genomes import random_genome
from search.export import Deployable, export_onnx, export_pt2, export_torchscript

REPO = Path(__file__).resolve().parents[3]
MEAN, STD = (0.5, 0.4, 0.3), (0.25, 0.2, 0.3)


def _models() -> dict[str, tuple[torch.nn.Module, int, int]]:
    """name -> (model in eval mode with BatchNorm statistics that are not the identity, channels, resolution)."""
    out = {}
    genomes = {
        "resnet20": dataclasses.replace(space.preset("resnet20"), in_channels=3, num_classes=10, resolution=32),
        "mobilenet_v2": dataclasses.replace(space.preset("mobilenet_v2"), in_channels=3, num_classes=10,
                                            resolution=32),
        "random": random_genome(random.Random(3), resolution=32),
    }
    for name, g in genomes.items():
        torch.manual_seed(0)
        model = space.build(g)
        for m in model.modules():  # trained-looking statistics, so normalisation errors would show
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        out[name] = (model.eval(), g.in_channels, g.resolution)
    return out


@pytest.fixture(scope="module")
def models():
    return _models()


def _stats(channels: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    return MEAN[:channels], STD[:channels]


def test_deployable_normalises_inside():
    net = torch.nn.Identity()
    wrapped = Deployable(net, (0.5, 0.25), (0.5, 0.25))
    x = torch.tensor([0.0, 1.0]).view(1, 2, 1, 1).expand(1, 2, 2, 2)
    assert wrapped(x)[0, :, 0, 0].tolist() == [-1.0, 3.0] and not wrapped.training
    with pytest.raises(ValueError, match="std"):
        Deployable(net, (0.5,), (0.0,))


@pytest.mark.slow
def test_pt2_loads_in_a_process_that_imports_only_torch(models, tmp_path):
    x = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(7))  # 3: not the export's batch
    expected = {}
    for name, (model, channels, res) in models.items():
        path = export_pt2(model, *_stats(channels), channels, res, tmp_path / f"{name}.pt2")
        assert path == tmp_path / f"{name}.pt2" and not list(tmp_path.glob(".*nas-tmp"))
        xin = x[:, :channels]
        torch.save(xin, tmp_path / f"{name}.in.pt")
        with torch.no_grad():
            expected[name] = model((xin - torch.tensor(MEAN[:channels]).view(1, -1, 1, 1))
                                   / torch.tensor(STD[:channels]).view(1, -1, 1, 1))
    code = textwrap.dedent(f"""
        import sys, torch
        for name in {sorted(models)!r}:
            program = torch.export.load(name + ".pt2")
            x = torch.load(name + ".in.pt")
            torch.save(program.module()(x), name + ".out.pt")
        assert "search" not in sys.modules and "space" not in sys.modules, sorted(sys.modules)
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p).resolve() != REPO]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    for name, want in expected.items():
        got = torch.load(tmp_path / f"{name}.out.pt")
        assert got.shape == want.shape == (3, want.shape[1]) and torch.allclose(got, want, atol=1e-5), name


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
def test_torchscript_matches(models, tmp_path):
    model, channels, res = models["resnet20"]
    path = export_torchscript(model, *_stats(channels), channels, res, tmp_path / "model.ts")
    x = torch.rand(4, channels, res, res)
    with torch.no_grad():
        want = Deployable(model, *_stats(channels))(x)
        got = torch.jit.load(str(path))(x)
    assert torch.allclose(got, want, atol=1e-5)


@pytest.mark.slow
def test_onnx_matches_pytorch(models, tmp_path):
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    model, channels, res = models["resnet20"]
    path = export_onnx(model, *_stats(channels), channels, res, tmp_path / "model.onnx")  # checks to 1e-4 itself
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = torch.rand(5, channels, res, res)
    with torch.no_grad():
        want = Deployable(model, *_stats(channels))(x).numpy()
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    assert got.shape == (5, 10) and abs(got - want).max() <= 1e-4


def test_onnx_without_the_packages_names_the_extra(models, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import of a None entry raises ImportError
    model, channels, res = models["resnet20"]
    with pytest.raises(ValueError, match=r'pip install "nas\[onnx\]"'):
        export_onnx(model, *_stats(channels), channels, res, tmp_path / "model.onnx")
