# -*- coding: utf-8 -*-
# Copyright: Brickyard developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The connection options every brickyard.gluster module takes (their argument spec
is brickyard_common.CONNECTION_ARGS)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  server:
    description: Brickyard or Heketi server URL (env C(HEKETI_CLI_SERVER)). Exclusive with I(db).
    type: str
  user:
    description: JWT user, C(admin) or C(user) (env C(HEKETI_CLI_USER)).
    type: str
    default: admin
  key:
    description: JWT secret (env C(HEKETI_CLI_KEY)).
    type: str
  db:
    description:
      - Embedded engine database file (instead of a server), opened by the task itself
        with the mock executor.
      - Only one process can have the file open at a time.
    type: path
requirements:
  - brickyard (Python package)
"""
