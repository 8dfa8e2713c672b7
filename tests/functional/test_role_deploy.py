# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles deploying to a real, running nginx through ansible-playbook.

nginx runs from a main config that includes the drop-in directory the roles write to, as a distribution's
nginx does; the roles' reload command reloads that nginx. A stand-in on another port answers the homeserver's
version endpoints for matrix.example.com, so the self-check can pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import HOMESERVER_STAND_IN, Nginx, free_port, program

PLAYBOOK = '''- name: The Matrix host
  hosts: localhost
  gather_facts: false
  roles:
    - role: matrix.wellknown.matrix_static_files
- name: The base domain
  hosts: localhost
  gather_facts: false
  roles:
    - role: matrix.wellknown.matrix_base_domain
      when: with_base_domain | bool
'''

# Sends the reload, then waits (at most 10 s) until every port given accepts connections: nginx opens a new
# listener in its master process after the signal, while the command that sent it has already returned.
RELOAD = '''import socket, subprocess, sys, time
subprocess.run(sys.argv[2:], check=True)
deadline = time.monotonic() + 10
for port in sys.argv[1].split(','):
    while True:
        try:
            socket.create_connection(('127.0.0.1', int(port)), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
'''


class Deployment(object):
    """A running nginx with an empty drop-in directory, and ansible-playbook runs of the roles against it."""

    def __init__(self, work, ca, collections, servers):
        self.work = work
        self.collections = collections
        self.site_port = free_port()
        self.base_port = free_port()
        stand_in_port = free_port()
        self.cert, self.key, dummy = ca.issue('deploy', ['example.com', 'matrix.example.com'])
        self.ca = ca
        self.conf_d = work / 'conf.d'
        self.conf_d.mkdir()
        stand_in = '''
    include %(conf_d)s/*.conf;
    server {
        listen 127.0.0.1:%(port)d ssl;
        server_name matrix.example.com;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
%(homeserver)s    }
''' % dict(conf_d=self.conf_d, port=stand_in_port, cert=self.cert, key=self.key, homeserver=HOMESERVER_STAND_IN)
        self.nginx = Nginx(work / 'nginx', stand_in, [stand_in_port])
        servers.append(self.nginx)
        (work / 'reload.py').write_text(RELOAD)
        (work / 'site.yml').write_text(PLAYBOOK)
        self.connect_to = ['example.com:443:127.0.0.1:%d' % self.site_port,
                           'matrix.example.com:8448:127.0.0.1:%d' % stand_in_port,
                           'matrix.example.com:443:127.0.0.1:%d' % stand_in_port]

    def reload_command(self, ports):
        nginx = [program('nginx'), '-p', self.work / 'nginx', '-e', self.work / 'nginx' / 'error.log',
                 '-c', self.nginx.config, '-s', 'reload']
        return ' '.join(str(arg) for arg in [sys.executable, self.work / 'reload.py', ','.join(map(str, ports))] + nginx)

    def variables(self, **changes):
        variables = {
            'matrix_domain': 'example.com',
            'matrix_base_data_path': str(self.work / 'matrix'),
            'matrix_static_files_webserver': 'nginx',
            'matrix_static_files_webserver_hostname': 'example.com',
            'matrix_static_files_webserver_config_path': str(self.conf_d / 'matrix-static-files.conf'),
            'matrix_static_files_webserver_https_port': self.site_port,
            'matrix_static_files_webserver_listen_addresses': ['127.0.0.1'],
            'matrix_static_files_webserver_tls_certificate': str(self.cert),
            'matrix_static_files_webserver_tls_certificate_key': str(self.key),
            'matrix_static_files_webserver_reload_command': self.reload_command([self.site_port]),
            'matrix_static_files_self_check_connect_to': self.connect_to,
            'matrix_static_files_self_check_ca_path': str(self.ca.cert),
            'matrix_static_files_self_check_delegate_to': '',
            'with_base_domain': False,
        }
        variables.update(changes)
        return variables

    def play(self, variables):
        """ansible-playbook with every variable given as extra vars (-e @file), as AWX passes them."""
        extra = self.work / 'extra-vars.json'
        extra.write_text(json.dumps(dict(variables, ansible_python_interpreter=sys.executable)))
        argv = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                str(self.work / 'site.yml'), '-e', '@%s' % extra]
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(self.collections), ANSIBLE_NOCOLOR='1')
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)


def recap_changed(output):
    """The changed count of the play recap."""
    line = [line for line in output.splitlines() if line.startswith('localhost')][-1]
    return int(line.split('changed=')[1].split()[0])


def test_first_deploy_with_the_self_check_reloads_before_checking(tmp_path, ca, collections, servers):
    """The first deploy writes a site nginx does not serve yet: the self-check passes only after the reload."""
    deployment = Deployment(tmp_path, ca, collections, servers)
    result = deployment.play(deployment.variables(matrix_static_files_self_check_enabled=True))
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Check Matrix discovery of the base domain' in result.stdout
    assert result.stdout.index('Reload the web server of the Matrix static files') < \
        result.stdout.index('Check Matrix discovery of the base domain')
    again = deployment.play(deployment.variables(matrix_static_files_self_check_enabled=True))
    assert again.returncode == 0, again.stdout
    assert recap_changed(again.stdout) == 0, again.stdout


def test_both_roles_with_extra_vars_leave_the_matrix_host_config_alone(tmp_path, ca, collections, servers):
    """With the variables as extra vars, the base domain role must not rewrite the Matrix host's web server
    config, and a second run changes nothing."""
    deployment = Deployment(tmp_path, ca, collections, servers)
    variables = deployment.variables(
        with_base_domain=True,
        matrix_base_domain_webserver='nginx',
        matrix_base_domain_method='static',
        # localhost holds the Matrix host's variables itself (no group matrix_servers in `-i localhost,`).
        matrix_base_domain_matrix_host='localhost',
        matrix_base_domain_public_path=str(tmp_path / 'base-domain'),
        matrix_base_domain_config_path=str(deployment.conf_d / 'matrix-base-domain.conf'),
        matrix_base_domain_https_port=deployment.base_port,
        matrix_base_domain_listen_addresses=['127.0.0.1'],
        matrix_base_domain_tls_certificate=str(deployment.cert),
        matrix_base_domain_tls_certificate_key=str(deployment.key),
        matrix_base_domain_reload_command=deployment.reload_command([deployment.site_port, deployment.base_port]),
    )
    first = deployment.play(variables)
    assert first.returncode == 0, first.stdout + first.stderr
    matrix_host_config = (deployment.conf_d / 'matrix-static-files.conf').read_text()
    assert 'root %s/matrix/static-files/public;' % tmp_path in matrix_host_config
    assert (tmp_path / 'base-domain' / '.well-known' / 'matrix' / 'client').exists()
    second = deployment.play(variables)
    assert second.returncode == 0, second.stdout + second.stderr
    assert recap_changed(second.stdout) == 0, second.stdout
    assert (deployment.conf_d / 'matrix-static-files.conf').read_text() == matrix_host_config
