"""Devices: add (→ 204), info with sizes, state, tags, resync, remove + delete."""

import time

from checks import assert_accepted, assert_error, assert_json, is_id
from conftest import add_device, add_node


def test_add_ends_in_204_and_the_device_shows_in_node_info(admin):
    cluster = admin.cluster_create({"file": True})
    node = add_node(admin, cluster["id"])
    location = assert_accepted(admin.raw("POST", "/devices", {"name": "/dev/sdc", "node": node["id"]}))
    final = admin.queued(location)
    assert (final.status_code, final.text) == (204, "")

    info = admin.node_info(node["id"])
    (device,) = info["devices"]
    assert is_id(device["id"])
    assert device["name"] == "/dev/sdc"
    assert device["state"] == "online"
    assert device["bricks"] == []


def test_info_has_storage_sizes(admin):
    cluster = admin.cluster_create({"file": True})
    node = add_node(admin, cluster["id"])
    device = add_device(admin, node["id"], "/dev/sdd")
    info = assert_json(admin.raw("GET", f"/devices/{device['id']}"), 200)
    assert info == device
    assert list(info)[:3] == ["name", "storage", "id"]
    storage = info["storage"]
    assert list(storage) == ["total", "free", "used"]
    assert storage["total"] > 0 and storage["used"] == 0
    assert storage["free"] + storage["used"] <= storage["total"]
    assert storage["free"] > storage["total"] * 0.9
    # paths (when reported) include the name the device was added with
    assert "/dev/sdd" in info.get("paths", ["/dev/sdd"])


def test_unknown_node_and_device(admin):
    assert_error(admin.raw("POST", "/devices", {"name": "/dev/sdb", "node": "b" * 32}), 404, "Node id does not exist")
    assert_error(admin.raw("GET", f"/devices/{'c' * 32}"), 404, "Id not found")


def test_state_tags_and_resync(admin):
    cluster = admin.cluster_create({"file": True})
    node = add_node(admin, cluster["id"])
    device = add_device(admin, node["id"])

    assert admin.device_state(device["id"], {"state": "offline"}) is True
    assert admin.device_info(device["id"])["state"] == "offline"
    assert admin.device_state(device["id"], {"state": "online"}) is True
    assert admin.device_info(device["id"])["state"] == "online"

    path = f"/devices/{device['id']}/tags"
    assert assert_json(admin.raw("POST", path, {"tags": {"speed": "fast"}, "change_type": "set"}), 200) == {"speed": "fast"}
    assert admin.device_set_tags(device["id"], {"tags": {"disk": "ssd"}, "change_type": "update"}) is True
    assert admin.device_info(device["id"])["tags"] == {"speed": "fast", "disk": "ssd"}
    assert admin.device_set_tags(device["id"], {"tags": {"speed": ""}, "change_type": "delete"}) is True
    assert admin.device_info(device["id"])["tags"] == {"disk": "ssd"}

    # GET, yet asynchronous
    location = assert_accepted(admin.raw("GET", f"/devices/{device['id']}/resync"))
    assert admin.queued(location).status_code == 204
    assert admin.device_resync(device["id"]) is True
    after = admin.device_info(device["id"])
    assert after["storage"] == device["storage"]


def test_remove_then_delete(admin):
    cluster = admin.cluster_create({"file": True})
    node = add_node(admin, cluster["id"])
    device = add_device(admin, node["id"])
    assert_error(admin.raw("DELETE", f"/devices/{device['id']}"), 400, f"device: {device['id']} is not in failed state")

    # online → failed is refused at the queue
    location = assert_accepted(admin.raw("POST", f"/devices/{device['id']}/state", {"state": "failed"}))
    q = admin.raw("GET", location)
    while "X-Pending" in q.headers:
        time.sleep(0.05)
        q = admin.raw("GET", location)
    assert q.status_code == 500, (q.status_code, q.text)
    assert "Device must be offline before remove operation is performed" in q.text

    assert admin.device_state(device["id"], {"state": "offline"}) is True
    assert admin.device_state(device["id"], {"state": "failed"}) is True
    assert admin.device_info(device["id"])["state"] == "failed"
    assert admin.device_delete(device["id"]) is True
    assert_error(admin.raw("GET", f"/devices/{device['id']}"), 404, "Id not found")
    assert admin.node_info(node["id"])["devices"] == []
