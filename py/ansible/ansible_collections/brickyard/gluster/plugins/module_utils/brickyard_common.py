# -*- coding: utf-8 -*-
# Copyright: Brickyard developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Shared by the brickyard.gluster modules: connection options, opening a backend,
running a task on it, and turning Brickyard errors into module failures."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

try:
    import brickyard

    HAS_BRICKYARD = True
    BRICKYARD_IMPORT_ERROR = None
except ImportError:
    HAS_BRICKYARD = False
    BRICKYARD_IMPORT_ERROR = traceback.format_exc()

CONNECTION_ARGS = dict(
    server=dict(type="str", fallback=(env_fallback, ["HEKETI_CLI_SERVER"])),
    user=dict(type="str", default="admin", fallback=(env_fallback, ["HEKETI_CLI_USER"])),
    key=dict(type="str", no_log=True, fallback=(env_fallback, ["HEKETI_CLI_KEY"])),
    db=dict(type="path"),
)

CONNECTION_RULES = dict(
    mutually_exclusive=[("server", "db")],
    required_one_of=[("server", "db")],
)


def spec(**module_args):
    """The argument spec of a module: its own options plus the connection options."""
    out = dict(CONNECTION_ARGS)
    out.update(module_args)
    return out


def open_backend(module):
    """A `brickyard.Client` for `server`, or a `brickyard.Engine` on `db`."""
    if not HAS_BRICKYARD:
        module.fail_json(msg=missing_required_lib("brickyard"), exception=BRICKYARD_IMPORT_ERROR)
    p = module.params
    try:
        if p.get("server"):
            return brickyard.Client(p["server"], p.get("user"), p.get("key"))
        return brickyard.Engine(p["db"])
    except brickyard.BrickyardError as e:
        fail(module, e)


def close_backend(backend):
    """Closes the store or the HTTP session."""
    backend.close()


def run_module(module, run):
    """Runs `run(module, backend)` on the backend of the task's connection options and
    exits with the result it returns; a Brickyard error fails the module."""
    backend = open_backend(module)
    try:
        result = run(module, backend)
    except brickyard.BrickyardError as e:
        fail(module, e)
    finally:
        close_backend(backend)
    module.exit_json(**result)


def fail(module, error, **result):
    """Fails the module with the engine's message and error kind."""
    details = dict(kind=getattr(error, "kind", "error"))
    for attr in ("reasons", "node", "command", "exit_status", "stderr"):
        value = getattr(error, attr, None)
        if value not in (None, ()):
            details[attr] = list(value) if attr == "reasons" else value
    module.fail_json(msg=str(error), error=details, **result)


def find_node(backend, hostname):
    """The node whose first manage hostname (or id) is `hostname`, or None."""
    for cluster in backend.topology_info().clusters:
        for node in cluster.nodes:
            if node.hostname == hostname or node.id == hostname:
                return node
    return None


def diff(module, before, after):
    """The diff dict when diff mode is on (empty otherwise)."""
    if module._diff:
        return dict(diff=dict(before=before or {}, after=after or {}))
    return {}
