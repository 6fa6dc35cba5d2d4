"""Every exception class, provoked for real; the same class from both backends."""

from __future__ import annotations

import http.server
from pathlib import Path

import pytest

import brickyard
from brickyard import Client, Engine
from brickyard.errors import from_http

Backend = Engine | Client


def test_hierarchy_and_kinds() -> None:
    classes = {
        brickyard.NotFound: "not_found",
        brickyard.AlreadyExists: "already_exists",
        brickyard.Conflict: "conflict",
        brickyard.InvalidInput: "invalid_input",
        brickyard.NoSpace: "no_space",
        brickyard.Unauthorized: "unauthorized",
        brickyard.Busy: "busy",
        brickyard.ExecutorError: "exec",
        brickyard.Unsupported: "unsupported",
        brickyard.StoreError: "store",
        brickyard.Rejected: "rejected",
    }
    for cls, kind in classes.items():
        assert issubclass(cls, brickyard.BrickyardError)
        assert issubclass(cls, Exception)
        assert cls.kind == kind
        assert cls.__module__ == "brickyard"
    assert not issubclass(brickyard.BrickyardError, (LookupError, ValueError))


def test_not_found(backend: Backend) -> None:
    with pytest.raises(brickyard.NotFound, match="Id not found") as e:
        backend.volume_info("0123456789abcdef0123456789abcdef")
    assert e.value.kind == "not_found"


def test_already_exists(loaded: Backend) -> None:
    cluster = loaded.cluster_list()[0]
    with pytest.raises(brickyard.AlreadyExists, match="already used"):
        loaded.node_add(cluster=cluster, manage="127.0.0.11")
    loaded.volume_create(size=1, name="twice")
    with pytest.raises(brickyard.AlreadyExists):
        loaded.volume_create(size=1, name="twice")


def test_conflict(loaded: Backend) -> None:
    cluster = loaded.cluster_list()[0]
    with pytest.raises(brickyard.Conflict, match="contains"):
        loaded.cluster_delete(cluster)
    node = loaded.cluster_info(cluster).nodes[0]
    with pytest.raises(brickyard.Conflict, match="offline"):
        loaded.node_set_state(node, "failed")


def test_invalid_input(loaded: Backend) -> None:
    with pytest.raises(brickyard.InvalidInput):
        loaded.volume_create(size=0)
    with pytest.raises(brickyard.InvalidInput, match="replica"):
        loaded.volume_create(size=1, replica=7)
    with pytest.raises(brickyard.InvalidInput, match="durability"):
        loaded.volume_create(size=1, durability="mirror")
    with pytest.raises(brickyard.InvalidInput, match="change"):
        loaded.node_set_tags(loaded.cluster_info(loaded.cluster_list()[0]).nodes[0], {}, change="merge")


def test_wrong_argument_types_name_the_argument(backend: Backend) -> None:
    with pytest.raises(TypeError, match="size"):
        backend.volume_create(size="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="replica"):
        backend.volume_create(size=1, replica=True)
    with pytest.raises(TypeError, match="id"):
        backend.volume_info(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="manage"):
        backend.node_add(cluster="00", manage=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tags"):
        backend.node_add(cluster="00", manage="h", tags={"a": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="topology"):
        backend.apply_topology(42)  # type: ignore[arg-type]


def test_no_space_explains_per_device(loaded: Backend) -> None:
    with pytest.raises(brickyard.NoSpace):
        loaded.volume_create(size=100_000)
    node = loaded.cluster_info(loaded.cluster_list()[0]).nodes[0]
    loaded.node_set_state(node, "offline")
    with pytest.raises(brickyard.NoSpace, match="only 2 nodes qualify") as e:
        loaded.volume_create(size=1)
    # The same per-device reasons from both backends (a server sends them in a header).
    reasons = e.value.reasons
    devices = {d.id: n for n in loaded.topology_info().clusters[0].nodes for d in n.devices}
    assert len(reasons) == len(devices) == 3
    assert all(set(r) == {"device", "node", "reason"} for r in reasons)
    assert {r["device"]: r["node"] for r in reasons} == {d: n.id for d, n in devices.items()}
    offline = [r for r in reasons if r["node"] == node]
    assert [r["reason"] for r in offline] == ["device or node is not online"]
    with pytest.raises(brickyard.NoSpace) as plan:
        loaded.volume_plan(size=1)
    assert plan.value.reasons == reasons


def test_executor_error_names_node_command_status_and_stderr(loaded: Backend) -> None:
    node = loaded.node_info(loaded.cluster_info(loaded.cluster_list()[0]).nodes[0])
    with pytest.raises(brickyard.ExecutorError) as e:
        loaded.device_add(node=node.id, name="/nodisk/x")
    err = e.value
    assert err.kind == "exec"
    assert err.node == node.hostname
    assert err.command is not None and "pvcreate" in err.command and "/nodisk/x" in err.command
    assert err.exit_status == 5
    assert err.stderr == "No device found for /nodisk/x."


def test_device_remove_without_room(loaded: Backend) -> None:
    vol = loaded.volume_create(size=1)
    device = vol.bricks[0].device
    loaded.device_set_state(device, "offline")
    # Three nodes, each holding a brick of the set: the brick has nowhere to go.
    with pytest.raises(brickyard.NoSpace, match=rf"^Unable to delete device \[{device}\] as no device was found"):
        loaded.device_set_state(device, "failed")
    assert loaded.device_info(device).state == "offline"


def test_store_error_for_an_unusable_path(tmp_path: Path) -> None:
    with pytest.raises(brickyard.StoreError):
        Engine(tmp_path)  # a directory, not a database file
    db = tmp_path / "locked.redb"
    with Engine(db):
        with pytest.raises(brickyard.StoreError):
            Engine(db)  # already open


def test_unauthorized(server: object, topology: Path) -> None:
    from conftest import Server

    assert isinstance(server, Server)
    with server.client(key="wrong") as bad, pytest.raises(brickyard.Unauthorized, match="signature"):
        bad.cluster_list()
    with server.client(user=None, key=None) as anonymous, pytest.raises(brickyard.Unauthorized):
        anonymous.cluster_list()
    with server.client(user="user", key="test-user-secret") as user:
        assert user.volume_list() == []
        with pytest.raises(brickyard.Unauthorized, match="Administrator"):
            user.cluster_list()


def test_busy_after_retries(canned: http.server.HTTPServer) -> None:
    canned.default = (429, "Server busy. Retry operation later.\n", {})  # type: ignore[attr-defined]
    host, port = canned.server_address[:2]
    with Client(f"http://{host}:{port}", "admin", "k", poll_delay=0.001, retries=3) as c:
        with pytest.raises(brickyard.Busy, match="Server busy"):
            c.volume_list()
    assert len(canned.requests) == 4  # type: ignore[attr-defined]


def test_no_space_reasons_from_the_queue_answer(canned: http.server.HTTPServer) -> None:
    reasons = '[{"device":"d1","node":"n1","reason":"10 KiB free, brick needs 1024 KiB"},{"device":"d\\u00e92","node":"n2","reason":"r"}]'
    canned.replies.extend(  # type: ignore[attr-defined]
        [
            (202, "", {"Location": "/queue/abc"}),
            (
                500,
                "Failed to allocate new volume: No space: cluster c1: need 3 nodes, found 1\n",
                {"X-Brickyard-Error-Kind": "no_space", "X-Brickyard-Error-Reasons": reasons},
            ),
        ]
    )
    host, port = canned.server_address[:2]
    with Client(f"http://{host}:{port}", poll_delay=0.001) as c, pytest.raises(brickyard.NoSpace) as e:
        c.volume_expand("0123456789abcdef0123456789abcdef", 1)
    assert str(e.value) == "Failed to allocate new volume: No space: cluster c1: need 3 nodes, found 1"
    assert e.value.reasons == (
        {"device": "d1", "node": "n1", "reason": "10 KiB free, brick needs 1024 KiB"},
        {"device": "d\u00e92", "node": "n2", "reason": "r"},
    )
    assert [r[1] for r in canned.requests] == ["/volumes/0123456789abcdef0123456789abcdef/expand", "/queue/abc"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("header", [None, "", "not json", '{"device": "d"}', '[{"device": "d", "node": 1, "reason": "r"}]'])
def test_a_missing_or_unreadable_reasons_header_leaves_reasons_empty(header: str | None) -> None:
    err = from_http(500, "Failed to allocate new volume: No space", "no_space", header)
    assert type(err) is brickyard.NoSpace
    assert err.reasons == ()


def test_rejected_from_the_kind_header(canned: http.server.HTTPServer) -> None:
    canned.default = (400, "policy says no\n", {"X-Brickyard-Error-Kind": "rejected"})  # type: ignore[attr-defined]
    host, port = canned.server_address[:2]
    with Client(f"http://{host}:{port}") as c, pytest.raises(brickyard.Rejected, match="policy says no"):
        c.volume_create(size=1)


@pytest.mark.parametrize(
    ("status", "text", "cls"),
    [
        (500, "Failed to allocate new volume: No space", brickyard.NoSpace),
        (500, "Node must be offline before remove operation is performed, node:ab", brickyard.Conflict),
        (409, "Hostname h already used by node with id ab", brickyard.AlreadyExists),
        (409, "Unable to delete cluster [ab] because it contains volumes and/or nodes", brickyard.Conflict),
        (404, "Invalid path or request", brickyard.NotFound),
        (422, "request unable to be parsed", brickyard.InvalidInput),
        (501, "whatever", brickyard.Unsupported),
        (500, "database is on fire", brickyard.BrickyardError),
    ],
)
def test_http_answers_map_to_classes(status: int, text: str, cls: type[brickyard.BrickyardError]) -> None:
    err = from_http(status, text + "\n")
    assert type(err) is cls
    assert str(err) == text


def test_executor_text_is_parsed() -> None:
    err = from_http(
        500,
        "Failed to allocate new volume: command on 10.0.0.1 failed: lvcreate -L 1G vg (exit status 5): "
        "Volume group vg not found",
    )
    assert isinstance(err, brickyard.ExecutorError)
    assert (err.node, err.command, err.exit_status, err.stderr) == (
        "10.0.0.1",
        "lvcreate -L 1G vg",
        5,
        "Volume group vg not found",
    )
