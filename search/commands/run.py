"""``nas run``: search the design space under a compute budget."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from space.report import human

from ..budget import parse_duration, parse_macs, parse_params
from ..cli import FLOPS_NOTE, UsageError, positive_int
from ..dashboard import write_dashboard
from ..searchspace import Budget, load_space
from ..study import (OBJECTIVES, PRUNERS, SAMPLERS, SearchConfig, failure_streak, open_study, quiet_optuna,
                     redact_url, run_workers, summary, write_results)
from ..train import TrainConfig, resolve_device


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``nas run``."""
    p = sub.add_parser("run", help="search for the best CNN under a compute budget (an Optuna study)",
                       description="Search the design space under a budget; every trial trains a proxy on the "
                                   "validation split and records accuracy, params and MACs.", epilog=FLOPS_NOTE)
    p.add_argument("--budget", help="max MACs per image at the search resolution: 400MFLOPs, 400M, 0.4GFLOPs, "
                                    "1.2GMACs, 400e6 (FLOPs = MACs = multiply-adds)")
    p.add_argument("--params-budget", help="max parameters: 5M, 500k")
    p.add_argument("--min-budget", type=float, help="lower bound as a fraction of --budget (e.g. 0.5): candidates "
                                                    "are widened to at least this many MACs")
    p.add_argument("--data", required=True,
                   help="synthetic, a torchvision name (cifar10, cifar100, svhn, fashionmnist, mnist), "
                        "an ImageFolder folder, or a .tar.gz/.zip of one")
    p.add_argument("--trials", type=positive_int, help="trials that finish training (default 20 without --timeout)")
    p.add_argument("--timeout", help="stop starting new trials after this long: 90s, 30m, 2h")
    p.add_argument("--epochs", type=positive_int, default=10, help="proxy training epochs per trial (default 10)")
    p.add_argument("--batch-size", type=positive_int, default=256, help="proxy training batch (default 256)")
    p.add_argument("--max-train-images", type=positive_int, help="train each proxy on a random subset of this size")
    p.add_argument("--study", help="study name (default: derived from data and budget)")
    p.add_argument("--storage", help="Optuna storage URL (default sqlite under studies/NAME/; "
                                     "postgresql://... for several machines)")
    p.add_argument("--studies-dir", default="studies", help="where studies live (default ./studies)")
    p.add_argument("--space", help="search-space file (YAML or JSON) overriding the default ranges")
    p.add_argument("--sampler", choices=SAMPLERS, default="auto",
                   help="auto = tpe for one objective, nsga2 for two")
    p.add_argument("--pruner", choices=PRUNERS, default="median", help="epoch pruning (single objective only)")
    p.add_argument("--objectives", choices=list(OBJECTIVES), default="accuracy")
    p.add_argument("--workers", type=positive_int, default=1, help="trial processes at once")
    p.add_argument("--device", help="auto (default), cpu, cuda, cuda:N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resolution", type=positive_int, help="search resolution (default: the data's native size)")
    p.add_argument("--trial-timeout", help="fail a trial whose training runs longer than this: 90s, 10m")
    p.add_argument("--max-failures", type=positive_int, default=5, help="stop after this many failed trials in a row")
    p.add_argument("--heartbeat", type=positive_int, default=10,
                   help="seconds between a running trial's heartbeats; a trial silent for 6 of them (its process "
                        "was killed) is marked failed when the study next claims a trial (default 10)")
    p.add_argument("--baselines", action="store_true",
                   help="also train budget-matched hand-designed presets under the same protocol")
    p.add_argument("--cache-dir", help="where decoded data sets are cached (default $NAS_CACHE or ~/.cache/nas)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run_search)


def config_from_args(args: argparse.Namespace) -> SearchConfig:
    """Validate the flags into a SearchConfig (one clear error for the first bad one)."""
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
    timeout = parse_duration(args.timeout) if args.timeout else None
    trials = args.trials if args.trials or timeout else 20
    trial_timeout = parse_duration(args.trial_timeout) if args.trial_timeout else None
    if args.objectives == "accuracy" and args.sampler == "nsga2":
        raise UsageError("--sampler nsga2 is for two objectives; use --objectives accuracy,macs or another sampler")
    name = args.study or _default_name(args.data, max_macs, max_params)
    if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise UsageError(f"--study {name!r}: use letters, digits, '-', '_' and '.' only")
    train = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, max_train_images=args.max_train_images,
                        resolution=args.resolution, time_limit_s=trial_timeout, latency_batch_sizes=(1,))
    return SearchConfig(study=name, data=args.data, budget=Budget(max_macs, max_params, min_macs),
                        objectives=args.objectives, trials=trials, timeout_s=timeout, train=train,
                        space=load_space(args.space), sampler=args.sampler, pruner=args.pruner, workers=args.workers,
                        device=args.device, seed=args.seed, studies_dir=args.studies_dir, storage=args.storage,
                        cache_dir=args.cache_dir, max_failures=args.max_failures,
                        heartbeat_s=args.heartbeat)


def _default_name(data: str, macs: int | None, params: int | None) -> str:
    """e.g. cifar10-400M, or cifar10-400M-5Mparams."""
    def compact(n: int) -> str:
        text = human(n)
        return text[:-1].rstrip("0").rstrip(".") + text[-1] if "." in text else text

    base = Path(data.rstrip("/")).name.split(".")[0].split(":")[0] or "data"
    return "-".join([base] + ([compact(macs)] if macs else []) + ([f"{compact(params)}params"] if params else []))


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create the study folder {folder}: {e.strerror or e}") from None
    if not os.access(folder, os.W_OK):
        raise UsageError(f"the study folder {folder} is not writable")


def run_search(args: argparse.Namespace) -> int:
    """Run (or resume) the search, then write best.json, trials.csv and the dashboard, and print a summary."""
    from ..data import load_data

    quiet_optuna()
    cfg = config_from_args(args)
    resolve_device(cfg.device)  # "--device cuda" without a GPU fails here, before anything is written
    data = load_data(cfg.data, cfg.cache_dir, cfg.val_fraction, cfg.seed)
    res = cfg.train.resolution or data.resolution
    _check_writable(cfg.folder)  # best.json, trials.csv and the dashboard go here whatever the storage
    study, _ = open_study(cfg, res)  # settings clash or unreachable storage: one line, before any worker starts
    if not cfg.quiet:
        what = [f"MACs <= {human(cfg.budget.max_macs)}" if cfg.budget.max_macs else "",
                f"params <= {human(cfg.budget.max_params)}" if cfg.budget.max_params else ""]
        print(f"study {cfg.study}: {data.name} {res}x{res}, {' and '.join(w for w in what if w)}, "
              f"{cfg.trials or 'unlimited'} trials x {cfg.train.epochs} epochs, storage {redact_url(cfg.storage_url)}",
              file=sys.stderr)
    run_workers(cfg, data)
    written = write_results(study, cfg.folder)
    written["dashboard"] = str(write_dashboard(study, cfg.folder / "dashboard.html", studies_dir=cfg.studies_dir))
    result = summary(study)
    if args.baselines:
        from ..baselines import run_baselines

        result["baselines"] = run_baselines(cfg, data, study)
    result["files"] = written
    print(json.dumps(result, indent=2) if args.json else format_summary(result))
    streak = failure_streak(study)
    if len(streak) >= cfg.max_failures:
        last = streak[-1].user_attrs
        print(f"nas: error: stopped after {len(streak)} failed trials in a row; the last one: "
              f"{last.get('status', 'error')}: {last.get('reason', '')}", file=sys.stderr)
        return 1
    return 0


def format_summary(s: dict) -> str:
    """The human-readable end-of-run summary."""
    lines = [f"study {s['study']}: {s['finished']} trials finished ("
             + ", ".join(f"{v} {k}" for k, v in sorted(s["statuses"].items())) + ")"]
    if s.get("budget_macs"):
        lines[0] += f", budget {human(s['budget_macs'])} MACs"
    lines.append("")
    lines.append("top trials (validation accuracy):")
    for r in s["top"]:
        lines.append(f"  #{r['trial']:<4} {r['val_acc']:.4f}  {human(r['params']):>8} params  "
                     f"{human(r['macs']):>8} MACs  {r['arch']}")
    if s["objectives"] and len(s["objectives"]) > 1:
        lines.append("")
        lines.append(f"Pareto front ({' vs '.join(s['objectives'])}):")
        for r in s["pareto"]:
            extra = f"{r['latency_ms']:.2f} ms" if r.get("latency_ms") else f"{human(r['macs'])} MACs"
            lines.append(f"  #{r['trial']:<4} {r['val_acc']:.4f}  {extra}  {r['arch']}")
    for b in s.get("baselines", []):
        if b.get("val_acc") is None:
            lines.append(f"baseline {b['name']}: {b['status']} {b.get('reason', '')}")
            continue
        margin = f" (search best {'beats' if b['margin'] > 0 else 'trails'} it by {abs(b['margin']):.4f})" \
            if b.get("margin") is not None else ""
        lines.append(f"baseline {b['name']}: val_acc {b['val_acc']:.4f}, {human(b['macs'])} MACs{margin}")
    for k, v in s.get("files", {}).items():
        lines.append(f"{k}: {v}")
    return "\n".join(lines)
