"""Does the search earn its keep? Design-space EDFs and a final retraining on CIFAR-10, at CPU scale.

1. **EDFs** (RegNet's way of comparing design spaces): ``--samples`` random genomes of the default space and of
   the free space, and the budget-matched baselines, each trained with one short proxy recipe
   (``nas run --sampler random --pruner none``; the baselines through ``--baselines`` in the default space's
   study, beside its samples, never counted among them). Validation error on the split ``nas run`` carves.
2. **Final**: the best net of each space (by validation accuracy) and each baseline, retrained with one longer
   recipe by ``nas train``, ``--seeds`` seeds each; the test split is used only here.

Everything goes through the ``nas`` command (subprocesses), so the bench measures what users run. Progress goes
to WORKDIR/cpu_evidence.log; results are rewritten after every step; a rerun with the same flags skips the
finished steps (studies resume, trained models are read back). At the end: OUT/cpu_evidence.json, .txt and
_edf.png (labelled when plotly's kaleido or matplotlib is installed; else curves only, the .txt having the
numbers). ``--tiny`` is a smoke run (2 + 2 samples, 1 epoch, 300 images; synthetic data when no CIFAR is
given) whose files go to the work folder, not bench/results.

    python bench/cpu_evidence.py --cifar path/to/cifar10-jpeg.tar.gz --machine "idle"   # or $NAS_CIFAR10_TAR
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from edf_png import draw_edf  # noqa: E402  (bench/ is not a package)
from search.report.edf import quantiles  # noqa: E402

VAL_IMAGES = 5000  # the validation split nas run carves from CIFAR-10's 50,000 training images (10 %)
TEST_IMAGES = 10000
FORWARD_SHARE = 1 / 3  # a forward pass costs about a third of a training step; used for the plan only
START_S, TRIAL_S = 10, 3  # planned seconds per nas process (start, data from the cache) and per trial (latency)


@dataclass(frozen=True)
class Protocol:
    """What the bench trains: the budget, the two recipes, how many samples and seeds."""

    budget_macs: int = 10_000_000
    samples: int = 12  # random genomes per space
    # planned for ~35 min on an idle 2-core CPU at 300 training img/s (a 10M-MAC net trains 5,000 images in 8-26 s
    # there): batch 64 by nas's auto recipe, 156 steps for the proxy, 312 for the final
    proxy_epochs: int = 2
    proxy_images: int = 5000
    final_epochs: int = 4
    final_images: int = 5000
    seeds: tuple[int, ...] = (0, 1)
    val_images: int = VAL_IMAGES
    test_images: int = TEST_IMAGES

    def plan(self, baselines: int, spaces: int = 2) -> dict:
        """Image-epochs of training and of evaluation, per stage (the protocol's cost, planned to the image)."""
        nets = spaces * self.samples + baselines
        finalists = spaces + baselines
        runs = finalists * len(self.seeds)
        return {"proxy_nets": nets, "proxy_train": nets * self.proxy_epochs * self.proxy_images,
                "proxy_eval": nets * self.proxy_epochs * self.val_images,
                "final_runs": runs, "final_train": runs * self.final_epochs * self.final_images,
                "final_eval": runs * (self.final_epochs * self.val_images + self.test_images)}


TINY = Protocol(samples=2, proxy_epochs=1, proxy_images=300, final_epochs=1, final_images=300, seeds=(0, 1),
                val_images=60, test_images=100)


def plan_text(p: Protocol, baselines: int, rate: float) -> str:
    """The plan in words, with the time it takes at ``rate`` training images/s."""
    n = p.plan(baselines)
    train = n["proxy_train"] + n["final_train"]
    evals = n["proxy_eval"] + n["final_eval"]
    minutes = ((train + FORWARD_SHARE * evals) / rate + START_S * (2 + n["final_runs"])
               + TRIAL_S * (n["proxy_nets"] + n["final_runs"])) / 60
    return (f"plan: stage 1 {n['proxy_nets']} nets x {p.proxy_epochs} epochs x {p.proxy_images:,} images = "
            f"{n['proxy_train']:,} training image-epochs (+ {n['proxy_eval']:,} validation images); stage 2 "
            f"{n['final_runs']} runs x {p.final_epochs} epochs x {p.final_images:,} = {n['final_train']:,} "
            f"(+ {n['final_eval']:,} validation and test images); in all {train:,} training image-epochs, about "
            f"{minutes:.0f} min at {rate:g} img/s (evaluation counted at a third of a training step, {START_S} s per "
            f"process, {TRIAL_S} s per trained net)")


def default_space() -> str:
    """The name ``--space`` takes for the default space (the one used when --space is not given)."""
    from search.sampling.load import KINDS, load_space

    default = type(load_space(None))
    return next(name for name, kind in KINDS.items() if kind is default)


def spread(xs: list[float]) -> float:
    """Half the range: with two seeds, the distance from the mean to either."""
    return (max(xs) - min(xs)) / 2 if xs else 0.0


class Bench:
    """The side effects: the work folder, its log, its step ledger, and the nas subprocesses."""

    def __init__(self, work: Path):
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        self.log_path = work / "cpu_evidence.log"
        self.ledger_path = work / "steps.json"
        self.ledger = json.loads(self.ledger_path.read_text()) if self.ledger_path.is_file() else {}

    def log(self, message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        with self.log_path.open("a") as f:
            f.write(line + "\n")

    def nas(self, *args: str) -> dict:
        """Run one nas command with --json; its progress goes to the log; its JSON object comes back."""
        cmd = [sys.executable, "-m", "search.cli", *args, "--json"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with self.log_path.open("a") as log:
            log.write(f"$ nas {' '.join(args)}\n")
            log.flush()
            out = subprocess.run(cmd, cwd=self.work, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
        if out.returncode != 0:
            sys.exit(f"failed (exit {out.returncode}): nas {' '.join(args)}; see {self.log_path}")
        return json.loads(out.stdout)

    def step(self, name: str, fn) -> None:  # noqa: ANN001
        """Run ``fn`` once: a step already in the ledger is skipped; its seconds are recorded for the wall time."""
        if name in self.ledger:
            self.log(f"skip {name} (done in an earlier run, {self.ledger[name]:.0f} s)")
            return
        self.log(f"start {name}")
        t0 = time.time()
        fn()
        self.ledger[name] = round(time.time() - t0, 1)
        self.ledger_path.write_text(json.dumps(self.ledger, indent=1))
        self.log(f"done {name} in {self.ledger[name]:.0f} s")

    @property
    def wall_s(self) -> float:
        return round(sum(self.ledger.values()), 1)


def study_rows(work: Path, study: str) -> list[dict]:
    """The trials.csv nas run wrote for ``study``."""
    path = work / "studies" / study / "trials.csv"
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def edf_of(rows: list[dict]) -> tuple[list[float], dict[str, dict]]:
    """Validation errors of the completed searched trials, and the completed baselines' rows by name."""
    done = [r for r in rows if r["status"] == "ok" and r["accuracy"]]
    errors = [round(1 - float(r["accuracy"]), 6) for r in done if not r["baseline"]]
    return errors, {r["baseline"]: r for r in done if r["baseline"]}


def best_of(work: Path, study: str) -> dict | None:
    """The best.json nas run wrote for ``study`` (its best searched trial), None before it has one."""
    path = work / "studies" / study / "best.json"
    return json.loads(path.read_text()) if path.is_file() else None


def run(args: argparse.Namespace, p: Protocol) -> Path:
    """The whole protocol; returns the JSON written."""
    b = Bench(args.workdir)
    args.load_start = os.getloadavg()[0]  # with --machine: what else ran meanwhile
    spaces = [default_space(), "free"]
    from search.run.baselines import YARDSTICKS

    b.log(plan_text(p, len(YARDSTICKS), args.rate))
    recipe = ["--data", args.data, "--budget", str(p.budget_macs), "--device", args.device]
    proxy = [*recipe, "--epochs", str(p.proxy_epochs), "--max-train-images", str(p.proxy_images), "--sampler",
             "random", "--pruner", "none", "--trials", str(p.samples), "--chance-stop", "0", "--max-failures", "100",
             "--seed", "0"]
    for space in spaces:
        extra = ["--baselines"] if space == spaces[0] else []
        b.step(f"edf-{space}", lambda s=space, e=extra: b.nas("run", *proxy, "--space", s, "--study", f"edf-{s}", *e))
    rows = {s: study_rows(b.work, f"edf-{s}") for s in spaces}
    finalists = [(f"{s} best", "searched", s, f"study:edf-{s}") for s in spaces if best_of(b.work, f"edf-{s}")]
    for name, r in edf_of(rows[spaces[0]])[1].items():
        path = b.work / f"{name}.json"
        path.write_text(r["genome"])
        finalists.append((name, "baseline", spaces[0], str(path)))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "cpu_evidence.json"

    def write() -> dict:  # after every step: what is finished so far ("finished": false until the end)
        result = collect(b, p, spaces, rows, finalists, args)
        path.write_text(json.dumps(result, indent=2))
        (args.out / "cpu_evidence.txt").write_text(report(result))
        return result

    write()
    for name, _, _, model in finalists:
        for seed in p.seeds:
            out = b.work / "final" / f"{name.replace(' ', '-')}-s{seed}"
            b.step(f"final {name} seed {seed}",
                   lambda m=model, o=out, s=seed: b.nas("train", m, "--data", args.data, "--device", args.device,
                                                       "--epochs", str(p.final_epochs), "--max-train-images",
                                                       str(p.final_images), "--seed", str(s), "--out", str(o),
                                                       "--studies-dir", "studies", "--force"))
            write()
    result = write()
    edf = {**result["edf"]}
    baselines = edf.pop("baselines")
    how = draw_edf(edf, baselines, args.out / "cpu_evidence_edf.png",
                   f"EDF of validation error, {len(edf[spaces[0]])} random nets per space, "
                   f"{p.budget_macs / 1e6:g}M MACs")
    b.log(f"EDF picture: {how}")
    b.log(report(result))
    return path


def collect(b: Bench, p: Protocol, spaces: list[str], rows: dict, finalists: list, args: argparse.Namespace) -> dict:
    """The results object from the studies' trials.csv and the trained models' result.json."""
    edf = {s: edf_of(rows[s])[0] for s in spaces}
    base_rows = edf_of(rows[spaces[0]])[1]
    edf["baselines"] = {name: round(1 - float(r["accuracy"]), 6) for name, r in base_rows.items()}
    final, device = [], ""
    for name, kind, space, _ in finalists:
        src = best_of(b.work, f"edf-{space}") if kind == "searched" else base_rows[name]
        acc = src["val_acc"] if kind == "searched" else src["accuracy"]
        files = [b.work / "final" / f"{name.replace(' ', '-')}-s{s}" / "result.json" for s in p.seeds]
        runs = [json.loads(f.read_text()) for f in files if f.is_file()]
        device = device or next((r["device"] for r in runs), "")
        final.append({"name": name, "kind": kind, "space": space, "arch": src["arch"], "macs": int(float(src["macs"])),
                      "params": int(float(src["params"])), "val_acc": float(acc),
                      "final_val_acc": [r["val_acc"] for r in runs], "test_acc": [r["test_acc"] for r in runs]})
    finished = all(len(f["test_acc"]) == len(p.seeds) for f in final) and len(final) == len(finalists)
    protocol = {**asdict(p), "seeds": list(p.seeds), "data": Path(args.data).name, "wall_time_s": b.wall_s,
                "planned": p.plan(len(base_rows)), "machine": args.machine,
                "load_average": {"start": args.load_start, "end": os.getloadavg()[0]},
                "steps_s": b.ledger}
    for k in ("val_images", "test_images"):
        protocol.pop(k)
    return {"device": device, "finished": finished, "protocol": protocol, "edf": edf, "final": final}


def report(r: dict) -> str:
    """The readable summary: quantiles per space, the final table, the two targets."""
    p = r["protocol"]
    lines = [f"device {r['device']}; budget {p['budget_macs'] / 1e6:g}M MACs at 32 px; proxy {p['proxy_epochs']} "
             f"epochs x {p['proxy_images']:,} images; final {p['final_epochs']} epochs x {p['final_images']:,} "
             f"images, seeds {p['seeds']}; wall time {p['wall_time_s'] / 60:.1f} min; machine: {p['machine']}",
             "", "validation error of random nets (proxy recipe):",
             f"  {'space':<12} {'n':>3} {'min':>7} {'25%':>7} {'median':>7} {'75%':>7} {'max':>7}"]
    for space, errs in r["edf"].items():
        if space != "baselines" and errs:
            lines.append(f"  {space:<12} {len(errs):>3} " + " ".join(f"{q:>7.4f}" for q in quantiles(errs)))
    for name, err in r["edf"]["baselines"].items():
        lines.append(f"  {name:<24} {err:.4f}")
    lines += ["", "final retraining (test accuracy, mean +- half the range over seeds):",
              f"  {'name':<22} {'kind':<9} {'MACs':>6} {'params':>8} {'proxy val':>9} {'test acc':>16}  arch"]
    for f in (f for f in r["final"] if f["test_acc"]):
        t = f["test_acc"]
        lines.append(f"  {f['name']:<22} {f['kind']:<9} {f['macs'] / 1e6:>5.2f}M {f['params'] / 1e3:>7.1f}K "
                     f"{f['val_acc']:>9.4f} {statistics.mean(t):>8.4f} +- {spread(t):.4f}  {f['arch']}")
    lines += ["", *targets(r)]
    return "\n".join(lines) + "\n"


def targets(r: dict) -> list[str]:
    """The issue's two targets, stated as met or missed."""
    spaces = [s for s in r["edf"] if s != "baselines"]
    out = []
    if len(spaces) == 2 and all(r["edf"][s] for s in spaces):
        a, f = (statistics.median(r["edf"][s]) for s in spaces)
        out.append(f"target 1 ({spaces[0]} median error below free's): {'met' if a < f else 'missed'} "
                   f"({a:.4f} vs {f:.4f})")
    if not r["finished"]:
        return out + ["target 2: judged once every finalist has every seed"]
    searched = [f for f in r["final"] if f["kind"] == "searched" and f["space"] == spaces[0]]
    base = [f for f in r["final"] if f["kind"] == "baseline"]
    if searched and base:
        s = searched[0]
        best = max(base, key=lambda f: statistics.mean(f["test_acc"]))
        gap = statistics.mean(s["test_acc"]) - statistics.mean(best["test_acc"])
        slack = spread(s["test_acc"]) + spread(best["test_acc"])
        out.append(f"target 2 (best searched >= best baseline within the spread): "
                   f"{'met' if gap >= -slack else 'missed'} ({s['name']} {gap:+.4f} against {best['name']}, "
                   f"spread {slack:.4f})")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cifar", default=os.environ.get("NAS_CIFAR10_TAR"),
                    help="the CIFAR-10 ImageFolder .tar.gz (default $NAS_CIFAR10_TAR)")
    ap.add_argument("--tiny", action="store_true", help="a smoke run: 2 + 2 samples, 1 epoch, 300 images")
    ap.add_argument("--machine", default="not stated", help="what else ran on the machine meanwhile (recorded)")
    ap.add_argument("--workdir", type=Path, help="studies, trained models, log (default .cache/cpu_evidence[-tiny])")
    ap.add_argument("--out", type=Path, help="where the results go (default bench/results; the workdir with --tiny)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--rate", type=float, default=300, help="training images/s assumed by the printed plan")
    for field, kind in (("samples", int), ("proxy_epochs", int), ("proxy_images", int), ("final_epochs", int),
                        ("final_images", int)):
        ap.add_argument(f"--{field.replace('_', '-')}", type=kind, help=f"default {getattr(Protocol(), field)}")
    args = ap.parse_args()
    base = TINY if args.tiny else Protocol()
    over = {k: getattr(args, k) for k in ("samples", "proxy_epochs", "proxy_images", "final_epochs",
                                          "final_images") if getattr(args, k) is not None}
    if any(v < 1 for v in over.values()):
        sys.exit("cpu_evidence: --samples, --*-epochs and --*-images must be >= 1")
    p = Protocol(**{**asdict(base), **over})
    if args.cifar:
        if not Path(args.cifar).is_file():
            sys.exit(f"cpu_evidence: no such file {args.cifar}")
        args.data = str(Path(args.cifar).resolve())
    elif args.tiny:
        args.data = "synthetic:700:32:10"
    else:
        sys.exit("cpu_evidence: give --cifar PATH or set NAS_CIFAR10_TAR")
    args.workdir = (args.workdir or ROOT / ".cache" / ("cpu_evidence-tiny" if args.tiny else "cpu_evidence")).resolve()
    args.out = (args.out or (args.workdir if args.tiny else ROOT / "bench" / "results")).resolve()
    print(run(args, p))


if __name__ == "__main__":
    main()
