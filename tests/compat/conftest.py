"""Fixtures: one real ``brickyard serve`` per session (JWT on, mock executor),
clients signing as ``admin`` and ``user``, and builders of small topologies.

Tests share the session server, so each one builds its own cluster with fresh
host names and never assumes it is alone (membership, not counts).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from heketi_client import HeketiClient  # noqa: E402
from server import ADMIN_KEY, USER_KEY, Server, auth_config  # noqa: E402

_hosts = itertools.count(1)


def fresh_host() -> str:
    """A manage/storage host name no other test uses."""
    n = next(_hosts)
    return f"10.{100 + n // 250}.{n % 250}.1"


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("brickyard")
    srv = Server(workdir, auth_config(workdir / "heketi.db"), workdir / "heketi.db").start()
    yield srv
    code = srv.stop()
    assert code is not None


@pytest.fixture
def admin(server) -> HeketiClient:
    return HeketiClient(server.url, "admin", ADMIN_KEY)


@pytest.fixture
def user(server) -> HeketiClient:
    return HeketiClient(server.url, "user", USER_KEY)


def add_node(client: HeketiClient, cluster_id: str, zone: int = 1, host: str | None = None) -> dict:
    host = host or fresh_host()
    node = client.node_add(
        {"zone": zone, "hostnames": {"manage": [host], "storage": [host]}, "cluster": cluster_id}
    )
    assert node is not None
    return node


def add_device(client: HeketiClient, node_id: str, name: str = "/dev/sdb") -> dict:
    assert client.device_add({"name": name, "node": node_id}) is True
    info = client.node_info(node_id)
    (device,) = [d for d in info["devices"] if d["name"] == name]
    return device


@pytest.fixture
def storage_cluster(admin):
    """A file cluster of three nodes in three zones with one device each."""
    cluster = admin.cluster_create({"file": True, "block": False})
    nodes = []
    for zone in (1, 2, 3):
        node = add_node(admin, cluster["id"], zone)
        add_device(admin, node["id"])
        nodes.append(admin.node_info(node["id"]))
    return {"cluster": admin.cluster_info(cluster["id"]), "nodes": nodes}
