# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: webserver_defaults
short_description: The usual config path and reload command of a web server
version_added: 0.1.0
author:
  - matrix.wellknown contributors (@matrix-wellknown)
description:
  - Returns where Debian and Ubuntu packages of a web server pick up a drop-in config, and how they reload it.
  - 'C(config_path): V(server) form: C(/etc/nginx/conf.d/<name>.conf), C(/etc/apache2/sites-enabled/<name>.conf),
    C(/etc/caddy/Caddyfile.d/<name>.caddyfile), C(/etc/haproxy/conf.d/<name>.cfg). V(snippet) form (a piece for an
    existing site, which includes it by path): C(/etc/nginx/snippets/<name>.conf), C(/etc/apache2/snippets/<name>.conf),
    C(/etc/caddy/snippets/<name>.caddyfile), C(/etc/haproxy/conf.d/<name>.cfg).'
  - 'C(reload_command): C(systemctl reload nginx), C(apache2), C(caddy) or C(haproxy).'
  - For a server this collection does not write configs for (such as V(none)), both are empty strings.
options:
  _input:
    description: The web server.
    type: str
    required: true
  form:
    description: V(server) for a complete site, V(snippet) for a piece of an existing site.
    type: str
    choices: [server, snippet]
    default: server
  name:
    description: File name of the config, without directory and extension.
    type: str
    default: matrix-wellknown
"""

EXAMPLES = r"""
- name: Show where the nginx config would go
  ansible.builtin.debug:
    msg: "{{ ('nginx' | matrix.wellknown.webserver_defaults('server', 'matrix-base-domain')).config_path }}"
"""

RETURN = r"""
_value:
  description: The default C(config_path) and C(reload_command).
  type: dict
  sample: {"config_path": "/etc/nginx/conf.d/matrix-base-domain.conf", "reload_command": "systemctl reload nginx"}
"""

from ansible_collections.matrix.wellknown.plugins.module_utils.webserver import default_config_path, default_reload_command


def webserver_defaults(server, form='server', name='matrix-wellknown'):
    """The usual config path and reload command of ``server``."""
    return {'config_path': default_config_path(server, form, name), 'reload_command': default_reload_command(server)}


class FilterModule(object):
    """Web server helpers of matrix.wellknown."""

    def filters(self):
        return {'webserver_defaults': webserver_defaults}
