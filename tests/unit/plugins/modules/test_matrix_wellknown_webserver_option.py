# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The matrix_wellknown module's webserver option: documents, config and served files as one change.

The server's check is a stand-in binary (a shell script that accepts every config), and the main configuration
it would stage is absent, so nothing of the machine is read. The real HAProxy's check of documents and bundle:
tests/functional/test_wellknown_haproxy_check.py.
"""

from __future__ import annotations

import os

import pytest

from ansible.module_utils import basic

from ansible_collections.matrix.wellknown.plugins.plugin_utils._site import build_site, managed_line
from ansible_collections.matrix.wellknown.plugins.modules import matrix_wellknown
from ansible_collections.matrix.wellknown.plugins.plugin_utils._render import render

from module_runner import run_module, snapshot

CLIENT = {'m.homeserver': {'base_url': 'https://matrix.example.com'}}


@pytest.fixture
def host(tmp_path):
    """A directory laid out like a host: documents, the server's conf.d, a certificate and its key (their paths only
    reach the config), and a stand-in nginx that accepts every config and records each check in ``checks``."""
    (tmp_path / 'conf.d').mkdir()
    for name in ('cert.pem', 'key.pem'):
        (tmp_path / name).write_text('not read: the check is a stand-in\n')
    nginx = tmp_path / 'nginx'
    nginx.write_text('#!/bin/sh\necho "$@" >> "%s"\nexit 0\n' % (tmp_path / 'checks'))
    nginx.chmod(0o755)
    return tmp_path


def checks(host):
    """How many checks the stand-in nginx ran."""
    return len((host / 'checks').read_text().splitlines()) if (host / 'checks').exists() else 0


def arguments(host, documents, absent=()):
    public = host / 'public'
    site = build_site({
        'name': 'matrix_static_files', 'form': 'server', 'config_path': str(host / 'conf.d' / 'site.cfg'),
        'hostname': 'matrix.example.com', 'https_port': 8443, 'listen_addresses': ['127.0.0.1'],
        'tls_certificate': str(host / 'cert.pem'), 'tls_certificate_key': str(host / 'key.pem'),
        'wellknown': {'method': 'static', 'directory': str(public / '.well-known' / 'matrix'), 'documents': sorted(documents), 'cache_max_age': 14400},
    }, 'nginx')
    webserver = {'server': 'nginx', 'path': site['config_path'], 'content': render(site), 'binary': str(host / 'nginx'),
                 'main_config': str(host / 'absent' / 'nginx.conf')}
    return {'path': str(public / '.well-known' / 'matrix'), 'documents': documents, 'absent': list(absent),
            '_webserver': webserver}


def run(args, check_mode=False, diff=False):
    return run_module(matrix_wellknown.main, args, check_mode=check_mode, diff=diff)


def test_nginx_does_not_reload_for_a_document(host):
    args = arguments(host, {'client': CLIENT})
    result, failed = run(args)
    assert not failed, result['msg']
    assert result['webserver']['validated'] and result['webserver']['reload'] and checks(host) == 1
    changed, failed = run(arguments(host, {'client': dict(CLIENT, **{'io.element.e2ee': {'default': False}})}))
    assert not failed and changed['changed']
    assert not changed['webserver']['reload'] and not changed['webserver']['validated'] and checks(host) == 1


def test_configs_the_collection_wrote_for_another_server_are_removed_others_kept(host, monkeypatch):
    warnings = []
    # Only the warnings about removed configs (the check also warns that the main configuration is absent).
    monkeypatch.setattr(basic.AnsibleModule, 'warn',
                        lambda self, warning: warnings.append(warning) if 'collection wrote' in warning else None)
    ours = host / 'conf.d' / 'old-nginx.conf'
    ours.write_text(managed_line('matrix_static_files') + '\nserver {\n}\n')
    theirs = host / 'conf.d' / 'theirs.conf'
    theirs.write_text('# my own site\nserver {\n}\n')
    args = dict(arguments(host, {'client': CLIENT}), remove_configs=[str(ours), str(theirs), str(host / 'absent.conf')])
    checked, failed = run(args, check_mode=True)
    assert not failed and checked['removed_configs'] == [str(ours)] and ours.exists()
    assert len(warnings) == 1 and warnings[0].startswith('would remove %s' % ours)
    del warnings[:]
    result, failed = run(args)
    assert not failed, result['msg']
    assert result['removed_configs'] == [str(ours)]
    assert not ours.exists() and theirs.exists()
    assert len(warnings) == 1 and warnings[0].startswith('removed %s' % ours) and 'reload' in warnings[0]
    again, failed = run(args)
    assert not failed and again['removed_configs'] == [] and not again['changed']


def test_a_site_without_documents_leaves_the_document_directory_alone(host):
    args = arguments(host, {'client': CLIENT})
    args.update(documents={})
    result, failed = run(args)
    assert not failed, result['msg']
    assert result['states'] == {}
    assert not (host / 'public').exists()
    assert (host / 'conf.d' / 'site.cfg').exists()


def test_a_world_writable_config_mode_is_refused_before_anything(host):
    args = arguments(host, {'client': CLIENT})
    args['_webserver']['mode'] = '0666'
    result, failed = run(args)
    assert failed and '_webserver.mode' in result['msg']
    assert snapshot(host / 'conf.d') == {} and not (host / 'public').exists()


def test_a_served_file_beside_documents_not_yet_created(host):
    """The base domain's first run: the index page goes to the public directory the documents' write creates."""
    args = arguments(host, {'client': CLIENT})
    index = host / 'public' / 'index.html'
    args['_webserver']['files'] = [{'path': str(index), 'content': '<h1>Hello</h1>\n'}]
    result, failed = run(args)
    assert not failed, result['msg']
    assert index.read_text() == '<h1>Hello</h1>\n'
    again, failed = run(args)
    assert not failed and not again['changed']
    # A file in a directory the change does not create is still refused, before anything is written.
    args['_webserver']['files'] = [{'path': str(host / 'elsewhere' / 'index.html'), 'content': 'x'}]
    refused, failed = run(args)
    assert failed and 'the directory %s does not exist' % (host / 'elsewhere') in refused['msg']


def test_a_served_file_gets_the_documents_mode(host):
    args = arguments(host, {'client': CLIENT})
    index = host / 'public' / 'index.html'
    args['_webserver']['files'] = [{'path': str(index), 'content': '<h1>Hello</h1>\n'}]
    args['mode'] = '0640'
    result, failed = run(args)
    assert not failed, result['msg']
    assert oct(os.stat(str(index)).st_mode & 0o777) == '0o640'
    os.chmod(str(index), 0o600)
    again, failed = run(args)
    assert not failed and again['changed']
    assert oct(os.stat(str(index)).st_mode & 0o777) == '0o640'
