# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the roles add to a failed server check: the variable to set and the exact line for the site already there."""

from __future__ import annotations

import pytest

from ansible_collections.matrix.wellknown.plugins.plugin_utils._render import check_advice


def conflict(sites, frontend=None):
    entry = {'name': 'example.com', 'address': '0.0.0.0:443', 'sites': sites}
    if frontend:
        entry['frontend'] = frontend
    return {'kind': 'conflict', 'conflicts': [entry]}


@pytest.mark.parametrize('server, line, where', [
    ('nginx', 'include /etc/nginx/snippets/matrix-base-domain.conf;', 'the server block of example.com in /s'),
    ('apache', 'Include /etc/apache2/snippets/matrix-base-domain.conf', 'the <VirtualHost> of example.com in /s'),
    ('caddy', 'import /etc/caddy/snippets/matrix-base-domain.caddyfile', 'the site block of example.com in /s'),
])
def test_a_conflict_gives_the_variable_and_the_include_line(server, line, where):
    advice = check_advice('matrix_base_domain', {'server': server, 'root_action': 'not_found'}, conflict(['/s']))
    assert advice.startswith('\nSet matrix_base_domain_config_form: snippet (the role then writes ')
    assert advice.endswith('add this line to %s:\n    %s' % (where, line))


def test_haproxy_routes_from_the_frontend_already_there():
    advice = check_advice('matrix_base_domain', {'server': 'haproxy', 'haproxy_backend_name': 'matrix_base_domain'},
                          conflict(['/etc/haproxy/haproxy.cfg'], 'website'))
    assert advice.endswith('the frontend website in /etc/haproxy/haproxy.cfg, before its default_backend:\n'
                           '    use_backend matrix_base_domain if { path_beg /.well-known/matrix/ }')


def test_the_matrix_host_and_method_site_name_their_own_variables():
    advice = check_advice('matrix_static_files', {'server': 'nginx'}, conflict(['/s']))
    assert 'Set matrix_static_files_webserver_config_form: snippet (the role then writes ' \
           '/etc/nginx/snippets/matrix-static-files.conf' in advice
    advice = check_advice('matrix_base_domain', {'server': 'nginx', 'root_action': 'page'}, conflict(['/s']))
    assert 'Set matrix_base_domain_method: static, matrix_base_domain_config_form: snippet' in advice


def test_an_unresolved_upstream_names_the_address_variable():
    advice = check_advice('matrix_base_domain', {'server': 'nginx'}, {'kind': 'unresolved', 'names': ['matrix.example.com']})
    assert 'Set matrix_base_domain_upstream_address' in advice and 'matrix.example.com resolve' in advice
    assert check_advice('matrix_base_domain', {'server': 'nginx'}, {'kind': 'timeout'}) == ''
