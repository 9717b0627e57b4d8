"""``nas run``: search the design space under a compute budget."""

from __future__ import annotations

import argparse

from ...config import OBJECTIVES, PRUNERS, SAMPLERS, DEFAULT_TRIALS, default
from ...sampling.tuning import TUNABLES
from ..common import FLOPS_NOTE, add_output_args, add_search_args, config_from_args, positive_int


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``nas run``."""
    p = sub.add_parser("run", help="search for the best CNN under a compute budget (an Optuna study)",
                       description="Search the design space under a budget; every trial trains a proxy and is "
                                   "scored on the validation split (never the test split).", epilog=FLOPS_NOTE)
    add_search_args(p)
    p.add_argument("--trials", type=positive_int,
                   help=f"trials that finish training (default {DEFAULT_TRIALS} without --timeout)")
    p.add_argument("--timeout", help="stop starting new trials after this long: 90s, 30m, 2h")
    p.add_argument("--epochs", type=positive_int, default=default("epochs"),
                   help=f"proxy training epochs per trial (default {default('epochs')})")
    p.add_argument("--sampler", choices=SAMPLERS, default=default("sampler"),
                   help="auto = tpe for one objective, nsga2 for two")
    p.add_argument("--pruner", choices=PRUNERS, default=default("pruner"), help="epoch pruning (single objective only)")
    p.add_argument("--objectives", choices=OBJECTIVES, default=default("objectives"), metavar="OBJECTIVES",
                   help="accuracy (default); accuracy,macs or accuracy,latency for a Pareto front (NSGA-II)")
    p.add_argument("--tune", metavar="NAMES", help="training hyper-parameters searched with the architecture, "
                   "comma-separated: " + "; ".join(f"{t.name} ({t.what}: {t.low:g} to {t.high:g}{', log' if t.log else ''})"
                                                   for t in TUNABLES.values()) + " (ranges: tune: in the --space file)")
    p.add_argument("--enqueue", metavar="MODELS", help="comma-separated presets or genome files to train first "
                                                         "(warm start; they become trials of the study)")
    p.add_argument("--baselines", action="store_true",
                   help="also train budget-matched hand designs, as trials of the study marked as baselines")
    p.add_argument("--chance-stop", type=int, default=default("chance_stop"), metavar="N",
                   help=f"stop when the study's first N trained trials all score at chance (default "
                        f"{default('chance_stop')}; 0 = never)")
    p.add_argument("--dry-run", type=positive_int, metavar="N",
                   help="sample N genomes exactly as the search would, train nothing, write nothing")
    add_output_args(p)
    p.set_defaults(handler=run_search)


def run_search(args: argparse.Namespace) -> int:
    """Run (or resume) the search; print the summary; write best.json, trials.csv and the dashboard."""
    from ...run.runner import make_folder, prepare
    from .steps import dry_run, header, run_and_report

    p = prepare(config_from_args(args))
    if args.dry_run:
        return dry_run(p.cfg, p.settings, args.dry_run, args.json)
    make_folder(p.cfg.paths.folder)  # best.json, trials.csv and the dashboard go here whatever the storage
    return run_and_report(p, args, header)


__all__ = ["add", "run_search"]
