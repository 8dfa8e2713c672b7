# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's two-host inventory through ansible-playbook, against a real nginx.

Two inventory hosts, both on this machine (local connection): `matrix.example.com` in group `matrix_servers`
with an MDAD vars.yml as its host_vars, and `example.com` in group `base_domain_servers` with only what the
base domain needs. The Matrix host serves its documents with nginx; the base domain is served by the same
nginx on another port. The base domain must serve the Matrix host's documents (method static) or pass its
self-check (method proxy), with nothing copied between the hosts' variables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from test_role_deploy import Deployment

# The README's play.
PLAYBOOK = '''- name: Publish the Matrix /.well-known documents
  hosts: matrix_servers
  gather_facts: false
  roles:
    - role: matrix.wellknown.matrix_static_files

- name: Serve them on the base domain
  hosts: base_domain_servers
  gather_facts: false
  roles:
    - role: matrix.wellknown.matrix_base_domain
'''

# A realistic MDAD vars.yml (secrets replaced): what the Matrix host's documents depend on, and MDAD variables
# of its own that this collection does not read (no typo warning for those).
MDAD_VARS = {
    'matrix_domain': 'example.com',
    'matrix_homeserver_implementation': 'synapse',
    'matrix_homeserver_generic_secret_key': 'not-a-secret',
    'matrix_playbook_reverse_proxy_type': 'playbook-managed-traefik',
    'traefik_config_certificatesResolvers_acme_email': 'admin@example.com',
    'postgres_connection_password': 'not-a-secret',
    'jitsi_enabled': True,
    'matrix_client_element_location_sharing_enabled': True,
    'matrix_static_files_container_labels_base_domain_enabled': False,
    'matrix_static_files_file_matrix_support_enabled': True,
    'matrix_static_files_file_matrix_support_property_m_contacts': [
        {'matrix_id': '@admin1:{{ matrix_domain }}', 'email_address': 'admin@example.com', 'role': 'm.role.admin'}],
    'matrix_static_files_file_matrix_support_property_m_support_page': 'https://example.com/support',
}


class TwoHosts(object):
    """The inventory, host_vars and play of the README, with nginx from test_role_deploy.Deployment."""

    def __init__(self, tmp_path, ca, collections, servers):
        self.work = tmp_path
        self.deployment = deployment = Deployment(tmp_path, ca, collections, servers)
        stand_in = int(deployment.connect_to[1].rsplit(':', 1)[1])
        self.matrix_dir = tmp_path / 'matrix' / 'static-files' / 'public' / '.well-known' / 'matrix'
        self.base_dir = tmp_path / 'base-domain' / '.well-known' / 'matrix'
        self.base_config = deployment.conf_d / 'matrix-base-domain.conf'
        self.matrix_vars = dict(
            MDAD_VARS,
            matrix_base_data_path=str(tmp_path / 'matrix'),
            matrix_static_files_webserver='nginx',
            matrix_static_files_webserver_hostname='matrix.example.com',
            matrix_static_files_webserver_config_path=str(deployment.conf_d / 'matrix-static-files.conf'),
            matrix_static_files_webserver_https_port=deployment.site_port,
            matrix_static_files_webserver_listen_addresses=['127.0.0.1'],
            matrix_static_files_webserver_tls_certificate=str(deployment.cert),
            matrix_static_files_webserver_tls_certificate_key=str(deployment.key),
            matrix_static_files_webserver_reload_command=deployment.reload_command([deployment.site_port]),
        )
        self.base_vars = dict(
            matrix_domain='example.com',
            matrix_base_domain_webserver='nginx',
            matrix_base_domain_config_path=str(self.base_config),
            matrix_base_domain_public_path=str(tmp_path / 'base-domain'),
            matrix_base_domain_https_port=deployment.base_port,
            matrix_base_domain_listen_addresses=['127.0.0.1'],
            matrix_base_domain_tls_certificate=str(deployment.cert),
            matrix_base_domain_tls_certificate_key=str(deployment.key),
            matrix_base_domain_upstream_address='127.0.0.1:%d' % deployment.site_port,
            matrix_base_domain_upstream_ca_file=str(ca.cert),
            matrix_base_domain_reload_command=deployment.reload_command([deployment.site_port, deployment.base_port]),
            matrix_base_domain_self_check_enabled=True,
            matrix_static_files_self_check_connect_to=[
                'example.com:443:127.0.0.1:%d' % deployment.base_port,
                'matrix.example.com:8448:127.0.0.1:%d' % stand_in,
                'matrix.example.com:443:127.0.0.1:%d' % stand_in],
            matrix_static_files_self_check_ca_path=str(ca.cert),
            matrix_static_files_self_check_delegate_to='',
        )
        (tmp_path / 'site.yml').write_text(PLAYBOOK)

    def play(self, matrix_hosts=('matrix.example.com',), **base_changes):
        """ansible-playbook -i inventory site.yml, with the host_vars written as the README has them."""
        lines = (['[matrix_servers]'] + list(matrix_hosts)
                 + ['', '[base_domain_servers]', 'example.com', '', '[all:vars]', 'ansible_connection=local',
                    'ansible_python_interpreter=%s' % sys.executable])
        (self.work / 'inventory').write_text('\n'.join(lines) + '\n')
        for host, variables in [('example.com', dict(self.base_vars, **base_changes))] + [
                (name, self.matrix_vars) for name in matrix_hosts]:
            directory = self.work / 'host_vars' / host
            directory.mkdir(parents=True, exist_ok=True)
            (directory / 'vars.yml').write_text(yaml.safe_dump(variables, default_flow_style=False))
        argv = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(self.work / 'inventory'),
                str(self.work / 'site.yml')]
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(self.deployment.collections), ANSIBLE_NOCOLOR='1')
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False, cwd=self.work)


def files(directory):
    return dict((path.name, path.read_bytes()) for path in sorted(directory.iterdir()))


def test_method_static_serves_the_matrix_host_documents(tmp_path, ca, collections, servers):
    hosts = TwoHosts(tmp_path, ca, collections, servers)
    result = hosts.play(matrix_base_domain_method='static')
    assert result.returncode == 0, result.stdout + result.stderr
    # The same files, byte for byte: support, Jitsi, the map style come from the Matrix host's vars.yml only.
    matrix_files = files(hosts.matrix_dir)
    assert sorted(matrix_files) == ['client', 'server', 'support']
    assert files(hosts.base_dir) == matrix_files
    client = json.loads(matrix_files['client'])
    assert client['io.element.jitsi'] == {'preferredDomain': 'jitsi.example.com'}
    assert json.loads(matrix_files['support'])['contacts'][0]['matrix_id'] == '@admin1:example.com'
    # The self-check ran after the reload and agreed.
    assert 'Check Matrix discovery of the base domain' in result.stdout
    again = hosts.play(matrix_base_domain_method='static')
    assert again.returncode == 0, again.stdout + again.stderr
    assert ' changed=0 ' in again.stdout.split('PLAY RECAP')[1], again.stdout


def test_method_proxy_self_check_expects_the_matrix_host_documents(tmp_path, ca, collections, servers):
    hosts = TwoHosts(tmp_path, ca, collections, servers)
    result = hosts.play(matrix_base_domain_method='proxy')
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Check Matrix discovery of the base domain' in result.stdout
    assert 'stale-document' not in result.stdout
    assert not hosts.base_dir.exists()


def test_several_matrix_hosts_or_none_fail_before_writing_naming_the_variable(tmp_path, ca, collections, servers):
    hosts = TwoHosts(tmp_path, ca, collections, servers)
    result = hosts.play(matrix_hosts=('matrix.example.com', 'matrix2.example.com'), matrix_base_domain_method='static')
    assert result.returncode != 0
    output = ' '.join(result.stdout.split())
    assert ('matrix_base_domain_matrix_host: hosts matrix.example.com, matrix2.example.com of group matrix_servers all '
            "have matrix_domain 'example.com'") in output, result.stdout
    assert not hosts.base_config.exists() and not hosts.base_dir.exists()
    result = hosts.play(matrix_hosts=(), matrix_base_domain_method='static')
    assert result.returncode != 0
    assert ("matrix_base_domain_matrix_host: no host of group matrix_servers has matrix_domain 'example.com'"
            in ' '.join(result.stdout.split())), result.stdout
    assert not hosts.base_config.exists() and not hosts.base_dir.exists()
    # The variable picks one of several.
    result = hosts.play(matrix_hosts=('matrix.example.com', 'matrix2.example.com'), matrix_base_domain_method='static',
                        matrix_base_domain_matrix_host='matrix2.example.com')
    assert result.returncode == 0, result.stdout + result.stderr
    assert files(hosts.base_dir) == files(hosts.matrix_dir)


def test_a_typo_warns_with_the_closest_name_and_mdad_variables_do_not(tmp_path, ca, collections, servers):
    hosts = TwoHosts(tmp_path, ca, collections, servers)
    hosts.matrix_vars['matrix_static_files_file_matrix_suport_enabled'] = True
    result = hosts.play(matrix_base_domain_method='proxy', matrix_base_domain_upstream_hostnme='chat.example.com')
    assert result.returncode == 0, result.stdout + result.stderr
    output = ' '.join((result.stdout + result.stderr).split())
    assert ('matrix_static_files_file_matrix_suport_enabled is not a variable of the matrix.wellknown roles (nor of '
            'MDAD): it has no effect. Did you mean matrix_static_files_file_matrix_support_enabled?') in output
    assert 'matrix_base_domain_upstream_hostnme is not a variable' in output
    assert 'Did you mean matrix_base_domain_upstream_hostname?' in output
    assert 'container_labels' not in output
