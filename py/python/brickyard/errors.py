"""The exception classes (defined in the native module) and how the REST client maps an
HTTP answer onto them.

Every error is a :class:`BrickyardError` with a ``kind`` string. The embedded engine
raises them from the engine's error kind; the client from the status code and, for the
``500`` answers Heketi's queue gives for every failed operation, from the message text,
so a script catches the same classes with either backend.
"""

from __future__ import annotations

import json
import re

from ._brickyard import (
    AlreadyExists,
    BrickyardError,
    Busy,
    Conflict,
    ExecutorError,
    InvalidInput,
    NoSpace,
    NotFound,
    Rejected,
    StoreError,
    Unauthorized,
    Unsupported,
)

__all__ = [
    "AlreadyExists",
    "BrickyardError",
    "Busy",
    "Conflict",
    "ExecutorError",
    "InvalidInput",
    "NoSpace",
    "NotFound",
    "Rejected",
    "StoreError",
    "Unauthorized",
    "Unsupported",
    "KIND_HEADER",
    "REASONS_HEADER",
    "from_http",
]

#: Header a server may send with the engine's error kind; used when present.
KIND_HEADER = "X-Brickyard-Error-Kind"
#: Header of a ``no_space`` answer: JSON list of ``{"device", "node", "reason"}``.
REASONS_HEADER = "X-Brickyard-Error-Reasons"

_BY_KIND: dict[str, type[BrickyardError]] = {
    cls.kind: cls
    for cls in (
        NotFound,
        AlreadyExists,
        Conflict,
        InvalidInput,
        NoSpace,
        Unauthorized,
        Busy,
        ExecutorError,
        Unsupported,
        StoreError,
        Rejected,
    )
}

_ALREADY_EXISTS = re.compile(
    r"already (used|in use|exists)|already has a volume|is being added by another request"
)

# Texts of the engine's errors (as the server forwards them), most specific first.
_TEXT_RULES: list[tuple[re.Pattern[str], type[BrickyardError]]] = [
    (re.compile(r"command on \S+ (failed|timed out|could not run|gave output|found no such|was refused)"), ExecutorError),
    (
        re.compile(
            r"No space|Maximum number of bricks reached|Minimum brick size limit reached"
            r"|No nodes in cluster|No online storage devices"
        ),
        NoSpace,
    ),
    (_ALREADY_EXISTS, AlreadyExists),
    (
        re.compile(
            r"must be offline before remove|Cannot move a failed|because it contains"
            r"|The target exists, contains other items|Cannot delete|already holds \d+ volumes"
            r"|is still running"
        ),
        Conflict,
    ),
    (re.compile(r"is not available in this version"), Unsupported),
    (re.compile(r"^Id not found|does not exist"), NotFound),
    (re.compile(r"is not valid state|validation failed|Invalid|Unknown durability"), InvalidInput),
]

_BY_STATUS: dict[int, type[BrickyardError]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Unauthorized,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
    429: Busy,
    501: Unsupported,
}

_EXEC = re.compile(
    r"command on (?P<node>\S+) [^:]*?: (?P<command>.*?)"
    r"(?: \(exit status (?P<status>-?\d+)\))?(?:: (?P<stderr>.*))?$",
    re.DOTALL,
)


def _classify(status: int, message: str, kind: str | None) -> type[BrickyardError]:
    if kind and kind in _BY_KIND:
        return _BY_KIND[kind]
    if status == 409:
        return AlreadyExists if _ALREADY_EXISTS.search(message) else Conflict
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    # Heketi's queue answers 500 for every failed operation: the text tells which.
    for pattern, cls in _TEXT_RULES:
        if pattern.search(message):
            return cls
    return BrickyardError


def _reasons(header: str | None) -> tuple[dict[str, str], ...]:
    """The per-device reasons of a ``no_space`` answer; () when absent or unreadable
    (the message still says what failed)."""
    if not header:
        return ()
    try:
        items = json.loads(header)
    except ValueError:
        return ()
    if not isinstance(items, list):
        return ()
    keys = ("device", "node", "reason")
    return tuple(
        {k: item[k] for k in keys}
        for item in items
        if isinstance(item, dict) and all(isinstance(item.get(k), str) for k in keys)
    )


def from_http(
    status: int, message: str, kind: str | None = None, reasons: str | None = None
) -> BrickyardError:
    """The exception for an error answer: ``status``, its text, and Brickyard's headers
    if the server sent them: the error ``kind`` and, for ``NoSpace``, the per-device
    ``reasons`` (JSON text)."""
    message = message.strip() or f"server did not provide a message (status {status})"
    cls = _classify(status, message, kind)
    exc = cls(message)
    exc.kind = kind if kind and cls is BrickyardError else cls.kind
    if isinstance(exc, NoSpace):
        exc.reasons = _reasons(reasons)
    if isinstance(exc, ExecutorError):
        m = _EXEC.search(message)
        if m:
            exc.node = m.group("node")
            exc.command = m.group("command")
            exc.exit_status = int(m.group("status")) if m.group("status") else None
            exc.stderr = m.group("stderr") or ""
    return exc
