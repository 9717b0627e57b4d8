"""``nas dashboard``: a study's plots and tables as one offline HTML file, or several studies' fronts overlaid."""

from __future__ import annotations

import argparse
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from ..cli import FLOPS_NOTE, UsageError, positive_int
from ..dashboard import TOP_K, write_dashboard, write_overlay
from ..study import default_storage, open_storage, quiet_optuna, redact_url

DEFAULT_PORT = 8080


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``dashboard``."""
    p = sub.add_parser(
        "dashboard", help="write a study's dashboard: one offline HTML file of fronts, history, patterns, tables",
        description="Write one self-contained HTML file (plotly embedded, works offline) for a study; with "
                    "several names, one page overlaying their Pareto fronts. Safe to run while a search is going.",
        epilog=FLOPS_NOTE)
    p.add_argument("names", nargs="+", metavar="NAME", help="study name; give several to overlay their fronts")
    p.add_argument("--storage", help="Optuna storage URL holding the studies (default: sqlite under "
                                     "STUDIES_DIR/NAME/study.db, as nas run writes)")
    p.add_argument("--studies-dir", type=Path, default=Path("studies"), help="where studies live (default ./studies)")
    p.add_argument("--out", type=Path, metavar="FILE", help="the HTML file (default STUDIES_DIR/NAME/dashboard.html; "
                                                            "for several studies STUDIES_DIR/overlay-A-B.html)")
    p.add_argument("--top", type=positive_int, default=TOP_K, help=f"rows of the trials table (default {TOP_K})")
    p.add_argument("--serve", action="store_true",
                   help="then serve the page on http://127.0.0.1:PORT/, rebuilt from the study on every reload, "
                        "until Ctrl-C")
    p.add_argument("--port", type=positive_int, help=f"port for --serve (default {DEFAULT_PORT})")
    p.set_defaults(handler=run_dashboard)


def _studies_in(studies_dir: Path) -> str:
    if not studies_dir.is_dir():
        return f"{studies_dir} does not exist"
    names = sorted(p.parent.name for p in studies_dir.glob("*/study.db"))
    return f"studies there: {', '.join(names)}" if names else f"{studies_dir} holds no study"


def load_study(name: str, storage: str | None, studies_dir: Path):
    """Load study ``name`` from ``storage`` (default: its SQLite file under ``studies_dir``), or fail in one line."""
    import optuna


    quiet_optuna()
    if storage is None:
        if not (studies_dir / name / "study.db").is_file():
            raise UsageError(f"no study {name!r} in {studies_dir}/ ({_studies_in(studies_dir)}; "
                             f"give --storage URL for a study stored elsewhere)")
        url = default_storage(studies_dir, name)
    else:
        url = storage
        if url.startswith("sqlite:///"):  # SQLAlchemy would silently create an empty database
            path = Path(url[len("sqlite:///"):].split("?", 1)[0])
            if str(path) not in ("", ":memory:") and not path.is_file():
                raise UsageError(f"--storage {url}: no such file {path}")
    rdb = open_storage(url)
    names = sorted(s.study_name for s in rdb.get_all_studies())
    if name not in names:
        there = f"studies there: {', '.join(names)}" if names else "it holds no study"
        raise UsageError(f"no study {name!r} in {redact_url(url)} ({there})")
    return optuna.load_study(study_name=name, storage=rdb), url


def _out_path(args: argparse.Namespace) -> Path:
    if args.out is not None:
        out: Path = args.out
        if out.is_dir():
            raise UsageError(f"--out {out} is a folder; give a file name such as dashboard.html")
        if not out.parent.is_dir():
            raise UsageError(f"--out {out}: the folder {out.parent} does not exist")
        return out
    if len(args.names) == 1:
        return args.studies_dir / args.names[0] / "dashboard.html"
    return args.studies_dir / f"overlay-{'-'.join(args.names)}.html"


def run_dashboard(args: argparse.Namespace) -> int:
    """Write the dashboard (or overlay) and, with --serve, serve it until Ctrl-C."""
    if args.port is not None and not args.serve:
        raise UsageError("--port is only used with --serve")
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

    build()
    print(f"wrote {out}")
    if not args.serve:
        return 0
    port = DEFAULT_PORT if args.port is None else args.port
    server = make_server(out, port, build)
    print(f"serving http://127.0.0.1:{server.server_address[1]}/ (rebuilt on every reload; Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def make_server(page: Path, port: int, rebuild: Callable[[], object] | None = None) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1:``port`` (0 = any free one) serving ``page`` only, rebuilt per request."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            if self.path.split("?", 1)[0] not in ("/", f"/{page.name}"):
                self.send_error(404, "only the dashboard is served here")
                return
            if rebuild is not None:
                try:
                    rebuild()
                except Exception as e:  # a storage hiccup mid-run: serve the last page rather than nothing
                    print(f"nas dashboard: rebuilding failed, serving the last page: {e}", file=sys.stderr)
            body = page.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (the http.server API)
            pass

    try:
        return ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError as e:
        raise UsageError(f"--port {port}: cannot listen on it ({e.strerror or e})") from None
