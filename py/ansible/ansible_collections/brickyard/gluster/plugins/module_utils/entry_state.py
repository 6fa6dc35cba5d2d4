# -*- coding: utf-8 -*-
# Copyright: Brickyard developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Moving an existing node or device to the state a task asks for (C(online),
C(offline) or C(removed)), in the order Heketi requires: a record goes offline, then
failed, before it is deleted."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.brickyard.gluster.plugins.module_utils.brickyard_common import diff


def result(changed, key, value, extra=None):
    """A task result with the record under `key` (`node`, `device`)."""
    out = dict(changed=changed)
    out[key] = value
    out.update(extra or {})
    return out


def converge(module, key, entry, before, set_state, info, delete):
    """The result of moving `entry` (a node or device, named `key` in the result) to the
    task's `state`. `before` is what the diff shows of it; `set_state(id, state)` and
    `info(id)` are the backend's calls for its kind, and `delete()` removes the failed
    record (with whatever it holds)."""
    want = module.params["state"]
    if want == "removed":
        if not module.check_mode:
            if entry.state == "online":
                set_state(entry.id, "offline")
            if entry.state != "failed":
                set_state(entry.id, "failed")
            delete()
        return result(True, key, {}, diff(module, before, {}))
    if entry.state == want:
        return result(False, key, entry.to_dict())
    after = dict(before, state=want)
    if module.check_mode:
        return result(True, key, dict(entry.to_dict(), state=want), diff(module, before, after))
    set_state(entry.id, want)
    return result(True, key, info(entry.id).to_dict(), diff(module, before, after))
