"""``nas run``: search the design space under a compute budget."""

from __future__ import annotations

import argparse

from ..run_config import OBJECTIVES, PRUNERS, SAMPLERS
from ..tuning import TUNABLES
from .common import FLOPS_NOTE, add_data_args, add_output_args, add_storage_args, positive_int


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``nas run``."""
    p = sub.add_parser("run", help="search for the best CNN under a compute budget (an Optuna study)",
                       description="Search the design space under a budget; every trial trains a proxy and is "
                                   "scored on the validation split (never the test split).", epilog=FLOPS_NOTE)
    add_search_args(p)
    p.add_argument("--trials", type=positive_int, help="trials that finish training (default 20 without --timeout)")
    p.add_argument("--timeout", help="stop starting new trials after this long: 90s, 30m, 2h")
    p.add_argument("--epochs", type=positive_int, default=10, help="proxy training epochs per trial (default 10)")
    p.add_argument("--sampler", choices=SAMPLERS, default="auto", help="auto = tpe for one objective, nsga2 for two")
    p.add_argument("--pruner", choices=PRUNERS, default="median", help="epoch pruning (single objective only)")
    p.add_argument("--objectives", choices=OBJECTIVES, default="accuracy", metavar="OBJECTIVES",
                   help="accuracy (default); accuracy,macs or accuracy,latency for a Pareto front (NSGA-II)")
    p.add_argument("--tune", metavar="NAMES", help="training hyper-parameters searched with the architecture, "
                   "comma-separated: " + "; ".join(f"{t.name} ({t.what}: {t.low:g} to {t.high:g}{', log' if t.log else ''})"
                                                   for t in TUNABLES.values()) + " (ranges: tune: in the --space file)")
    p.add_argument("--enqueue", metavar="MODELS", help="comma-separated presets or genome files to train first "
                                                         "(warm start; they become trials of the study)")
    p.add_argument("--baselines", action="store_true",
                   help="also train budget-matched hand designs, as trials of the study marked as baselines")
    p.add_argument("--chance-stop", type=int, default=4, metavar="N",
                   help="stop when the study's first N trained trials all score at chance (default 4; 0 = never)")
    p.add_argument("--dry-run", type=positive_int, metavar="N",
                   help="sample N genomes exactly as the search would, train nothing, write nothing")
    add_output_args(p)
    p.set_defaults(handler=run_search)


def add_search_args(p: argparse.ArgumentParser) -> None:
    """The flags that say what is searched and how each trial trains, shared by ``nas run`` and ``nas calibrate``."""
    p.add_argument("--budget", help="max MACs per image at the search resolution: 400MFLOPs, 400M, 0.4GFLOPs, "
                                    "1.2GMACs, 400e6 (FLOPs = MACs = multiply-adds)")
    p.add_argument("--params-budget", help="max parameters: 5M, 500k")
    p.add_argument("--min-budget", type=float, help="lower bound as a fraction of --budget (e.g. 0.5)")
    add_data_args(p)
    p.add_argument("--batch-size", type=positive_int,
                   help="proxy training batch (default: from the size of the training split, 32 to 256)")
    p.add_argument("--lr", type=float, help="peak learning rate (default: 0.2 scaled to the batch size)")
    p.add_argument("--max-train-images", type=positive_int, help="train each proxy on a random subset of this size")
    p.add_argument("--study", help="study name (default: derived from data and budget)")
    add_storage_args(p)
    p.add_argument("--space", help="'free' for the free-form space, or a YAML/JSON search-space file "
                                   "(default: the design-pattern space)")
    p.add_argument("--workers", type=positive_int, default=1, help="trial processes at once")
    p.add_argument("--device", help="auto (default), cpu, cuda, cuda:N")
    p.add_argument("--seed", type=int, default=0, help="seeds this run's sampler and training (the study's data and "
                                                       "validation split never depend on it: workers may each have one)")
    p.add_argument("--resolution", type=positive_int, help="search resolution (default: the data's native size)")
    p.add_argument("--trial-timeout", help="fail a trial whose training runs longer than this: 90s, 10m")
    p.add_argument("--max-failures", type=positive_int, default=5,
                   help="stop after this many failed or rejected trials in a row (default 5)")
    p.add_argument("--heartbeat", type=positive_int, default=10,
                   help="seconds between a running trial's heartbeats, for a new study (default 10); a trial silent "
                        "for 6 of them is marked interrupted")


def config_from_args(args: argparse.Namespace):
    """Validate the flags into a SearchConfig (one clear error for the first bad one), as the API does."""
    from dataclasses import fields

    from ..run_config import RunConfig

    return RunConfig(**{f.name: getattr(args, f.name) for f in fields(RunConfig)}).search_config()


def run_search(args: argparse.Namespace) -> int:
    """Run (or resume) the search; print the summary; write best.json, trials.csv and the dashboard."""
    from ..runner import make_folder, prepare
    from .run_steps import dry_run, header, run_and_report

    p = prepare(config_from_args(args))
    if args.dry_run:
        return dry_run(p.cfg, p.settings, args.dry_run, args.json)
    make_folder(p.cfg.paths.folder)  # best.json, trials.csv and the dashboard go here whatever the storage
    return run_and_report(p, args, header)


__all__ = ["add", "add_search_args", "config_from_args", "run_search"]
