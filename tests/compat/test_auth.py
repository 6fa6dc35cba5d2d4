"""JWT: Heketi's texts for missing, wrong, expired and misdirected tokens, and
the ``user`` role limited to ``/volumes``."""

import json

import requests
from checks import assert_accepted, assert_error, assert_json
from heketi_client import HeketiClient, make_token
from server import ADMIN_KEY, USER_KEY


def bearer(token: str) -> dict:
    return {"Authorization": "bearer " + token}


def test_hello_needs_no_token(server):
    r = requests.get(server.url + "/hello")
    assert (r.status_code, r.text) == (200, "Hello from Heketi")


def test_missing_token(server):
    r = requests.get(server.url + "/clusters", data="{}")
    assert_error(r, 401, "Required authorization token not found")
    # before routing: an unknown path without token is 401 too
    assert_error(requests.get(server.url + "/no/such/path"), 401, "Required authorization token not found")


def test_malformed_header(server):
    r = requests.get(server.url + "/clusters", headers={"Authorization": "token"})
    assert_error(r, 400, "Authorization header format must be Bearer {token}")


def test_wrong_secret(server):
    client = HeketiClient(server.url, "admin", "wrong")
    assert_error(
        client.raw("GET", "/clusters"),
        401,
        "Invalid JWT token: signature is invalid (client and server secrets may not match)",
    )


def test_expired_token(server):
    token = make_token("admin", ADMIN_KEY, "GET", "/clusters", lifetime=1, iat_offset=-120)
    r = requests.get(server.url + "/clusters", headers=bearer(token))
    assert r.status_code == 401, (r.status_code, r.text)
    assert r.text.startswith("Invalid JWT token: Token is expired by "), r.text


def test_wrong_qsh(server):
    token = make_token("admin", ADMIN_KEY, "GET", "/volumes")
    r = requests.get(server.url + "/clusters", headers=bearer(token))
    assert_error(r, 401, "Invalid qsh claim in token")
    # the method is part of the claim
    token = make_token("admin", ADMIN_KEY, "POST", "/clusters")
    assert_error(requests.get(server.url + "/clusters", headers=bearer(token)), 401, "Invalid qsh claim in token")


def test_missing_and_unknown_issuer(server):
    assert_error(HeketiClient(server.url, "", ADMIN_KEY).raw("GET", "/clusters"), 401, "Invalid JWT token: Token missing iss claim")
    assert_error(HeketiClient(server.url, "root", ADMIN_KEY).raw("GET", "/clusters"), 401, "Invalid JWT token: Unknown user")


def test_user_role_is_limited_to_volumes(server, admin, user, storage_cluster):
    assert_error(user.raw("GET", "/clusters"), 401, "Administrator access required")
    assert_error(user.raw("GET", f"/clusters/{storage_cluster['cluster']['id']}"), 401, "Administrator access required")
    # a user token signed with the admin key is not a user token
    assert_error(
        HeketiClient(server.url, "user", ADMIN_KEY).raw("GET", "/volumes"),
        401,
        "Invalid JWT token: signature is invalid (client and server secrets may not match)",
    )

    listing = assert_json(user.raw("GET", "/volumes"), 200)
    assert "volumes" in listing

    request = {"size": 1, "clusters": [storage_cluster["cluster"]["id"]], "durability": {"type": "replicate", "replicate": {"replica": 3}}}
    location = assert_accepted(user.raw("POST", "/volumes", request))
    # the queue is an admin resource, as in Heketi
    assert_error(user.raw("GET", location), 401, "Administrator access required")
    vol = admin.queued(location).json()
    assert vol["size"] == 1
    assert vol["id"] in user.volume_list()["volumes"]
    assert_error(user.raw("GET", f"/volumes/{vol['id']}"), 401, "Administrator access required")


def test_one_second_tokens_survive_a_whole_operation(admin, storage_cluster):
    """Every poll and the 303 follow-up are signed anew with a 1 s token."""
    before = admin.polls
    vol = admin.volume_create({"size": 1, "clusters": [storage_cluster["cluster"]["id"]]})
    assert vol is not None and admin.polls > before


def test_admin_key_body_on_get_is_ignored(admin):
    r = requests.get(
        admin.host + "/clusters",
        headers=admin.headers("GET", "/clusters"),
        data=json.dumps({"anything": [1, 2, 3]}),
    )
    assert_json(r, 200)
