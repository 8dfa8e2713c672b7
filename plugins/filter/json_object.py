# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: json_object
short_description: Parse a JSON object given as text, failing loudly when it is not one
version_added: 0.1.0
author:
  - matrix.wellknown contributors (@matrix-wellknown)
description:
  - Parses the text of a JSON object, as the C(*_configuration_extension_json) variables hold it,
    and returns it as a mapping. A mapping given as is is returned unchanged.
  - Unlike MDAD, which silently replaces a broken extension with C({}), this filter fails with the
    name of the variable and the reason, so a user's settings never vanish without a word.
options:
  _input:
    description: The JSON text (or a mapping).
    type: raw
    required: true
  name:
    description: The name of the variable, used in the error message.
    type: str
    default: value
"""

EXAMPLES = r"""
- name: Merge a user's extension into a document
  ansible.builtin.debug:
    msg: "{{ base | combine(extension_json | matrix.wellknown.json_object('my_extension_json'), recursive=True) }}"
"""

RETURN = r"""
_value:
  description: The parsed JSON object.
  type: dict
"""

import json

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_string


def json_object(value, name='value'):
    """Return the mapping that ``value`` (JSON text or a mapping) holds."""
    if isinstance(value, dict):
        return value
    if not is_string(value):
        raise AnsibleFilterError('%s must be the text of a JSON object, not a %s' % (name, type(value).__name__))
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise AnsibleFilterError('%s is not valid JSON: %s' % (name, exc))
    if not isinstance(parsed, dict):
        raise AnsibleFilterError('%s must be a JSON object ({...}), not a JSON %s' % (name, type(parsed).__name__))
    return parsed


class FilterModule(object):
    """JSON helpers of matrix.wellknown."""

    def filters(self):
        return {'json_object': json_object}
