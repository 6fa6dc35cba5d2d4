#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Brickyard developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: volume
short_description: Create, grow or delete a GlusterFS volume through Brickyard
description:
  - Looks the volume up by I(name). C(present) creates it when missing and expands it when
    I(size) is larger than its current size; C(absent) deletes it.
  - Shrinking a volume or changing its durability is refused.
version_added: "0.1.0"
options:
  name:
    description: Volume name (Heketi's name rule, letters, digits, C(_) and C(-)).
    type: str
    required: true
  state:
    description: Whether the volume exists.
    type: str
    choices: [present, absent]
    default: present
  size:
    description: Size in GiB; required to create; a larger value than the current size expands it.
    type: int
  durability:
    description:
      - Durability type; C(replicate) when creating without it.
      - When given for an existing volume, it must match.
    type: str
    choices: [replicate, disperse, none]
  replica:
    description: Replica count (C(replicate)).
    type: int
    default: 3
  disperse_data:
    description: Data bricks per set (C(disperse)).
    type: int
    default: 4
  redundancy:
    description: Redundancy bricks per set (C(disperse)).
    type: int
    default: 2
  snapshot_factor:
    description: Enables snapshots with this space factor.
    type: float
  clusters:
    description: Clusters allowed for a new volume (all when empty).
    type: list
    elements: str
  gluster_volume_options:
    description: Gluster volume options, C("key value") strings.
    type: list
    elements: str
  gid:
    description: Group id of the volume root.
    type: int
    default: 0
extends_documentation_fragment:
  - brickyard.gluster.attributes
  - brickyard.gluster.connection
author:
  - Brickyard developers
"""

EXAMPLES = r"""
- name: A 10 GiB replica-3 volume
  brickyard.gluster.volume:
    server: http://heketi:8080
    key: "{{ heketi_admin_key }}"
    name: data
    size: 10

- name: Grow it to 20 GiB
  brickyard.gluster.volume:
    server: http://heketi:8080
    key: "{{ heketi_admin_key }}"
    name: data
    size: 20

- name: Delete it
  brickyard.gluster.volume:
    server: http://heketi:8080
    key: "{{ heketi_admin_key }}"
    name: data
    state: absent
"""

RETURN = r"""
volume:
  description: The volume after the task (empty when absent); in check mode, the volume as it would be.
  returned: always
  type: dict
  sample: {"id": "4c3...", "name": "data", "size": 10, "durability": "replicate", "replica": 3,
           "mount": "10.0.0.1:data", "bricks": []}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.brickyard.gluster.plugins.module_utils.brickyard_common import (
    CONNECTION_RULES,
    diff,
    run_module,
    spec,
)

SHOWN = ("name", "size", "durability", "replica", "disperse_data", "redundancy", "gid")


def summary(vol):
    """The fields a diff shows."""
    if vol is None:
        return {}
    if isinstance(vol, dict):
        return {k: vol[k] for k in SHOWN if k in vol}
    d = vol.to_dict()
    return {k: d[k] for k in SHOWN}


def requested(p):
    out = dict(name=p["name"], size=p["size"], durability=p["durability"], gid=p["gid"])
    if p["durability"] == "replicate":
        out["replica"] = p["replica"]
    elif p["durability"] == "disperse":
        out.update(disperse_data=p["disperse_data"], redundancy=p["redundancy"])
    return out


def run(module, backend):
    p = dict(module.params)
    current = backend.volume_by_name(p["name"])
    if p["state"] == "absent":
        if current is None:
            return dict(changed=False, volume={})
        if not module.check_mode:
            backend.volume_delete(current.id)
        return dict(changed=True, volume={}, **diff(module, summary(current), {}))

    if current is None:
        p["durability"] = p["durability"] or "replicate"
        if p["size"] is None:
            module.fail_json(msg="size is required to create volume %s" % p["name"])
        want = requested(p)
        if module.check_mode:
            return dict(changed=True, volume=want, **diff(module, {}, want))
        vol = backend.volume_create(
            size=p["size"],
            name=p["name"],
            durability=p["durability"],
            replica=p["replica"],
            disperse_data=p["disperse_data"],
            redundancy=p["redundancy"],
            snapshot_factor=p["snapshot_factor"],
            clusters=p["clusters"],
            gluster_volume_options=p["gluster_volume_options"],
            gid=p["gid"],
        )
        return dict(changed=True, volume=vol.to_dict(), **diff(module, {}, summary(vol)))

    if p["durability"] is not None and p["durability"] != current.durability:
        module.fail_json(
            msg="volume %s is %s; changing durability to %s is not supported"
            % (p["name"], current.durability, p["durability"]),
            volume=current.to_dict(),
        )
    size = p["size"]
    if size is None or size == current.size:
        return dict(changed=False, volume=current.to_dict())
    if size < current.size:
        module.fail_json(
            msg="volume %s has %d GiB; shrinking to %d GiB is not supported" % (p["name"], current.size, size),
            volume=current.to_dict(),
        )
    after = dict(summary(current), size=size)
    if module.check_mode:
        return dict(changed=True, volume=dict(current.to_dict(), size=size), **diff(module, summary(current), after))
    vol = backend.volume_expand(current.id, size - current.size)
    return dict(changed=True, volume=vol.to_dict(), **diff(module, summary(current), summary(vol)))


def main():
    module = AnsibleModule(
        argument_spec=spec(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            size=dict(type="int"),
            durability=dict(type="str", choices=["replicate", "disperse", "none"]),
            replica=dict(type="int", default=3),
            disperse_data=dict(type="int", default=4),
            redundancy=dict(type="int", default=2),
            snapshot_factor=dict(type="float"),
            clusters=dict(type="list", elements="str"),
            gluster_volume_options=dict(type="list", elements="str"),
            gid=dict(type="int", default=0),
        ),
        supports_check_mode=True,
        **CONNECTION_RULES
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
