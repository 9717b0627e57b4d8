"""The steps of ``nas run`` after its flags are read: checks, the header, warm starts, the run, the report."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from space.units import human

from .common import UsageError, say



def check_run(cfg: Any, settings: Any, data: Any) -> list[str]:
    """Refuse what cannot work (one line, exit 2); return the warnings worth printing."""
    from ..sampling import DataShape, feasible_range, refusal
    from ..train import few_steps_warning

    classes = data.num_classes
    if cfg.train.max_train_images is not None and cfg.train.max_train_images < classes:
        raise UsageError(f"--max-train-images {cfg.train.max_train_images} is fewer than the {classes} classes: "
                         "every class needs training images")
    if settings.train.get("cutout", 0) > settings.resolution:
        raise UsageError(f"cutout {settings.train['cutout']} is larger than the {settings.resolution}-px images")
    lo, hi = feasible_range(cfg.space, DataShape(settings.resolution, settings.channels, classes))
    problem = refusal(cfg.budget, lo, hi, settings.resolution)
    if problem:
        raise UsageError(problem)
    n = min(len(data.train_y), cfg.train.max_train_images or len(data.train_y))
    warning = few_steps_warning(n, settings.train["batch_size"], settings.epochs)
    return [warning] if warning else []


def dry_run(cfg: Any, settings: Any, n: int, as_json: bool) -> int:
    """Sample n genomes as the search would; print the summary (and the genomes with --json); write nothing."""
    from ..sampling import DataShape, dry_run as sample_dry
    from ..study import make_sampler

    shape = DataShape(settings.resolution, settings.channels, settings.num_classes)
    report = sample_dry(cfg.space, shape, cfg.budget, len(settings.objectives), n, make_sampler(cfg, 0))
    q = report.quality._asdict()
    fit = len(report.sampled)
    if as_json:
        print(json.dumps({"genomes": [g.to_dict() for g in report.genomes], "sampled": n, "fit": fit,
                          "rejected": report.rejected, "summary": q}, indent=2))
        return 0
    lo, mid, hi = q["macs_share"]
    print(f"dry run: {n} genomes sampled as the search would (nothing trained, nothing written); {fit} fit the "
          f"budget, {report.rejected} rejected\n"
          f"  MACs as a share of the budget: min {lo:.0%}, median {mid:.0%}, max {hi:.0%}; "
          f"{q['near_top']:.0%} within 80-100 %\n"
          f"  design rules: {q['rules_ok']:.0%} all ok; widths never shrink {q['non_decreasing']:.0%}; last map "
          f"2-8 px {q['last_map_ok']:.0%}; receptive field >= 70 % of the input {q['rf_ok']:.0%}\n"
          f"  time per trial: not known before a trial has run")
    return 0


def header(cfg: Any, settings: Any, data: Any, view: Any) -> str:
    """The run's first lines: what is searched, on which split, with which recipe."""
    b = settings.budget
    what = " and ".join(w for w in (f"MACs <= {human(b.max_macs)}" if b.max_macs else "",
                                    f"params <= {human(b.max_params)}" if b.max_params else "") if w)
    t = settings.train
    used = min(len(data.train_y), t.get("max_train_images") or len(data.train_y))
    lines = [f"study {cfg.study}: {data.name} {settings.resolution}x{settings.resolution}, {what} (MACs = FLOPs), "
             f"{cfg.trials or 'unlimited'} trials x {settings.epochs} epochs",
             f"  recipe: batch {t['batch_size']}{'' if cfg.batch_given else ' (from the data size)'}, "
             f"lr {t['lr']:g}{'' if cfg.lr_given else ' (scaled to the batch)'}; training on {used:,} images, "
             f"scored on the validation split ({len(data.val_y):,} images; the test split is not used)"]
    cal = view.calibration if view is not None else None
    if cal:
        tau = {p["epochs"]: p for p in cal.get("proxies", [])}.get(settings.epochs)
        lines.append(f"  proxy fidelity: Kendall tau {tau['kendall_tau']:.2f} [{tau['tau_low']:.2f}, "
                     f"{tau['tau_high']:.2f}] for {settings.epochs} epochs against {cal.get('full_epochs')} "
                     "(nas calibrate)" if tau else
                     f"  proxy fidelity: calibrated for {sorted({p['epochs'] for p in cal.get('proxies', [])})} "
                     f"epochs, not for {settings.epochs}")
    return "\n".join(lines)


def _warm_start(cfg: Any, study: Any, data: Any, settings: Any, args: argparse.Namespace) -> None:
    """Enqueue --enqueue genomes and --baselines as trials (once: a rerun does not add them again)."""
    from space import arch_string

    from .common import resolve_genome

    wanted: list[tuple[str, Any]] = []
    for spec in filter(None, (args.enqueue or "").split(",")):
        g = resolve_genome(spec.strip(), cfg.studies_dir, cfg.storage, "--enqueue ")
        wanted.append(("", g.replace(in_channels=settings.channels, num_classes=settings.num_classes,
                                     resolution=settings.resolution)))
    if args.baselines:
        from ..baselines import baseline_genomes

        wanted += list(baseline_genomes(data, settings.resolution, settings.budget).items())
    have = {(t.user_attrs.get("baseline", ""), json.dumps(t.user_attrs.get("enqueued_genome"), sort_keys=True))
            for t in study.get_trials(deepcopy=False)}
    for name, g in wanted:
        key = (name, json.dumps(g.to_dict(), sort_keys=True))
        if key not in have:
            attrs = {"enqueued_genome": g.to_dict(), **({"baseline": name} if name else {})}
            study.enqueue_trial({}, user_attrs=attrs)
            say(args, f"enqueued {name or 'genome'}: {arch_string(g)}")


def run_and_report(cfg: Any, settings: Any, data: Any, args: argparse.Namespace, header_fn: Any,
                   warnings: list[str]) -> int:
    """Open the study, run the workers, print the summary, then write the files."""
    from ..dashboard import write_dashboard
    from ..results import chance_stop, read_study, summary, write_results
    from ..study import open_study, run_workers

    study, _, settings = open_study(cfg, settings)  # a refused rerun says only why, before any warning
    for w in warnings:
        say(args, f"warning: {w}")
    say(args, header_fn(cfg, settings, data, read_study(study)))
    _warm_start(cfg, study, data, settings, args)
    outcome = run_workers(cfg, data, settings)
    view = read_study(study)
    result = summary(view)
    unwritten = ""  # a full or read-only disk: the summary is still printed and the study is intact
    try:
        result["files"] = write_results(view, cfg.paths)
    except OSError as e:
        unwritten = _unwritten(cfg, "best.json and trials.csv", e, "show")
    chance = chance_stop(view, cfg.chance_trials)
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
    error = chance or (f"stopped after {outcome.failures_in_a_row} failed trials in a row; the last one: "
                       f"{outcome.last_failure or _last_failure(view)}"
                       if outcome.failures_in_a_row >= cfg.max_failures else "")
    if unwritten:  # one error line: the search's own, if it has one, after the files' as a warning
        print(f"nas: {'warning' if error else 'error'}: {unwritten}", file=sys.stderr)
    if error:
        print(f"nas: error: {error}", file=sys.stderr)
    return 1 if error or unwritten else 0


def _unwritten(cfg: Any, what: str, e: OSError, command: str) -> str:
    return (f"cannot write {what} in {cfg.paths.folder}: {e.strerror or e}; the study is intact and "
            f"'nas {command} {cfg.study}' writes {'it' if command == 'dashboard' else 'them'} again")


def _last_failure(view: Any) -> str:
    failed = [r for r in view.trials if r.status.failed]
    return f"{failed[-1].status.value}: {failed[-1].reason}" if failed else ""


def format_summary(s: dict) -> str:
    """The human-readable end-of-run summary."""
    lines = [f"study {s['study']}: {s['finished']} trials finished ("
             + ", ".join(f"{v} {k}" for k, v in sorted(s["statuses"].items())) + ")"]
    if s.get("budget_macs"):
        lines[0] += f", budget {human(s['budget_macs'])} MACs"
    lines += ["", "top trials (validation accuracy):"]
    for r in s["top"]:
        mark = " (at chance)" if r.get("at_chance") else ""
        base = f" [baseline {r['baseline']}]" if r.get("baseline") else ""
        lines.append(f"  #{r['trial']:<4} {r['val_acc']:.4f}{mark}  {human(r['params']):>8} params  "
                     f"{human(r['macs']):>8} MACs  {r['arch']}{base}")
    if len(s["objectives"]) > 1:
        lines += ["", f"Pareto front ({' vs '.join(s['objectives'])}):"]
        for r in s["pareto"]:
            extra = f"{r['latency_ms']:.2f} ms" if s["objectives"][1] == "latency" and r.get("latency_ms") \
                else f"{human(r['macs'])} MACs"
            lines.append(f"  #{r['trial']:<4} {r['val_acc']:.4f}  {extra}  {r['arch']}")
    for k, v in s.get("files", {}).items():
        lines.append(f"{k}: {v}")
    return "\n".join(lines)
