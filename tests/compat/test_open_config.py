"""A heketi.json with ``use_auth: false``, comments and trailing commas: no token
is needed, and a wrong one does not matter."""

import pytest
import requests
from checks import assert_json
from heketi_client import HeketiClient
from server import Server, open_config


@pytest.fixture(scope="module")
def open_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("brickyard-open")
    srv = Server(workdir, open_config(workdir / "heketi.db"), workdir / "heketi.db").start()
    yield srv
    srv.stop()


def test_no_token_needed(open_server):
    anonymous = HeketiClient(open_server.url, None, None)
    cluster = anonymous.cluster_create({"file": True})
    assert cluster["file"] is True
    nodes = []
    for zone, host in enumerate(["192.168.7.1", "192.168.7.2", "192.168.7.3"], start=1):
        node = anonymous.node_add({"zone": zone, "hostnames": {"manage": [host], "storage": [host]}, "cluster": cluster["id"]})
        assert anonymous.device_add({"name": "/dev/vdb", "node": node["id"]}) is True
        nodes.append(node["id"])
    vol = anonymous.volume_create({"size": 2, "durability": {"type": "replicate", "replicate": {"replica": 3}}})
    assert vol["size"] == 2 and vol["cluster"] == cluster["id"]
    assert sorted(anonymous.cluster_info(cluster["id"])["nodes"]) == sorted(nodes)
    assert anonymous.volume_delete(vol["id"]) is True


def test_a_wrong_token_is_ignored(open_server):
    r = HeketiClient(open_server.url, "admin", "not the secret").raw("GET", "/clusters")
    assert_json(r, 200)
    r = requests.get(open_server.url + "/clusters")
    assert_json(r, 200)
