# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""CloudFront test data and botocore's validation of it, for tests/unit/plugins/plugin_utils/test_cloudfront.py and
tests/functional/test_cloudfront_merge.py."""

from __future__ import annotations

import botocore.session
import botocore.validate

from ansible_collections.matrix.wellknown.plugins.plugin_utils._cloudfront import CACHING_OPTIMIZED

NAMES = {
    'method': 'matrix_base_domain_method',
    'config_path': 'matrix_base_domain_config_path',
    'upstream_hostname': 'matrix_base_domain_upstream_hostname',
    'upstream_address': 'matrix_base_domain_upstream_address',
    'origin_id': 'matrix_base_domain_cloudfront_origin_id',
    'cache_policy_id': 'matrix_base_domain_cloudfront_cache_policy_id',
}

SETTINGS = {
    'method': 'proxy',
    'config_path': '/srv/aws/matrix-wellknown-cloudfront.json',
    'upstream_hostname': 'matrix.example.com',
    'upstream_address': '',
    'origin_id': 'matrix-wellknown',
    'cache_policy_id': CACHING_OPTIMIZED,
}

# What `aws cloudfront get-distribution-config` returns for a distribution that serves a website from another origin.
CURRENT = {
    'ETag': 'E2QWRUHEXAMPLE',
    'DistributionConfig': {
        'CallerReference': 'website-2024',
        'Aliases': {'Quantity': 1, 'Items': ['example.com']},
        'DefaultRootObject': 'index.html',
        'Origins': {'Quantity': 1, 'Items': [{
            'Id': 'website', 'DomainName': 'website.example.net', 'OriginPath': '', 'CustomHeaders': {'Quantity': 0},
            'CustomOriginConfig': {'HTTPPort': 80, 'HTTPSPort': 443, 'OriginProtocolPolicy': 'https-only',
                                   'OriginSslProtocols': {'Quantity': 1, 'Items': ['TLSv1.2']},
                                   'OriginReadTimeout': 30, 'OriginKeepaliveTimeout': 5},
            'ConnectionAttempts': 3, 'ConnectionTimeout': 10, 'OriginShield': {'Enabled': False},
            'OriginAccessControlId': ''}]},
        'OriginGroups': {'Quantity': 0},
        'DefaultCacheBehavior': {
            'TargetOriginId': 'website', 'TrustedSigners': {'Enabled': False, 'Quantity': 0},
            'TrustedKeyGroups': {'Enabled': False, 'Quantity': 0}, 'ViewerProtocolPolicy': 'redirect-to-https',
            'AllowedMethods': {'Quantity': 2, 'Items': ['HEAD', 'GET'], 'CachedMethods': {'Quantity': 2, 'Items': ['HEAD', 'GET']}},
            'SmoothStreaming': False, 'Compress': True, 'LambdaFunctionAssociations': {'Quantity': 0},
            'FunctionAssociations': {'Quantity': 0}, 'FieldLevelEncryptionId': '', 'CachePolicyId': CACHING_OPTIMIZED},
        'CacheBehaviors': {'Quantity': 1, 'Items': [{
            'PathPattern': '/blog/*', 'TargetOriginId': 'website', 'ViewerProtocolPolicy': 'redirect-to-https',
            'CachePolicyId': CACHING_OPTIMIZED}]},
        'CustomErrorResponses': {'Quantity': 0},
        'Comment': '',
        'Logging': {'Enabled': False, 'IncludeCookies': False, 'Bucket': '', 'Prefix': ''},
        'PriceClass': 'PriceClass_All',
        'Enabled': True,
        'ViewerCertificate': {'CloudFrontDefaultCertificate': False, 'ACMCertificateArn': 'arn:aws:acm:us-east-1:123456789012:certificate/x',
                              'SSLSupportMethod': 'sni-only', 'MinimumProtocolVersion': 'TLSv1.2_2021'},
        'Restrictions': {'GeoRestriction': {'RestrictionType': 'none', 'Quantity': 0}},
        'WebACLId': '',
        'HttpVersion': 'http2',
        'IsIPV6Enabled': True,
    },
}


def _enum_problems(value, shape, path):
    """botocore's ParamValidator checks types, required members and ranges, not enums: the model's enums, checked here."""
    if shape.type_name == 'structure' and isinstance(value, dict):
        for name, member in value.items():
            if name in shape.members:
                yield from _enum_problems(member, shape.members[name], '%s.%s' % (path, name))
    elif shape.type_name == 'list' and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _enum_problems(item, shape.member, '%s[%d]' % (path, index))
    elif shape.type_name == 'string' and getattr(shape, 'enum', None) and value not in shape.enum:
        yield 'Invalid value for parameter %s, value: %r, valid values: %s' % (path, value, ', '.join(shape.enum))


def validate(operation, params):
    """Problems the CloudFront API model of botocore finds in ``params`` for the input of ``operation`` ('' when none)."""
    model = botocore.session.get_session().get_service_model('cloudfront')
    shape = model.operation_model(operation).input_shape
    report = botocore.validate.ParamValidator().validate(params, shape)
    problems = [report.generate_report()] if report.has_errors() else []
    problems.extend(_enum_problems(params, shape, operation))
    return '\n'.join(problems)
