# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: netlify_redirects
short_description: The Netlify C(_redirects) rule that proxies the Matrix well-known documents to the Matrix host
version_added: 0.1.0
author:
  - matrix.wellknown contributors (@matrix-wellknown)
description:
  - Checks the settings and returns the lines of the block that M(matrix.wellknown.matrix_base_domain) keeps at the top
    of a Netlify C(_redirects) file (with M(ansible.builtin.blockinfile)).
  - 'The rule is C(/.well-known/matrix/*  https://<upstream>/.well-known/matrix/:splat  200!): Netlify fetches each
    document from the Matrix host, with its headers, even where the site has a file at the same path.'
  - A hostname or address that is not valid, or a method other than V(proxy), is refused; the error names the user's
    variable (from O(names)) and lists every problem at once.
options:
  _input:
    description:
      - The settings, with keys C(method) (only V(proxy)), C(config_path) (the C(_redirects) file, an absolute path),
        C(upstream_hostname) (the Matrix host) and C(upstream_address) (C(host:port), empty for port 443; only the
        port can differ from the hostname).
    type: dict
    required: true
  names:
    description: Maps keys of the settings to the variable names used in messages.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Keep the rule at the top of _redirects
  ansible.builtin.blockinfile:
    path: /srv/site/public/_redirects
    marker: "# {mark} matrix.wellknown.matrix_base_domain: /.well-known/matrix/ from the Matrix host"
    insertbefore: BOF
    create: true
    mode: '0644'
    block: >-
      {{ {'method': 'proxy', 'config_path': '/srv/site/public/_redirects',
          'upstream_hostname': 'matrix.example.com', 'upstream_address': ''}
         | matrix.wellknown.netlify_redirects }}
"""

RETURN = r"""
_value:
  description: The lines of the block (comments and the rule), without markers or final newline.
  type: str
  sample: "/.well-known/matrix/*  https://matrix.example.com/.well-known/matrix/:splat  200!"
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.matrix.wellknown.plugins.module_utils.netlify import redirects_block
from ansible_collections.matrix.wellknown.plugins.module_utils.webserver import SiteError


def netlify_redirects(settings, names=None):
    """Return the block of the _redirects file, or fail naming each invalid variable."""
    try:
        return redirects_block(settings, names or {})
    except SiteError as exc:
        raise AnsibleFilterError('Invalid Netlify settings: %s' % '; '.join(exc.problems))


class FilterModule(object):
    """Netlify helper of matrix.wellknown."""

    def filters(self):
        return {'netlify_redirects': netlify_redirects}
