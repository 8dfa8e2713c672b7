# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The self-check of the matrix_static_files role, through ansible-playbook, against a real nginx.

nginx serves the documents the role wrote (from disk, with CORS) for example.com, and stands in
for the homeserver's version endpoints on matrix.example.com. connect_to sends every name to it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import HOMESERVER_STAND_IN, Nginx, free_port

PLAYBOOK = '''- name: Publish and check
  hosts: localhost
  gather_facts: false
  roles:
    - role: matrix.wellknown.%s
'''


@pytest.fixture(scope='module')
def deployment(tmp_path_factory, ca, collections, session_servers):
    work = tmp_path_factory.mktemp('self-check')
    port = free_port()
    cert, key, dummy = ca.issue('self-check', ['example.com', 'matrix.example.com'])
    well_known = work / 'matrix' / 'static-files' / 'public' / '.well-known' / 'matrix'
    config = '''
    server {
        listen 127.0.0.1:%(port)d ssl;
        server_name example.com matrix.example.com;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        location /.well-known/matrix/ {
            alias %(root)s/;
            default_type application/json;
            add_header Access-Control-Allow-Origin * always;
            add_header Cache-Control max-age=14400 always;
        }
%(homeserver)s    }
''' % dict(port=port, cert=cert, key=key, root=well_known, homeserver=HOMESERVER_STAND_IN)
    for role in ('matrix_static_files', 'matrix_base_domain'):
        (work / (role + '.yml')).write_text(PLAYBOOK % role)

    def play(*extra, **variables):
        role = variables.pop('role', 'matrix_static_files')
        playbook = work / (role + '.yml')
        base = dict(
            matrix_domain='example.com',
            matrix_base_data_path=str(work / 'matrix'),
            matrix_static_files_self_check_ca_path=str(ca.cert),
            matrix_static_files_self_check_delegate_to='',
            # Only for the base domain role; with --tags self-check nothing is written for Netlify.
            matrix_base_domain_webserver='netlify',
            matrix_base_domain_config_path=str(work / '_redirects'),
            # localhost holds the Matrix host's variables itself (no group matrix_servers in `-i localhost,`).
            matrix_base_domain_matrix_host='localhost',
        )
        base.update(variables)
        connect_to = ['example.com:443:127.0.0.1:%d' % port, 'matrix.example.com:8448:127.0.0.1:%d' % port,
                      'matrix.example.com:443:127.0.0.1:%d' % port]
        argv = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', str(playbook),
                '-e', 'ansible_python_interpreter=%s' % sys.executable,
                '-e', '{"matrix_static_files_self_check_connect_to": %s}' % str(connect_to).replace("'", '"')]
        for name, value in base.items():
            argv += ['-e', '%s=%s' % (name, value)]
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR='1')
        return subprocess.run(argv + list(extra), capture_output=True, text=True, env=env, timeout=300, check=False)

    first = play()
    assert first.returncode == 0, first.stdout + first.stderr
    assert 'Check Matrix discovery' not in first.stdout  # off by default
    session_servers.append(Nginx(work / 'nginx', config, [port]))
    return play, well_known


def test_self_check_passes_when_the_base_domain_serves_the_generated_documents(deployment):
    play, dummy = deployment
    result = play('--tags', 'self-check')
    assert result.returncode == 0, result.stdout
    assert 'Check Matrix discovery of the base domain' in result.stdout
    # The report lines are printed: a verdict per check, and the summary.
    assert '"client: /.well-known/matrix/client",' in result.stdout
    assert '"Summary: 0 errors, ' in result.stdout
    assert 'Write the /.well-known/matrix documents' not in result.stdout  # --tags self-check runs the check alone


def test_self_check_fails_on_a_stale_document_listing_the_problem(deployment):
    play, well_known = deployment
    before = (well_known / 'client').read_bytes()
    # The inventory now wants another homeserver URL, but the base domain still serves the old document.
    result = play('--tags', 'self-check', matrix_homeserver_url='https://chat.example.com')
    assert result.returncode != 0
    assert 'stale-document on client' in result.stdout, result.stdout
    assert '"           - [stale-document] The client document served at ' in result.stdout
    assert (well_known / 'client').read_bytes() == before


def test_self_check_after_deploy_when_enabled(deployment):
    play, well_known = deployment
    result = play(matrix_static_files_self_check_enabled='true', matrix_static_files_file_matrix_support_enabled='true',
                  matrix_static_files_file_matrix_support_property_m_support_page='https://example.com/help')
    assert result.returncode == 0, result.stdout
    assert 'Check Matrix discovery of the base domain' in result.stdout
    assert (well_known / 'support').exists()


def test_base_domain_role_runs_the_same_self_check(deployment):
    play, well_known = deployment
    result = play('--tags', 'self-check', role='matrix_base_domain')
    assert result.returncode == 0, result.stdout
    assert 'Check Matrix discovery of the base domain' in result.stdout
    stale = play('--tags', 'self-check', role='matrix_base_domain', matrix_homeserver_url='https://chat.example.com')
    assert stale.returncode != 0
    assert 'stale-document on client' in stale.stdout, stale.stdout
