"""The ``nas dashboard --serve`` server: one page on localhost, rebuilt only when the study changed.

It answers only requests whose Host header names this machine (or the ``--host`` name): a page on
another site that rebinds its DNS name to 127.0.0.1 cannot read the dashboard through the browser.
"""

from __future__ import annotations

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
IDLE_TIMEOUT_S = 30.0  # an idle connection holds a thread; a browser reconnects when it needs to
_NEVER = object()  # the stamp of a page not built yet: differs from every stamp


def host_name(header: str | None) -> str:
    """The host of a Host header, without its port or IPv6 brackets, lower case ('' when absent)."""
    h = (header or "").strip().lower()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else ""
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an open connection does not keep Ctrl-C waiting

    def handle_error(self, request, client_address) -> None:
        """A client that went away is one line; anything else keeps the standard traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            print(f"nas dashboard: connection from {client_address[0]} dropped ({type(error).__name__})",
                  file=sys.stderr)
        else:
            super().handle_error(request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


def make_server(page: Path, port: int, rebuild: Callable[[], object] | None = None,
                stamp: Callable[[], object] | None = None, host: str = "127.0.0.1",
                allowed_hosts: Iterable[str] = LOCAL_HOSTS, built_stamp: object = _NEVER,
                idle_timeout_s: float = IDLE_TIMEOUT_S) -> ThreadingHTTPServer:
    """An HTTP server on ``host:port`` (0 = any free port) serving ``page`` only, to allowed Host headers.

    ``rebuild()`` rewrites the page before a request is answered, but with ``stamp`` only when
    ``stamp()`` (a cheap token of the study's state, compared with ``==``) differs from the one the
    page was last built at (``built_stamp``: the stamp of a page already on disk). ``allowed_hosts``
    (names, any port) gets ``host`` added. Raises ValueError when it cannot listen.
    """
    allowed = {host_name(h) for h in allowed_hosts} | {host_name(host)}
    lock = threading.Lock()  # one rebuild at a time; the others then find the page current
    last = [built_stamp]

    def refresh() -> None:
        with lock:
            token = stamp() if stamp is not None else _NEVER
            if stamp is not None and token == last[0]:
                return
            rebuild()
            last[0] = token

    class Handler(BaseHTTPRequestHandler):
        timeout = idle_timeout_s

        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            if host_name(self.headers.get("Host")) not in allowed:
                self._send(403, b"forbidden: this server answers only to its own host name\n", "text/plain")
                return
            if self.path.split("?", 1)[0] not in ("/", f"/{page.name}"):
                self.send_error(404, "only the dashboard is served here")
                return
            if rebuild is not None:
                try:
                    refresh()
                except Exception as e:  # a storage hiccup mid-run: serve the last page rather than nothing
                    print(f"nas dashboard: rebuilding failed, serving the last page: {e}", file=sys.stderr)
            try:
                body = page.read_bytes()
            except OSError as e:
                self._send(503, f"the dashboard is not written yet: {e.strerror or e}\n".encode(), "text/plain")
                return
            self._send(200, body, "text/html; charset=utf-8")

        def _send(self, code: int, body: bytes, kind: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (the http.server API)
            pass

    cls = _Server6 if ":" in host else _Server
    try:
        return cls((host, port), Handler)
    except OSError as e:
        raise ValueError(f"cannot listen on {host} port {port} ({e.strerror or e})") from None
