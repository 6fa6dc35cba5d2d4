"""Shared fixtures: the demo topology, a real `brickyard serve` process, and the
``backend`` fixture that runs a test once on the embedded Engine and once on a Client
talking to a server."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import brickyard

REPO = Path(__file__).resolve().parents[2]
TOPOLOGY = REPO / "examples" / "topology.json"
ADMIN_KEY = "test-admin-secret"
USER_KEY = "test-user-secret"
START_TIMEOUT_S = 30.0


def brickyard_bin() -> Path:
    """The `brickyard` binary: $BRICKYARD_BIN, else target/debug/brickyard."""
    env = os.environ.get("BRICKYARD_BIN")
    path = Path(env) if env else REPO / "target" / "debug" / "brickyard"
    if not path.is_file():
        pytest.fail(
            f"brickyard binary not found at {path}: build it with `cargo build -p brickyard-cli` "
            "or set BRICKYARD_BIN",
            pytrace=False,
        )
    return path


@dataclass
class Server:
    """A running `brickyard serve`."""

    url: str
    db: Path
    config: Path
    process: subprocess.Popen[str]
    output: list[str]

    def client(self, user: str | None = "admin", key: str | None = ADMIN_KEY, **kw: Any) -> brickyard.Client:
        return brickyard.Client(self.url, user, key, poll_delay=0.02, **kw)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_server(
    tmp: Path,
    *,
    db_name: str = "server.redb",
    extra: dict[str, Any] | None = None,
    top: dict[str, Any] | None = None,
) -> Server:
    """Starts `brickyard serve` on a free port with the mock executor and JWT auth
    (``extra``: more ``glusterfs`` settings, ``top``: more top-level ones, such as
    ``enable_tls``); fails the test with the server's output if it does not come up."""
    config = tmp / "heketi.json"
    glusterfs: dict[str, Any] = {"executor": "mock", "db": str(tmp / db_name)}
    glusterfs.update(extra or {})
    settings: dict[str, Any] = {
        "use_auth": True,
        "jwt": {"admin": {"key": ADMIN_KEY}, "user": {"key": USER_KEY}},
        "glusterfs": glusterfs,
    }
    settings.update(top or {})
    config.write_text(json.dumps(settings))
    db = tmp / db_name
    cmd = [str(brickyard_bin()), "serve", "--listen", "127.0.0.1:0", "--db", str(db), "--config", str(config)]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "RUST_LOG": "warn"}
    )
    output: list[str] = []
    found: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            m = re.search(r"Listening on (https?://)?(\S+)", line)
            if m and not found:
                found.append((m.group(1) or "http://") + m.group(2))
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    ready.wait(START_TIMEOUT_S)
    if not found:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        pytest.fail(
            f"`{' '.join(cmd)}` did not start (exit {proc.returncode}):\n{''.join(output)}",
            pytrace=False,
        )
    return Server(url=found[0], db=db, config=config, process=proc, output=output)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh server with an empty database."""
    srv = start_server(tmp_path)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(params=["engine", "client"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[brickyard.Engine | brickyard.Client]:
    """The same test on the embedded engine and on a REST client."""
    if request.param == "engine":
        with brickyard.Engine(tmp_path / "engine.redb") as eng:
            yield eng
    else:
        srv = start_server(tmp_path)
        try:
            with srv.client() as client:
                yield client
        finally:
            srv.stop()


@pytest.fixture
def topology() -> Path:
    """The demo topology: 3 nodes in 3 zones, one disk each."""
    return TOPOLOGY


@pytest.fixture
def loaded(backend: brickyard.Engine | brickyard.Client, topology: Path) -> brickyard.Engine | brickyard.Client:
    """A backend with the demo topology applied."""
    report = backend.apply_topology(topology)
    assert report.failed == 0, report
    return backend


def python() -> str:
    """The interpreter running the tests (for subprocesses)."""
    return sys.executable


def ansible_playbook() -> str:
    """`ansible-playbook` next to the interpreter (the venv's)."""
    exe = Path(sys.executable).with_name("ansible-playbook")
    if exe.is_file():
        return str(exe)
    found = shutil.which("ansible-playbook")
    if not found:
        pytest.fail("ansible-playbook not found: install ansible-core in the venv", pytrace=False)
    return found


def wait_until(pred: Any, timeout: float = 10.0) -> None:
    """Polls ``pred`` until it is true."""
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


class _Canned(http.server.BaseHTTPRequestHandler):
    """Answers each request with the next canned reply of its server (or the default),
    and records ``(method, path, Authorization)``."""

    def _answer(self) -> None:
        srv = self.server
        srv.requests.append((self.command, self.path, self.headers.get("Authorization")))  # type: ignore[attr-defined]
        status, body, headers = srv.replies.pop(0) if srv.replies else srv.default  # type: ignore[attr-defined]
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        data = body.encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def canned() -> Iterator[http.server.HTTPServer]:
    """A local HTTP server with canned replies, to test the client's protocol."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    srv.replies = []  # type: ignore[attr-defined]
    srv.requests = []  # type: ignore[attr-defined]
    srv.default = (500, "unset\n", {})  # type: ignore[attr-defined]
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()
