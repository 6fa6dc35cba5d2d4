"""Heketi's own Python client test (heketi/heketi:client/api/python/test/unit/
test_client.py), ported: same calls, same expectations.  Device names gain the
``/dev/`` prefix the API validation requires, host names are fresh per run."""

import pytest
import requests
from conftest import fresh_host


def node_request(cluster_id, zone):
    host = fresh_host()
    return {"cluster": cluster_id, "zone": zone, "hostnames": {"manage": [host], "storage": [host]}}


def test_cluster(admin):
    cluster = admin.cluster_create()
    assert cluster["id"] != "" and cluster["nodes"] == [] and cluster["volumes"] == []
    with pytest.raises(requests.HTTPError):
        admin.cluster_info("bad")
    info = admin.cluster_info(cluster["id"])
    assert info == cluster
    assert cluster["id"] in admin.cluster_list()["clusters"]
    with pytest.raises(requests.HTTPError):
        admin.cluster_delete("badid")
    assert admin.cluster_delete(info["id"]) is True


def test_node(admin):
    cluster = admin.cluster_create()
    req = node_request("bad_id", 10)
    with pytest.raises(requests.HTTPError):
        admin.node_add(req)
    req["cluster"] = cluster["id"]
    node = admin.node_add(req)
    assert node["zone"] == req["zone"] and node["id"] != ""
    assert node["hostnames"] == req["hostnames"] and node["devices"] == []
    with pytest.raises(requests.HTTPError):
        admin.node_info("badid")
    info = admin.node_info(node["id"])
    assert info == node and info["state"] == "online"
    assert admin.node_state(node["id"], {"state": "offline"}) is True
    assert admin.node_info(node["id"])["state"] == "offline"
    assert admin.node_state(node["id"], {"state": "online"}) is True
    assert admin.node_info(node["id"])["state"] == "online"
    with pytest.raises(requests.HTTPError):
        admin.node_delete("badid")
    with pytest.raises(requests.HTTPError):
        admin.cluster_delete(cluster["id"])
    assert admin.node_delete(node["id"]) is True
    assert admin.cluster_delete(cluster["id"]) is True


def test_device(admin):
    cluster = admin.cluster_create()
    node = admin.node_add(node_request(cluster["id"], 10))
    assert admin.device_add({"name": "/dev/sda", "node": node["id"]}) is True
    info = admin.node_info(node["id"])
    assert len(info["devices"]) == 1 and info["devices"][0]["bricks"] == []
    assert info["devices"][0]["name"] == "/dev/sda" and info["devices"][0]["id"] != ""
    with pytest.raises(requests.HTTPError):
        admin.device_info("badid")
    device_id = info["devices"][0]["id"]
    device = admin.device_info(device_id)
    assert device == info["devices"][0]
    assert admin.device_state(device_id, {"state": "offline"}) is True
    assert admin.device_info(device_id)["state"] == "offline"
    assert admin.device_state(device_id, {"state": "online"}) is True
    assert admin.device_info(device_id)["state"] == "online"
    with pytest.raises(requests.HTTPError):
        admin.node_delete(node["id"])
    # upstream deletes an online device; Heketi ≥ 6 wants it removed (failed) first
    with pytest.raises(requests.HTTPError):
        admin.device_delete(device_id)
    assert admin.device_state(device_id, {"state": "offline"}) is True
    assert admin.device_state(device_id, {"state": "failed"}) is True
    assert admin.device_delete(device_id) is True
    assert admin.node_delete(node["id"]) is True
    assert admin.cluster_delete(cluster["id"]) is True


def test_volume(admin):
    cluster = admin.cluster_create({"file": True})
    for zone in range(1, 4):
        node = admin.node_add(node_request(cluster["id"], zone))
        for i in range(1, 4):
            assert admin.device_add({"name": f"/dev/sda{i}", "node": node["id"]}) is True

    volume = admin.volume_create({"size": 10, "clusters": [cluster["id"]]})
    assert volume["id"] != "" and volume["size"] == 10
    assert volume["id"] in admin.volume_list()["volumes"]
    with pytest.raises(requests.HTTPError):
        admin.volume_info("badid")
    assert admin.volume_info(volume["id"]) == volume
    with pytest.raises(requests.HTTPError):
        admin.volume_expand("badid", {"expand_size": 10})
    assert admin.volume_expand(volume["id"], {"expand_size": 10})["size"] == 20
    with pytest.raises(requests.HTTPError):
        admin.volume_delete("badid")
    assert admin.volume_delete(volume["id"]) is True

    for node_id in admin.cluster_info(cluster["id"])["nodes"]:
        for device in admin.node_info(node_id)["devices"]:
            assert admin.device_state(device["id"], {"state": "offline"}) is True
            assert admin.device_state(device["id"], {"state": "failed"}) is True
            assert admin.device_delete(device["id"]) is True
        assert admin.node_delete(node_id) is True
    assert admin.cluster_delete(cluster["id"]) is True
