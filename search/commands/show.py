"""``nas show``: a finished or running study, from any storage: settings, counts, top trials, the front."""

from __future__ import annotations

import argparse
import json

from .common import FLOPS_NOTE, UsageError, add_storage_args, load_study, positive_int


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``nas show``."""
    p = sub.add_parser("show", help="print a study: settings, trials by status, the top trials and the front",
                       description="Read a study (running or finished) and print it; nothing is written unless "
                                   "--write is given.", epilog=FLOPS_NOTE)
    p.add_argument("name", metavar="NAME", nargs="?",
                   help="the study name; without it, list the studies of --studies-dir or --storage")
    add_storage_args(p)
    p.add_argument("--top", type=positive_int, default=5, help="how many top trials to list (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--write", action="store_true", help="also rewrite best.json and trials.csv under "
                                                        "STUDIES_DIR/NAME/ from the study (as nas run does)")
    p.set_defaults(handler=run_show)


def run_show(args: argparse.Namespace) -> int:
    """Print the study; rewrite its files only with --write (a read-only studies folder is fine to show)."""
    from ..paths import StudyPaths
    from ..report.results import format_summary, read_study, summary, write_results

    if args.name is None:
        return list_all(args)
    study, _ = load_study(args.name, args.storage, args.studies_dir)
    view = read_study(study)
    result = summary(view, args.top)
    try:
        if args.write:
            result["files"] = write_results(view, StudyPaths.of(args.studies_dir, args.name))
    except OSError as e:
        raise UsageError(f"cannot write best.json/trials.csv under {args.studies_dir}/{args.name}: "
                         f"{e.strerror or e}") from None
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    s = view.settings
    if s is not None:
        print(f"settings: data {s.data} at {s.resolution}x{s.resolution}, {s.channels} channels, {s.num_classes} "
              f"classes; {s.epochs} epochs, batch {s.train.get('batch_size')}, lr {s.train.get('lr')}; "
              f"space {s.space.get('kind', 'custom')}")
    print(format_summary(result))
    return 0


def list_all(args: argparse.Namespace) -> int:
    """One row per study: name, trials, best accuracy, last change, budget."""
    from ..report.listing import format_rows, list_studies

    rows = list_studies(args.studies_dir, args.storage)
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
    elif rows:
        print(format_rows(rows))
    else:
        print(f"no study in {args.storage or args.studies_dir} (nas run --study NAME makes one)")
    return 0
