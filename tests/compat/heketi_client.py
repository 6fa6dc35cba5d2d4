"""A client that speaks to the server exactly as Heketi's Python client does.

Reference: heketi/heketi:client/api/python/heketi/heketi.py.  The PyPI
``heketi`` 3.0.0 package cannot be used as is on Python 3 (it hashes a str),
so the wire behaviour is reimplemented here, with the same observable traits:

* a fresh HS256 token per request with the claims ``iss``, ``iat``, ``exp``
  (one second after ``iat``) and ``qsh`` = sha256 hex of ``METHOD&/path``;
* the header ``Authorization: bearer <token>`` (lowercase scheme);
* every request, GET and DELETE included, carries the body ``json.dumps(data)``
  (``{}`` by default) and NO Content-Type header;
* ``raise_for_status()`` on every answer;
* after a 202 the relative ``Location`` is polled with redirects off, sleeping
  while an ``X-Pending`` header is present; a 303 is followed with a new signed
  GET of its ``Location``; anything else is returned as is.

On top of that, :meth:`HeketiClient.raw` sends one signed request and returns the
answer without raising, for tests of error answers.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
from typing import Any

import jwt
import requests

TAGS_SET = "set"
TAGS_UPDATE = "update"
TAGS_DELETE = "delete"

#: Seconds between two polls of a pending queue entry (the upstream client sleeps
#: 1 to 2 s; shorter keeps the suite quick and still exercises X-Pending).
POLL_DELAY = 0.1

#: Give up polling after this many seconds (upstream polls forever).
POLL_TIMEOUT = 60.0


def qsh(method: str, path: str) -> str:
    """The ``qsh`` claim: sha256 hex of ``METHOD&/path``."""
    return hashlib.sha256(f"{method}&{path}".encode("utf-8")).hexdigest()


def make_token(
    user: str,
    key: str,
    method: str,
    path: str,
    *,
    lifetime: float = 1.0,
    iat_offset: float = 0.0,
    qsh_value: str | None = None,
) -> str:
    """A token as the Python client signs it (``exp`` = ``iat`` + ``lifetime`` s)."""
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        seconds=iat_offset
    )
    claims = {
        "iss": user,
        "iat": now,
        "exp": now + datetime.timedelta(seconds=lifetime),
        "qsh": qsh_value if qsh_value is not None else qsh(method, path),
    }
    return jwt.encode(claims, key, algorithm="HS256")


class HeketiClient:
    """Heketi's Python client protocol against ``host`` (``http://addr:port``)."""

    def __init__(self, host: str, user: str | None, key: str | None):
        self.host = host
        self.user = user
        self.key = key
        self.polls = 0
        self.pending_seen = 0

    # -- protocol ---------------------------------------------------------

    def headers(self, method: str, path: str) -> dict[str, str]:
        """The signed headers for one request (none when no key is set)."""
        if self.key is None or self.user is None:
            return {}
        return {"Authorization": "bearer " + make_token(self.user, self.key, method, path)}

    def raw(
        self,
        method: str,
        path: str,
        data: Any = None,
        *,
        headers: dict[str, str] | None = None,
        allow_redirects: bool = False,
    ) -> requests.Response:
        """One signed request, body ``json.dumps(data or {})``, no Content-Type."""
        hdrs = self.headers(method, path) if headers is None else headers
        body = json.dumps({} if data is None else data)
        return requests.request(
            method,
            self.host + path,
            headers=hdrs,
            data=body,
            allow_redirects=allow_redirects,
            timeout=30,
        )

    def request(self, method: str, path: str, data: Any = None) -> requests.Response:
        """A request as ``_make_request`` does it: raise, then follow a 202."""
        r = self.raw(method, path, data)
        assert "Content-Type" not in r.request.headers, r.request.headers
        r.raise_for_status()
        if r.status_code == requests.codes.accepted:
            return self.queued(r.headers["Location"])
        return r

    def queued(self, location: str) -> requests.Response:
        """Polls the queue ``location`` until the operation has finished."""
        assert location.startswith("/queue/"), location
        deadline = time.monotonic() + POLL_TIMEOUT
        while True:
            self.polls += 1
            q = requests.get(
                self.host + location,
                headers=self.headers("GET", location),
                allow_redirects=False,
                timeout=30,
            )
            q.raise_for_status()
            if "X-Pending" in q.headers:
                self.pending_seen += 1
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{location} still pending after {POLL_TIMEOUT}s")
                time.sleep(POLL_DELAY)
                continue
            if q.status_code == requests.codes.see_other:
                target = q.headers["Location"]
                assert target.startswith("/"), f"Location must be a relative path: {target}"
                return self.request("GET", target)
            return q

    # -- the upstream client's methods -----------------------------------

    def hello(self) -> bool:
        return self.raw("GET", "/hello").status_code == requests.codes.ok

    def cluster_create(self, options: dict | None = None) -> dict | None:
        r = self.request("POST", "/clusters", options)
        return r.json() if r.status_code == requests.codes.created else None

    def cluster_setflags(self, cluster_id: str, options: dict) -> bool:
        r = self.request("POST", f"/clusters/{cluster_id}/flags", options)
        return r.status_code == requests.codes.ok

    def cluster_info(self, cluster_id: str) -> dict | None:
        r = self.request("GET", f"/clusters/{cluster_id}")
        return r.json() if r.status_code == requests.codes.ok else None

    def cluster_list(self) -> dict | None:
        r = self.request("GET", "/clusters")
        return r.json() if r.status_code == requests.codes.ok else None

    def cluster_delete(self, cluster_id: str) -> bool:
        r = self.request("DELETE", f"/clusters/{cluster_id}")
        return r.status_code == requests.codes.ok

    def node_add(self, options: dict) -> dict | None:
        r = self.request("POST", "/nodes", options)
        return r.json() if r.status_code == requests.codes.ok else None

    def node_info(self, node_id: str) -> dict | None:
        r = self.request("GET", f"/nodes/{node_id}")
        return r.json() if r.status_code == requests.codes.ok else None

    def node_delete(self, node_id: str) -> bool:
        r = self.request("DELETE", f"/nodes/{node_id}")
        return r.status_code == requests.codes.no_content

    def node_state(self, node_id: str, state: dict) -> bool:
        r = self.request("POST", f"/nodes/{node_id}/state", state)
        return r.status_code == requests.codes.no_content

    def node_set_tags(self, node_id: str, options: dict) -> bool:
        r = self.request("POST", f"/nodes/{node_id}/tags", options)
        return r.status_code == requests.codes.ok

    def device_add(self, options: dict) -> bool:
        r = self.request("POST", "/devices", options)
        return r.status_code == requests.codes.no_content

    def device_info(self, device_id: str) -> dict | None:
        r = self.request("GET", f"/devices/{device_id}")
        return r.json() if r.status_code == requests.codes.ok else None

    def device_delete(self, device_id: str) -> bool:
        r = self.request("DELETE", f"/devices/{device_id}")
        return r.status_code == requests.codes.no_content

    def device_state(self, device_id: str, state: dict) -> bool:
        r = self.request("POST", f"/devices/{device_id}/state", state)
        return r.status_code == requests.codes.no_content

    def device_resync(self, device_id: str) -> bool:
        r = self.request("GET", f"/devices/{device_id}/resync")
        return r.status_code == requests.codes.no_content

    def device_set_tags(self, device_id: str, options: dict) -> bool:
        r = self.request("POST", f"/devices/{device_id}/tags", options)
        return r.status_code == requests.codes.ok

    def volume_create(self, options: dict) -> dict | None:
        r = self.request("POST", "/volumes", options)
        return r.json() if r.status_code == requests.codes.ok else None

    def volume_list(self) -> dict | None:
        r = self.request("GET", "/volumes")
        return r.json() if r.status_code == requests.codes.ok else None

    def volume_info(self, volume_id: str) -> dict | None:
        r = self.request("GET", f"/volumes/{volume_id}")
        return r.json() if r.status_code == requests.codes.ok else None

    def volume_expand(self, volume_id: str, options: dict) -> dict | None:
        r = self.request("POST", f"/volumes/{volume_id}/expand", options)
        return r.json() if r.status_code == requests.codes.ok else None

    def volume_delete(self, volume_id: str) -> bool:
        r = self.request("DELETE", f"/volumes/{volume_id}")
        return r.status_code == requests.codes.no_content
