"""Assertions on the wire format shared by the tests."""

from __future__ import annotations

import re

import requests

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def is_id(value: object) -> bool:
    """True for a Heketi id: 32 lowercase hex characters."""
    return isinstance(value, str) and HEX_ID.match(value) is not None


def assert_json(r: requests.Response, status: int) -> object:
    """Status, Go's JSON content type and encoder newline; returns the body."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json; charset=UTF-8", r.headers
    assert r.text.endswith("\n"), repr(r.text)
    return r.json()


def assert_error(r: requests.Response, status: int, message: str) -> None:
    """An error as Go's ``http.Error`` writes it: plain text, message + newline."""
    assert (r.status_code, r.text) == (status, message + "\n"), (r.status_code, r.text)
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8", r.headers


def assert_accepted(r: requests.Response) -> str:
    """A 202 with a relative ``Location: /queue/<id>``; returns the location."""
    assert r.status_code == 202, (r.status_code, r.text)
    location = r.headers["Location"]
    assert location.startswith("/queue/") and is_id(location[len("/queue/"):]), location
    return location
