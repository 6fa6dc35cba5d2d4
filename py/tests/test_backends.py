"""Every operation, on the embedded Engine and on a Client against a real server:
the same calls give the same results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import brickyard
from brickyard import Client, Engine

Backend = Engine | Client


def test_apply_topology_creates_then_changes_nothing(backend: Backend, topology: Path) -> None:
    first = backend.apply_topology(topology)
    assert first.changed
    assert first.failed == 0
    assert first.created("cluster") == 1
    assert first.created("node") == 3
    assert first.created("device") == 3
    assert first.summary.startswith("1 clusters created, 3 nodes created")
    again = backend.apply_topology(json.loads(topology.read_text()))
    assert not again.changed
    assert {i.outcome for i in again.items} == {"existing"}
    assert again.summary == (
        "0 clusters created, 0 nodes created, 3 nodes unchanged, "
        "0 devices added, 3 devices unchanged, 0 failed"
    )


def test_topology_info_lists_nodes_devices_and_volumes(loaded: Backend) -> None:
    vol = loaded.volume_create(size=2, name="topo")
    topo = loaded.topology_info()
    assert len(topo.clusters) == 1
    cluster = topo.clusters[0]
    assert sorted(n.hostname for n in cluster.nodes) == ["127.0.0.11", "127.0.0.12", "127.0.0.13"]
    assert all(len(n.devices) == 1 and n.state == "online" for n in cluster.nodes)
    assert [v.id for v in cluster.volumes] == [vol.id]
    bricks = [b for n in cluster.nodes for d in n.devices for b in d.bricks]
    assert sorted(b.id for b in bricks) == sorted(b.id for b in vol.bricks)
    assert topo.to_dict()["clusters"][0]["id"] == cluster.id


def test_cluster_lifecycle(backend: Backend) -> None:
    c = backend.cluster_create(block=False, file=True)
    assert (c.block, c.file, c.nodes, c.volumes) == (False, True, (), ())
    assert backend.cluster_list() == [c.id]
    backend.cluster_set_flags(c.id, block=True, file=False)
    info = backend.cluster_info(c.id)
    assert (info.block, info.file) == (True, False)
    backend.cluster_delete(c.id)
    assert backend.cluster_list() == []
    with pytest.raises(brickyard.NotFound):
        backend.cluster_info(c.id)


def test_node_and_device_lifecycle(backend: Backend) -> None:
    c = backend.cluster_create()
    node = backend.node_add(cluster=c.id, manage="10.0.0.1", zone=2, tags={"rack": "r1"})
    assert (node.hostname, node.storage, node.zone, node.state) == ("10.0.0.1", ("10.0.0.1",), 2, "online")
    assert node.tags == {"rack": "r1"}
    assert backend.node_set_tags(node.id, {"ssd": "yes"}, change="update") == {"rack": "r1", "ssd": "yes"}
    assert backend.node_set_tags(node.id, {"rack": ""}, change="delete") == {"ssd": "yes"}

    dev = backend.device_add(node=node.id, name="/dev/sdb", tags={"tier": "fast"})
    assert dev.name == "/dev/sdb"
    assert dev.state == "online"
    assert dev.storage.total == dev.storage.free + dev.storage.used > 0
    assert backend.device_info(dev.id).tags == {"tier": "fast"}
    assert backend.device_set_tags(dev.id, {"tier": "slow"}) == {"tier": "slow"}
    backend.device_resync(dev.id)
    assert backend.device_info(dev.id).storage.total == dev.storage.total
    assert [d.id for d in backend.node_info(node.id).devices] == [dev.id]

    backend.device_set_state(dev.id, "offline")
    assert backend.device_info(dev.id).state == "offline"
    backend.device_set_state(dev.id, "online")
    backend.device_set_state(dev.id, "offline")
    backend.device_set_state(dev.id, "failed")
    assert backend.device_info(dev.id).state == "failed"
    backend.device_delete(dev.id)
    with pytest.raises(brickyard.NotFound):
        backend.device_info(dev.id)

    backend.node_set_state(node.id, "offline")
    assert backend.node_info(node.id).state == "offline"
    backend.node_set_state(node.id, "online")
    backend.node_delete(node.id)
    with pytest.raises(brickyard.NotFound):
        backend.node_info(node.id)
    backend.cluster_delete(c.id)


def test_volume_lifecycle(loaded: Backend) -> None:
    plan = loaded.volume_plan(size=3)
    assert len(plan.sets) >= 1 and all(len(s) == 3 for s in plan.sets)
    assert len({b.node for b in plan.sets[0]}) == 3
    assert loaded.volume_list() == []  # the plan created nothing

    vol = loaded.volume_create(size=3, name="data", gluster_volume_options=["performance.rda-cache-limit 10MB"])
    assert (vol.name, vol.size, vol.durability, vol.replica) == ("data", 3, "replicate", 3)
    assert vol.cluster == plan.cluster
    assert len(vol.bricks) % 3 == 0 and len(vol.bricks) > 0
    assert vol.mount.endswith(":data")
    assert "performance.rda-cache-limit 10MB" in vol.gluster_volume_options
    assert loaded.volume_list() == [vol.id]
    assert loaded.volume_info(vol.id) == vol
    assert loaded.volume_by_name("data") == vol
    assert loaded.volume_by_name("missing") is None

    grown = loaded.volume_expand(vol.id, 2)
    assert grown.size == 5
    assert len(grown.bricks) > len(vol.bricks)

    loaded.volume_delete(vol.id)
    assert loaded.volume_list() == []
    assert loaded.check().ok


def test_volume_clone(loaded: Backend) -> None:
    src = loaded.volume_create(size=2, name="src", snapshot_factor=1.5)
    free = {d.id: d.storage.free for n in loaded.topology_info().clusters[0].nodes for d in n.devices}
    clone = loaded.volume_clone(src.id, name="copy")
    assert (clone.name, clone.size, clone.durability, clone.replica) == ("copy", 2, "replicate", 3)
    assert clone.id != src.id and clone.cluster == src.cluster
    assert all(b.path.startswith("/run/gluster/snaps/") for b in clone.bricks)
    assert sorted(b.device for b in clone.bricks) == sorted(b.device for b in src.bricks)
    # A clone shares its source's thin pools: no space is taken.
    after = {d.id: d.storage.free for n in loaded.topology_info().clusters[0].nodes for d in n.devices}
    assert after == free
    default = loaded.volume_clone(src.id)
    assert default.name == f"vol_{default.id}"
    with pytest.raises(brickyard.InvalidInput):
        loaded.volume_clone(src.id, name="bad name")
    with pytest.raises(brickyard.NotFound):
        loaded.volume_clone("0123456789abcdef0123456789abcdef")
    # Deleting the source leaves the clones.
    loaded.volume_delete(src.id)
    assert loaded.volume_info(clone.id) == clone
    assert loaded.check().ok


def test_disperse_and_none_durability(loaded: Backend) -> None:
    # Three nodes cannot hold 4+2, but can hold a distribute-only volume.
    with pytest.raises(brickyard.NoSpace):
        loaded.volume_create(size=4, durability="disperse", disperse_data=4, redundancy=2)
    single = loaded.volume_create(size=1, durability="none")
    assert single.durability == "none"
    snap = loaded.volume_create(size=1, snapshot_factor=1.5)
    assert snap.snapshot_enabled and snap.snapshot_factor == 1.5


def test_export_check_and_operations(loaded: Backend) -> None:
    vol = loaded.volume_create(size=1)
    dump = loaded.export()
    assert vol.id in dump["volumeentries"]
    assert json.loads(loaded.export_json()) == dump
    assert loaded.check().ok
    assert loaded.pending_operations() == []
    assert loaded.cleanup().operations == ()


def test_reconcile_reports_the_nodes_matching_the_records(loaded: Backend) -> None:
    loaded.volume_create(size=1)
    report = loaded.reconcile()
    assert report.clean, report
    assert (report.clusters, report.nodes, report.fixed) == (1, 3, ())
    assert loaded.reconcile(fix=True).clean
    with pytest.raises(TypeError):
        loaded.reconcile(fix="yes")  # type: ignore[arg-type]


def test_results_are_frozen_and_convert_to_dicts(loaded: Backend) -> None:
    vol = loaded.volume_create(size=1, name="frozen")
    with pytest.raises(AttributeError):
        vol.name = "other"  # type: ignore[misc]
    d = vol.to_dict()
    assert d["name"] == "frozen"
    assert isinstance(d["bricks"], list) and d["bricks"][0]["volume"] == vol.id
    json.dumps(d)


def test_day2_evict_remove_and_replace(loaded: Backend) -> None:
    vol = loaded.volume_create(size=1, name="day2")
    brick = vol.bricks[0]
    # Three nodes, three bricks: no other device may take the brick.
    with pytest.raises(brickyard.NoSpace, match="No Replacement was found"):
        loaded.brick_evict(brick.id)
    extra = loaded.device_add(node=brick.node, name="/dev/sdc")
    loaded.brick_evict(brick.id, heal_check=False)
    assert [b.id for b in loaded.device_info(extra.id).bricks] != []
    after = loaded.volume_info(vol.id)
    assert len(after.bricks) == 3 and brick.id not in [b.id for b in after.bricks]

    # The old device is empty now: replace the new one by /dev/sdd.
    new = loaded.device_replace(extra.id, "/dev/sdd")
    assert (new.name, len(new.bricks)) == ("/dev/sdd", 1)
    with pytest.raises(brickyard.NotFound):
        loaded.device_info(extra.id)

    # Node removal moves every brick to a fourth node.
    old = after.bricks[1].node
    cluster = loaded.node_info(old).cluster
    node4 = loaded.node_add(cluster=cluster, manage="127.0.0.14", zone=1)
    dev4 = loaded.device_add(node=node4.id, name="/dev/sdb")
    with pytest.raises(brickyard.Conflict, match="must be offline"):
        loaded.node_remove(old)
    loaded.node_set_state(old, "offline")
    loaded.node_remove(old)
    assert loaded.node_info(old).state == "failed"
    assert len(loaded.device_info(dev4.id).bricks) == 1

    # Node replacement in one call.
    target = loaded.volume_info(vol.id).bricks[2].node
    replaced = loaded.node_replace(target, manage="127.0.0.15", devices=["/dev/sdb"])
    assert replaced.manage == ("127.0.0.15",)
    assert sum(len(d.bricks) for d in replaced.devices) == 1
    with pytest.raises(brickyard.NotFound):
        loaded.node_info(target)
    assert len(loaded.volume_info(vol.id).bricks) == 3
