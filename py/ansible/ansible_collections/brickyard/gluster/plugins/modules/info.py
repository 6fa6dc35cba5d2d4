#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Brickyard developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: info
short_description: Read the Brickyard topology and volumes
description:
  - Returns every cluster with its nodes, devices and volumes, and the volumes by name;
    also sets them as the fact C(brickyard).
  - With I(volume), returns only that volume (C(volume) is empty when it does not exist).
version_added: "0.1.0"
options:
  volume:
    description: Name of one volume to return.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
extends_documentation_fragment:
  - brickyard.gluster.connection
author:
  - Brickyard developers
"""

EXAMPLES = r"""
- name: Read the topology
  brickyard.gluster.info:
    server: http://heketi:8080
    key: "{{ heketi_admin_key }}"
  register: storage
"""

RETURN = r"""
clusters:
  description: Every cluster, with nodes, devices, bricks and volumes.
  returned: always
  type: list
  elements: dict
volumes:
  description: Every volume, by name.
  returned: unless I(volume) is given
  type: dict
volume:
  description: The volume named by I(volume), empty when missing.
  returned: when I(volume) is given
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.brickyard.gluster.plugins.module_utils.brickyard_common import (
    CONNECTION_RULES,
    run_module,
    spec,
)


def run(module, backend):
    topo = backend.topology_info()
    result = dict(changed=False, clusters=[c.to_dict() for c in topo.clusters])
    if module.params["volume"] is not None:
        vol = backend.volume_by_name(module.params["volume"])
        result["volume"] = vol.to_dict() if vol is not None else {}
    else:
        result["volumes"] = dict((v.name, v.to_dict()) for c in topo.clusters for v in c.volumes)
    facts = dict(result)
    facts.pop("changed")
    result["ansible_facts"] = dict(brickyard=facts)
    return result


def main():
    module = AnsibleModule(
        argument_spec=spec(volume=dict(type="str")),
        supports_check_mode=True,
        **CONNECTION_RULES
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
