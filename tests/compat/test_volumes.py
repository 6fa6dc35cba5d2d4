"""Volumes: create replica 3 (info shape), list, expand, delete."""

import pytest
from checks import assert_accepted, assert_error, assert_json, is_id

GIB_KIB = 1024 * 1024

VOLUME_KEYS = [
    "size",
    "name",
    "durability",
    "glustervolumeoptions",
    "snapshot",
    "id",
    "cluster",
    "mount",
    "blockinfo",
    "bricks",
]


def create(admin, cluster_id, **extra):
    request = {"size": 1, "clusters": [cluster_id], "durability": {"type": "replicate", "replicate": {"replica": 3}}}
    request.update(extra)
    return admin.volume_create(request)


def test_create_replica_3_has_heketi_shape(admin, storage_cluster):
    cluster_id = storage_cluster["cluster"]["id"]
    hosts = {n["hostnames"]["storage"][0] for n in storage_cluster["nodes"]}
    devices = {n["devices"][0]["id"]: n["id"] for n in storage_cluster["nodes"]}

    location = assert_accepted(
        admin.raw(
            "POST",
            "/volumes",
            {"size": 1, "clusters": [cluster_id], "durability": {"type": "replicate", "replicate": {"replica": 3}}},
        )
    )
    final = admin.queued(location)
    vol = assert_json(final, 200)

    assert list(vol) == VOLUME_KEYS
    assert is_id(vol["id"])
    assert vol["size"] == 1
    assert vol["name"] == f"vol_{vol['id']}"
    assert vol["cluster"] == cluster_id
    assert vol["durability"]["type"] == "replicate"
    assert vol["durability"]["replicate"] == {"replica": 3}
    assert vol["glustervolumeoptions"] == ["", ""]
    assert vol["snapshot"] == {"enable": False, "factor": 1}
    assert vol["blockinfo"] == {}

    glusterfs = vol["mount"]["glusterfs"]
    assert list(glusterfs) == ["hosts", "device", "options"]
    assert set(glusterfs["hosts"]) == hosts and len(glusterfs["hosts"]) == 3
    assert glusterfs["device"] == f"{glusterfs['hosts'][0]}:{vol['name']}"
    assert glusterfs["options"] == {"backup-volfile-servers": ",".join(glusterfs["hosts"][1:])}

    assert len(vol["bricks"]) == 3
    for brick in vol["bricks"]:
        assert list(brick) == ["id", "path", "device", "node", "volume", "size"]
        assert brick["volume"] == vol["id"]
        assert brick["size"] == GIB_KIB
        assert brick["path"] == f"/var/lib/heketi/mounts/vg_{brick['device']}/brick_{brick['id']}/brick"
        assert devices[brick["device"]] == brick["node"]
    assert len({b["node"] for b in vol["bricks"]}) == 3

    assert admin.volume_info(vol["id"]) == vol
    assert vol["id"] in admin.volume_list()["volumes"]
    assert vol["id"] in admin.cluster_info(cluster_id)["volumes"]
    device = admin.device_info(vol["bricks"][0]["device"])
    assert device["storage"]["used"] >= GIB_KIB
    assert [b["id"] for b in device["bricks"]] == [vol["bricks"][0]["id"]]


def test_options_and_name_are_kept(admin, storage_cluster):
    vol = create(
        admin,
        storage_cluster["cluster"]["id"],
        name="data_1",
        glustervolumeoptions=["performance.rda-cache-limit 10MB"],
    )
    assert vol["name"] == "data_1"
    assert "performance.rda-cache-limit 10MB" in vol["glustervolumeoptions"]
    assert vol["mount"]["glusterfs"]["device"].endswith(":data_1")


def test_list_shape(admin, storage_cluster):
    vol = create(admin, storage_cluster["cluster"]["id"])
    listing = assert_json(admin.raw("GET", "/volumes"), 200)
    assert list(listing) == ["volumes"]
    assert vol["id"] in listing["volumes"]


def test_expand_then_delete(admin, storage_cluster):
    vol = create(admin, storage_cluster["cluster"]["id"])
    location = assert_accepted(admin.raw("POST", f"/volumes/{vol['id']}/expand", {"expand_size": 1}))
    expanded = assert_json(admin.queued(location), 200)
    assert expanded["id"] == vol["id"]
    assert expanded["size"] == 2
    assert sum(b["size"] for b in expanded["bricks"]) == 2 * 3 * GIB_KIB
    assert admin.volume_info(vol["id"]) == expanded

    location = assert_accepted(admin.raw("DELETE", f"/volumes/{vol['id']}"))
    final = admin.queued(location)
    assert (final.status_code, final.text) == (204, "")
    assert_error(admin.raw("GET", f"/volumes/{vol['id']}"), 404, "Id not found")
    assert vol["id"] not in admin.volume_list()["volumes"]
    assert vol["id"] not in admin.cluster_info(storage_cluster["cluster"]["id"])["volumes"]
    for node in storage_cluster["nodes"]:
        assert admin.device_info(node["devices"][0]["id"])["storage"]["used"] == 0


@pytest.mark.parametrize(
    "request_body, status, message",
    [
        ({"size": 0}, 400, "validation failed: size: cannot be blank."),
        ({"size": 1, "durability": {"type": "mirror"}}, 400, "Unknown durability type"),
        ({"size": 1, "durability": {"type": "replicate", "replicate": {"replica": 4}}}, 400, "Invalid replica value"),
        ({"size": 1, "clusters": ["d" * 32]}, 400, f"Cluster id {'d' * 32} not found"),
    ],
)
def test_create_rejections(admin, request_body, status, message):
    assert_error(admin.raw("POST", "/volumes", request_body), status, message)


def test_no_space_is_a_synchronous_500(admin, storage_cluster):
    r = admin.raw("POST", "/volumes", {"size": 100000, "clusters": [storage_cluster["cluster"]["id"]]})
    assert r.status_code == 500, (r.status_code, r.text)
    assert r.text.startswith("Failed to allocate new volume: "), r.text


def test_unknown_volume(admin):
    missing = "e" * 32
    assert_error(admin.raw("GET", f"/volumes/{missing}"), 404, "Id not found")
    assert_error(admin.raw("DELETE", f"/volumes/{missing}"), 404, "Id not found")
    assert_error(admin.raw("POST", f"/volumes/{missing}/expand", {"expand_size": 1}), 404, "Id not found")
