import dataclasses
import json
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

MEAN, STD = (0.5, 0.4, 0.3), (0.25, 0.2, 0.3)
ONNX_EXTRA = "needs the onnx extra: pip install -e '.[onnx]'"


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


def clean_python(code: str, cwd: Path) -> str:
    """Run ``code`` (after ``import sys, torch``) in ``python -I``: no PYTHONPATH, no current folder on the path,
    so this package cannot be imported; it fails if ``search`` or ``space`` got imported anyway. Its stdout."""
    body = "import sys, torch\n" + textwrap.dedent(code) + \
        "\nassert 'search' not in sys.modules and 'space' not in sys.modules, sorted(sys.modules)\n"
    done = subprocess.run([sys.executable, "-I", "-c", body], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


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
    clean_python(f"""
        for name in {sorted(models)!r}:
            program = torch.export.load(name + ".pt2")
            x = torch.load(name + ".in.pt")
            torch.save(program.module()(x), name + ".out.pt")
    """, tmp_path)
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
    pytest.importorskip("onnxscript", reason=ONNX_EXTRA)
    ort = pytest.importorskip("onnxruntime", reason=ONNX_EXTRA)
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
    with pytest.raises(ValueError, match=r'pip install "nas-cnn\[onnx\]"'):  # the distribution; "nas" is another project
        export_onnx(model, *_stats(channels), channels, res, tmp_path / "model.onnx")


TAKE_AWAY = "synthetic:240:8:3"  # 8x8 RGB, 3 classes; 48 test images


def _train_and_save_test_split(tmp_path: Path, *formats: str) -> tuple[Path, dict]:
    """``nas train`` a tiny model (1 epoch) into tmp_path/out; the test split saved beside it as the exported
    model takes it (floats in [0, 1]) by the loader nas train used; result.json."""
    from search.cli import main
    from search.data import load_data

    out, cache = tmp_path / "out", tmp_path / "cache"
    argv = ["train", "resnet20", "--data", TAKE_AWAY, "--epochs", "1", "--batch-size", "32", "--resolution", "8",
            "--device", "cpu", "--cache-dir", str(cache), "--out", str(out), "--json"]
    assert main(argv + [a for f in formats for a in ("--format", f)]) == 0
    data = load_data(TAKE_AWAY, cache)  # the same spec and seed: the same test split
    torch.save({"x": data.test_x.float() / 255, "y": data.test_y}, tmp_path / "test_split.pt")
    return out, json.loads((out / "result.json").read_text())


@pytest.mark.slow
def test_the_trained_pt2_gives_the_reported_test_accuracy_with_plain_torch(tmp_path):
    out, result = _train_and_save_test_split(tmp_path)
    assert result["status"] == "ok" and sorted(p.name for p in out.iterdir()) == [
        "genome.json", "model.pt2", "result.json", "weights.pt"]
    printed = clean_python("""
        split = torch.load("test_split.pt")
        logits = torch.export.load("out/model.pt2").module()(split["x"])
        predicted = logits.argmax(1)
        print(int((predicted == split["y"]).sum()), len(predicted.unique()), len(split["y"]), tuple(logits.shape))
    """, tmp_path)
    correct, classes, n, shape = printed.strip().split(maxsplit=3)
    assert (int(n), shape) == (48, "(48, 3)")
    assert int(classes) >= 2  # not one class for every image, which any normalisation would reproduce
    assert int(correct) / int(n) == result["test_acc"]


@pytest.mark.slow
def test_the_trained_onnx_matches_the_pt2_on_the_test_split(tmp_path):
    pytest.importorskip("onnxscript", reason=ONNX_EXTRA)
    pytest.importorskip("onnxruntime", reason=ONNX_EXTRA)
    out, result = _train_and_save_test_split(tmp_path, "pt2", "onnx")
    printed = clean_python("""
        import onnxruntime
        split = torch.load("test_split.pt")
        with torch.no_grad():
            want = torch.export.load("out/model.pt2").module()(split["x"]).numpy()
        session = onnxruntime.InferenceSession("out/model.onnx", providers=["CPUExecutionProvider"])
        got = session.run(None, {session.get_inputs()[0].name: split["x"].numpy()})[0]
        print(float(abs(got - want).max()), int((got.argmax(1) == split["y"].numpy()).sum()))
    """, tmp_path)
    diff, correct = printed.split()
    assert float(diff) <= 1e-4 and int(correct) / 48 == result["test_acc"]


def test_nas_train_says_how_the_run_ended_in_words(tmp_path, capsys):
    from search.cli import main

    argv = ["train", "resnet20", "--data", TAKE_AWAY, "--epochs", "1", "--batch-size", "32", "--resolution", "8",
            "--device", "cpu", "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "out")]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("ok: val_acc ")  # the status's value, not "Status.OK"
