#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Brickyard developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: device
short_description: Add a device, set it online or offline, or remove it, through Brickyard
description:
  - Finds the device by I(name) on the node whose first manage hostname (or id) is I(node).
  - C(online) adds the device when it is missing. C(removed) takes it offline, fails it (it must
    hold no bricks) and deletes it; a missing device is already removed.
version_added: "0.1.0"
options:
  node:
    description: First manage hostname of the node, or its id.
    type: str
    required: true
  name:
    description: Device path on the node, e.g. C(/dev/sdb).
    type: str
    required: true
  state:
    description: Desired state.
    type: str
    choices: [online, offline, removed]
    default: online
  destroy_data:
    description: Wipe the device when adding it.
    type: bool
    default: false
  tags:
    description: Tags of a device being added.
    type: dict
extends_documentation_fragment:
  - brickyard.gluster.attributes
  - brickyard.gluster.connection
author:
  - Brickyard developers
"""

EXAMPLES = r"""
- name: Add a disk
  brickyard.gluster.device:
    server: http://heketi:8080
    key: "{{ heketi_admin_key }}"
    node: 10.0.0.3
    name: /dev/sdc
"""

RETURN = r"""
device:
  description: The device after the task (empty when removed).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.brickyard.gluster.plugins.module_utils.brickyard_common import (
    CONNECTION_RULES,
    diff,
    find_node,
    run_module,
    spec,
)
from ansible_collections.brickyard.gluster.plugins.module_utils.entry_state import converge


def run(module, backend):
    p = module.params
    node = find_node(backend, p["node"])
    if node is None:
        module.fail_json(msg="node %s not found" % p["node"])
    device = next((d for d in node.devices if d.name == p["name"]), None)
    want = p["state"]
    label = "%s:%s" % (node.hostname, p["name"])
    if device is None:
        if want == "removed":
            return dict(changed=False, device={})
        after = dict(device=label, state=want)
        if module.check_mode:
            return dict(changed=True, device=dict(name=p["name"], state=want), **diff(module, {}, after))
        device = backend.device_add(node=node.id, name=p["name"], destroy_data=p["destroy_data"], tags=p["tags"])
        if want == "offline":
            backend.device_set_state(device.id, "offline")
        return dict(changed=True, device=backend.device_info(device.id).to_dict(), **diff(module, {}, after))
    before = dict(device=label, state=device.state)
    return converge(
        module,
        "device",
        device,
        before,
        backend.device_set_state,
        backend.device_info,
        lambda: backend.device_delete(device.id),
    )


def main():
    module = AnsibleModule(
        argument_spec=spec(
            node=dict(type="str", required=True),
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["online", "offline", "removed"], default="online"),
            destroy_data=dict(type="bool", default=False),
            tags=dict(type="dict"),
        ),
        supports_check_mode=True,
        **CONNECTION_RULES
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
