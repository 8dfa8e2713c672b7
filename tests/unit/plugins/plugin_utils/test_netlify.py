# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Netlify _redirects block (plugin_utils/_netlify.py)."""

from __future__ import annotations

import pytest

from ansible_collections.matrix.wellknown.plugins.plugin_utils._netlify import MARKER, redirects_block
from ansible_collections.matrix.wellknown.plugins.plugin_utils._settings import SettingsError

NAMES = {
    'method': 'matrix_base_domain_method',
    'config_path': 'matrix_base_domain_config_path',
    'upstream_hostname': 'matrix_base_domain_upstream_hostname',
    'upstream_address': 'matrix_base_domain_upstream_address',
}

SETTINGS = {
    'method': 'proxy',
    'config_path': '/srv/site/public/_redirects',
    'upstream_hostname': 'matrix.example.com',
    'upstream_address': '',
}


def rules(text):
    return [line for line in text.splitlines() if line and not line.startswith('#')]


def problems(**changes):
    with pytest.raises(SettingsError) as info:
        redirects_block(dict(SETTINGS, **changes), NAMES)
    return info.value.problems


def test_the_rule_of_the_documentation():
    text = redirects_block(SETTINGS, NAMES)
    # The rule of the seed documentation, with 200! (forced) and the documents' names kept by :splat.
    assert rules(text) == ['/.well-known/matrix/*  https://matrix.example.com/.well-known/matrix/:splat  200!']
    assert not text.endswith('\n')
    assert all(line.startswith('#') for line in text.splitlines()[:-1])


@pytest.mark.parametrize('address, origin', [
    ('matrix.example.com:443', 'matrix.example.com'),
    ('matrix.example.com:8448', 'matrix.example.com:8448'),
])
def test_port_of_the_upstream_address(address, origin):
    assert rules(redirects_block(dict(SETTINGS, upstream_address=address), NAMES)) == [
        '/.well-known/matrix/*  https://%s/.well-known/matrix/:splat  200!' % origin]


def test_marker_names_the_collection_and_fits_blockinfile():
    assert '{mark}' in MARKER and MARKER.startswith('# ')
    assert 'matrix.wellknown' in MARKER


def test_only_method_proxy():
    assert problems(method='static') == [
        "matrix_base_domain_method: 'static': Netlify proxies /.well-known/matrix/ to the Matrix host; only method proxy applies"]


@pytest.mark.parametrize('value', ['', '_redirects', None])
def test_config_path_is_required(value):
    found = problems(config_path=value)
    assert len(found) == 1 and found[0].startswith('matrix_base_domain_config_path: %r is not an absolute path' % (value,))


@pytest.mark.parametrize('field, value', [
    ('upstream_hostname', 'matrix.example.com/evil 200!'),
    ('upstream_hostname', 'matrix.example.com\n/* https://evil.example 200!'),
    ('upstream_hostname', '203.0.113.5'),
    ('upstream_hostname', ''),
    ('upstream_address', 'matrix.example.com:https'),
    ('upstream_address', 'evil.example:443'),
])
def test_invalid_values_are_named(field, value):
    found = problems(**{field: value})
    assert len(found) == 1
    assert found[0].startswith('%s: %r' % (NAMES[field], value))


def test_netlify_only_changes_the_port():
    assert problems(upstream_address='10.0.0.5:443') == [
        "matrix_base_domain_upstream_address: '10.0.0.5:443': Netlify connects to the host named in the rule and checks its "
        "certificate against that same name, so it cannot connect to '10.0.0.5' while verifying 'matrix.example.com'. "
        "Give matrix.example.com:<port> (only the port can change)"]


def test_not_a_mapping():
    with pytest.raises(SettingsError):
        redirects_block('proxy')
