"""Starts and stops a real ``brickyard serve`` process for the tests.

The binary comes from ``$BRICKYARD_BIN`` (``make test-python`` builds it and sets
the variable).  The server listens on ``127.0.0.1:0``; its address is read from
the ``Listening on <addr>`` line it prints.  A server that cannot start makes the
test fail with the server's stderr: it is never skipped.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

START_TIMEOUT = 30.0

ADMIN_KEY = "My Secret"
USER_KEY = "User Secret"

_LISTENING = re.compile(r"Listening on (?:https?://)?(\S+?:\d+)\b")
_LISTENING_PORT = re.compile(r"Listening on port (\d+)")


def binary() -> Path:
    """The ``brickyard`` binary under test; fails the test when unusable."""
    value = os.environ.get("BRICKYARD_BIN")
    if not value:
        pytest.fail("BRICKYARD_BIN is not set: run the suite with `make test-python`")
    path = Path(value)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"BRICKYARD_BIN={value} is not an executable file (build it first)")
    return path


def auth_config(db: Path) -> str:
    """A heketi.json with JWT keys and the mock executor."""
    return json.dumps(
        {
            "_port_comment": "Heketi Server Port Number",
            "port": "8080",
            "use_auth": True,
            "jwt": {"admin": {"key": ADMIN_KEY}, "user": {"key": USER_KEY}},
            "glusterfs": {"executor": "mock", "db": str(db), "loglevel": "info"},
        },
        indent=2,
    )


def open_config(db: Path) -> str:
    """A heketi.json with ``use_auth: false``, comments and trailing commas."""
    return f"""// Brickyard accepts comments in heketi.json
{{
  "port": "8080",
  /* no token needed */
  "use_auth": false,
  "jwt": {{
    "admin": {{ "key": "{ADMIN_KEY}" }},
    "user": {{ "key": "{USER_KEY}" }},
  }},
  "glusterfs": {{
    # the mock executor: no storage node is touched
    "executor": "mock",
    "db": {json.dumps(str(db))},
  }},
}}
"""


def _die_with_parent() -> None:
    """In the child: SIGKILL when the test process dies (Linux), so a killed
    pytest never leaves a server behind."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class Server:
    """One ``brickyard serve`` process in its own directory."""

    def __init__(self, workdir: Path, config_text: str, db: Path):
        self.workdir = workdir
        self.db = db
        self.config = workdir / "heketi.json"
        self.config.write_text(config_text)
        self.stdout_path = workdir / "server.stdout"
        self.stderr_path = workdir / "server.stderr"
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def command(self) -> list[str]:
        return [
            str(binary()),
            "serve",
            "--config",
            str(self.config),
            "--listen",
            "127.0.0.1:0",
            "--db",
            str(self.db),
        ]

    def output(self) -> str:
        text = ""
        for p in (self.stdout_path, self.stderr_path):
            if p.exists():
                text += p.read_text(errors="replace")
        return text

    def _fail(self, why: str) -> None:
        stderr = self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""
        stdout = self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""
        self.stop()
        pytest.fail(
            f"brickyard serve {why}\ncommand: {' '.join(self.command())}\n"
            f"--- stderr ---\n{stderr}\n--- stdout ---\n{stdout}",
            pytrace=False,
        )

    def start(self) -> "Server":
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEKETI_")}
        env.setdefault("RUST_LOG", "info")
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=self.workdir,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=env,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + START_TIMEOUT
        addr = None
        while addr is None:
            text = self.output()
            m = _LISTENING.search(text)
            if m:
                addr = m.group(1)
                break
            m = _LISTENING_PORT.search(text)
            if m:
                addr = f"127.0.0.1:{m.group(1)}"
                break
            if self.proc.poll() is not None:
                self._fail(f"exited with status {self.proc.returncode} before listening")
            if time.monotonic() > deadline:
                self._fail(f"printed no 'Listening on <addr>' line within {START_TIMEOUT}s")
            time.sleep(0.05)
        self.url = f"http://{addr}"
        while True:
            try:
                r = requests.get(self.url + "/hello", timeout=2)
                if r.status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            if self.proc.poll() is not None:
                self._fail(f"exited with status {self.proc.returncode} after listening")
            if time.monotonic() > deadline:
                self._fail(f"did not answer GET /hello within {START_TIMEOUT}s")
            time.sleep(0.05)

    def stop(self) -> int | None:
        """Stops the process (SIGTERM, then SIGKILL) and returns its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        code = self.proc.returncode
        self.proc = None
        return code
