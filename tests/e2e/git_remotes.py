"""Real git remotes for the GitOps tests: a bare repository reached through file://,
a local `git daemon`, or smart HTTP (`git http-backend` behind a small Python server
that demands basic authentication), all on 127.0.0.1; and what a test reads back.

Git identity is given per command (`-c user.name=...`), never globally.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

IDENTITY = ("-c", "user.name=Test", "-c", "user.email=test@example.com")


def git(*args: str, cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    done = subprocess.run(
        ["git", *IDENTITY, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def bare_repository(path: Path, seeded: bool = True) -> Path:
    """A bare repository at `path`; `seeded`: with a README commit on `main`."""
    git("init", "-q", "--bare", "-b", "main", str(path))
    if seeded:
        seed = path.with_name(path.name + "-seed")
        git("clone", "-q", str(path), str(seed))
        (seed / "README.md").write_text("deployments\n")
        git("add", "README.md", cwd=seed)
        git("commit", "-q", "-m", "seed", cwd=seed)
        git("push", "-q", "origin", "HEAD:main", cwd=seed)
    return path


def read_remote(bare: Path, branch: str = "main") -> dict[str, str]:
    """Every file of the branch's tip, by path."""
    names = git("ls-tree", "-r", "--name-only", branch, cwd=bare).split()
    return {name: git("show", f"{branch}:{name}", cwd=bare) for name in names}


def log(bare: Path, branch: str = "main") -> list[tuple[str, list[str]]]:
    """(subject, parents) of each commit of the branch, newest first."""
    text = git("log", "--format=%s%x09%P", branch, cwd=bare)
    entries = []
    for line in text.splitlines():
        subject, _, parents = line.partition("\t")
        entries.append((subject, parents.split()))
    return entries


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(500):  # readiness, not an assertion on time
        if process.poll() is not None:
            raise RuntimeError("the server exited before it listened")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@contextmanager
def git_daemon(base: Path) -> Iterator[str]:
    """`git daemon` serving the bare repositories under `base`, pushes allowed; yields
    the URL prefix (`git://127.0.0.1:<port>/`)."""
    port = free_port()
    process = subprocess.Popen(
        [
            "git",
            "daemon",
            "--export-all",
            "--enable=receive-pack",
            "--reuseaddr",
            f"--base-path={base}",
            f"--port={port}",
            "--listen=127.0.0.1",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield f"git://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait()


class SmartHttp:
    """`git http-backend` for the repositories under `base`, behind basic auth: only
    user `x-access-token` with `token` gets in. `authorizations` keeps every
    Authorization header received (to check the token was sent)."""

    def __init__(self, base: Path, token: str) -> None:
        self.base = base
        self.expected = "Basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()
        self.authorizations: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.serve(self)

            def do_POST(self) -> None:
                owner.serve(self)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        given = request.headers.get("Authorization")
        if given is not None:
            self.authorizations.append(given)
        if given != self.expected:
            request.send_response(401)
            request.send_header("WWW-Authenticate", 'Basic realm="git"')
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        self._cgi(request)

    def _cgi(self, request: BaseHTTPRequestHandler) -> None:
        path, _, query = request.path.partition("?")
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": str(self.base),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": "x-access-token",
            "REQUEST_METHOD": request.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": request.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
        }
        done = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        request.send_response(status)
        for name, value in headers:
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def __enter__(self) -> SmartHttp:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def install_hook(bare: Path, name: str, body: str) -> None:
    """A Python hook script (`pre-receive`, ...) in the bare repository."""
    hook = bare / "hooks" / name
    hook.write_text(f"#!{sys.executable}\n{body}")
    hook.chmod(0o755)


REJECT_ALL = """
import pathlib, sys
counter = pathlib.Path(__file__).with_name("rejections")
counter.write_text(str(int(counter.read_text() if counter.exists() else "0") + 1))
print("denied by policy: this branch is frozen", file=sys.stderr)
sys.exit(1)
"""

# The first two pushes wait in the hook until both arrived: both were made against the
# same tip, so exactly one updates the branch and the other is rejected (it cannot lock
# the ref any more) and must fetch, rebase and push again. Later pushes pass at once.
MEET_THEN_PASS = """
import os, pathlib, time
here = pathlib.Path(__file__).parent
for number in range(1, 1000):
    try:
        os.close(os.open(here / f"arrival-{number}", os.O_CREAT | os.O_EXCL))
        break
    except FileExistsError:
        continue
if number <= 2:
    for _ in range(6000):  # a safety bound, never reached when both applies run
        if (here / "arrival-2").exists():
            break
        time.sleep(0.01)
"""
