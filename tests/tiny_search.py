"""The tiny CPU search the end-to-end tests share: one data spec, one narrow space, one argv builder."""

import json
import os
import subprocess
import sys
from pathlib import Path

import optuna
from optuna.trial import TrialState

ROOT = Path(__file__).resolve().parents[1]
DATA = "synthetic:240:16:4"
# the free space narrowed to small nets: each CPU trial takes well under a second (the five blocks the end-to-end
# tests were written with; tests/search/study/test_concat_run.py runs dense and inception)
TINY = {"kind": "free", "stages": [2, 3], "depths": [1, 2], "widths": [8, 16, 24, 32], "stems": ["cifar", "conv3x3"],
        "stem_widths": [8, 16], "blocks": ["plain", "basic", "bottleneck", "mbconv", "dwsep"]}


def run_args(folder: Path, study: str = "s", *extra: str, budget: str = "3M", data: str = DATA,
             epochs: int = 1) -> list[str]:
    """``nas run`` arguments for a tiny CPU search whose files all live under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    space = folder / "tiny.json"
    space.write_text(json.dumps(TINY))
    return ["run", "--budget", budget, "--data", data, "--epochs", str(epochs), "--batch-size", "64",
            "--space", str(space), "--study", study, "--studies-dir", str(folder / "studies"),
            "--cache-dir", str(folder / "cache"), "--device", "cpu", "--chance-stop", "0", *extra]


def sqlite_url(folder: Path, study: str = "s") -> str:
    return f"sqlite:///{folder / 'studies' / study / 'study.db'}"


def load(folder: Path, study: str = "s", url: str | None = None) -> optuna.Study:
    """The study, read as a reader beside running writers would (waiting for their locks)."""
    url = url or sqlite_url(folder, study)
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    return optuna.load_study(study_name=study, storage=optuna.storages.RDBStorage(url, engine_kwargs=engine))


def counted(study: optuna.Study) -> list:
    """The trials --trials counts: trained to the end (ok) or pruned."""
    return [t for t in study.get_trials() if t.state in (TrialState.COMPLETE, TrialState.PRUNED)
            and t.user_attrs.get("status") in ("ok", "pruned")]


def nas(tmp_path: Path, args: list[str], log: str, **popen) -> subprocess.Popen:
    """Start ``nas ARGS`` as its own process; stdout and stderr go to tmp_path/LOG.out and .err."""
    # one torch thread each: two processes on a small machine would otherwise fight over every core
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NAS_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "search.cli", *args], cwd=tmp_path, env=env,
                            stdout=open(tmp_path / f"{log}.out", "w"), stderr=open(tmp_path / f"{log}.err", "w"),
                            **popen)


def wait(proc: subprocess.Popen, timeout: float = 300) -> int:
    """The process's exit code; it is killed (and the test fails) if it runs past ``timeout`` seconds."""
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
