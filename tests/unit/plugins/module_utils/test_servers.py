# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The registry of web server types (module_utils/_servers.py) and the YAML that restates it.

The modules' DOCUMENTATION and the roles' argument specs cannot import the registry: these tests fail when they
list other server types, or other default paths, than the registry gives.
"""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.matrix.wellknown.plugins.module_utils import _servers as servers
from ansible_collections.matrix.wellknown.plugins.modules import matrix_webserver_config, matrix_wellknown
from ansible_collections.matrix.wellknown.plugins.plugin_utils import _site as site
from ansible_collections.matrix.wellknown.plugins.plugin_utils._render import TEMPLATES
from ansible_collections.matrix.wellknown.plugins.plugin_utils._role_plan import CONFIG_NAMES, HOSTED

ROLES_DIR = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles')


def role_options(role):
    with open(os.path.join(ROLES_DIR, role, 'meta', 'argument_specs.yml')) as handle:
        return yaml.safe_load(handle)['argument_specs']['main']['options']


def documented_server_options(module):
    """Every documented option named ``server`` that has choices, at any depth, as (dotted name, choices)."""
    found = []

    def walk(options, prefix):
        for name, spec in (options or {}).items():
            if name == 'server' and 'choices' in spec:
                found.append((prefix + name, spec['choices']))
            walk(spec.get('suboptions'), prefix + name + '.')
    walk(yaml.safe_load(module.DOCUMENTATION)['options'], '')
    return found


def description(spec):
    text = spec['description']
    return ' '.join(text) if isinstance(text, list) else text


def test_every_type_has_each_fact():
    for name, facts in servers.TYPES.items():
        assert sorted(facts) == ['binaries', 'directories', 'include', 'main_config', 'serves_files', 'service',
                                 'title'], name
        assert facts['binaries'] and 'server' in facts['directories'], name
        # A server that serves files has a main configuration the check stages, a service to reload, and a way for a
        # site to include the snippet it is told to add.
        if facts['serves_files']:
            assert facts['main_config'] and facts['service'] and '%s' in facts['include'], name
            assert sorted(facts['directories']) == ['server', 'snippet'], name


def test_the_lists_derive_from_the_registry():
    assert servers.NAMES == ('nginx', 'apache', 'caddy', 'haproxy', 'traefik')
    assert servers.STATIC_SERVERS == ('nginx', 'apache', 'caddy', 'haproxy')
    assert servers.PROXY_SERVERS == ('traefik',)
    assert (site.SERVERS, site.STATIC_SERVERS, site.PROXY_SERVERS) == (
        servers.NAMES, servers.STATIC_SERVERS, servers.PROXY_SERVERS)


def test_every_type_has_its_template_and_every_template_a_type():
    templates = sorted(name[:-len('.j2')] for name in os.listdir(TEMPLATES) if name.endswith('.j2'))
    assert templates == sorted(servers.NAMES)


@pytest.mark.parametrize('module, expected', [
    (matrix_webserver_config, [('server', list(servers.NAMES))]),
    # The webserver option of matrix_wellknown; under whatever name it is documented, if it is.
    (matrix_wellknown, None),
])
def test_module_documentation_lists_the_registry(module, expected):
    found = documented_server_options(module)
    if expected is not None:
        assert found == expected
    for name, choices in found:
        assert choices == list(servers.NAMES), name


def test_role_argument_specs_list_the_registry():
    static_files = role_options('matrix_static_files')['matrix_static_files_webserver']['choices']
    assert static_files == ['none'] + list(servers.STATIC_SERVERS)
    base_domain = role_options('matrix_base_domain')['matrix_base_domain_webserver']['choices']
    assert base_domain == list(servers.NAMES) + list(HOSTED)


@pytest.mark.parametrize('role, variable, types', [
    ('matrix_static_files', 'matrix_static_files_webserver_config_path', servers.STATIC_SERVERS),
    ('matrix_base_domain', 'matrix_base_domain_config_path', servers.NAMES),
])
def test_role_argument_specs_give_the_registrys_default_paths(role, variable, types):
    text = description(role_options(role)[variable])
    for server in types:
        for form, (directory, suffix) in servers.TYPES[server]['directories'].items():
            if form == 'server':
                assert 'C(%s)' % site.default_config_path(server, form, CONFIG_NAMES[role]) in text, (server, form)
            else:
                assert directory in text and suffix in text, (server, form)


@pytest.mark.parametrize('module, documented', [
    (matrix_webserver_config, True),
    # matrix_wellknown's webserver option may be internal (not documented).
    (matrix_wellknown, False),
])
def test_module_documentation_gives_the_registrys_main_configs(module, documented):
    text = module.DOCUMENTATION
    assert documented <= ('main_config' in text)
    if 'main_config' not in text:
        return
    for server in servers.STATIC_SERVERS:
        assert 'C(%s)' % servers.TYPES[server]['main_config'] in text, server


def test_include_lines():
    assert [servers.include_line(server, '/x') for server in servers.STATIC_SERVERS] == [
        'include /x;', 'Include /x', 'import /x', '-f /x']
    assert [servers.title(server) for server in servers.NAMES] == ['nginx', 'Apache', 'Caddy', 'HAProxy', 'Traefik']
