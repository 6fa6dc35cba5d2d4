"""A Heketi-compatible REST client with the same methods and results as
:class:`brickyard.Engine`.

It speaks Heketi's protocol: HS256 JWTs with ``iss``/``iat``/``exp``/``qsh`` (a fresh
one per request, poll and redirect), ``202 Accepted`` answered by polling the queue
with redirects off, ``303 See Other`` followed with a new signed ``GET``, and ``429``
retried with exponential backoff.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import warnings
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests

from ._api import Backend
from ._brickyard import BrickyardError, NotFound
from .errors import KIND_HEADER, REASONS_HEADER, from_http

__all__ = ["Client"]

_TOKEN_LIFETIME_S = 300
_MAX_BACKOFF_S = 10.0


def _tls_problem(server: str, e: requests.exceptions.SSLError) -> str:
    """What a failed TLS handshake means for the caller, and the way out."""
    if "CERTIFICATE_VERIFY_FAILED" in str(e):
        return (
            f"the TLS certificate of the server at {server} is not trusted ({e}): pass "
            "verify='ca.pem' (the CA certificate that signed it), or verify=False to skip the check"
        )
    if "WRONG_VERSION_NUMBER" in str(e) or "record layer failure" in str(e):
        return (
            f"the server at {server} did not answer with TLS ({e}): "
            "does it serve plain HTTP? then use an http:// URL"
        )
    return f"TLS with {server} failed: {e}"


class _Rest:
    """The raw backend over HTTP: wire-format bodies in, wire-format results out."""

    def __init__(
        self,
        server: str,
        user: str | None,
        key: str | None,
        poll_delay: float,
        retries: int,
        timeout: float,
        verify: bool | str,
    ) -> None:
        self.server = server.rstrip("/")
        self.user = user
        self.key = key
        self.poll_delay = poll_delay
        self.retries = retries
        self.timeout = timeout
        # Passed with every request, not set on the session: requests lets
        # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's verify.
        self.verify = verify
        self.session = requests.Session()

    # Transport ----------------------------------------------------------------------

    def _headers(self, method: str, path: str) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.user is not None:
            now = int(time.time())
            qsh = hashlib.sha256(f"{method}&{urlsplit(path).path}".encode()).hexdigest()
            claims = {"iss": self.user, "iat": now, "exp": now + _TOKEN_LIFETIME_S, "qsh": qsh}
            with warnings.catch_warnings():
                # Heketi secrets are often short; PyJWT warns about HMAC keys < 32 bytes.
                warnings.simplefilter("ignore")
                token = jwt.encode(claims, self.key or "", algorithm="HS256")
            headers["Authorization"] = f"bearer {token}"
        return headers

    def _send(self, method: str, path: str, body: Any = None) -> requests.Response:
        """One request, retried on 429 with exponential backoff and jitter."""
        data = None if body is None else json.dumps(body)
        attempt = 0
        while True:
            headers = self._headers(method, path)
            if data is not None:
                headers["Content-Type"] = "application/json"
            try:
                resp = self.session.request(
                    method,
                    self.server + path,
                    data=data,
                    headers=headers,
                    allow_redirects=False,
                    timeout=self.timeout,
                    verify=self.verify,
                )
            except requests.exceptions.SSLError as e:
                raise BrickyardError(_tls_problem(self.server, e)) from e
            except requests.RequestException as e:
                raise BrickyardError(f"cannot reach {self.server}: {e}") from e
            if resp.status_code != 429 or attempt >= self.retries:
                return resp
            delay = min(self.poll_delay * (2**attempt), _MAX_BACKOFF_S)
            time.sleep(delay * (1 + random.random() / 2))
            attempt += 1

    @staticmethod
    def _fail(resp: requests.Response) -> BrickyardError:
        return from_http(
            resp.status_code,
            resp.text,
            resp.headers.get(KIND_HEADER),
            resp.headers.get(REASONS_HEADER),
        )

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        """A request whose answer may be immediate or a queued operation; returns the
        final JSON body, or None when there is none."""
        resp = self._send(method, path, body)
        if resp.status_code == 202:
            resp = self._wait(resp)
        elif resp.status_code == 303:
            resp = self._send("GET", self._location(resp))
        if resp.status_code in (200, 201, 204):
            if resp.status_code == 204 or not resp.content.strip():
                return None
            try:
                return resp.json()
            except ValueError as e:
                raise BrickyardError(f"{method} {path}: answer is not JSON: {e}") from e
        raise self._fail(resp)

    @staticmethod
    def _location(resp: requests.Response) -> str:
        location = resp.headers.get("Location", "")
        if not location:
            raise BrickyardError(f"{resp.status_code} answer without a Location header")
        parts = urlsplit(location)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _wait(self, accepted: requests.Response) -> requests.Response:
        """Polls the queue until the operation ends; follows its 303 with a signed GET."""
        queue = self._location(accepted)
        while True:
            resp = self._send("GET", queue)
            if resp.status_code == 200 and resp.headers.get("X-Pending"):
                time.sleep(self.poll_delay)
                continue
            if resp.status_code == 303:
                return self._send("GET", self._location(resp))
            return resp

    # Raw operations (the native engine's names) -------------------------------------

    def cluster_create(self, body: Any) -> Any:
        return self._call("POST", "/clusters", body)

    def cluster_list(self) -> list[str]:
        return list(self._call("GET", "/clusters")["clusters"] or [])

    def cluster_info(self, id: str) -> Any:
        return self._call("GET", f"/clusters/{id}")

    def cluster_delete(self, id: str) -> None:
        self._call("DELETE", f"/clusters/{id}")

    def cluster_set_flags(self, id: str, body: Any) -> None:
        self._call("POST", f"/clusters/{id}/flags", body)

    def node_add(self, body: Any) -> Any:
        return self._call("POST", "/nodes", body)

    def node_info(self, id: str) -> Any:
        return self._call("GET", f"/nodes/{id}")

    def node_delete(self, id: str) -> None:
        self._call("DELETE", f"/nodes/{id}")

    def node_set_state(self, id: str, state: str) -> None:
        self._call("POST", f"/nodes/{id}/state", {"state": state})

    def node_set_tags(self, id: str, body: Any) -> Any:
        return self._call("POST", f"/nodes/{id}/tags", body) or {}

    def device_add(self, body: Any) -> Any:
        # Heketi answers 204 without the new id: find the device on its node by name.
        self._call("POST", "/devices", body)
        node = self.node_info(body["node"])
        for device in node.get("devices") or []:
            if device.get("name") == body["name"]:
                return device
        raise NotFound(f"device {body['name']} was added but is not listed by node {body['node']}")

    def device_info(self, id: str) -> Any:
        return self._call("GET", f"/devices/{id}")

    def device_delete(self, id: str, force_forget: bool = False) -> None:
        self._call("DELETE", f"/devices/{id}", {"forceforget": True} if force_forget else None)

    def device_set_state(self, id: str, state: str) -> None:
        self._call("POST", f"/devices/{id}/state", {"state": state})

    def device_resync(self, id: str) -> None:
        self._call("GET", f"/devices/{id}/resync")

    def device_set_tags(self, id: str, body: Any) -> Any:
        return self._call("POST", f"/devices/{id}/tags", body) or {}

    def brick_evict(self, id: str, healcheck: str = "") -> None:
        self._call("POST", f"/bricks/to-evict/{id}", {"healcheck": healcheck} if healcheck else None)

    def device_remove(self, id: str, healcheck: str = "") -> None:
        self._call("POST", f"/devices/{id}/state", {"state": "failed", "healcheck": healcheck})

    def node_remove(self, id: str, healcheck: str = "") -> None:
        self._call("POST", f"/nodes/{id}/state", {"state": "failed", "healcheck": healcheck})

    def device_replace(self, id: str, name: str, healcheck: str = "") -> Any:
        return self._call("POST", f"/devices/{id}/replace", {"name": name, "healcheck": healcheck})

    def node_replace(self, id: str, body: Any, healcheck: str = "") -> Any:
        return self._call("POST", f"/nodes/{id}/replace", {**body, "healcheck": healcheck})

    def volume_plan(self, body: Any) -> Any:
        return self._call("POST", "/volumes/plan", body)

    def volume_create(self, body: Any) -> Any:
        return self._call("POST", "/volumes", body)

    def volume_info(self, id: str) -> Any:
        return self._call("GET", f"/volumes/{id}")

    def volume_list(self) -> list[str]:
        return list(self._call("GET", "/volumes")["volumes"] or [])

    def volume_expand(self, id: str, size: int) -> Any:
        return self._call("POST", f"/volumes/{id}/expand", {"expand_size": size})

    def volume_clone(self, id: str, name: str) -> Any:
        return self._call("POST", f"/volumes/{id}/clone", {"name": name} if name else {})

    def volume_delete(self, id: str) -> None:
        self._call("DELETE", f"/volumes/{id}")

    def volume_by_name(self, name: str) -> Any:
        for vid in self.volume_list():
            info = self.volume_info(vid)
            if info.get("name") == name:
                return info
        return None

    def topology_info(self) -> Any:
        # As heketi-cli builds it: clusters, then their nodes and volumes.
        clusters = []
        for cid in self.cluster_list():
            c = self.cluster_info(cid)
            clusters.append(
                {
                    "id": cid,
                    "block": c.get("block", False),
                    "file": c.get("file", False),
                    "nodes": [self.node_info(n) for n in c.get("nodes") or []],
                    "volumes": [self.volume_info(v) for v in c.get("volumes") or []],
                }
            )
        return {"clusters": clusters}

    def apply_topology(self, topology: str) -> Any:
        from ._topology import apply

        return apply(self, topology)

    def export(self) -> Any:
        return self._call("GET", "/db/dump")

    def export_json(self) -> str:
        resp = self._send("GET", "/db/dump")
        if resp.status_code != 200:
            raise self._fail(resp)
        return resp.text.rstrip("\n")

    def check(self) -> Any:
        return self._call("GET", "/db/check")

    def reconcile(self, fix: bool = False) -> Any:
        return self._call("POST", "/db/reconcile", {"fix": fix})

    def pending_operations(self) -> Any:
        return self._call("GET", "/operations/pending").get("pendingoperations") or []

    def cleanup(self, ids: list[str] | None = None) -> Any:
        # The REST answer carries no report: compare the pending operations before and after.
        before = {p["id"]: p for p in self.pending_operations()}
        targets = list(before) if ids is None else ids
        self._call("POST", "/operations/pending/cleanup", {"operations": ids or []})
        after = {p["id"]: p for p in self.pending_operations()}
        ops = []
        for op_id in targets:
            if op_id not in before:
                continue
            if op_id in after:
                ops.append(
                    {
                        "id": op_id,
                        "type_name": before[op_id].get("type_name", ""),
                        "outcome": "failed",
                        "detail": after[op_id].get("status", ""),
                    }
                )
            else:
                ops.append(
                    {
                        "id": op_id,
                        "type_name": before[op_id].get("type_name", ""),
                        "outcome": "cleaned",
                    }
                )
        return {"operations": ops}

    def hello(self) -> str:
        resp = self._send("GET", "/hello")
        if resp.status_code != 200:
            raise self._fail(resp)
        return resp.text


class Client(Backend):
    """A Heketi-compatible REST client with the methods and results of
    :class:`brickyard.Engine`: switching between embedded and remote is one line.

    ``server`` is the base URL (``http://host:8080``); ``user`` (``admin`` or ``user``)
    and ``key`` sign requests (no token when ``user`` is None). Queued operations are
    polled every ``poll_delay`` seconds; ``429 Server busy`` is retried ``retries`` times
    with exponential backoff, then raises :class:`Busy`.

    ``verify`` is for ``https://`` servers (``enable_tls`` in heketi.json), as requests
    takes it: ``True`` checks the certificate against the system's CA bundle, a path
    to a PEM file or directory of CA certificates trusts those instead (heketi-cli's
    ``--tls-cert``), and ``False`` does not check it (``--insecure-tls``). An untrusted
    certificate raises :class:`BrickyardError` saying so.
    """

    def __init__(
        self,
        server: str,
        user: str | None = None,
        key: str | None = None,
        *,
        poll_delay: float = 0.4,
        retries: int = 6,
        timeout: float = 60.0,
        verify: bool | str = True,
    ) -> None:
        if not isinstance(server, str) or not server:
            raise TypeError("server must be a non-empty str (e.g. http://127.0.0.1:8080)")
        self._rest = _Rest(server, user, key, poll_delay, retries, timeout, verify)
        self._raw = self._rest

    @property
    def server(self) -> str:
        """The base URL."""
        return self._rest.server

    def hello(self) -> str:
        """``GET /hello``: the server's greeting (no authentication)."""
        return self._rest.hello()

    def close(self) -> None:
        """Closes the HTTP session."""
        self._rest.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<brickyard.Client {self.server}>"
