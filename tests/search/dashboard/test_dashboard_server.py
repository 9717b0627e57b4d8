"""The --serve server in-process on a free port: Host check, rebuilds only on a new stamp, dropped clients."""

import http.client
import socket
import struct
import threading
import time

import pytest

from search.dashboard import make_server
from search.dashboard.server import host_name


@pytest.fixture
def served(tmp_path):
    """Start a server for a page whose rebuild counts itself; yields (port, builds, stamp box, page)."""
    page = tmp_path / "dashboard.html"
    builds, token = [], [1]
    servers = []

    def start(pad="", **kw):
        def rebuild():
            builds.append(1)
            page.write_text(f"<html>build {len(builds)}</html>{pad}")

        server = make_server(page, 0, rebuild, stamp=lambda: token[0], **kw)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server.server_address[1]

    yield start, builds, token, page
    for s in servers:
        s.shutdown()
        s.server_close()


def get(port, host_header, path="/"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.putrequest("GET", path, skip_host=True)
    if host_header is not None:
        c.putheader("Host", host_header)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


@pytest.mark.parametrize("header, name", [("localhost:8080", "localhost"), ("127.0.0.1", "127.0.0.1"),
                                          ("[::1]:80", "::1"), ("LocalHost", "localhost"),
                                          ("evil.example:8080", "evil.example"), ("::1", "::1"), (None, "")])
def test_host_name(header, name):
    assert host_name(header) == name


def test_only_local_host_names_are_answered(served):
    start, builds, _, _ = served
    port = start()
    assert get(port, f"localhost:{port}") == (200, b"<html>build 1</html>")
    assert get(port, f"127.0.0.1:{port}")[0] == 200
    assert get(port, f"[::1]:{port}")[0] == 200
    status, body = get(port, "evil.example")
    assert status == 403 and body.count(b"\n") == 1
    assert get(port, f"evil.example:{port}")[0] == 403
    assert get(port, None)[0] == 403  # no Host header at all
    assert get(port, f"localhost:{port}", "/study.db")[0] == 404
    assert len(builds) == 1  # refused requests build nothing


def test_host_flag_adds_its_name(served):
    start, _, _, _ = served
    port = start(allowed_hosts=("box.lan",))
    assert get(port, "box.lan:9")[0] == 200 and get(port, "localhost")[0] == 403


def test_rebuilds_only_when_the_stamp_changes(served):
    start, builds, token, _ = served
    port = start()
    assert get(port, "localhost")[1] == b"<html>build 1</html>" and len(builds) == 1
    assert get(port, "localhost")[1] == b"<html>build 1</html>" and len(builds) == 1
    token[0] = 2
    assert get(port, "localhost")[1] == b"<html>build 2</html>" and len(builds) == 2
    assert get(port, "localhost", "/dashboard.html")[1] == b"<html>build 2</html>" and len(builds) == 2


def test_a_page_already_built_at_the_stamp_is_not_rebuilt(served):
    start, builds, _, page = served
    page.write_text("<html>from the command</html>")
    port = start(built_stamp=1)
    assert get(port, "localhost") == (200, b"<html>from the command</html>") and builds == []


def test_idle_connection_is_closed(served):
    start, _, _, _ = served
    port = start(idle_timeout_s=0.3)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        assert s.recv(1) == b""  # the server closed it: no request came


def test_client_that_leaves_mid_response_is_one_line(served, capsys):
    start, _, _, _ = served
    port = start(pad="x" * 64_000_000)  # far more than the socket buffers hold, so the write is cut off
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET / HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n".encode())
        assert s.recv(15).startswith(b"HTTP/1.0 200")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
    err, deadline = "", time.monotonic() + 30
    while "dropped" not in err and time.monotonic() < deadline:
        time.sleep(0.05)
        err += capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nas dashboard: connection from 127.0.0.1 dropped ("), err
    assert "Traceback" not in err
    assert get(port, "localhost")[0] == 200  # still serving
