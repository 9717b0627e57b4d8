"""Bad invocations of every command: exit 2, one clear line, no traceback.

Many of them aim at an existing study, which must come out byte for byte as it went in. The table runs
in-process (``main(argv)``); a few rows also run as real ``nas`` processes, to prove the installed entry
point behaves the same (the process is what a user starts).
"""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from search.cli import main
from space import preset

ROOT = Path(__file__).resolve().parents[1]
DATA = "synthetic:240:16:4"
TINY = {"kind": "free", "stages": [2, 3], "depths": [1, 2], "widths": [8, 16, 24, 32], "stems": ["cifar", "conv3x3"],
        "stem_widths": [8, 16]}
UNWRITABLE = "@unwritable"  # stands for a folder nobody may create a study in (see unwritable())

SUBPROCESS_ROWS = (0, 7, 18)  # a usage error, a data error and a storage error, as real processes


def run(*extra: str, budget: str = "3M", data: str = DATA) -> list[str]:
    """``nas run`` on the existing study ``s`` (as the fixture made it), with changes."""
    return ["run", "--budget", budget, "--data", data, "--epochs", "1", "--batch-size", "64", "--space", "tiny.json",
            "--study", "s", "--cache-dir", "cache", "--trials", "2", "--chance-stop", "0", *extra]


# (argv, what the one line must say); every row runs in the folder the `folder` fixture made
BAD = [
    (["presets", "--jsn"], "unrecognized arguments: --jsn"),
    (["describe", "resnet1"], "unknown model 'resnet1': not a preset (resnet18,"),
    (["describe", "missing.json"], "cannot read genome file 'missing.json': No such file or directory"),
    (["describe", "malformed.json"], "malformed.json: malformed JSON: Expecting value at line 1 column 13"),
    (["describe", "invalid.json"], "stage.width: must be a whole number >= 1, got -3"),
    (["build", "list.json", "--out", "m.pt"], "genome: must be a JSON object, got list"),
    (["build", "resnet20", "--out", "nodir/m.pt"], "--out nodir/m.pt: the folder nodir does not exist"),
    (["train", "resnet20", "--data", "nodata"], "--data nodata: no such file or directory, and not a known data set"),
    (["train", "resnet20", "--data", "corrupt.tar.gz"], "--data corrupt.tar.gz: cannot read the archive"),
    (["train", "resnet20", "--data", "empty"], "--data empty: no image files found"),
    (["train", "resnet20", "--data", DATA, "--device", "cuda"], "--device cuda: no CUDA GPU is available"),
    (["train", "study:nosuch", "--data", DATA], "study:nosuch: no study 'nosuch' in studies/"),
    (run(budget="5M"), "study 's' was started with other settings (budget.max_macs: 3000000 -> 5000000)"),
    (run(budget="400MB"), "budget '400MB' is not understood"),
    (run("--objectives", "accuracy,macs"), "objectives: ['accuracy'] -> ['accuracy', 'macs']"),
    (run("--batch-size", "32"), "train.batch_size: 64 -> 32"),
    (run("--max-train-images", "50"), "train.max_train_images: None -> 50"),
    (run("--budget", "1000"), "no network in this space fits"),
    (run("--max-train-images", "3"), "--max-train-images 3 is fewer than the 4 classes"),
    (run("--storage", "sqlite://"), "an in-memory SQLite database forgets the study"),
    (["dashboard", "s", "--port", "70000"], "must be a port from 1 to 65535"),
    (run("--space", "unknown.json"), "unknown.json: unknown field 'colour' for a free space"),
    (run("--space", "malformed.yaml"), "malformed.yaml: malformed YAML"),
    (run("--space", "invalid.yaml"), "space.depths: must be [min, max] whole numbers"),
    (run("--storage", "postgresql://u:secret@127.0.0.1:1/x"),
     "cannot open storage postgresql://u:***@127.0.0.1:1/x: "),
    (run("--sampler", "nsga2"), "--sampler nsga2 is for two objectives"),
    (["run", "--params-budget", "5M", "--min-budget", "0.5", "--data", DATA, "--study", "s"],
     "--min-budget is a fraction of --budget; give --budget too"),
    (run("--device", "cuda"), "--device cuda: no CUDA GPU is available"),
    (run(data="corrupt.zip"), "--data corrupt.zip: cannot read the archive (BadZipFile"),
    (run("--studies-dir", UNWRITABLE), "cannot create the study folder"),
    (["scale", "--base", "resnet20", "--to", "B99"], "variant must be one of B0 ... B9, got 'B99'"),
    (["scale", "--base", "resnet20", "--table", "efficientnet", "--coefficients", "1,1,1"],
     "argument --coefficients: not allowed with argument --table"),
    (["scale", "--base", "study:s", "--data", DATA], "--data is only used with --derive"),
    (["dashboard", "nosuch"], "no study 'nosuch' in studies/ (studies there: s;"),
    (["dashboard", "s", "--port", "9000"], "--port is only used with --serve"),
    (["show", "nosuch"], "no study 'nosuch' in studies/"),
    (["dashboard", "s", "--storage", "postgresql://u:secret@127.0.0.1:1/x"],
     "cannot open storage postgresql://u:***@127.0.0.1:1/x: "),
    # hostile round three (issue 26): refused before any study, file or allocation is made
    (run("--lr", "inf", "--study", "new"), "--lr must be a finite number > 0, got inf"),
    (["train", "resnet20", "--data", DATA, "--lr", "nan"], "--lr must be a finite number > 0, got nan"),
    (run("--params-budget", "10", "--study", "new"),
     "no network of this space meets --params-budget 10 often enough: 0 of 32 genomes"),
    (run("--min-budget", "0.99", "--study", "new"),
     "meets --min-budget 0.99 (2.97M to 3.00M MACs) often enough: 1 of 32"),
    (run("--seed", str(10**20), "--study", "new"), "--seed must be a whole number from 0 to 4294967295"),
    (["train", "resnet20", "--data", DATA, "--seed", "-1"], "--seed must be a whole number from 0 to 4294967295"),
    (run("--chance-stop", "-1", "--study", "new"), "--chance-stop must be a whole number >= 0"),
    (run("--study", ""), "--study is empty"),
    (run(data="synthetic:200:100000:2"), "--data synthetic:200:100000:2 (240 images of 100000x100000) needs about"),
    (["build", "huge.json", "--out", "huge.pt2"], "huge.json (54000030.02G params, 26880.00G activations per image)"),
    (["train", "huge.json", "--data", DATA], "training huge.json at 32x32 in batches of 32"),
    # every output location is checked before any training (one line, no epoch was printed)
    (["train", "resnet20", "--data", DATA, "--out", "/proc/nas-out"], "--out /proc/nas-out: cannot write there"),
    (["train", "resnet20", "--data", DATA, "--out", "kept"], "kept is not empty (it holds keep.txt); give --force"),
    (["build", "resnet20", "--out", "/proc/m.pt2"], "--out /proc: cannot write there"),
    (["dashboard", "s", "--out", "/proc/d.html"], "--out /proc: cannot write there"),
    (["scale", "--base", "resnet20", "--to", "B1", "--out", "/proc/family"], "--out /proc/family: cannot write there"),
    (["calibrate", "--budget", "3M", "--data", DATA, "--archs", "3", "--proxy-epochs", "1", "--full-epochs", "2",
      "--studies-dir", UNWRITABLE], "cannot create the study folder"),
    # words that say what is true
    (["describe", "binary.json"], "binary.json: not a genome JSON file (not UTF-8 text: binary data?)"),
    (["show", "guard"], "study 'guard': studies/guard/study.db is not a SQLite file but a folder; move it away"),
    (run("--space", "twice.yaml", "--study", "new"), "space.stems: 'cifar' is listed twice"),
    (["scale", "--base", "resnet20", "--to", "B3", "--coefficients", "1e300,1,1"],
     "coefficients 1e+300,1,1: B3 would grow by 1e+300^3, over 1000x the base"),
    (["calibrate", "--budget", "3M", "--data", DATA, "--archs", "1000000000"], "--archs 1000000000: at most 1000"),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder holding study ``s`` (two trained trials, made by a real run) and the bad files the rows use."""
    d = tmp_path_factory.mktemp("bad")
    (d / "tiny.json").write_text(json.dumps(TINY))
    args = run("--studies-dir", str(d / "studies"), "--space", str(d / "tiny.json"), "--cache-dir", str(d / "cache"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks train no faster on more threads, and much slower on a busy machine
    try:
        assert main(args) == 0
    finally:
        torch.set_num_threads(threads)
    genome = preset("resnet20").to_dict()
    genome["stages"][0]["width"] = -3
    files = {"malformed.json": '{"stages": [', "invalid.json": json.dumps(genome), "list.json": "[1, 2]",
             "unknown.json": json.dumps({"kind": "free", "widths": [8, 16], "colour": "red"}), "malformed.yaml": "widths: [8, 16\n",
             "invalid.yaml": "depths: [0, -1]\n",
             "twice.yaml": "stems: [cifar, deep, cifar]\n"}
    huge = preset("resnet20").to_dict()
    for stage in huge["stages"]:  # 100,000 blocks of 100,000 channels: petabytes, refused from the analytic cost
        stage.update(depth=10**5, width=10**5)
    files["huge.json"] = json.dumps(huge)
    for name, text in files.items():
        (d / name).write_text(text)
    (d / "corrupt.tar.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)))
    (d / "corrupt.zip").write_bytes(b"PK\x03\x04" + bytes(range(256)))
    (d / "empty").mkdir()
    (d / "binary.json").write_bytes(bytes(range(256)) * 4)
    (d / "studies" / "guard" / "study.db").mkdir(parents=True)  # a folder where the database should be
    (d / "kept").mkdir()
    (d / "kept" / "keep.txt").write_text("mine\n")
    return d


def unwritable(tmp: Path) -> str:
    """A studies folder that cannot be created: under /proc for root (who may write anywhere else)."""
    if os.geteuid() == 0:
        return "/proc/nas-studies"
    (tmp / "ro").mkdir(mode=0o500, exist_ok=True)
    return str(tmp / "ro" / "studies")


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under studies/ and its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((folder / "studies").rglob("*")) if p.is_file()}


def check(folder: Path, argv: list[str], code: int, stderr: str, stdout: str, before: dict) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert code == 2 and len(lines) == 1, stderr
    assert "secret" not in lines[0]
    assert stdout == ""
    assert snapshot(folder) == before
    assert "studies/s/study.db" in before  # the study the rows aim at is there to be spared


@pytest.mark.parametrize("argv, message", BAD, ids=[f"{i:02d}-{a[0]}" for i, (a, _) in enumerate(BAD)])
def test_bad_invocation_is_one_clear_line_and_leaves_the_study_alone(folder, argv, message, monkeypatch, capsys):
    if "cuda" in argv and torch.cuda.is_available():
        pytest.skip("a GPU is present")
    argv = [unwritable(folder) if a == UNWRITABLE else a for a in argv]
    before = snapshot(folder)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("NAS_CACHE", str(folder / "cache"))
    code = main(argv)
    out = capsys.readouterr()
    check(folder, argv, code, out.err, out.out, before)
    assert out.err.startswith("nas: error: ") and message in out.err, out.err


@pytest.mark.slow
@pytest.mark.parametrize("row", SUBPROCESS_ROWS)
def test_bad_invocation_as_a_real_process(folder, row):
    argv, message = BAD[row]
    before = snapshot(folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NAS_CACHE": str(folder / "cache")}
    done = subprocess.run([sys.executable, "-m", "search.cli", *argv], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    check(folder, argv, done.returncode, done.stderr, done.stdout, before)
    assert done.stderr.startswith("nas: error: ") and message in done.stderr, done.stderr
