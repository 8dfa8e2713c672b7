# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CloudFront origin and behaviour (plugin_utils/_cloudfront.py), validated against botocore's CloudFront API model.

The serving guide's jq merge, run with the real jq: tests/functional/test_cloudfront_merge.py.
"""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.matrix.wellknown.plugins.plugin_utils._cloudfront import CACHING_OPTIMIZED, distribution_fragment
from ansible_collections.matrix.wellknown.plugins.plugin_utils._settings import SettingsError

from cloudfront_model import NAMES, SETTINGS, validate


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
