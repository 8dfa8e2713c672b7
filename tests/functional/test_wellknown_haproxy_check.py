# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The matrix_wellknown module with an HAProxy site: documents, certificate bundle and config as one change, which
the real HAProxy checks (it loads the documents and the bundle itself).

These tests need the haproxy binary that `make test` installs (make system-deps); they fail, not skip, without it.
The same module with a stand-in check binary: tests/unit/plugins/modules/test_matrix_wellknown_webserver_option.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.matrix.wellknown.plugins.plugin_utils._site import build_site, managed_line
from ansible_collections.matrix.wellknown.plugins.modules import matrix_wellknown
from ansible_collections.matrix.wellknown.plugins.plugin_utils._render import render

from module_runner import run_module, snapshot

SBIN = os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin', '/sbin'])
CLIENT = {'m.homeserver': {'base_url': 'https://matrix.example.com'}}
SERVER = {'m.server': 'matrix.example.com:443'}
SUPPORT = {'support_page': 'https://example.com/help'}


def binary(name):
    found = shutil.which(name, path=SBIN)
    assert found, '%s is not installed: run make system-deps' % name
    return found


@pytest.fixture
def host(tmp_path):
    """A directory laid out like a host: documents, HAProxy's conf.d, a certificate and its key."""
    (tmp_path / 'conf.d').mkdir()
    subprocess.run([binary('openssl'), 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                    '-days', '1', '-subj', '/CN=matrix.example.com', '-keyout', str(tmp_path / 'key.pem'),
                    '-out', str(tmp_path / 'cert.pem')], check=True, capture_output=True)
    return tmp_path


def arguments(host, documents, absent=(), server='haproxy', key=None):
    public = host / 'public'
    site = build_site({
        'name': 'matrix_static_files', 'form': 'server', 'config_path': str(host / 'conf.d' / 'site.cfg'),
        'hostname': 'matrix.example.com', 'https_port': 8443, 'listen_addresses': ['127.0.0.1'],
        'tls_certificate': str(host / 'cert.pem'), 'tls_certificate_key': str(key or host / 'key.pem'),
        'haproxy_tls_bundle_path': str(host / 'conf.d' / 'site.pem'),
        'wellknown': {'method': 'static', 'directory': str(public / '.well-known' / 'matrix'), 'documents': sorted(documents), 'cache_max_age': 14400},
    }, server)
    webserver = {'server': server, 'path': site['config_path'], 'content': render(site), 'binary': binary(server),
                 'tls_bundle': site.get('tls_bundle')}
    return {'path': str(public / '.well-known' / 'matrix'), 'documents': documents, 'absent': list(absent),
            '_webserver': webserver}


def run(args, check_mode=False, diff=False):
    return run_module(matrix_wellknown.main, args, check_mode=check_mode, diff=diff)


def test_documents_config_and_bundle_are_written_checked_and_then_unchanged(host):
    args = arguments(host, {'client': CLIENT, 'server': SERVER})
    checked, failed = run(args, check_mode=True, diff=True)
    assert not failed, checked['msg']
    assert checked['changed'] and checked['webserver']['validated'] and checked['webserver']['reload']
    assert snapshot(host / 'conf.d') == {}
    result, failed = run(args)
    assert not failed, result['msg']
    assert result['changed'] and result['webserver']['reload'] and result['webserver']['validated']
    assert (host / 'conf.d' / 'site.cfg').read_text().startswith(managed_line('matrix_static_files') + '\n')
    assert oct(os.stat(str(host / 'conf.d' / 'site.pem')).st_mode & 0o777) == '0o600'
    again, failed = run(args)
    assert not failed and not again['changed'] and not again['webserver']['reload']
    assert not again['webserver']['validated']  # nothing changed, nothing to check


def test_haproxy_reloads_and_rechecks_for_a_changed_document_with_the_same_config(host):
    run(arguments(host, {'client': CLIENT, 'server': SERVER}))
    config = (host / 'conf.d' / 'site.cfg').read_bytes()
    result, failed = run(arguments(host, {'client': dict(CLIENT, **{'io.element.e2ee': {'default': False}}), 'server': SERVER}))
    assert not failed, result['msg']
    assert (host / 'conf.d' / 'site.cfg').read_bytes() == config
    assert result['webserver']['reload'] and result['webserver']['validated']
    assert result['states']['client'] == 'updated'


def test_a_document_haproxy_cannot_hold_changes_nothing(host):
    """A valid 20 KB client document (under the spec's 50 KiB) that HAProxy refuses to load: before, the document
    was written and the unchanged config no longer loaded."""
    run(arguments(host, {'client': CLIENT, 'server': SERVER}))
    before = snapshot(host)
    big = dict(CLIENT, **{'com.example.pad': 'x' * 20000})
    result, failed = run(arguments(host, {'client': big, 'server': SERVER}))
    assert failed
    assert 'HAProxy rejected the new configuration' in result['msg']
    assert 'exceeds the buffer size' in result['msg']
    assert str(host / 'public' / '.well-known' / 'matrix' / 'client') in result['msg']  # the real path, not the copy
    assert snapshot(host) == before


def test_a_bad_key_with_a_disabled_document_deletes_nothing(host):
    """Disabling support in the same run as a key HAProxy cannot load: before, support was deleted while the old
    config still loaded it."""
    run(arguments(host, {'client': CLIENT, 'server': SERVER, 'support': SUPPORT}))
    bad_key = host / 'bad-key.pem'
    bad_key.write_text('-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n')
    before = snapshot(host)
    result, failed = run(arguments(host, {'client': CLIENT, 'server': SERVER}, absent=['support'], key=bad_key))
    assert failed
    assert 'HAProxy rejected the new configuration' in result['msg']
    assert snapshot(host) == before
