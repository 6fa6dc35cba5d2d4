"""The REST client's protocol, against a canned HTTP server: tokens, queue polling,
redirects, throttling."""

from __future__ import annotations

import hashlib
import json

import http.server
import jwt
import pytest

from brickyard import Client

KEY = "a-secret-long-enough-for-hmac-sha256!"
VOLUME = {
    "id": "ab" * 16,
    "name": "v",
    "size": 1,
    "cluster": "cd" * 16,
    "durability": {"type": "replicate", "replicate": {"replica": 3}},
    "mount": {"glusterfs": {"device": "h:v", "hosts": ["h"]}},
    "bricks": [],
}


def url(srv: http.server.HTTPServer) -> str:
    host, port = srv.server_address[:2]
    return f"http://{host}:{port}"


def claims(auth: str, key: str = KEY) -> dict[str, object]:
    scheme, token = auth.split(" ")
    assert scheme == "bearer"
    return jwt.decode(token, key, algorithms=["HS256"])


def test_every_request_carries_a_fresh_signed_token(canned: http.server.HTTPServer) -> None:
    canned.replies = [  # type: ignore[attr-defined]
        (202, "", {"Location": "/queue/0a"}),
        (200, "", {"X-Pending": "true"}),
        (303, "", {"Location": "/volumes/" + VOLUME["id"]}),
        (200, json.dumps(VOLUME), {"Content-Type": "application/json"}),
    ]
    with Client(url(canned), "admin", KEY, poll_delay=0.001) as c:
        vol = c.volume_create(size=1, name="v")
    assert vol.id == VOLUME["id"] and vol.mount == "h:v"
    reqs = canned.requests  # type: ignore[attr-defined]
    assert [(m, p) for m, p, _ in reqs] == [
        ("POST", "/volumes"),
        ("GET", "/queue/0a"),
        ("GET", "/queue/0a"),
        ("GET", "/volumes/" + VOLUME["id"]),
    ]
    for method, path, auth in reqs:
        c = claims(auth)
        assert c["iss"] == "admin"
        assert c["qsh"] == hashlib.sha256(f"{method}&{path}".encode()).hexdigest()
        assert isinstance(c["iat"], int) and isinstance(c["exp"], int) and c["exp"] > c["iat"]


def test_no_token_without_a_user(canned: http.server.HTTPServer) -> None:
    canned.default = (200, '{"clusters":[]}', {})  # type: ignore[attr-defined]
    with Client(url(canned)) as c:
        assert c.cluster_list() == []
    assert canned.requests[0][2] is None  # type: ignore[attr-defined]


def test_throttled_requests_are_retried(canned: http.server.HTTPServer) -> None:
    canned.replies = [(429, "Server busy. Retry operation later.\n", {})] * 2 + [  # type: ignore[attr-defined]
        (200, '{"volumes":["x"]}', {})
    ]
    with Client(url(canned), "admin", "k", poll_delay=0.001, retries=2) as c:
        assert c.volume_list() == ["x"]
    assert len(canned.requests) == 3  # type: ignore[attr-defined]


def test_queue_failure_raises_the_operation_error(canned: http.server.HTTPServer) -> None:
    import brickyard

    canned.replies = [  # type: ignore[attr-defined]
        (202, "", {"Location": "/queue/0b"}),
        (500, "Node must be offline before remove operation is performed, node:ab\n", {}),
    ]
    with Client(url(canned), poll_delay=0.001) as c, pytest.raises(brickyard.Conflict, match="must be offline"):
        c.node_set_state("ab", "failed")


def test_unreachable_server_is_a_brickyard_error() -> None:
    import brickyard

    with Client("http://127.0.0.1:9", timeout=2) as c, pytest.raises(brickyard.BrickyardError, match="cannot reach"):
        c.volume_list()
