# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The CloudFront origin and cache behaviour that forward /.well-known/matrix/ to the Matrix host.

Pure functions only, called by the role plan (``_role_plan``, method proxy on CloudFront) and the unit tests.

The result holds the ``Origins`` and ``CacheBehaviors`` members of a ``DistributionConfig`` in the shapes
of the CloudFront API (``aws cloudfront create-distribution`` and ``update-distribution``), to be merged
into an existing distribution.
"""

from __future__ import annotations

import re

from ansible_collections.matrix.wellknown.plugins.plugin_utils._settings import Problems, SettingsError, hosted_service

PATH_PATTERN = '/.well-known/matrix/*'
# Managed cache policy "CachingOptimized": no cookies or query strings in the cache key, and the
# origin's Cache-Control (max-age=14400 from the Matrix host) decides how long an edge keeps a document.
CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6'

_ORIGIN_ID = re.compile(r'^[A-Za-z0-9._-]{1,128}\Z')
_POLICY_ID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z')


def _quantity(items):
    return {'Quantity': len(items), 'Items': list(items)}


def distribution_fragment(settings, names=None):
    """``{'Origins': ..., 'CacheBehaviors': ...}`` for the Matrix host, as data.

    ``settings`` holds ``method`` (only ``proxy``), ``config_path`` (the JSON file written), ``upstream_hostname``,
    ``upstream_address``, ``origin_id`` and ``cache_policy_id``; ``names`` maps them to variable names for messages.
    Raises SettingsError listing every problem.
    """
    if not isinstance(settings, dict):
        raise SettingsError(['the CloudFront settings are not a mapping'])
    problems = Problems(names)
    target = hosted_service(problems, settings, 'cloudfront', 'the JSON file to write')
    origin_id = settings.get('origin_id')
    if not isinstance(origin_id, str) or not _ORIGIN_ID.match(origin_id):
        problems.add('origin_id', '%r is not an origin ID (1 to 128 letters, digits, ".", "_" or "-")' % (origin_id,))
    policy = settings.get('cache_policy_id')
    if not isinstance(policy, str) or not _POLICY_ID.match(policy):
        problems.add('cache_policy_id', '%r is not a cache policy ID (like %s)' % (policy, CACHING_OPTIMIZED))
    problems.raise_any()

    origin = {
        'Id': origin_id,
        'DomainName': target['upstream_hostname'],
        'OriginPath': '',
        'CustomHeaders': {'Quantity': 0},
        'CustomOriginConfig': {
            # HTTPPort is required by the API; https-only never uses it.
            'HTTPPort': 80,
            'HTTPSPort': target['connect_port'],
            'OriginProtocolPolicy': 'https-only',
            'OriginSslProtocols': _quantity(['TLSv1.2']),
            'OriginReadTimeout': 30,
            'OriginKeepaliveTimeout': 5,
        },
        'ConnectionAttempts': 3,
        'ConnectionTimeout': 10,
        'OriginShield': {'Enabled': False},
    }
    behavior = {
        'PathPattern': PATH_PATTERN,
        'TargetOriginId': origin_id,
        'ViewerProtocolPolicy': 'redirect-to-https',
        # OPTIONS reaches the Matrix host, which answers CORS preflights; only GET and HEAD are cached.
        'AllowedMethods': dict(_quantity(['GET', 'HEAD', 'OPTIONS']), CachedMethods=_quantity(['GET', 'HEAD'])),
        'SmoothStreaming': False,
        'Compress': True,
        'LambdaFunctionAssociations': {'Quantity': 0},
        'FunctionAssociations': {'Quantity': 0},
        'FieldLevelEncryptionId': '',
        'CachePolicyId': policy,
        'TrustedSigners': {'Enabled': False, 'Quantity': 0},
        'TrustedKeyGroups': {'Enabled': False, 'Quantity': 0},
    }
    return {'Origins': _quantity([origin]), 'CacheBehaviors': _quantity([behavior])}
