"""The full loop on CIFAR-10: search under a budget, then retrain the winner and the baselines.

1. ``nas run`` (TPE) under --budget for --search-time of wall clock, with --baselines;
2. ``nas run`` with the random sampler for the same number of trials;
3. ``nas train`` of the TPE best, the random best and each budget-matched baseline with the same final
   recipe (--final-epochs), reporting test accuracy for each.

Prints a table and the device. On a CPU use tiny settings (it is a smoke run, not a result), e.g.
``--search-time 5m --epochs 1 --final-epochs 2 --max-train-images 5000``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def nas(*args: str, cwd: Path) -> dict:
    """Run a nas command with --json and return its output object."""
    cmd = [sys.executable, "-m", "search.cli", *args, "--json"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr.strip().splitlines()[-1] if out.stderr.strip() else ''}")
    return json.loads(out.stdout)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.environ.get("NAS_CIFAR10_TAR"), help="CIFAR-10 (default $NAS_CIFAR10_TAR)")
    p.add_argument("--budget", default="400MFLOPs")
    p.add_argument("--search-time", default="20m", help="wall clock for the TPE search")
    p.add_argument("--epochs", default="5", help="proxy epochs per trial")
    p.add_argument("--final-epochs", default="30", help="epochs of the final retraining")
    p.add_argument("--max-train-images", help="proxy training subset (search only)")
    p.add_argument("--device", default="auto")
    p.add_argument("--workdir", type=Path, help="where studies and trained models go (default: a temp dir)")
    args = p.parse_args()
    if not args.data:
        sys.exit("give --data or set NAS_CIFAR10_TAR")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="nas-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    common = ["--data", args.data, "--budget", args.budget, "--epochs", args.epochs, "--device", args.device]
    if args.max_train_images:
        common += ["--max-train-images", args.max_train_images]
    tpe = nas("run", *common, "--study", "tpe", "--timeout", args.search_time, "--baselines", cwd=work)
    n = tpe["finished"]
    rnd = nas("run", *common, "--study", "random", "--sampler", "random", "--trials", str(n), cwd=work)
    final = ["--data", args.data, "--epochs", args.final_epochs, "--device", args.device]
    rows = [("search (TPE)", nas("train", "study:tpe", *final, "--out", str(work / "t-tpe"), cwd=work)),
            ("random search", nas("train", "study:random", *final, "--out", str(work / "t-random"), cwd=work))]
    for b in tpe.get("baselines", []):
        path = work / f"{b['name']}.json"
        path.write_text(json.dumps(b["genome"]))
        rows.append((b["name"], nas("train", str(path), *final, "--out", str(work / f"t-{b['name']}"), cwd=work)))
    device = rows[0][1]["device"]
    print(f"device: {device}; budget {args.budget}; TPE search {args.search_time} ({n} trials), random search "
          f"{rnd['finished']} trials; proxy {args.epochs} epochs; final {args.final_epochs} epochs")
    print(f"{'model':<20} {'params':>10} {'MACs':>12} {'val_acc':>8} {'test_acc':>8}  arch")
    for name, r in rows:
        print(f"{name:<20} {r['params']:>10,} {r['macs']:>12,} {r['val_acc']:>8.4f} {r['test_acc']:>8.4f}  {r['arch']}")
    best_base = max((r["test_acc"] for name, r in rows[2:]), default=None)
    if best_base is not None:
        print(f"search beats the best baseline by {100 * (rows[0][1]['test_acc'] - best_base):+.2f} points "
              f"and random search by {100 * (rows[0][1]['test_acc'] - rows[1][1]['test_acc']):+.2f} points")


if __name__ == "__main__":
    main()
