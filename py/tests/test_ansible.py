"""The brickyard.gluster collection under real ansible-playbook runs (offline,
localhost), against a `brickyard serve` with the mock executor and against an
embedded database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import brickyard
from conftest import ADMIN_KEY, REPO, TOPOLOGY, Server, ansible_playbook

PLAYBOOKS = Path(__file__).parent / "playbooks"
COLLECTIONS = REPO / "py" / "ansible"


def play(name: str, tmp: Path, **extra: Any) -> str:
    """Runs one playbook; fails the test with its output unless it succeeds."""
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_LOCAL_TEMP": str(tmp / "ansible-tmp"),
        "ANSIBLE_HOME": str(tmp / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
    }
    cmd = [ansible_playbook(), "-i", "localhost,", "-c", "local", str(PLAYBOOKS / name)]
    for k, v in extra.items():
        cmd += ["-e", f"{k}={v}"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, f"{name} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


def test_playbooks_against_a_server(server: Server, tmp_path: Path) -> None:
    conn = dict(server=server.url, key=ADMIN_KEY, topology_file=TOPOLOGY)
    play("create.yml", tmp_path, expect_changed=True, **conn)
    client = server.client()
    vol = client.volume_by_name("ansible-vol")
    assert vol is not None and vol.size == 2

    play("create.yml", tmp_path, expect_changed=False, **conn)
    assert client.volume_list() == [vol.id]

    play("expand.yml", tmp_path, **conn)
    assert client.volume_info(vol.id).size == 4
    nodes = client.topology_info().clusters[0].nodes
    assert all(n.state == "online" for n in nodes)
    assert sorted(len(n.devices) for n in nodes) == [1, 1, 1]

    before = client.export()
    play("check.yml", tmp_path, **conn)
    after = client.export()
    for table in ("clusterentries", "nodeentries", "deviceentries", "volumeentries", "brickentries"):
        assert after[table] == before[table], table

    play("delete.yml", tmp_path, expect_changed=True, **conn)
    assert client.volume_list() == []
    play("delete.yml", tmp_path, expect_changed=False, **conn)


def test_playbooks_on_an_embedded_database(tmp_path: Path) -> None:
    db = tmp_path / "ansible.redb"
    play("embedded.yml", tmp_path, db=db, topology_file=TOPOLOGY)
    with brickyard.Engine(db) as engine:
        assert len(engine.topology_info().clusters[0].nodes) == 3
        assert engine.volume_list() == []


def test_a_module_failure_carries_the_engine_message(server: Server, tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="signature is invalid"):
        play("delete.yml", tmp_path, server=server.url, key="wrong-key", expect_changed=True)
