# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The webserver_site and webserver_defaults filters."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.matrix.wellknown.plugins.filter import webserver_defaults, webserver_site

SITE = {
    'name': 'matrix_base_domain',
    'form': 'server',
    'config_path': '/etc/nginx/conf.d/matrix-base-domain.conf',
    'hostname': 'example.com',
    'https_port': 443,
    'tls_certificate': '/etc/ssl/example.com.crt',
    'tls_certificate_key': '/etc/ssl/example.com.key',
    'wellknown': {'method': 'proxy', 'upstream_hostname': 'matrix.example.com'},
}


def test_site_filter_returns_the_checked_site():
    result = webserver_site.webserver_site(SITE, 'nginx', {'hostname': 'matrix_base_domain_hostname'})
    assert result['wellknown']['connect'] == 'matrix.example.com:443'
    assert webserver_site.FilterModule().filters() == {'webserver_site': webserver_site.webserver_site}


def test_site_filter_names_the_variable():
    with pytest.raises(AnsibleFilterError) as info:
        webserver_site.webserver_site(dict(SITE, hostname='example.com;'), 'nginx', {'hostname': 'matrix_base_domain_hostname'})
    assert str(info.value).startswith("Invalid web server settings: matrix_base_domain_hostname: 'example.com;' is not a valid DNS name")


def test_site_filter_without_names_uses_the_keys():
    with pytest.raises(AnsibleFilterError) as info:
        webserver_site.webserver_site(dict(SITE, https_port='x'), 'nginx')
    assert "https_port: 'x' is not a port number" in str(info.value)


@pytest.mark.parametrize('server, form, expected', [
    ('nginx', 'server', {'config_path': '/etc/nginx/conf.d/matrix-static-files.conf', 'reload_command': 'systemctl reload nginx'}),
    ('apache', 'snippet', {'config_path': '/etc/apache2/snippets/matrix-static-files.conf',
                           'reload_command': 'systemctl reload apache2'}),
    ('none', 'server', {'config_path': '', 'reload_command': ''}),
])
def test_defaults_filter(server, form, expected):
    assert webserver_defaults.webserver_defaults(server, form, 'matrix-static-files') == expected


def test_defaults_filter_defaults():
    assert webserver_defaults.webserver_defaults('caddy')['config_path'] == '/etc/caddy/Caddyfile.d/matrix-wellknown.caddyfile'
    assert webserver_defaults.FilterModule().filters() == {'webserver_defaults': webserver_defaults.webserver_defaults}
