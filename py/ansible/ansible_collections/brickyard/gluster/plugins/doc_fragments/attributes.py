# -*- coding: utf-8 -*-
# Copyright: Brickyard developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The attributes of the brickyard.gluster modules that change something: they all
support check mode and diff mode in full."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""
