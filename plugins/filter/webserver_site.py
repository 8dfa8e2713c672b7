# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: webserver_site
short_description: Check the settings of a web server site for the Matrix well-known documents
version_added: 0.1.0
author:
  - matrix.wellknown contributors (@matrix-wellknown)
description:
  - Checks every value that the web server templates of this collection write into a config file
    (hostnames, ports, listen addresses, paths, upstream address) against a grammar that leaves no
    room for config syntax, and returns the normalised site description the templates use.
  - A value with a space, quote, C(;), brace or newline is refused. The error names the user's variable
    (from O(names)) and the rule it breaks, and lists every problem at once.
  - Used by the internal C(webserver_config) role before any template is rendered.
options:
  _input:
    description:
      - The site description, with keys C(name), C(form), C(config_path), C(hostname), C(https_port),
        C(listen_addresses), C(tls_certificate), C(tls_certificate_key), C(haproxy_backend_name),
        C(haproxy_tls_bundle_path), C(root_action) and C(wellknown).
      - C(wellknown) holds C(method) (V(static) or V(proxy)) and, for V(static), C(root), C(documents) and
        C(cache_max_age); for V(proxy), C(upstream_hostname), C(upstream_address) and C(upstream_ca_file).
    type: dict
    required: true
  server:
    description: The web server the config is for.
    type: str
    choices: [nginx, apache, caddy, haproxy]
    required: true
  names:
    description: Maps keys of the site description (and of C(wellknown)) to the variable names used in messages.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Check the settings and build the site the templates use
  ansible.builtin.set_fact:
    site: >-
      {{ {'name': 'matrix_base_domain', 'form': 'server', 'config_path': '/etc/nginx/conf.d/matrix-base-domain.conf',
          'hostname': 'example.com', 'https_port': 443, 'listen_addresses': [],
          'tls_certificate': '/etc/ssl/example.com.pem', 'tls_certificate_key': '/etc/ssl/example.com.key',
          'wellknown': {'method': 'proxy', 'upstream_hostname': 'matrix.example.com'}}
         | matrix.wellknown.webserver_site('nginx', {'hostname': 'matrix_base_domain_hostname'}) }}
"""

RETURN = r"""
_value:
  description:
    - The checked site, with computed values such as C(listen) (addresses with ports), C(tls_pem) and
      C(tls_bundle) (HAProxy), C(cors_headers) and, under C(wellknown), C(directory), C(connect) and
      C(ca_file_effective).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.matrix.wellknown.plugins.module_utils.webserver import SiteError, build_site


def webserver_site(site, server, names=None):
    """Return the checked and normalised site, or fail naming each invalid variable."""
    try:
        return build_site(site, server, names or {})
    except SiteError as exc:
        raise AnsibleFilterError('Invalid web server settings: %s' % '; '.join(exc.problems))


class FilterModule(object):
    """Web server helpers of matrix.wellknown."""

    def filters(self):
        return {'webserver_site': webserver_site}
