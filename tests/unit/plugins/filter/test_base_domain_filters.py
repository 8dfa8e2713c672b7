# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The netlify_redirects and cloudfront_distribution filters."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.matrix.wellknown.plugins.filter import cloudfront_distribution, netlify_redirects

SETTINGS = {
    'method': 'proxy',
    'config_path': '/srv/site/_redirects',
    'upstream_hostname': 'matrix.example.com',
    'upstream_address': '',
    'origin_id': 'matrix-wellknown',
    'cache_policy_id': '658327ea-f89d-4fab-a63d-7e88639e58f6',
}
NAMES = {'upstream_hostname': 'matrix_base_domain_upstream_hostname'}


def test_netlify_filter():
    assert netlify_redirects.netlify_redirects(SETTINGS).endswith(
        '/.well-known/matrix/*  https://matrix.example.com/.well-known/matrix/:splat  200!')
    assert netlify_redirects.FilterModule().filters() == {'netlify_redirects': netlify_redirects.netlify_redirects}


def test_cloudfront_filter():
    result = cloudfront_distribution.cloudfront_distribution(SETTINGS)
    assert result['Origins']['Items'][0]['DomainName'] == 'matrix.example.com'
    assert cloudfront_distribution.FilterModule().filters() == {
        'cloudfront_distribution': cloudfront_distribution.cloudfront_distribution}


@pytest.mark.parametrize('function, prefix', [
    (netlify_redirects.netlify_redirects, 'Invalid Netlify settings: '),
    (cloudfront_distribution.cloudfront_distribution, 'Invalid CloudFront settings: '),
])
def test_filters_name_the_variable(function, prefix):
    with pytest.raises(AnsibleFilterError) as info:
        function(dict(SETTINGS, upstream_hostname='matrix.example.com;'), NAMES)
    assert str(info.value).startswith(prefix + "matrix_base_domain_upstream_hostname: 'matrix.example.com;' is not a valid DNS name")
