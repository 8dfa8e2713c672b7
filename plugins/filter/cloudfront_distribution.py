# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: cloudfront_distribution
short_description: The CloudFront origin and cache behaviour that forward the Matrix well-known documents
version_added: 0.1.0
author:
  - matrix.wellknown contributors (@matrix-wellknown)
description:
  - Checks the settings and returns the C(Origins) and C(CacheBehaviors) members of a CloudFront C(DistributionConfig),
    in the shapes C(aws cloudfront create-distribution) and C(update-distribution) take, for merging into a distribution.
  - 'The origin is the Matrix host: a custom origin reached over HTTPS only (TLSv1.2), on port 443 or the port of
    C(upstream_address). The one cache behaviour, for C(/.well-known/matrix/*), forwards C(GET), C(HEAD) and C(OPTIONS)
    to it, caches C(GET) and C(HEAD) with the given cache policy, and redirects plain HTTP viewers to HTTPS.'
  - A value that is not valid, or a method other than V(proxy), is refused; the error names the user's variable (from
    O(names)) and lists every problem at once.
options:
  _input:
    description:
      - The settings, with keys C(method) (only V(proxy)), C(config_path) (the file written, an absolute path),
        C(upstream_hostname) (the Matrix host), C(upstream_address) (C(host:port), empty for port 443; only the port can
        differ from the hostname), C(origin_id) and C(cache_policy_id).
    type: dict
    required: true
  names:
    description: Maps keys of the settings to the variable names used in messages.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Write the origin and behaviour to merge into the distribution
  ansible.builtin.copy:
    dest: /srv/aws/matrix-wellknown-cloudfront.json
    mode: '0644'
    content: >-
      {{ {'method': 'proxy', 'config_path': '/srv/aws/matrix-wellknown-cloudfront.json',
          'upstream_hostname': 'matrix.example.com', 'upstream_address': '',
          'origin_id': 'matrix-wellknown', 'cache_policy_id': '658327ea-f89d-4fab-a63d-7e88639e58f6'}
         | matrix.wellknown.cloudfront_distribution | to_nice_json(indent=2) }}
"""

RETURN = r"""
_value:
  description: A mapping with the keys C(Origins) and C(CacheBehaviors), each with C(Quantity) and C(Items).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.matrix.wellknown.plugins.module_utils.cloudfront import distribution_fragment
from ansible_collections.matrix.wellknown.plugins.module_utils.webserver import SiteError


def cloudfront_distribution(settings, names=None):
    """Return the Origins and CacheBehaviors members, or fail naming each invalid variable."""
    try:
        return distribution_fragment(settings, names or {})
    except SiteError as exc:
        raise AnsibleFilterError('Invalid CloudFront settings: %s' % '; '.join(exc.problems))


class FilterModule(object):
    """CloudFront helper of matrix.wellknown."""

    def filters(self):
        return {'cloudfront_distribution': cloudfront_distribution}
