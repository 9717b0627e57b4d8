"""Does telling TPE about rejected (over/under-budget) genomes help it? No training: a stand-in objective.

Run: ``PYTHONPATH=. python bench/constraints_tpe.py`` (about a minute on 2 cores; ``--trials``, ``--seeds`` and
``--settings`` shrink it). Prints a table and writes bench/results/constraints_tpe.txt.

A trial samples a genome exactly as a study does (``space.sample(trial, DataShape, budget, 1)``, then the
``budget.fits`` check of ``run_trial``); a genome that cannot fit is "rejected". The arms differ only in what
Optuna is told about a rejected trial:
  fail         TrialState.FAIL (today): TPE drops the trial, params and all;
  pruned       TrialState.PRUNED, no constraints;
  constraints  TrialState.PRUNED plus ``constraints_func`` reading user attr "constraint" ([1.0] rejected, [-1.0] fit);
  worst        TrialState.COMPLETE with objective 0.0, no constraints;
  random       RandomSampler, rejected told FAIL: the rejection rate of the space itself.
A fitting trial returns a STAND-IN for accuracy, not accuracy: the share of the binding budget used
(max of macs/max_macs and params/max_params, at most 1) plus 0.1 * exp(-|ln(receptive_field / (2 * resolution))|)
(a genome-dependent term, best at a receptive field of twice the input, for the sampler to climb; at most 1.1).
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import optuna
from optuna.trial import TrialState

from search.budget import Budget
from search.sampling import DataShape, Infeasible, load_space
from space import complexity

SHAPE = DataShape(32, 3, 10)  # 32 px, RGB, 10 classes (CIFAR-10-shaped)
# free-10M and pattern-10M (MACs-only budgets) reject few genomes, so they run the random arm only (--rate-only):
# the TPE arms run where rejections bite, a param bound or a tight min budget.
SETTINGS: dict[str, tuple[str, Budget]] = {
    "free-10M": ("free", Budget(10_000_000)),
    "pattern-10M": ("pattern", Budget(10_000_000)),
    "free-10M-50kp": ("free", Budget(10_000_000, 50_000)),
    "pattern-20M-20kp": ("pattern", Budget(20_000_000, 20_000)),
    "pattern-5M-min4.8M": ("pattern", Budget(5_000_000, None, 4_800_000)),
}
DEFAULT_SETTINGS = ("free-10M", "pattern-10M", "free-10M-50kp", "pattern-20M-20kp", "pattern-5M-min4.8M")
ARMS = ("random", "fail", "pruned", "constraints", "worst")
INFORMED = ("pruned", "constraints", "worst")


@dataclass(frozen=True)
class Run:
    rejected: tuple[bool, ...]  # per trial, in order
    best: float  # best stand-in objective among fitting trials (0 when none fit)


def stand_in(macs: int, params: int, rf: int, budget: Budget) -> float:
    """Not accuracy: rewards using the budget, plus a small receptive-field term."""
    assert budget.max_macs
    use = max(macs / budget.max_macs, params / budget.max_params if budget.max_params else 0.0)
    return use + 0.1 * math.exp(-abs(math.log(rf / (2 * SHAPE.resolution))))


def constraint(t: optuna.trial.FrozenTrial) -> list[float]:
    return list(t.user_attrs.get("constraint", [-1.0]))


def run_arm(space_name: str, budget: Budget, arm: str, seed: int, trials: int, startup: int) -> Run:
    space = load_space(space_name)
    if arm == "random":
        sampler: optuna.samplers.BaseSampler = optuna.samplers.RandomSampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True, n_startup_trials=startup,
                                             constraints_func=constraint if arm == "constraints" else None)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    rejected: list[bool] = []
    best = 0.0
    for _ in range(trials):
        trial = study.ask()
        try:
            cost = complexity(space.sample(trial, SHAPE, budget, 1).genome)
            ok = budget.fits(cost.macs, cost.params)
        except Infeasible:
            ok = False
        rejected.append(not ok)
        trial.set_user_attr("constraint", [-1.0 if ok else 1.0])
        if ok:
            value = stand_in(cost.macs, cost.params, cost.receptive_field, budget)
            best = max(best, value)
            study.tell(trial, value)
        elif arm in ("pruned", "constraints"):
            study.tell(trial, state=TrialState.PRUNED)
        elif arm == "worst":
            study.tell(trial, 0.0)
        else:
            study.tell(trial, state=TrialState.FAIL)
    return Run(tuple(rejected), best)


def mean_sd(xs: list[float], digits: int = 1) -> str:
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.fmean(xs):.{digits}f} ± {sd:.{digits}f}"


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def busy() -> str:
    """The other processes using the CPU most, to say what else was running."""
    out = subprocess.run(["ps", "-eo", "pcpu,args", "--sort=-pcpu", "--no-headers"], capture_output=True, text=True)
    return "; ".join(" ".join(line.split())[:60] for line in out.stdout.splitlines()[:5])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=60)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--startup", type=int, default=10, help="TPE n_startup_trials")
    ap.add_argument("--settings", default=",".join(DEFAULT_SETTINGS),
                    help=f"comma-separated, of {', '.join(SETTINGS)}")
    ap.add_argument("--arms", default=",".join(ARMS))
    ap.add_argument("--rate-only", default="free-10M,pattern-10M", help="settings that run the random arm only")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "constraints_tpe.txt"))
    args = ap.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)  # constraints_func is deprecated in Optuna 5
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)  # group=True
    before, t0 = load(), time.perf_counter()
    half = args.trials // 2
    head = f"{'setting':<20} {'arm':<12} {'rejected/' + str(args.trials):>14} {'last ' + str(args.trials - half):>12} " \
           f"{'best stand-in':>15}"
    lines = [head, "-" * len(head)]
    print(head, flush=True)
    summary: dict[tuple[str, str], list[Run]] = {}
    for name in args.settings.split(","):
        space_name, budget = SETTINGS[name]
        for arm in args.arms.split(","):
            if arm != "random" and name in args.rate_only.split(","):
                continue
            runs = [run_arm(space_name, budget, arm, s, args.trials, args.startup) for s in range(args.seeds)]
            rej = [float(sum(r.rejected)) for r in runs]
            late = [float(sum(r.rejected[half:])) for r in runs]
            best = [r.best for r in runs]
            summary[name, arm] = runs
            line = f"{name:<20} {arm:<12} {mean_sd(rej):>14} {mean_sd(late):>12} {mean_sd(best, 3):>15}"
            lines.append(line)
            print(line, flush=True)
    wall = time.perf_counter() - t0
    notes, cuts, late_cuts, gains, identical = [], [], [], [], True
    for name in args.settings.split(","):
        base = summary.get((name, "fail"))
        arms = [a for a in INFORMED if (name, a) in summary]
        if base is None or not arms:
            continue
        same = all(summary[name, a] == summary[name, arms[0]] for a in arms)
        runs = summary[name, arms[0]]  # paired by seed: the same seed draws the same first (random) trials
        d_rej = [float(sum(r.rejected) - sum(b.rejected)) for r, b in zip(runs, base)]
        d_late = [float(sum(r.rejected[half:]) - sum(b.rejected[half:])) for r, b in zip(runs, base)]
        d_best = [r.best - b.best for r, b in zip(runs, base)]
        cuts.append(-statistics.fmean(d_rej))
        gains.append(statistics.fmean(d_best))
        identical &= same
        late_cuts.append(-statistics.fmean(d_late))
        notes.append(f"{name}: {'/'.join(arms)} {'identical trial for trial' if same else 'DIFFER'}; "
                     f"{arms[0]} minus fail, paired by seed: rejected {mean_sd(d_rej)}, last {args.trials - half} "
                     f"{mean_sd(d_late)}, best stand-in {mean_sd(d_best, 3)}")
    rates = {n: statistics.fmean(sum(r.rejected) for r in summary[n, "random"]) / args.trials
             for n in ("free-10M", "pattern-10M") if (n, "random") in summary}
    if cuts:
        notes.append(
            f"conclusion: telling TPE about rejections ({'/'.join(INFORMED)}: "
            f"{'the same trials' if identical else 'NOT the same trials'}) cuts rejections by "
            f"{min(cuts):.1f} to {max(cuts):.1f} of {args.trials} ({min(late_cuts):.1f} to {max(late_cuts):.1f} of the "
            f"last {args.trials - half}) vs FAIL, best stand-in {min(gains):+.3f} to {max(gains):+.3f}; the constraint "
            f"adds nothing over the PRUNED state: TPE ranks infeasible trials after all feasible ones and, with "
            f"n_below = ceil(0.1 n) <= {math.ceil(0.1 * args.trials)} well under the fitting trials, puts them in "
            f"'above', where a PRUNED trial without intermediate values or a 0.0 COMPLETE one lands too. Caveat: at a "
            f"MACs-only budget few genomes are rejected ("
            + ", ".join(f"{n}: {100 * r:.0f} %" for n, r in rates.items())
            + " under random; the pattern space solves sizes to the budget), so this matters only where a param "
              "bound or a tight min budget bites.")
    text = "\n".join([
        *lines, "",
        "mean ± sd over seeds 0..%d; 'last %d' = rejections among trials %d..%d; best = best stand-in objective "
        "(NOT accuracy: budget share used + 0.1*exp(-|ln(rf/(2*res))|), at most 1.1) among fitting trials"
        % (args.seeds - 1, args.trials - half, half, args.trials - 1),
        *notes, "",
        "settings: " + "; ".join(f"{n} = {SETTINGS[n][0]} space, {SETTINGS[n][1]}" for n in args.settings.split(",")),
        f"data shape {tuple(SHAPE)}; TPESampler(seed, multivariate=True, group=True, n_startup_trials={args.startup}); "
        f"{args.trials} trials, {args.seeds} seeds, single objective (maximize)",
        f"optuna {optuna.__version__}, Python {sys.version.split()[0]}; wall time {wall:.0f} s",
        f"load before: {before}", f"load after:  {load()}", f"busiest processes at the end: {busy()}",
        f"# run as: python bench/constraints_tpe.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip(),
    ])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n")
    print("\n".join(text.splitlines()[len(lines):]))


if __name__ == "__main__":
    main()
