"""``nas run``: search the design space under a compute budget."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .common import (FLOPS_NOTE, UsageError, add_data_args, add_output_args, add_storage_args, positive_int, say)

SAMPLERS = ("auto", "tpe", "nsga2", "random")  # as search.study.SAMPLERS, spelled here to keep --help light
PRUNERS = ("median", "hyperband", "none")
OBJECTIVES = ("accuracy", "accuracy,macs", "accuracy,latency")


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
    p.add_argument("--objectives", choices=OBJECTIVES, default="accuracy")
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
    p.add_argument("--seed", type=int, default=0, help="seeds the sampler and training (the validation split is "
                                                       "fixed by the study's first run)")
    p.add_argument("--resolution", type=positive_int, help="search resolution (default: the data's native size)")
    p.add_argument("--trial-timeout", help="fail a trial whose training runs longer than this: 90s, 10m")
    p.add_argument("--max-failures", type=positive_int, default=5,
                   help="stop after this many failed or rejected trials in a row (default 5)")
    p.add_argument("--heartbeat", type=positive_int, default=10,
                   help="seconds between a running trial's heartbeats, for a new study (default 10); a trial silent "
                        "for 6 of them is marked interrupted")


def config_from_args(args: argparse.Namespace):
    """Validate the flags into a SearchConfig (one clear error for the first bad one)."""
    from ..budget import Budget, parse_duration, parse_macs, parse_params
    from ..sampling import load_space
    from ..study import SearchConfig
    from ..train import TrainConfig

    if args.budget is None and args.params_budget is None:
        raise UsageError("give a compute budget (--budget 400MFLOPs) and/or a parameter budget (--params-budget 5M)")
    max_macs = parse_macs(args.budget) if args.budget is not None else None
    max_params = parse_params(args.params_budget) if args.params_budget is not None else None
    min_macs = 0
    if args.min_budget is not None:
        if max_macs is None:
            raise UsageError("--min-budget is a fraction of --budget; give --budget too")
        if not 0 < args.min_budget < 1:
            raise UsageError(f"--min-budget must be a fraction between 0 and 1, got {args.min_budget}")
        min_macs = int(args.min_budget * max_macs)
    if args.lr is not None and not args.lr > 0:
        raise UsageError(f"--lr must be positive, got {args.lr}")
    timeout = parse_duration(args.timeout) if args.timeout else None
    trials = args.trials if args.trials or timeout else 20
    trial_timeout = parse_duration(args.trial_timeout) if args.trial_timeout else None
    if args.objectives == "accuracy" and args.sampler == "nsga2":
        raise UsageError("--sampler nsga2 is for two objectives; use --objectives accuracy,macs or another sampler")
    name = args.study or _default_name(args.data, max_macs, max_params)
    if not name.replace("-", "").replace("_", "").replace(".", "").isalnum() or name.startswith("."):
        raise UsageError(f"--study {name!r}: use letters, digits, '-', '_' and '.' only")
    train = TrainConfig(epochs=args.epochs, batch_size=args.batch_size or 256, max_train_images=args.max_train_images,
                        resolution=args.resolution, time_limit_s=trial_timeout, latency_batch_sizes=(1,),
                        **({"lr": args.lr} if args.lr is not None else {}))
    return SearchConfig(study=name, data=args.data, budget=Budget(max_macs, max_params, min_macs),
                        space=load_space(args.space), objectives=args.objectives, trials=trials, timeout_s=timeout,
                        train=train, batch_given=args.batch_size is not None, lr_given=args.lr is not None,
                        sampler=args.sampler, pruner=args.pruner, workers=args.workers, device=args.device,
                        seed=args.seed, studies_dir=args.studies_dir, storage=args.storage, cache_dir=args.cache_dir,
                        max_failures=args.max_failures, heartbeat_s=args.heartbeat, quiet=args.quiet,
                        chance_trials=max(0, args.chance_stop))


def _default_name(data: str, macs: int | None, params: int | None) -> str:
    """e.g. cifar10-400M, or cifar10-400M-5Mparams."""
    from space.units import human

    def compact(n: int) -> str:
        text = human(n)
        return text[:-1].rstrip("0").rstrip(".") + text[-1] if "." in text else text

    base = Path(data.rstrip("/")).name.split(".")[0].split(":")[0] or "data"
    return "-".join([base] + ([compact(macs)] if macs else []) + ([f"{compact(params)}params"] if params else []))


def check_writable(folder: Path) -> None:
    """Create the study folder, or say in one line why it cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create the study folder {folder}: {e.strerror or e}") from None
    if not os.access(folder, os.W_OK):
        raise UsageError(f"the study folder {folder} is not writable")


def run_search(args: argparse.Namespace) -> int:
    """Run (or resume) the search; print the summary; write best.json, trials.csv and the dashboard."""
    from ..data import load_data
    from ..study import peek_settings, quiet_optuna, settings_for
    from ..train import resolve_device
    from .run_steps import check_run, dry_run, header, run_and_report

    quiet_optuna()
    cfg = config_from_args(args)
    resolve_device(cfg.device)  # "--device cuda" without a GPU fails here, before anything is written
    stored = peek_settings(cfg)  # a resumed study keeps its validation split and heartbeat
    split_seed = stored.split_seed if stored else cfg.seed
    data = load_data(cfg.data, cfg.cache_dir, cfg.val_fraction, split_seed)
    settings = settings_for(cfg, data, split_seed, stored.heartbeat_s if stored else cfg.heartbeat_s)
    warnings = check_run(cfg, settings, data)
    if args.dry_run:
        return dry_run(cfg, settings, args.dry_run, args.json)
    check_writable(cfg.paths.folder)  # best.json, trials.csv and the dashboard go here whatever the storage
    return run_and_report(cfg, settings, data, args, header, warnings)


__all__ = ["add", "add_search_args", "check_writable", "config_from_args", "run_search"]
