"""Nodes: add (202 → 303 → info), duplicates, state, tags, delete."""

from checks import assert_accepted, assert_error, assert_json, is_id
from conftest import add_device, add_node, fresh_host


def test_add_answers_202_then_303_to_the_node(admin):
    cluster = admin.cluster_create({"file": True})
    host = fresh_host()
    request = {"zone": 2, "hostnames": {"manage": [host], "storage": [host]}, "cluster": cluster["id"]}
    location = assert_accepted(admin.raw("POST", "/nodes", request))

    polls = 0
    while True:
        q = admin.raw("GET", location)
        polls += 1
        if "X-Pending" not in q.headers:
            break
        assert q.status_code == 200 and q.text == ""
        assert polls < 600
    assert q.status_code == 303, (q.status_code, q.text)
    target = q.headers["Location"]
    assert target.startswith("/nodes/") and is_id(target[len("/nodes/"):]), target
    # a finished entry is reported once
    assert_error(admin.raw("GET", location), 404, "Id not found")

    node = assert_json(admin.raw("GET", target), 200)
    assert list(node) == ["zone", "hostnames", "cluster", "id", "state", "devices"]
    assert node["id"] == target[len("/nodes/"):]
    assert node["zone"] == 2
    assert node["hostnames"] == {"manage": [host], "storage": [host]}
    assert node["cluster"] == cluster["id"]
    assert node["state"] == "online"
    assert node["devices"] == []
    assert admin.cluster_info(cluster["id"])["nodes"] == [node["id"]]


def test_duplicate_hostname_is_a_conflict(admin):
    cluster = admin.cluster_create({"file": True})
    host = fresh_host()
    node = add_node(admin, cluster["id"], host=host)
    again = {"zone": 1, "hostnames": {"manage": [host], "storage": [fresh_host()]}, "cluster": cluster["id"]}
    assert_error(
        admin.raw("POST", "/nodes", again), 409, f"Hostname {host} already used by node with id {node['id']}"
    )


def test_add_to_an_unknown_cluster_and_invalid_requests(admin):
    host = fresh_host()
    hostnames = {"manage": [host], "storage": [host]}
    assert_error(
        admin.raw("POST", "/nodes", {"zone": 1, "hostnames": hostnames, "cluster": "a" * 32}),
        404,
        "Cluster id does not exist",
    )
    # Heketi v10 runs its ozzo validation before its older handler checks
    # ("Zone cannot be zero or value is missing", "Manage hostname missing").
    assert_error(
        admin.raw("POST", "/nodes", {"zone": 0, "hostnames": hostnames, "cluster": "a" * 32}),
        400,
        "validation failed: zone: cannot be blank.",
    )
    assert_error(
        admin.raw("POST", "/nodes", {"zone": 1, "hostnames": {}, "cluster": "a" * 32}),
        400,
        "validation failed: hostnames: (manage: cannot be blank; storage: cannot be blank.).",
    )
    assert_error(
        admin.raw("POST", "/nodes", {"zone": 1, "hostnames": {"manage": [host]}, "cluster": "a" * 32}),
        400,
        "validation failed: hostnames: (storage: cannot be blank.).",
    )


def test_nodes_with_separate_manage_and_storage_networks(admin):
    """Heketi's usual topology: commands go to the manage name, gluster knows the
    node by its storage name (peer probe, bricks, mount hosts)."""
    cluster = admin.cluster_create({"file": True})
    nodes = []
    for zone in (1, 2, 3):
        n = fresh_host().split(".")
        manage, storage = f"node{n[1]}-{n[2]}-manage.lab", f"node{n[1]}-{n[2]}-storage.lab"
        node = admin.node_add(
            {"zone": zone, "hostnames": {"manage": [manage], "storage": [storage]}, "cluster": cluster["id"]}
        )
        assert node["hostnames"] == {"manage": [manage], "storage": [storage]}
        add_device(admin, node["id"])
        nodes.append(node)
    storage_names = sorted(n["hostnames"]["storage"][0] for n in nodes)
    vol = admin.volume_create(
        {"size": 1, "clusters": [cluster["id"]], "durability": {"type": "replicate", "replicate": {"replica": 3}}}
    )
    assert sorted(vol["mount"]["glusterfs"]["hosts"]) == storage_names
    assert vol["mount"]["glusterfs"]["device"].split(":")[0] in storage_names
    assert admin.volume_delete(vol["id"]) is True


def test_state_offline_and_online(admin):
    cluster = admin.cluster_create({"file": True})
    node = add_node(admin, cluster["id"])
    assert admin.node_state(node["id"], {"state": "offline"}) is True
    assert admin.node_info(node["id"])["state"] == "offline"
    assert admin.node_state(node["id"], {"state": "online"}) is True
    assert admin.node_info(node["id"])["state"] == "online"
    r = admin.raw("POST", f"/nodes/{node['id']}/state", {"state": "sleepy"})
    assert r.status_code == 400, (r.status_code, r.text)


def test_tags_set_update_delete(admin):
    cluster = admin.cluster_create({"file": True})
    node = add_node(admin, cluster["id"])
    path = f"/nodes/{node['id']}/tags"

    tags = assert_json(admin.raw("POST", path, {"tags": {"rack": "a", "ssd": "yes"}, "change_type": "set"}), 200)
    assert tags == {"rack": "a", "ssd": "yes"}
    info = admin.node_info(node["id"])
    assert info["tags"] == tags
    assert list(info)[:4] == ["zone", "hostnames", "cluster", "tags"]

    tags = assert_json(admin.raw("POST", path, {"tags": {"ssd": "no", "row": "7"}, "change_type": "update"}), 200)
    assert tags == {"rack": "a", "ssd": "no", "row": "7"}

    tags = assert_json(admin.raw("POST", path, {"tags": {"rack": ""}, "change_type": "delete"}), 200)
    assert tags == {"ssd": "no", "row": "7"}

    assert admin.node_set_tags(node["id"], {"tags": {}, "change_type": "set"}) is True
    assert "tags" not in admin.node_info(node["id"])

    r = admin.raw("POST", path, {"tags": {"bad tag!": "x"}, "change_type": "set"})
    assert r.status_code == 400, (r.status_code, r.text)
    assert_error(admin.raw("POST", f"/nodes/{'f' * 32}/tags", {"tags": {}, "change_type": "set"}), 404, "Id not found")


def test_delete_with_devices_is_a_conflict_then_succeeds_without(admin):
    cluster = admin.cluster_create({"file": True})
    node = add_node(admin, cluster["id"])
    device = add_device(admin, node["id"])
    assert_error(
        admin.raw("DELETE", f"/nodes/{node['id']}"),
        409,
        f"Unable to delete node [{node['id']}] because it contains devices",
    )
    assert admin.device_state(device["id"], {"state": "offline"}) is True
    assert admin.device_state(device["id"], {"state": "failed"}) is True
    assert admin.device_delete(device["id"]) is True
    assert admin.node_delete(node["id"]) is True
    assert_error(admin.raw("GET", f"/nodes/{node['id']}"), 404, "Id not found")
    assert admin.cluster_info(cluster["id"])["nodes"] == []
