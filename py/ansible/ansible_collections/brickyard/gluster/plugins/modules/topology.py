#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Brickyard developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: topology
short_description: Apply a Heketi topology file through Brickyard
description:
  - Adds the clusters, nodes and devices of a C(topology.json) that do not exist yet, with the
    rules of C(heketi-cli topology load) (nodes by their first manage hostname, devices by
    name on that node). Nothing is removed. A second run changes nothing.
version_added: "0.1.0"
options:
  topology:
    description: The topology as a dict (the JSON file's content). Exclusive with I(src).
    type: dict
  src:
    description: Path of a topology file on the managed host. Exclusive with I(topology).
    type: path
extends_documentation_fragment:
  - brickyard.gluster.attributes
  - brickyard.gluster.connection
author:
  - Brickyard developers
"""

EXAMPLES = r"""
- name: Load the topology
  brickyard.gluster.topology:
    server: http://heketi:8080
    key: "{{ heketi_admin_key }}"
    src: /etc/heketi/topology.json
"""

RETURN = r"""
items:
  description: One entry per cluster, node and device, with C(outcome) created, existing or failed (would_create in check mode).
  returned: always
  type: list
  elements: dict
summary:
  description: One-line summary of what was done.
  returned: always
  type: str
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.brickyard.gluster.plugins.module_utils.brickyard_common import (
    CONNECTION_RULES,
    diff,
    run_module,
    spec,
)


def plan(backend, file):
    """What applying `file` would create, without changing anything."""
    nodes = {}
    for cluster in backend.topology_info().clusters:
        for node in cluster.nodes:
            nodes[node.hostname] = set(d.name for d in node.devices)
    items = []
    for fc in file.get("clusters") or []:
        for fnode in fc.get("nodes") or []:
            manage = ((fnode.get("node") or {}).get("hostnames") or {}).get("manage") or []
            if not manage:
                continue
            host = manage[0]
            have = nodes.get(host)
            if have is None:
                items.append(dict(kind="node", name=host, id=None, outcome="would_create"))
                have = set()
            for dev in fnode.get("devices") or []:
                name = dev if isinstance(dev, str) else dev.get("name", "")
                if name not in have:
                    items.append(dict(kind="device", name="%s:%s" % (host, name), id=None, outcome="would_create"))
    return items


def layout(backend):
    """Hostnames and device names, for the diff."""
    out = {}
    for cluster in backend.topology_info().clusters:
        for node in cluster.nodes:
            out[node.hostname] = sorted(d.name for d in node.devices)
    return out


def run(module, backend):
    p = module.params
    if p["topology"] is not None:
        file = p["topology"]
    else:
        try:
            with open(p["src"]) as f:
                file = json.load(f)
        except (OSError, ValueError) as e:
            module.fail_json(msg="cannot read topology file %s: %s" % (p["src"], e))
    before = layout(backend) if module._diff else None
    if module.check_mode:
        items = plan(backend, file)
        after = None
        if module._diff:
            after = dict((k, list(v)) for k, v in before.items())
            for i in items:
                if i["kind"] == "node":
                    after.setdefault(i["name"], [])
                else:
                    host, name = i["name"].split(":", 1)
                    after.setdefault(host, []).append(name)
        summary = "%d nodes and devices would be created" % len(items)
        return dict(changed=bool(items), items=items, summary=summary, **diff(module, before, after))
    report = backend.apply_topology(file)
    result = dict(
        changed=report.changed,
        items=[i.to_dict() for i in report.items],
        summary=report.summary,
        **diff(module, before, layout(backend) if module._diff else None)
    )
    if report.failed:
        module.fail_json(msg="topology: %s" % report.summary, **result)
    return result


def main():
    module = AnsibleModule(
        argument_spec=spec(topology=dict(type="dict"), src=dict(type="path")),
        supports_check_mode=True,
        mutually_exclusive=CONNECTION_RULES["mutually_exclusive"] + [("topology", "src")],
        required_one_of=CONNECTION_RULES["required_one_of"] + [("topology", "src")],
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
