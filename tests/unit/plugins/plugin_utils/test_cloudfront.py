# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CloudFront origin and behaviour (plugin_utils/_cloudfront.py), validated against botocore's CloudFront API model."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.matrix.wellknown.plugins.plugin_utils._cloudfront import CACHING_OPTIMIZED, distribution_fragment
from ansible_collections.matrix.wellknown.plugins.plugin_utils._settings import SettingsError

botocore_session = pytest.importorskip('botocore.session')
botocore_validate = pytest.importorskip('botocore.validate')

DOCS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'docs', 'docsite', 'rst', 'guide_serving.rst')

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
    model = botocore_session.get_session().get_service_model('cloudfront')
    shape = model.operation_model(operation).input_shape
    report = botocore_validate.ParamValidator().validate(params, shape)
    problems = [report.generate_report()] if report.has_errors() else []
    problems.extend(_enum_problems(params, shape, operation))
    return '\n'.join(problems)


def minimal_distribution(fragment):
    """The smallest complete DistributionConfig that holds the fragment, its origin as default too."""
    origin_id = fragment['Origins']['Items'][0]['Id']
    return dict(fragment, CallerReference='matrix-wellknown-test', Comment='', Enabled=True,
                DefaultCacheBehavior={'TargetOriginId': origin_id, 'ViewerProtocolPolicy': 'redirect-to-https',
                                      'CachePolicyId': CACHING_OPTIMIZED})


def problems(**changes):
    with pytest.raises(SettingsError) as info:
        distribution_fragment(dict(SETTINGS, **changes), NAMES)
    return info.value.problems


def test_fragment_for_the_example():
    fragment = distribution_fragment(SETTINGS, NAMES)
    assert sorted(fragment) == ['CacheBehaviors', 'Origins']
    origin = fragment['Origins']['Items'][0]
    assert fragment['Origins']['Quantity'] == 1
    assert origin['Id'] == 'matrix-wellknown'
    assert origin['DomainName'] == 'matrix.example.com'
    assert origin['CustomOriginConfig']['OriginProtocolPolicy'] == 'https-only'
    assert origin['CustomOriginConfig']['HTTPSPort'] == 443
    assert origin['CustomOriginConfig']['OriginSslProtocols'] == {'Quantity': 1, 'Items': ['TLSv1.2']}
    behavior = fragment['CacheBehaviors']['Items'][0]
    assert fragment['CacheBehaviors']['Quantity'] == 1
    assert behavior['PathPattern'] == '/.well-known/matrix/*'
    assert behavior['TargetOriginId'] == 'matrix-wellknown'
    assert behavior['ViewerProtocolPolicy'] == 'redirect-to-https'
    assert behavior['AllowedMethods'] == {'Quantity': 3, 'Items': ['GET', 'HEAD', 'OPTIONS'],
                                          'CachedMethods': {'Quantity': 2, 'Items': ['GET', 'HEAD']}}
    assert behavior['CachePolicyId'] == CACHING_OPTIMIZED
    # A cache policy and the legacy ForwardedValues/TTL settings exclude each other in the API.
    assert not set(behavior) & {'ForwardedValues', 'MinTTL', 'DefaultTTL', 'MaxTTL'}
    # Plain JSON data: what the role writes with to_nice_json.
    assert json.loads(json.dumps(fragment)) == fragment


@pytest.mark.parametrize('address, port', [('', 443), ('matrix.example.com:8443', 8443), ('matrix.example.com:443', 443)])
def test_port_of_the_upstream_address(address, port):
    fragment = distribution_fragment(dict(SETTINGS, upstream_address=address), NAMES)
    assert fragment['Origins']['Items'][0]['CustomOriginConfig']['HTTPSPort'] == port


@pytest.mark.parametrize('address', ['', 'matrix.example.com:8443'])
def test_fragment_is_valid_for_create_distribution(address):
    fragment = distribution_fragment(dict(SETTINGS, upstream_address=address), NAMES)
    assert validate('CreateDistribution', {'DistributionConfig': minimal_distribution(fragment)}) == ''


def test_fragment_is_valid_for_update_distribution():
    fragment = distribution_fragment(SETTINGS, NAMES)
    assert validate('UpdateDistribution', {'Id': 'EDFDVBD6EXAMPLE', 'IfMatch': 'E2QWRUHEXAMPLE',
                                           'DistributionConfig': minimal_distribution(fragment)}) == ''


def test_the_validation_catches_a_broken_fragment():
    # The test itself must be able to fail: a wrong enum value and a missing required member are reported.
    fragment = copy.deepcopy(distribution_fragment(SETTINGS, NAMES))
    del fragment['Origins']['Items'][0]['CustomOriginConfig']['HTTPPort']
    fragment['CacheBehaviors']['Items'][0]['ViewerProtocolPolicy'] = 'https'
    report = validate('CreateDistribution', {'DistributionConfig': minimal_distribution(fragment)})
    assert 'HTTPPort' in report and 'ViewerProtocolPolicy' in report


def _documented_merge_filter():
    """The jq program of the merge step in the serving guide (a code block: every line indented by 3 spaces)."""
    with open(DOCS) as handle:
        text = handle.read()
    match = re.search(r"jq --slurpfile matrix \S+ '\n(.*?)\n   ' ", text, re.S)
    assert match, 'the serving guide has no jq merge command'
    return '\n'.join(line[3:] for line in match.group(1).split('\n'))


@pytest.mark.skipif(not shutil.which('jq'), reason='jq is not installed')
def test_documented_merge_gives_a_valid_update(tmp_path):
    fragment = distribution_fragment(SETTINGS, NAMES)
    (tmp_path / 'matrix-wellknown-cloudfront.json').write_text(json.dumps(fragment))
    program = _documented_merge_filter()

    def merge(current):
        (tmp_path / 'current.json').write_text(json.dumps(current))
        output = subprocess.run(['jq', '--slurpfile', 'matrix', str(tmp_path / 'matrix-wellknown-cloudfront.json'), program,
                                 str(tmp_path / 'current.json')], check=True, capture_output=True, text=True).stdout
        return json.loads(output)

    merged = merge(CURRENT)
    assert validate('UpdateDistribution', {'Id': 'EDFDVBD6EXAMPLE', 'IfMatch': CURRENT['ETag'], 'DistributionConfig': merged}) == ''
    assert [origin['Id'] for origin in merged['Origins']['Items']] == ['website', 'matrix-wellknown']
    assert merged['Origins']['Quantity'] == 2
    # Behaviours are matched in list order: the Matrix one comes first.
    assert [behavior['PathPattern'] for behavior in merged['CacheBehaviors']['Items']] == ['/.well-known/matrix/*', '/blog/*']
    assert merged['CacheBehaviors']['Quantity'] == 2
    assert merged['DefaultCacheBehavior'] == CURRENT['DistributionConfig']['DefaultCacheBehavior']
    # Merging again (after the next run of the role) replaces the Matrix origin and behaviour instead of adding copies.
    again = merge({'ETag': 'E3NEWETAG', 'DistributionConfig': merged})
    assert again == merged
    # A distribution without behaviours (Quantity 0, no Items) gets just the Matrix one.
    bare = copy.deepcopy(CURRENT)
    bare['DistributionConfig']['CacheBehaviors'] = {'Quantity': 0}
    merged = merge(bare)
    assert merged['CacheBehaviors'] == fragment['CacheBehaviors']
    assert validate('UpdateDistribution', {'Id': 'EDFDVBD6EXAMPLE', 'IfMatch': 'E2QWRUHEXAMPLE', 'DistributionConfig': merged}) == ''


def test_only_method_proxy():
    assert problems(method='static') == [
        "matrix_base_domain_method: 'static': CloudFront forwards /.well-known/matrix/ to the Matrix host; only method proxy applies"]


@pytest.mark.parametrize('value', ['', 'relative/file.json', None])
def test_config_path_is_required(value):
    found = problems(config_path=value)
    assert len(found) == 1 and found[0].startswith('matrix_base_domain_config_path: %r is not an absolute path' % (value,))


@pytest.mark.parametrize('field, value', [
    ('origin_id', ''),
    ('origin_id', 'matrix wellknown'),
    ('origin_id', 'x' * 129),
    ('cache_policy_id', 'CachingOptimized'),
    ('cache_policy_id', CACHING_OPTIMIZED.upper()),
    ('upstream_hostname', '10.0.0.5'),
    ('upstream_hostname', 'matrix.example.com"'),
    ('upstream_address', 'matrix.example.com'),
    ('upstream_address', '10.0.0.5:443'),
])
def test_invalid_values_are_named(field, value):
    found = problems(**{field: value})
    assert len(found) == 1
    assert found[0].startswith('%s: %r' % (NAMES[field], value))


def test_cloudfront_only_changes_the_port():
    found = problems(upstream_address='10.0.0.5:8443')
    assert found == ["matrix_base_domain_upstream_address: '10.0.0.5:8443': CloudFront connects to the origin domain name and "
                     "checks its certificate against that same name, so it cannot connect to '10.0.0.5' while verifying "
                     "'matrix.example.com'. Give matrix.example.com:<port> (only the port can change)"]


def test_every_problem_at_once_and_shapes():
    found = problems(method='site', config_path='', origin_id='', cache_policy_id='', upstream_hostname='')
    assert [problem.split(':')[0] for problem in found] == [
        'matrix_base_domain_method', 'matrix_base_domain_config_path', 'matrix_base_domain_upstream_hostname',
        'matrix_base_domain_cloudfront_origin_id', 'matrix_base_domain_cloudfront_cache_policy_id']
    with pytest.raises(SettingsError):
        distribution_fragment(['not', 'a', 'mapping'])
