"""The steps of ``nas run`` around search.run.runner: the header, the warm starts its flags ask for, the report."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..common import say


def dry_run(cfg: Any, settings: Any, n: int, as_json: bool) -> int:
    """Sample n genomes as the search would (trial k with the sampler ``nas run`` seeds for trial k, so they are
    the genomes a new study with these settings trains first, before any trial has finished); print the
    summary (and each sample's params and genome with --json); write nothing."""
    from ...sampling import DataShape, dry_run as sample_dry
    from ...study import make_sampler

    shape = DataShape(settings.resolution, settings.channels, settings.num_classes)
    report = sample_dry(cfg.space, shape, cfg.budget, len(settings.objectives), n, lambda k: make_sampler(cfg, k))
    q = report.quality._asdict()
    fit = len(report.sampled)
    if as_json:
        samples = [{"params": p, "genome": s.genome.to_dict()} for p, s in zip(report.params, report.sampled)]
        print(json.dumps({"samples": samples, "rejected": report.rejected, "sampled": n, "fit": fit,
                          "genomes": [s["genome"] for s in samples], "summary": q}, indent=2))
        return 0
    lo, mid, hi = q["macs_share"]
    print(f"dry run: {n} genomes sampled as the search would (nothing trained, nothing written); {fit} fit the "
          f"budget, {report.rejected} rejected\n"
          f"  MACs as a share of the budget: min {lo:.0%}, median {mid:.0%}, max {hi:.0%}; "
          f"{q['near_top']:.0%} within 80-100 %\n"
          f"  design rules: {q['rules_ok']:.0%} all ok; widths never shrink {q['non_decreasing']:.0%}; last map "
          f"2-8 px {q['last_map_ok']:.0%}; receptive field >= 70 % of the input {q['rf_ok']:.0%}\n"
          f"  shape: stages {q['stage_counts']}, stems {q['stems']}; {q['shallow']:.0%} with <= 10 weighted layers; "
          f"{q['distinct_per_1000']:.0f} distinct architectures per 1,000\n"
          f"  time per trial: not known before a trial has run")
    return 0


def header(cfg: Any, settings: Any, data: Any, view: Any) -> str:
    """The run's first lines: what is searched, on which split, with which recipe."""
    what = settings.budget.text()
    t = settings.train
    used = min(len(data.train_y), t.get("max_train_images") or len(data.train_y))
    lines = [f"study {cfg.study}: {data.name} {settings.resolution}x{settings.resolution}, {what} (MACs = FLOPs), "
             f"{cfg.trials or 'unlimited'} trials x {settings.epochs} epochs",
             f"  recipe: batch {t['batch_size']}{'' if cfg.batch_size is not None else ' (from the data size)'}, "
             f"lr {t['lr']:g}{'' if cfg.lr is not None else ' (scaled to the batch)'}; training on {used:,} images, "
             f"scored on the validation split ({len(data.val_y):,} images; the test split is not used)"]
    cal = view.calibration if view is not None else None
    if cal:
        from ...report.calibration import fidelity_line

        lines.append(f"  {fidelity_line(cal, settings.epochs)}")
    return "\n".join(lines)


def _wanted(p: Any, args: argparse.Namespace) -> list[tuple[str, Any]]:
    """The --enqueue genomes and the --baselines, as (baseline name or "", genome) pairs."""
    from ...run.runner import warm_starts
    from ..common import resolve_genome

    genomes = [resolve_genome(spec.strip(), p.cfg.studies_dir, p.cfg.storage, "--enqueue ")
               for spec in filter(None, (args.enqueue or "").split(","))]
    return warm_starts(p, genomes, args.baselines)


def run_and_report(p: Any, args: argparse.Namespace, header_fn: Any) -> int:
    """Open the study, run the workers, print the summary, then write the files."""
    from ...calibrate.studies import sync
    from ...dashboard import write_dashboard
    from ...report.results import chance_stop, format_summary, read_study, summary, write_results
    from ...run.runner import execute, stop_reason

    cfg = p.cfg

    def opened(study: Any, settings: Any) -> None:  # a refused rerun has said only why, before any warning
        sync(study, cfg.paths)  # nas calibrate may have measured this study's proxy before the study existed
        for w in p.warnings:
            say(args, f"warning: {w}")
        say(args, header_fn(cfg, settings, p.data, read_study(study)))

    study, view, outcome = execute(p, _wanted(p, args), log=lambda m: say(args, m),
                                   on_open=opened)
    result = summary(view)
    unwritten = ""  # a full or read-only disk: the summary is still printed and the study is intact
    try:
        result["files"] = write_results(view, cfg.paths)
    except OSError as e:
        unwritten = _unwritten(cfg, "best.json and trials.csv", e, "show --write")
    chance = chance_stop(view, cfg.chance_stop)
    if chance:
        result["stopped"] = chance
    print(json.dumps(result, indent=2) if args.json else format_summary(result))
    sys.stdout.flush()
    try:
        result.setdefault("files", {})["dashboard"] = str(write_dashboard(study, cfg.paths.dashboard,
                                                                          studies_dir=cfg.studies_dir))
        say(args, f"dashboard: {result['files']['dashboard']}")
    except OSError as e:
        unwritten = unwritten or _unwritten(cfg, "dashboard.html", e, "dashboard")
    error = stop_reason(view, outcome, cfg)
    if unwritten:  # one error line: the search's own, if it has one, after the files' as a warning
        print(f"nas: {'warning' if error else 'error'}: {unwritten}", file=sys.stderr)
    if error:
        print(f"nas: error: {error}", file=sys.stderr)
    return 1 if error or unwritten else 0


def _unwritten(cfg: Any, what: str, e: OSError, command: str) -> str:
    return (f"cannot write {what} in {cfg.paths.folder}: {e.strerror or e}; the study is intact and "
            f"'nas {command} {cfg.study}' writes {'it' if command == 'dashboard' else 'them'} again")
