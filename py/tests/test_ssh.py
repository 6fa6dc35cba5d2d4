"""``Engine(executor="ssh")``: the settings are checked, and the engine reaches a private
OpenSSH server on 127.0.0.1 (started here with its own keys) and reports what the
commands did there.

No test is skipped: without ``/usr/sbin/sshd`` (``make deps-ssh`` installs it) or when
sshd does not come up, the tests fail with the reason.
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import brickyard
from brickyard import Engine

SSHD = Path("/usr/sbin/sshd")
START_TIMEOUT_S = 10.0
# A device path that exists nowhere: pvcreate on it fails, and nothing is touched.
NO_DISK = "/dev/brickyard-test-no-such-disk"


def _run(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if out.returncode != 0:
        pytest.fail(f"`{' '.join(cmd)}` failed ({out.returncode}): {out.stderr}{out.stdout}", pytrace=False)
    return out.stdout


def _keygen(path: Path) -> None:
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "brickyard-test", "-f", str(path)])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Sshd:
    """A running ``sshd -D`` on 127.0.0.1 accepting ``client_ed25519`` for this user."""

    port: int
    dir: Path
    process: subprocess.Popen[bytes]

    @property
    def keyfile(self) -> Path:
        return self.dir / "client_ed25519"

    @property
    def stranger_key(self) -> Path:
        """A valid key that is not in authorized_keys."""
        return self.dir / "stranger_ed25519"

    @property
    def known_hosts(self) -> Path:
        """known_hosts with this server's host key."""
        return self.dir / "known_hosts"

    def log(self) -> str:
        try:
            return (self.dir / "sshd.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def accepted(self) -> int:
        """Logins so far (one per ssh connection)."""
        return self.log().count("Accepted publickey for")

    def fingerprint(self) -> str:
        return _run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(self.dir / "host_ed25519.pub")]).split()[1]

    def settings(self, **overrides: Any) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "keyfile": self.keyfile,
            "user": getpass.getuser(),
            "port": self.port,
            "known_hosts": self.known_hosts,
            "connect_timeout": 5,
            "device_timeout": 60,
        }
        settings.update(overrides)
        return settings


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    if not SSHD.is_file():
        pytest.fail(f"{SSHD} is missing: install openssh-server (`make deps-ssh`)", pytrace=False)
    d = tmp_path_factory.mktemp("sshd")
    d.chmod(0o700)
    for name in ("host_ed25519", "client_ed25519", "stranger_ed25519"):
        _keygen(d / name)
    authorized = d / "authorized_keys"
    authorized.write_text((d / "client_ed25519.pub").read_text())
    authorized.chmod(0o600)
    port = _free_port()
    config = d / "sshd_config"
    # StrictModes off: pytest's directories live under /tmp, which sshd's ownership
    # check refuses (group/world-writable); the keys themselves are 0600.
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_ed25519\n"
        f"PidFile {d}/sshd.pid\nAuthorizedKeysFile {authorized}\n"
        "PermitRootLogin prohibit-password\nPubkeyAuthentication yes\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nLogLevel VERBOSE\nMaxSessions 10\nMaxStartups 100\n"
    )
    host_key = (d / "host_ed25519.pub").read_text().split()
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    # sshd's privilege separation directory (root only; a non-root sshd does without).
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    _run([str(SSHD), "-t", "-f", str(config)])
    proc = subprocess.Popen(
        [str(SSHD), "-D", "-f", str(config), "-E", str(d / "sshd.log")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Sshd(port=port, dir=d, process=proc)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            pass
        if proc.poll() is not None:
            pytest.fail(f"sshd exited ({proc.returncode}): {server.log()}", pytrace=False)
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"sshd not listening on 127.0.0.1:{port} after {START_TIMEOUT_S} s: {server.log()}", pytrace=False)
        time.sleep(0.05)
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _with_node(tmp_path: Path, **kw: Any) -> tuple[Engine, str]:
    """An ssh engine whose store already holds a node on 127.0.0.1 (made with the mock
    executor and imported: adding it over ssh would need glusterd on this host)."""
    with Engine() as mock:
        cluster = mock.cluster_create()
        node = mock.node_add(cluster=cluster.id, manage="127.0.0.1", storage="127.0.0.1", zone=1)
        export = mock.export_json()
    engine = Engine.import_json(tmp_path / "ssh.redb", export, executor="ssh", **kw)
    return engine, node.id


def test_device_add_runs_on_the_node_and_reports_node_command_status_and_stderr(
    sshd: Sshd, tmp_path: Path
) -> None:
    engine, node = _with_node(tmp_path, ssh=sshd.settings())
    with engine:
        assert engine.mock is None
        before = sshd.accepted()
        with pytest.raises(brickyard.ExecutorError) as e:
            engine.device_add(node=node, name=NO_DISK)
        err = e.value
        assert err.kind == "exec"
        assert err.node == "127.0.0.1"
        assert err.command is not None and "pvcreate" in err.command and NO_DISK in err.command
        assert isinstance(err.exit_status, int) and err.exit_status != 0, str(err)
        assert err.stderr, str(err)
        assert f"exit status {err.exit_status}" in str(err)
        # It really ran there: the sshd logged our login.
        assert sshd.accepted() == before + 1, sshd.log()
        # The failed add left nothing behind.
        assert engine.node_info(node).devices == ()


def test_an_unknown_host_key_is_refused_unless_checking_is_off(sshd: Sshd, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    engine, node = _with_node(tmp_path, ssh=sshd.settings(known_hosts=empty))
    before = sshd.accepted()
    with engine, pytest.raises(brickyard.ExecutorError, match="is unknown") as e:
        engine.device_add(node=node, name=NO_DISK)
    message = str(e.value)
    assert f"127.0.0.1:{sshd.port}" in message and sshd.fingerprint() in message, message
    assert str(empty) in message
    assert e.value.node == "127.0.0.1" and e.value.exit_status is None
    assert sshd.accepted() == before

    # The explicit opt-out accepts any host key, and the command then runs.
    (tmp_path / "ssh.redb").unlink()
    engine, node = _with_node(tmp_path, ssh=sshd.settings(known_hosts=empty, strict_host_key_checking=False))
    with engine, pytest.raises(brickyard.ExecutorError) as e:
        engine.device_add(node=node, name=NO_DISK)
    assert e.value.exit_status is not None and "pvcreate" in (e.value.command or ""), str(e.value)
    assert sshd.accepted() == before + 1


def test_a_key_the_node_does_not_accept_is_a_clear_error(sshd: Sshd, tmp_path: Path) -> None:
    engine, node = _with_node(tmp_path, ssh=sshd.settings(keyfile=str(sshd.stranger_key)))
    with engine, pytest.raises(brickyard.ExecutorError, match="refused public key authentication") as e:
        engine.device_add(node=node, name=NO_DISK)
    message = str(e.value)
    assert getpass.getuser() in message and str(sshd.stranger_key) in message, message
    assert e.value.exit_status is None


def test_a_closed_port_is_a_clear_error(sshd: Sshd, tmp_path: Path) -> None:
    engine, node = _with_node(tmp_path, ssh=sshd.settings(port=_free_port()))
    with engine, pytest.raises(brickyard.ExecutorError, match="cannot connect to 127.0.0.1"):
        engine.device_add(node=node, name=NO_DISK)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"keyfile": "KEY", "prot": 22}, r'ssh: unknown setting "prot" \(known: keyfile, user, port'),
        ({"keyfile": "KEY", "port": "22"}, r"ssh\.port: expected an int, got str \('22'\)"),
        ({"keyfile": "KEY", "port": 70000}, r"ssh\.port: must be between 1 and 65535"),
        ({"keyfile": "KEY", "sudo": 1}, r"ssh\.sudo: expected a bool, got int"),
        ({"keyfile": "KEY", "strict_host_key_checking": "no"}, r"ssh\.strict_host_key_checking: expected a bool"),
        ({"keyfile": "KEY", "connect_timeout": 0}, r"ssh\.connect_timeout: must be more than 0"),
        ({"keyfile": "KEY", "connect_timeout": True}, r"ssh\.connect_timeout: expected seconds"),
        ({"keyfile": "KEY", "max_concurrent_commands": 0}, r"ssh\.max_concurrent_commands: must be between 1"),
        ({"keyfile": "KEY", "user": ""}, r"ssh\.user: must not be empty"),
        ({"keyfile": 42}, r"ssh\.keyfile: expected a str or os\.PathLike path, got int"),
        ({"user": "root"}, r"ssh\.keyfile: missing"),
        ({}, r"ssh\.keyfile: missing"),
        ({"keyfile": "/nonexistent/id_ed25519"}, r"ssh\.keyfile: /nonexistent/id_ed25519 is not a readable file"),
        ({"keyfile": "NOT_A_KEY"}, r"ssh\.keyfile: cannot load ssh private key"),
        ({"keyfile": "KEY", "known_hosts": "/nonexistent/known_hosts"}, r"ssh\.known_hosts: /nonexistent/known_hosts does not exist"),
        ({"keyfile": "KEY", "keepalive": "30"}, r"ssh\.keepalive: expected seconds"),
        ({"keyfile": "KEY", 1: 2}, r"ssh: setting names must be str"),
    ],
)
def test_settings_are_checked(tmp_path: Path, settings: dict[Any, Any], match: str) -> None:
    key = tmp_path / "id_ed25519"
    _keygen(key)
    junk = tmp_path / "junk"
    junk.write_text("not a key\n")
    known = tmp_path / "known_hosts"
    known.write_text("")
    fixed = {k: {"KEY": str(key), "NOT_A_KEY": str(junk)}.get(v, v) if isinstance(v, str) else v for k, v in settings.items()}
    if "known_hosts" not in fixed and "keyfile" in fixed:
        fixed["known_hosts"] = str(known)
    with pytest.raises(brickyard.InvalidInput, match=match) as e:
        Engine(executor="ssh", ssh=fixed)
    assert e.value.kind == "invalid_input"


def test_executor_and_settings_must_agree(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    _keygen(key)
    with pytest.raises(brickyard.InvalidInput, match=r"ssh\.keyfile: missing: executor=\"ssh\" needs ssh="):
        Engine(executor="ssh")
    with pytest.raises(brickyard.InvalidInput, match="only used with executor=\"ssh\""):
        Engine(ssh={"keyfile": key})
    with pytest.raises(brickyard.InvalidInput, match="mock_device_size_gb"):
        Engine(executor="ssh", ssh={"keyfile": key, "known_hosts": key}, mock_device_size_gb=10)
    with pytest.raises(brickyard.InvalidInput, match="expected a dict of settings"):
        Engine(executor="ssh", ssh=[("keyfile", str(key))])  # type: ignore[arg-type]
    with pytest.raises(brickyard.Unsupported, match="\"mock\" or \"ssh\""):
        Engine(executor="kubernetes")


def test_every_setting_is_accepted(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    _keygen(key)
    settings: brickyard.SshSettings = {
        "keyfile": key,  # os.PathLike is fine
        "user": "heketi",
        "port": 2222,
        "sudo": True,
        "known_hosts": None,
        "strict_host_key_checking": False,
        "max_concurrent_commands": 4,
        "connect_timeout": 2.5,
        "keepalive": None,
        "reuse_connections": False,
        "fstab": "/etc/fstab",
        "mount_opts": "rw,noatime",
        "lvm_wrapper": None,
        "backup_lvm_metadata": True,
        "gluster_cli_timeout": 120,
        "pv_data_alignment": "256K",
        "vg_physical_extent_size": "4M",
        "lv_chunk_size": "256K",
        "xfs_su": 64,
        "xfs_sw": 4,
        "snapshot_limit": 14,
        "device_timeout": 300,
        "brick_create_timeout": 600,
        "brick_destroy_timeout": 300,
        "glusterd_check_timeout": 600,
        "gluster_timeout": None,
    }
    # The Python names are exactly the native ones (a new key must be added to both).
    assert set(settings) == set(brickyard.SshSettings.__annotations__)
    with Engine(tmp_path / "db.redb", executor="ssh", ssh=settings) as engine:
        # Nothing is contacted until a command runs.
        assert engine.cluster_list() == []
        assert engine.mock is None
