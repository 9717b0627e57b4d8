"""``nas dashboard``: a study's plots and tables as one offline HTML file, or several studies' fronts overlaid."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..paths import StudyPaths
from .common import FLOPS_NOTE, STORAGE_ENV, UsageError, add_storage_arg, load_study, positive_int, writable_folder

TOP_K = 200  # as search.dashboard.TOP_K, spelled here to keep --help light

DEFAULT_PORT = 8080
DEFAULT_HOST = "127.0.0.1"


def port_number(value: str) -> int:
    """argparse type: a TCP port, 1 to 65535."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number, got {value!r}") from None
    if not 1 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 1 to 65535, got {n}")
    return n


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``dashboard``."""
    p = sub.add_parser(
        "dashboard", help="write a study's dashboard: one offline HTML file of fronts, history, patterns, tables",
        description="Write one self-contained HTML file (plotly embedded, works offline) for a study; with "
                    "several names, one page overlaying their Pareto fronts. Safe to run while a search is going.",
        epilog=FLOPS_NOTE)
    p.add_argument("names", nargs="+", metavar="NAME", help="study name; give several to overlay their fronts")
    add_storage_arg(p, f"Optuna storage URL holding the studies (default ${STORAGE_ENV}, else sqlite under "
                       "STUDIES_DIR/NAME/study.db, as nas run writes)")
    p.add_argument("--studies-dir", type=Path, default=Path("studies"), help="where studies live (default ./studies)")
    p.add_argument("--out", type=Path, metavar="FILE", help="the HTML file (default STUDIES_DIR/NAME/dashboard.html; "
                                                            "for several studies STUDIES_DIR/overlay-A-B.html)")
    p.add_argument("--top", type=positive_int, default=TOP_K, help=f"rows of the trials table (default {TOP_K})")
    p.add_argument("--serve", action="store_true",
                   help="then serve the page on http://127.0.0.1:PORT/, rebuilt on a reload when the study has "
                        "changed, until Ctrl-C")
    p.add_argument("--port", type=port_number, help=f"port for --serve (default {DEFAULT_PORT})")
    p.add_argument("--host", help=f"address for --serve to listen on, and the one host name besides localhost "
                                  f"that it answers to (default {DEFAULT_HOST})")
    p.set_defaults(handler=run_dashboard)


def _out_path(args: argparse.Namespace) -> Path:
    if args.out is not None:
        out: Path = args.out
        if out.is_dir():
            raise UsageError(f"--out {out} is a folder; give a file name such as dashboard.html")
        if not out.parent.is_dir():
            raise UsageError(f"--out {out}: the folder {out.parent} does not exist")
        writable_folder(out.parent, "--out")
        return out
    if len(args.names) == 1:
        return StudyPaths.of(args.studies_dir, args.names[0]).dashboard
    return args.studies_dir / f"overlay-{'-'.join(args.names)}.html"


def study_stamp(studies) -> tuple:
    """A cheap token that changes whenever a trial starts or finishes: (count, last completion) per study."""
    stamps = []
    for study in studies:
        trials = study.get_trials(deepcopy=False)
        done = [t.datetime_complete for t in trials if t.datetime_complete is not None]
        stamps.append((len(trials), len(done), max(done, default=None)))
    return tuple(stamps)


def run_dashboard(args: argparse.Namespace) -> int:
    """Write the dashboard (or overlay) and, with --serve, serve it until Ctrl-C."""
    from ..dashboard import make_server, write_dashboard, write_overlay
    from ..study import redact_url

    for flag in ("port", "host"):
        if getattr(args, flag) is not None and not args.serve:
            raise UsageError(f"--{flag} is only used with --serve")
    if len(set(args.names)) != len(args.names):
        raise UsageError("a study name is given twice")
    out = _out_path(args)
    loaded = [load_study(name, args.storage, args.studies_dir) for name in args.names]
    studies = [s for s, _ in loaded]

    def build() -> Path:
        if len(studies) == 1:
            return write_dashboard(studies[0], out, studies_dir=args.studies_dir, top=args.top,
                                   storage_hint=redact_url(loaded[0][1]))
        return write_overlay(studies, out)

    stamp = study_stamp(studies)
    try:
        build()
    except OSError as e:
        raise UsageError(f"cannot write {out}: {e.strerror or e} (in {out.parent}); "
                         f"give --out FILE in a folder you can write") from None
    print(f"wrote {out}")
    if not args.serve:
        return 0
    host = args.host or DEFAULT_HOST
    port = DEFAULT_PORT if args.port is None else args.port
    server = make_server(out, port, build, stamp=lambda: study_stamp(studies), host=host, built_stamp=stamp)
    shown = f"[{host}]" if ":" in host else host
    print(f"serving http://{shown}:{server.server_address[1]}/ (rebuilt on a reload when the study changed; "
          f"Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
