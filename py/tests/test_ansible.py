"""The brickyard.gluster collection under real ansible-playbook runs (offline,
localhost), against a `brickyard serve` with the mock executor and against an
embedded database file."""

from __future__ import annotations

import json
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
COLLECTION = COLLECTIONS / "ansible_collections" / "brickyard" / "gluster"
MODULES = ("topology", "volume", "node", "device", "info")


def _env(tmp: Path) -> dict[str, str]:
    return {
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


def play(name: str, tmp: Path, **extra: Any) -> str:
    """Runs one playbook; fails the test with its output unless it succeeds."""
    env = _env(tmp)
    cmd = [ansible_playbook(), "-i", "localhost,", "-c", "local", str(PLAYBOOKS / name)]
    for k, v in extra.items():
        cmd += ["-e", f"{k}={v}"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, f"{name} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


class _Target:
    """Where the plays run: a server (checked through a Client) or an embedded database
    file (checked by opening it between plays: only one process may hold it)."""

    def __init__(self, server: Server | None, db: Path | None) -> None:
        self.server = server
        self.db = db

    def conn(self) -> dict[str, Any]:
        if self.server is not None:
            return dict(server=self.server.url, key=ADMIN_KEY, topology_file=TOPOLOGY)
        return dict(db=self.db, topology_file=TOPOLOGY)

    def look(self, f: Any) -> Any:
        if self.server is not None:
            with self.server.client() as client:
                return f(client)
        with brickyard.Engine(self.db) as engine:
            return f(engine)


def _scenario(target: _Target, tmp_path: Path) -> None:
    """Create, re-run (no change), expand, check mode (nothing changes), delete (twice)."""
    conn = target.conn()
    play("create.yml", tmp_path, expect_changed=True, **conn)
    vol = target.look(lambda b: b.volume_by_name("ansible-vol"))
    assert vol is not None and vol.size == 2

    play("create.yml", tmp_path, expect_changed=False, **conn)
    assert target.look(lambda b: b.volume_list()) == [vol.id]

    play("expand.yml", tmp_path, **conn)
    assert target.look(lambda b: b.volume_info(vol.id)).size == 4
    nodes = target.look(lambda b: b.topology_info()).clusters[0].nodes
    assert all(n.state == "online" for n in nodes)
    assert sorted(len(n.devices) for n in nodes) == [1, 1, 1]

    before = target.look(lambda b: b.export())
    play("check.yml", tmp_path, **conn)
    after = target.look(lambda b: b.export())
    for table in ("clusterentries", "nodeentries", "deviceentries", "volumeentries", "brickentries"):
        assert after[table] == before[table], table

    play("delete.yml", tmp_path, expect_changed=True, **conn)
    assert target.look(lambda b: b.volume_list()) == []
    play("delete.yml", tmp_path, expect_changed=False, **conn)


def test_playbooks_against_a_server(server: Server, tmp_path: Path) -> None:
    _scenario(_Target(server, None), tmp_path)


def test_the_same_playbooks_on_an_embedded_database(tmp_path: Path) -> None:
    """Every task is its own process opening the file; the mock nodes are restored from
    the records each time, so later tasks see the VGs and bricks earlier ones made."""
    db = tmp_path / "ansible.redb"
    _scenario(_Target(None, db), tmp_path)
    with brickyard.Engine(db) as engine:
        assert engine.check().inconsistencies == ()
        assert engine.pending_operations() == []


def test_one_play_on_an_embedded_database(tmp_path: Path) -> None:
    db = tmp_path / "ansible.redb"
    out = play("embedded.yml", tmp_path, db=db, topology_file=TOPOLOGY)
    assert "changed=5" in out, out
    with brickyard.Engine(db) as engine:
        assert len(engine.topology_info().clusters[0].nodes) == 3
        assert engine.volume_list() == []
        # The bricks of the deleted volume are gone from the devices too.
        devices = [d for n in engine.topology_info().clusters[0].nodes for d in n.devices]
        assert all(d.bricks == () and d.storage.used == 0 for d in devices), devices


def test_a_module_failure_carries_the_engine_message(server: Server, tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="signature is invalid"):
        play("delete.yml", tmp_path, server=server.url, key="wrong-key", expect_changed=True)


def test_module_docs_render_with_the_connection_fragment(tmp_path: Path) -> None:
    """The connection options are documented once (doc_fragments/connection.py) and
    every module's rendered documentation has them, typed as the argument spec says;
    the modules that change something take their attributes from
    doc_fragments/attributes.py."""
    sys.path.insert(0, str(COLLECTIONS))
    try:
        from ansible_collections.brickyard.gluster.plugins.module_utils.brickyard_common import CONNECTION_ARGS
    finally:
        sys.path.remove(str(COLLECTIONS))
    doc = Path(ansible_playbook()).with_name("ansible-doc")
    names = [f"brickyard.gluster.{m}" for m in MODULES]
    out = subprocess.run(
        [str(doc), "--json", "-t", "module", *names],
        env=_env(tmp_path), capture_output=True, text=True, timeout=120, check=False,
    )
    assert out.returncode == 0, out.stderr
    docs = json.loads(out.stdout)
    assert sorted(docs) == sorted(names), out.stderr
    for name in names:
        d = docs[name]["doc"]
        options = d["options"]
        for opt, spec in CONNECTION_ARGS.items():
            assert options[opt]["type"] == spec["type"], (name, opt)
            assert options[opt].get("default") == spec.get("default"), (name, opt)
        assert d["requirements"] == ["brickyard (Python package)"], name
        diff_mode = "none" if name.endswith(".info") else "full"
        assert d["attributes"]["check_mode"]["support"] == "full", name
        assert d["attributes"]["diff_mode"]["support"] == diff_mode, name
        source = (COLLECTION / "plugins" / "modules" / f"{name.rsplit('.', 1)[1]}.py").read_text()
        assert "brickyard.gluster.connection" in source and "HEKETI_CLI_SERVER" not in source, name
    text = subprocess.run(
        [str(doc), "-t", "module", "brickyard.gluster.volume"],
        env=_env(tmp_path), capture_output=True, text=True, timeout=120, check=False,
    )
    assert text.returncode == 0 and "Embedded engine database file" in text.stdout, text.stderr
