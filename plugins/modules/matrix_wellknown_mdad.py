#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file holds the documentation; the action plugin of the same name does the work.

from __future__ import annotations

DOCUMENTATION = r"""
module: matrix_wellknown_mdad
short_description: The one step of the roles, from matrix-docker-ansible-deploy variables to written files
version_added: 0.1.0
description:
  - The step of the P(matrix.wellknown.matrix_static_files#role) and P(matrix.wellknown.matrix_base_domain#role)
    roles. It reads the host's variables as the role named by O(role) documents them (C(matrix_static_files_*),
    C(matrix_base_domain_*) and the wider MDAD variables they default to, such as C(matrix_domain),
    C(matrix_server_fqn_matrix), C(matrix_homeserver_url)).
  - On the controller, it builds the documents the way matrix-docker-ansible-deploy does (a variable you set wins at
    every level, C(*_property_*), C(*_configuration_json), C(*_configuration_extension_json), C(*_configuration)),
    in Python rather than through chains of templated defaults; with a web server, it checks every setting that
    ends up in its config and renders the config. A variable that cannot be used fails the task with its name,
    before anything reaches the host.
  - It then makes one call of M(matrix.wellknown.matrix_wellknown), which validates every document and writes the
    documents and the config as one change, the config only once the server accepts it with what it loads.
  - For Netlify and CloudFront (base domain), it only returns the content of their file (C(netlify_block),
    C(cloudfront)), which the role writes.
author:
  - matrix.wellknown contributors (@matrix-wellknown)
options:
  role:
    description: Whose variables to read, and so what to write.
    type: str
    choices: [matrix_static_files, matrix_base_domain]
    default: matrix_static_files
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
  - Use the roles; this is their engine, and reads the variables their argument specs list.
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
  returned: unless Netlify or CloudFront
  type: str
  sample: /matrix/static-files/public/.well-known/matrix
states:
  description: What happened to each document, as M(matrix.wellknown.matrix_wellknown) returns it.
  returned: unless Netlify or CloudFront
  type: dict
  sample: {"client": "updated", "server": "unchanged", "support": "absent", "mautrix": "absent"}
documents:
  description: The documents that are now (or in check mode would be) in place, as data.
  returned: always
  type: dict
  sample: {"server": {"m.server": "matrix.example.com:8448"}}
server:
  description: The web server (or V(none), V(netlify), V(cloudfront)).
  returned: always
  type: str
  sample: nginx
config_path:
  description: The web server config or the hosted service's file, or null.
  returned: always
  type: str
  sample: /etc/nginx/conf.d/matrix-static-files.conf
reload_command:
  description:
    - The command the step runs when C(webserver.reload) is true (the role's C(*_reload_command), or the
      server's default).
  returned: always
  type: str
  sample: systemctl reload nginx
webserver:
  description: What happened to the web server config, as M(matrix.wellknown.matrix_wellknown) returns it.
  returned: with a web server
  type: dict
  sample: {"path": "/etc/nginx/conf.d/matrix-static-files.conf", "changed": true, "reload": true, "validated": true}
removed_configs:
  description: Configs this collection wrote earlier for another server or form, removed.
  returned: with nginx, Apache, Caddy, HAProxy or none
  type: list
  elements: str
netlify_block:
  description: The lines of the managed block of C(_redirects).
  returned: with Netlify
  type: str
netlify_marker:
  description: The marker lines of that block, for M(ansible.builtin.blockinfile).
  returned: with Netlify
  type: str
cloudfront:
  description: The C(Origins) and C(CacheBehaviors) to merge into the CloudFront distribution.
  returned: with CloudFront
  type: dict
warnings_found:
  description: Non-fatal findings of the validation (also emitted as warnings).
  returned: always
  type: list
  elements: str
  sample: []
"""
