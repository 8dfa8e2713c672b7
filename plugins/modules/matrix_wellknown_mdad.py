#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file holds the documentation; the action plugin of the same name does the work.

from __future__ import annotations

DOCUMENTATION = r"""
module: matrix_wellknown_mdad
short_description: Write the C(/.well-known/matrix/*) documents described by matrix-docker-ansible-deploy variables
version_added: 0.1.0
description:
  - The write step of the P(matrix.wellknown.matrix_static_files#role) role. It takes no options; it reads the
    host's C(matrix_static_files_*) variables and the wider MDAD variables they default to (C(matrix_domain),
    C(matrix_server_fqn_matrix), C(matrix_homeserver_url), ...), exactly as the role documents them.
  - On the controller, it builds the C(client), C(server), C(support) and C(mautrix) documents the way
    matrix-docker-ansible-deploy does (a variable you set wins at every level, C(*_property_*),
    C(*_configuration_json), C(*_configuration_extension_json), C(*_configuration)), in Python rather than
    through chains of templated defaults, then writes them and deletes the disabled ones with one call of
    M(matrix.wellknown.matrix_wellknown), which validates all of them before touching any file.
  - A variable that cannot be used (an extension that is not a JSON object, a list given where a mapping
    belongs, no C(matrix_domain)) fails the task with its name, before anything reaches the host.
author:
  - matrix.wellknown contributors (@matrix-wellknown)
options: {}
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
notes:
  - Use the role; this module is its engine, and reads the variables the role's argument spec lists.
seealso:
  - module: matrix.wellknown.matrix_wellknown
  - plugin: matrix.wellknown.matrix_wellknown_mdad
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Write the documents of matrix_static_files_* and matrix_* variables
  matrix.wellknown.matrix_wellknown_mdad:
  vars:
    matrix_domain: example.com
    matrix_static_files_file_matrix_support_enabled: true
    matrix_static_files_file_matrix_support_property_m_support_page: https://example.com/support
"""

RETURN = r"""
path:
  description: The directory the documents are in.
  returned: always
  type: str
  sample: /matrix/static-files/public/.well-known/matrix
states:
  description: What happened to each document, as M(matrix.wellknown.matrix_wellknown) returns it.
  returned: always
  type: dict
  sample: {"client": "updated", "server": "unchanged", "support": "absent", "mautrix": "absent"}
documents:
  description: The documents that are now (or in check mode would be) in place, as data.
  returned: always
  type: dict
  sample: {"server": {"m.server": "matrix.example.com:8448"}}
warnings_found:
  description: Non-fatal findings of the validation (also emitted as warnings).
  returned: always
  type: list
  elements: str
  sample: []
"""
