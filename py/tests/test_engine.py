"""What only the embedded engine does: the store file, closing, import, the mock
nodes, options, and several Python threads on one engine."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

import brickyard
from brickyard import Engine


def test_context_manager_closes_the_store(tmp_path: Path, topology: Path) -> None:
    db = tmp_path / "db.redb"
    with Engine(db) as eng:
        eng.apply_topology(topology)
        assert not eng.closed
    assert eng.closed
    with pytest.raises(brickyard.StoreError, match="closed"):
        eng.volume_list()
    eng.close()  # closing twice is fine
    # The file lock is gone: the same file opens again in this process.
    with Engine(db) as again:
        assert len(again.cluster_list()) == 1


def test_file_database_keeps_state_across_reopen(tmp_path: Path, topology: Path) -> None:
    db = tmp_path / "db.redb"
    with Engine(db) as eng:
        eng.apply_topology(topology)
        vol = eng.volume_create(size=2, name="kept")
        tags = eng.node_set_tags(vol.bricks[0].node, {"a": "b"})
    with Engine(db) as eng:
        assert eng.volume_info(vol.id) == vol
        assert eng.volume_by_name("kept") == vol
        assert eng.node_info(vol.bricks[0].node).tags == tags
        assert eng.check().ok
        assert eng.recovery_report().operations == ()


def test_memory_engine_starts_empty_each_time(topology: Path) -> None:
    with Engine() as eng:
        eng.apply_topology(topology)
    with Engine() as eng:
        assert eng.cluster_list() == []


def test_export_then_import_gives_the_same_records(tmp_path: Path, topology: Path) -> None:
    with Engine() as eng:
        eng.apply_topology(topology)
        vol = eng.volume_create(size=1, name="moved")
        text = eng.export_json()
        records = eng.export()
    with Engine.import_json(tmp_path / "imported.redb", text) as imported:
        assert imported.volume_info(vol.id).name == "moved"
        again = imported.export()
        # Everything but the database attributes (a new generation id) is the same.
        for table in ("clusterentries", "nodeentries", "deviceentries", "volumeentries", "brickentries"):
            assert again[table] == records[table]
    with pytest.raises(brickyard.StoreError):
        # The store now holds data: importing into it again is refused.
        Engine.import_json(tmp_path / "imported.redb", text)
    with pytest.raises(brickyard.InvalidInput, match="import_json"):
        Engine.import_json(None, "{not json")


def test_mock_nodes_are_reachable_and_configurable(topology: Path) -> None:
    with Engine(mock_device_size_gb=10) as eng:
        mock = eng.mock
        assert mock is not None
        mock.set_device_size("127.0.0.11", "/dev/sdb", 20)
        eng.apply_topology(topology)
        assert sorted(mock.hosts()) == ["127.0.0.11", "127.0.0.12", "127.0.0.13"]
        sizes = {n.hostname: n.devices[0].storage.total for n in eng.topology_info().clusters[0].nodes}
        assert sizes["127.0.0.11"] > sizes["127.0.0.12"] == sizes["127.0.0.13"]
        assert sizes["127.0.0.12"] < 10 * 1024 * 1024
        assert any("pvcreate" in cmd for _, cmd in mock.commands())


def test_reconcile_reports_a_node_whose_glusterd_is_down(topology: Path) -> None:
    with Engine() as eng:
        eng.apply_topology(topology)
        eng.volume_create(size=1)
        mock = eng.mock
        assert mock is not None
        mock.set_glusterd_running("127.0.0.12", False)
        report = eng.reconcile()
        assert [(d.kind, d.host, d.fixable) for d in report.drifts] == [
            ("node_unreachable", "127.0.0.12", False)
        ]
        assert report.drifts[0].detail.startswith("gluster on 127.0.0.12 did not answer")
        assert report.to_dict()["drifts"][0]["kind"] == "node_unreachable"


def test_engine_options_reach_the_engine(topology: Path) -> None:
    with Engine(post_request_volume_options="performance.readdir-ahead on", brick_max_size_gb=2) as eng:
        eng.apply_topology(topology)
        vol = eng.volume_create(size=6)
        assert "performance.readdir-ahead on" in vol.gluster_volume_options
        # 6 GiB with bricks of at most 2 GiB needs several replica sets.
        assert len(vol.bricks) >= 9
    with pytest.raises(brickyard.InvalidInput, match="zone_checking"):
        Engine(zone_checking="sometimes")
    with pytest.raises(brickyard.Unsupported, match="executor"):
        Engine(executor="kubernetes")
    with pytest.raises(brickyard.InvalidInput, match="ssh.keyfile"):
        Engine(executor="ssh")
    with pytest.raises(TypeError):
        Engine(brick_max_size_gb="big")


def test_strict_zone_checking_refuses_sets_in_one_zone() -> None:
    one_zone = {
        "clusters": [
            {
                "nodes": [
                    {
                        "node": {"hostnames": {"manage": [h], "storage": [h]}, "zone": 1},
                        "devices": ["/dev/sdb"],
                    }
                    for h in ("10.1.0.1", "10.1.0.2", "10.1.0.3")
                ]
            }
        ]
    }
    with Engine(zone_checking="strict") as strict:
        strict.apply_topology(one_zone)
        with pytest.raises(brickyard.NoSpace, match="zone"):
            strict.volume_create(size=1)
    with Engine() as relaxed:
        relaxed.apply_topology(one_zone)
        assert len(relaxed.volume_create(size=1).bricks) == 3


def test_eight_threads_create_volumes_on_one_engine(topology: Path) -> None:
    with Engine(brick_max_size_gb=1) as eng:
        eng.apply_topology(topology)
        created: list[str] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def work(n: int) -> None:
            try:
                for i in range(3):
                    vol = eng.volume_create(size=1, name=f"t{n}_{i}")
                    with lock:
                        created.append(vol.id)
            except BaseException as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(set(created)) == 24
        assert sorted(eng.volume_list()) == sorted(created)
        assert eng.check().ok
        used = sum(n.devices[0].storage.used for n in eng.topology_info().clusters[0].nodes)
        assert used > 0


def test_native_calls_release_the_gil(topology: Path) -> None:
    """A pure-Python thread keeps running while the main thread is inside the engine;
    with a long switch interval it could not if the call held the GIL."""
    with Engine() as eng:
        eng.apply_topology(topology)
        counter = [0]
        stop = threading.Event()

        def spin() -> None:
            while not stop.is_set():
                counter[0] += 1

        old = sys.getswitchinterval()
        sys.setswitchinterval(0.5)
        spinner = threading.Thread(target=spin)
        spinner.start()
        try:
            progressed = False
            for i in range(5):
                before = counter[0]
                eng.volume_create(size=1, name=f"gil{i}")
                if counter[0] != before:
                    progressed = True
                    break
        finally:
            stop.set()
            spinner.join()
            sys.setswitchinterval(old)
        assert progressed
