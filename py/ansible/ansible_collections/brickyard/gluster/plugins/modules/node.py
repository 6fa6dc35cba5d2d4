#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Brickyard developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: node
short_description: Set a storage node online, offline, or remove it, through Brickyard
description:
  - Finds the node by its first manage hostname (or id).
  - C(removed) takes the node offline, fails it (its devices must hold no bricks), deletes its
    devices and deletes the node; a node that does not exist is already removed.
  - Nodes are added with M(brickyard.gluster.topology).
version_added: "0.1.0"
options:
  hostname:
    description: First manage hostname of the node, or its id.
    type: str
    required: true
  state:
    description: Desired state.
    type: str
    choices: [online, offline, removed]
    default: online
extends_documentation_fragment:
  - brickyard.gluster.attributes
  - brickyard.gluster.connection
author:
  - Brickyard developers
"""

EXAMPLES = r"""
- name: Take a node out of placement
  brickyard.gluster.node:
    server: http://heketi:8080
    key: "{{ heketi_admin_key }}"
    hostname: 10.0.0.3
    state: offline
"""

RETURN = r"""
node:
  description: The node after the task (empty when removed).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.brickyard.gluster.plugins.module_utils.brickyard_common import (
    CONNECTION_RULES,
    find_node,
    run_module,
    spec,
)
from ansible_collections.brickyard.gluster.plugins.module_utils.entry_state import converge


def run(module, backend):
    p = module.params
    node = find_node(backend, p["hostname"])
    want = p["state"]
    if node is None:
        if want == "removed":
            return dict(changed=False, node={})
        module.fail_json(msg="node %s not found; add it with brickyard.gluster.topology" % p["hostname"])
    before = dict(hostname=node.hostname, state=node.state)

    def delete():
        for dev in node.devices:
            backend.device_delete(dev.id)
        backend.node_delete(node.id)

    return converge(module, "node", node, before, backend.node_set_state, backend.node_info, delete)


def main():
    module = AnsibleModule(
        argument_spec=spec(
            hostname=dict(type="str", required=True),
            state=dict(type="str", choices=["online", "offline", "removed"], default="online"),
        ),
        supports_check_mode=True,
        **CONNECTION_RULES
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
