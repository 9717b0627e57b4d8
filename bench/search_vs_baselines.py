"""The full loop on CIFAR-10: search under a budget with several arms, then retrain each winner and the baselines.

1. one ``nas run`` per arm (``--arms``, default pattern:tpe, free:tpe and pattern:random: the design-pattern
   space, the free-form space, and random search), the first for --search-time of wall clock, the others for
   exactly as many trials as it finished, so every arm gets equal trial counts;
2. ``nas run --baselines`` trains the budget-matched hand designs as trials of their own study;
3. ``nas train`` of each arm's best and each baseline with the same final recipe (--final-epochs),
   reporting test accuracy (the test split is used only here, after selection on the validation split).

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


def arms(text: str) -> list[tuple[str, str]]:
    """"pattern:tpe,free:random" -> [("pattern", "tpe"), ("free", "random")]."""
    out = []
    for arm in filter(None, (a.strip() for a in text.split(","))):
        space, _, sampler = arm.partition(":")
        if space not in ("pattern", "free") or sampler not in ("tpe", "random", "nsga2"):
            sys.exit(f"--arms: {arm!r} is not SPACE:SAMPLER with SPACE pattern|free and SAMPLER tpe|random|nsga2")
        out.append((space, sampler))
    if not out:
        sys.exit("--arms: give at least one SPACE:SAMPLER")
    return out


def baseline_genomes(work: Path, study: str) -> dict[str, dict]:
    """The baselines' genomes, as their study stored them."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    s = optuna.load_study(study_name=study, storage=f"sqlite:///{work / 'studies' / study / 'study.db'}")
    return {t.user_attrs["baseline"]: t.user_attrs["genome"] for t in s.trials if t.user_attrs.get("baseline")}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.environ.get("NAS_CIFAR10_TAR"), help="CIFAR-10 (default $NAS_CIFAR10_TAR)")
    p.add_argument("--budget", default="400MFLOPs")
    p.add_argument("--arms", default="pattern:tpe,free:tpe,pattern:random",
                   help="SPACE:SAMPLER searches side by side at equal trial counts (first one timed)")
    p.add_argument("--search-time", default="20m", help="wall clock for the first arm")
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
    final = ["--data", args.data, "--epochs", args.final_epochs, "--device", args.device]
    searched, n = [], None
    for space, sampler in arms(args.arms):
        name = f"{space}-{sampler}"
        length = ["--timeout", args.search_time] if n is None else ["--trials", str(n)]
        out = nas("run", *common, "--study", name, "--space", space, "--sampler", sampler, *length, cwd=work)
        n = n or out["finished"]
        searched.append((f"{space} space, {sampler}", out["finished"],
                         nas("train", f"study:{name}", *final, "--out", str(work / f"t-{name}"), cwd=work)))
    nas("run", *common, "--study", "baselines", "--baselines", "--trials", "1", cwd=work)
    rows = [(label, r) for label, _, r in searched]
    for base, genome in baseline_genomes(work, "baselines").items():
        path = work / f"{base}.json"
        path.write_text(json.dumps(genome))
        rows.append((base, nas("train", str(path), *final, "--out", str(work / f"t-{base}"), cwd=work)))
    print(f"device: {rows[0][1]['device']}; budget {args.budget} (MACs = FLOPs); first arm {args.search_time}, "
          f"every arm {n} trials ({', '.join(f'{label}: {k}' for label, k, _ in searched)}); proxy {args.epochs} "
          f"epochs; final {args.final_epochs} epochs; val_acc on the validation split, test_acc on the test split")
    print(f"{'model':<24} {'params':>10} {'MACs':>12} {'val_acc':>8} {'test_acc':>8}  arch")
    for name, r in rows:
        print(f"{name:<24} {r['params']:>10,} {r['macs']:>12,} {r['val_acc']:>8.4f} {r['test_acc']:>8.4f}  {r['arch']}")
    best_base = max((r["test_acc"] for _, r in rows[len(searched):]), default=None)
    if best_base is not None:
        for label, _, r in searched:
            print(f"{label}: {100 * (r['test_acc'] - best_base):+.2f} points against the best baseline")


if __name__ == "__main__":
    main()
