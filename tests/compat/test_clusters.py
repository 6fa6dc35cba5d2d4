"""Clusters: create (with and without flags), info, list, setflags, delete."""

import requests
from checks import assert_error, assert_json, is_id
from conftest import add_node


def test_create_without_flags_gives_an_empty_cluster_with_both_flags_off(admin):
    r = admin.raw("POST", "/clusters")
    cluster = assert_json(r, 201)
    assert list(cluster) == ["id", "nodes", "volumes", "block", "file", "blockvolumes"]
    assert is_id(cluster["id"])
    assert cluster["nodes"] == [] and cluster["volumes"] == [] and cluster["blockvolumes"] == []
    assert (cluster["block"], cluster["file"]) == (False, False)
    assert admin.cluster_info(cluster["id"]) == cluster


def test_create_with_flags_info_and_list(admin):
    cluster = admin.cluster_create({"block": True, "file": True})
    assert (cluster["block"], cluster["file"]) == (True, True)
    other = admin.cluster_create({"block": False, "file": True})
    assert (other["block"], other["file"]) == (False, True)

    info = assert_json(admin.raw("GET", f"/clusters/{cluster['id']}"), 200)
    assert info == cluster

    listing = assert_json(admin.raw("GET", "/clusters"), 200)
    assert list(listing) == ["clusters"]
    assert {cluster["id"], other["id"]} <= set(listing["clusters"])
    assert listing["clusters"] == sorted(listing["clusters"])


def test_setflags_overwrites_both_flags(admin):
    cluster = admin.cluster_create({"block": True, "file": True})
    r = admin.raw("POST", f"/clusters/{cluster['id']}/flags", {"block": False, "file": True})
    assert r.status_code == 200 and r.text == "", (r.status_code, r.text)
    info = admin.cluster_info(cluster["id"])
    assert (info["block"], info["file"]) == (False, True)
    assert admin.cluster_setflags(cluster["id"], {"block": True}) is True
    info = admin.cluster_info(cluster["id"])
    assert (info["block"], info["file"]) == (True, False)


def test_delete_then_not_found(admin):
    cluster = admin.cluster_create()
    r = admin.raw("DELETE", f"/clusters/{cluster['id']}")
    assert (r.status_code, r.text) == (200, "")
    assert cluster["id"] not in admin.cluster_list()["clusters"]
    assert_error(admin.raw("GET", f"/clusters/{cluster['id']}"), 404, "Id not found")
    assert_error(admin.raw("DELETE", f"/clusters/{cluster['id']}"), 404, "Id not found")


def test_delete_of_a_cluster_with_a_node_is_a_conflict(admin):
    cluster = admin.cluster_create({"file": True})
    node = add_node(admin, cluster["id"])
    assert admin.cluster_info(cluster["id"])["nodes"] == [node["id"]]
    assert_error(
        admin.raw("DELETE", f"/clusters/{cluster['id']}"),
        409,
        f"Unable to delete cluster [{cluster['id']}] because it contains volumes and/or nodes",
    )
    assert admin.node_delete(node["id"]) is True
    assert admin.cluster_delete(cluster["id"]) is True


def test_bad_ids(admin):
    assert_error(admin.raw("GET", "/clusters/" + "0" * 32), 404, "Id not found")
    # not hex: the route does not match
    assert_error(admin.raw("GET", "/clusters/bad_id"), 404, "Invalid path or request")
    try:
        admin.cluster_info("bad")
    except requests.HTTPError as e:
        assert e.response.status_code == 404
    else:
        raise AssertionError("cluster_info('bad') did not raise")


def test_unparsable_body_is_422(admin):
    r = requests.post(
        admin.host + "/clusters", data="{not json", headers=admin.headers("POST", "/clusters")
    )
    assert_error(r, 422, "request unable to be parsed")
