"""``nas calibrate``: how well does a short proxy training rank architectures as a full training does?"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import FLOPS_NOTE, UsageError, add_output_args, add_search_args, config_from_args, positive_int, say

MIN_ARCHS = 3  # a rank correlation of fewer architectures says nothing
MAX_ARCHS = 1000  # more would take longer to draw than to say no to, and far longer to train
# what config_from_args reads of the flags only ``nas run`` has: calibration trains only the architectures it
# enqueues, each to its last epoch, scored on accuracy
_RUN_ONLY = {"trials": None, "timeout": None, "objectives": "accuracy", "sampler": "random", "pruner": "none",
             "chance_stop": 0, "tune": None}


def epoch_list(text: str) -> tuple[int, ...]:
    """argparse type: comma-separated whole numbers of epochs >= 1, e.g. 5,10 (sorted, repeats dropped)."""
    items = [s.strip() for s in text.split(",")]
    out = []
    for s in items:
        try:
            n = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: each entry must be a whole number of epochs, got {s!r}")
        if n < 1:
            raise argparse.ArgumentTypeError(f"{text!r}: each entry must be >= 1 epoch, got {n}")
        out.append(n)
    return tuple(sorted(set(out)))


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``nas calibrate``."""
    p = sub.add_parser("calibrate", help="measure how well short proxy training ranks architectures (Kendall tau)",
                       description="Sample architectures as nas run would, train each for every proxy length and "
                                   "for the full length (one resumable study per length), and report the rank "
                                   "correlation of proxy against full validation accuracy.", epilog=FLOPS_NOTE)
    add_search_args(p)
    p.add_argument("--archs", type=positive_int, default=10,
                   help=f"architectures sampled from the space (default 10, {MIN_ARCHS} to {MAX_ARCHS})")
    p.add_argument("--proxy-epochs", type=epoch_list, default=(5, 10), metavar="E,E",
                   help="proxy training lengths to rate, comma-separated (default 5,10)")
    p.add_argument("--full-epochs", type=positive_int, default=30, help="the reference training length (default 30)")
    add_output_args(p)
    p.set_defaults(handler=run_calibrate)


def _check(args: argparse.Namespace) -> None:
    if args.archs < MIN_ARCHS:
        raise UsageError(f"--archs {args.archs}: a rank correlation needs at least {MIN_ARCHS} architectures")
    if args.archs > MAX_ARCHS:  # drawn up front, 4 to 64 draws each: a billion would hang before any training
        raise UsageError(f"--archs {args.archs}: at most {MAX_ARCHS}, each trained at every length")
    longer = [e for e in args.proxy_epochs if e >= args.full_epochs]
    if longer:
        raise UsageError(f"--proxy-epochs {longer[0]} is not shorter than --full-epochs {args.full_epochs}")


def run_calibrate(args: argparse.Namespace) -> int:
    """Train the architectures at every length (resuming what is stored), then print and store the correlations."""
    from ..calibrate.studies import accuracies, attach, length_config, sample_archs, study_name
    from ..config import VAL_FRACTION
    from ..data import load_data
    from ..files import write_atomic
    from ..report.calibration import calibrate
    from ..report.results import CALIBRATION_KEY, read_study
    from ..runner.steps import check_run, make_folder
    from ..study import SPLIT_SEED, open_study, peek_settings, quiet_optuna, settings_for
    from ..train import resolve_device

    _check(args)
    quiet_optuna()
    cfg = config_from_args(argparse.Namespace(**{**_RUN_ONLY, **vars(args), "epochs": args.full_epochs}))
    resolve_device(cfg.device)
    lengths = (*args.proxy_epochs, args.full_epochs)
    cfgs = {e: length_config(cfg, e) for e in lengths}
    stored = {e: peek_settings(c) for e, c in cfgs.items()}
    # one validation split for every length: the calibration's own, else the main study's, else a new study's
    first = next((s for s in (*stored.values(), peek_settings(cfg)) if s is not None), None)
    split_seed = first.split_seed if first else SPLIT_SEED
    data = load_data(cfg.data, cfg.cache_dir, VAL_FRACTION, split_seed)
    settings = {e: settings_for(c, data, split_seed, stored[e].heartbeat_s if stored[e] else cfg.heartbeat)
                for e, c in cfgs.items()}
    warnings = list(dict.fromkeys(w for e in lengths for w in check_run(cfgs[e], settings[e], data)))
    genomes = sample_archs(cfg.space, settings[args.full_epochs], args.archs, cfg.seed)
    make_folder(cfg.paths.folder)  # calibration.json goes here whatever the storage
    for c in cfgs.values() if cfg.storage is None else ():  # each length's SQLite file
        make_folder(c.paths.folder)
    studies = {e: open_study(c, settings[e])[0] for e, c in cfgs.items()}  # a refused rerun trains nothing
    for w in warnings:
        say(args, f"warning: {w}")
    failed_run = ""
    for e in lengths:
        failed_run = _train_length(cfgs[e], settings[e], studies[e], genomes, data, args) or failed_run
    acc = {e: accuracies(read_study(studies[e]), genomes) for e in lengths}
    result = {"study": cfg.study, **calibrate(acc, args.full_epochs, seed=cfg.seed),
              "studies": {str(e): study_name(cfg.study, e) for e in lengths},
              "archs": [{"arch": _arch(g), "genome": g.to_dict(), "val_acc": {str(e): acc[e][i] for e in lengths}}
                        for i, g in enumerate(genomes)]}
    for s in studies.values():
        s.set_user_attr(CALIBRATION_KEY, result)
    write_atomic(cfg.paths.calibration, json.dumps(result, indent=2))
    attach(cfg, result)
    print(json.dumps(result, indent=2) if args.json else format_calibration(result))
    sys.stdout.flush()
    say(args, f"calibration: {cfg.paths.calibration}")
    short = [p["epochs"] for p in result["proxies"] if p["n_archs"] < MIN_ARCHS]
    if failed_run or short:
        why = failed_run or (f"fewer than {MIN_ARCHS} architectures trained at both {short[0]} and "
                             f"{args.full_epochs} epochs")
        print(f"nas: error: {why}; rerun the same command to resume", file=sys.stderr)
        return 1
    return 0


def _arch(g: Any) -> str:
    from space import arch_string

    return arch_string(g)


def _train_length(cfg: Any, settings: Any, study: Any, genomes: list, data: Any, args: argparse.Namespace) -> str:
    """Train the architectures this length's study does not hold yet; why it stopped early ('' if it did not)."""
    from ..calibrate.studies import enqueue_missing, pending
    from ..study import run_workers

    for _ in range(3):  # a trial of a killed earlier run is marked interrupted by the workers, then enqueued again
        enqueue_missing(study, genomes)
        if not pending(study):
            return ""
        say(args, f"{cfg.study}: training {pending(study)} of {len(genomes)} architectures for "
                  f"{settings.epochs} epochs")
        outcome = run_workers(cfg, data, settings)
        if outcome.failures_in_a_row >= cfg.max_failures:
            return f"{cfg.study} stopped after {outcome.failures_in_a_row} failed trials in a row"
    return ""


def verdict(r: dict) -> str:
    """The report's conclusion: the recommended length, or why there is none (a ranking that differs from the full
    one is not the same finding as no ranking at all)."""
    rec, full, threshold = r["recommended_epochs"], r["full_epochs"], r["threshold"]
    if rec is not None:
        return f"recommended proxy: {rec} epochs, the fewest whose Kendall tau reaches {threshold}"
    measured = [p for p in r["proxies"] if p["kendall_tau"] is not None]
    if not measured:
        return ("no proxy length can be judged: at every length (or at the full one) the architectures all scored "
                "the same, so there is no ranking to compare; train longer or use more --archs")
    return (f"no proxy length reaches Kendall tau {threshold}: the ranking of architectures at "
            f"{', '.join(str(p['epochs']) for p in measured)} epochs differs from the {full}-epoch one; "
            "try longer proxies or more --archs")


def format_calibration(r: dict) -> str:
    """The human-readable calibration report."""
    from ..report.calibration import MIN_MEANINGFUL

    full = r["full_epochs"]
    proxies = r["proxies"]
    lines = [f"calibration of study {r['study']}: {len(r['archs'])} architectures, validation accuracy after "
             f"{', '.join(str(p['epochs']) for p in proxies)} epochs against {full} (studies "
             f"{', '.join(r['studies'].values())})", "",
             f"  {'epochs':>6}  {'Kendall tau':>11}  {int(100 * r['bootstrap']['confidence'])}% interval  "
             f"{'Spearman rho':>12}  archs"]

    def num(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}"

    for p in proxies:
        interval = f"[{num(p['tau_low'])}, {num(p['tau_high'])}]"
        lines.append(f"  {p['epochs']:>6}  {num(p['kendall_tau']):>11}  {interval:<12}  "
                     f"{num(p['spearman_rho']):>12}  {p['n_archs']}{'' if p['n_archs'] >= MIN_MEANINGFUL else ' *'}")
    if any(p["kendall_tau"] is None for p in proxies):
        lines.append("  (-: every architecture scored the same at one of the two lengths, so there is no ranking)")
    if any(p["n_archs"] < MIN_MEANINGFUL for p in proxies):
        lines.append(f"  (*: not meaningful, fewer than {MIN_MEANINGFUL} architectures; such a tau recommends "
                     "nothing: give more --archs)")
    lines.append("")
    lines.append(verdict(r))
    lengths = [*(str(p["epochs"]) for p in proxies), str(full)]
    lines += ["", "  " + "  ".join(f"{'acc@' + e:>6}" for e in lengths) + "  architecture (validation accuracy "
              "after that many epochs)"]
    for a in r["archs"]:
        accs = (a["val_acc"].get(e) for e in lengths)
        lines.append("  " + "  ".join("     -" if v is None else f"{v:.4f}" for v in accs) + f"  {a['arch']}")
    return "\n".join(lines)
