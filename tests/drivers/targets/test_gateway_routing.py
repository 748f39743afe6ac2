"""The route gateway routes: the configuration orchc writes, run by the real nginx,
sends each host and path to the workload's port, and nothing else.

No Docker here, so three things of the container's world are stood in for, and only
those: nginx listens on a free local port instead of the container's port 80, Docker's
DNS (127.0.0.11) is a small local DNS server that answers 127.0.0.1 for every name, and
the workload is a local HTTP server on its container port, answering with the path it
was asked for. Everything else in the file is exactly what orchc wrote.
"""

from __future__ import annotations

import socket
import struct
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from nginx_check import nginx_binary

from orchc.drivers.protocol import DeployWorkload
from orchc.drivers.targets.compose_gateway import GatewaySettings, render_gateway
from orchc.drivers.targets.route_requests import RouteRequest


class _EchoPath(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"{self.headers['Host']} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


def _answer(query: bytes) -> bytes:
    """A DNS response: 127.0.0.1 for the one question asked."""
    (ident,) = struct.unpack("!H", query[:2])
    end = 12
    while query[end] != 0:
        end += query[end] + 1
    question = query[12 : end + 5]
    header = struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0)
    record = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
    return header + question + record


def _serve_dns(sock: socket.socket) -> None:
    while True:
        try:
            query, peer = sock.recvfrom(512)
        except OSError:  # closed: the test is over
            return
        sock.sendto(_answer(query), peer)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def backend() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoPath)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def dns() -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    threading.Thread(target=_serve_dns, args=(sock,), daemon=True).start()
    yield sock.getsockname()[1]
    sock.close()


def _workload(name: str, container_port: int) -> DeployWorkload:
    spec = {
        "apiVersion": "score.dev/v1b1",
        "metadata": {"name": name},
        "service": {"ports": {"web": {"port": 8080, "targetPort": container_port}}},
        "containers": {"main": {"image": "app"}},
    }
    return DeployWorkload(name=name, spec=spec)


def _route(uid: str, host: str, path: str, workload: str) -> RouteRequest:
    return RouteRequest(uid=uid, name="r", host=host, path=path, workload=workload, port="web")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, backend: int, dns: int) -> Iterator[int]:
    """nginx running the gateway for three routes; yields the port it listens on."""
    tmp_path = tmp_path_factory.mktemp("gateway")
    routes = [
        _route("route.default#a", "shop.localhost", "/api", "shop"),
        _route("route.default#b", "shop.localhost", "/", "front"),
        _route("route.default#c", "docs.localhost", "/my/[^/]+/path", "docs"),
        _route("route.default#d", "alt.localhost", "/x|/y[0-9]", "docs"),
    ]
    workloads = [_workload(name, backend) for name in ("shop", "front", "docs")]
    rendered = render_gateway(routes, workloads, GatewaySettings(), "compose")
    assert rendered is not None
    port = _free_port()
    config = rendered.config.data.decode()
    config = config.replace("listen 80", f"listen 127.0.0.1:{port}")
    config = config.replace("resolver 127.0.0.11 ", f"resolver 127.0.0.1:{dns} ")
    config = config.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;")
    config = config.replace("access_log /dev/stdout;", "access_log off;")
    (tmp_path / "nginx.conf").write_text(config)
    command = [
        nginx_binary(),
        "-e",
        "stderr",
        "-p",
        f"{tmp_path}/",
        "-c",
        str(tmp_path / "nginx.conf"),
    ]
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        _wait_until_listening(port, process)
        yield port
    finally:
        process.terminate()
        process.wait()


def _wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    give_up = time.monotonic() + 60  # not a measure: only so that a hang ends
    while process.poll() is None and time.monotonic() < give_up:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    if process.poll() is None:
        pytest.fail("nginx did not listen")
    assert process.stderr is not None
    pytest.fail(f"nginx stopped: {process.stderr.read().decode()}")


def _get(port: int, host: str, path: str) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


@pytest.mark.parametrize(
    ("host", "path", "expected"),
    [
        ("shop.localhost:8080", "/api", (200, "shop.localhost:8080 /api")),
        ("shop.localhost:8080", "/api/orders?id=1", (200, "shop.localhost:8080 /api/orders?id=1")),
        ("shop.localhost:8080", "/apix", (200, "shop.localhost:8080 /apix")),  # to "/"
        ("shop.localhost:8080", "/", (200, "shop.localhost:8080 /")),
        ("docs.localhost:8080", "/my/fizz/path", (200, "docs.localhost:8080 /my/fizz/path")),
        (
            "docs.localhost:8080",
            "/my/fizz/path/index.html",
            (200, "docs.localhost:8080 /my/fizz/path/index.html"),
        ),
        ("docs.localhost:8080", "/my/path", (404, "")),
        ("docs.localhost:8080", "/my/fizz/pathx", (404, "")),
        ("other.localhost:8080", "/api", (404, "")),
        # Every alternative is anchored at the start (score-compose's `^/x|/y[0-9]` would
        # send /q/y1 and /xq/y1 to the workload too).
        ("alt.localhost:8080", "/x", (200, "alt.localhost:8080 /x")),
        ("alt.localhost:8080", "/y1/z", (200, "alt.localhost:8080 /y1/z")),
        ("alt.localhost:8080", "/q/y1", (404, "")),
        ("alt.localhost:8080", "/xq/y1", (404, "")),
        ("alt.localhost:8080", "/y1x", (404, "")),
    ],
)
def test_the_gateway_sends_each_host_and_path_to_its_workload(gateway, host, path, expected):
    assert _get(gateway, host, path) == expected
