# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A base domain that already has a website, in the distribution's own layout, for nginx, Apache, Caddy and HAProxy.

Each test copies the server's Debian configuration directory (/etc/nginx, /etc/apache2, /etc/caddy, /etc/haproxy),
adds a site for example.com on a free loopback port, and mounts the copy over the real directory in a private mount
namespace (``unshare -m``): the web server and ansible-playbook see Debian's paths, the machine's own directory is
never touched, and the mounts end with the processes. The role runs with its defaults (form server, default paths;
only the port, the certificate, the reload command and the documents' directory are the test's): it must refuse
before writing anything, naming matrix_base_domain_config_form and the line to add. With that line added to the
site and form snippet, the documents are served and / still answers the website.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from helpers import REPO, free_port, program

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('unshare'),
                                reason='needs root and unshare for a private mount namespace')

CONFIG_DIRECTORIES = {'nginx': '/etc/nginx', 'apache': '/etc/apache2', 'caddy': '/etc/caddy', 'haproxy': '/etc/haproxy'}
BINARIES = {'nginx': 'nginx', 'apache': 'apache2', 'caddy': 'caddy', 'haproxy': 'haproxy'}
# The line the admin adds to the site for form snippet, as the refusal gives it.
INCLUDE_LINES = {
    'nginx': 'include /etc/nginx/snippets/matrix-base-domain.conf;',
    'apache': 'Include /etc/apache2/snippets/matrix-base-domain.conf',
    'caddy': 'import /etc/caddy/snippets/matrix-base-domain.caddyfile',
    'haproxy': 'use_backend matrix_base_domain if { path_beg /.well-known/matrix/ }',
}
# Runs a command with the staged directory mounted over the server's own, in a private mount namespace.
IN_NAMESPACE = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
                'mount --bind "$1" "$2" && shift 2 && exec "$@"', 'sh']

# The test server's start and restart (also the role's reload command), shared with the Molecule scenario.
SERVERCTL = REPO / 'extensions' / 'molecule' / 'existing_site' / 'files' / 'serverctl.py'

PLAYBOOK = '''- name: The base domain
  hosts: localhost
  gather_facts: false
  vars_files:
    - %s/examples/host_vars/matrix.example.com/vars.yml
  roles:
    - role: matrix.wellknown.matrix_base_domain
''' % REPO


def get(port, path):
    """(status, body) of an HTTPS GET to 127.0.0.1:port for example.com (SNI and Host)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(('127.0.0.1', port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname='example.com') as conn:
            conn.sendall(('GET %s HTTP/1.0\r\nHost: example.com\r\n\r\n' % path).encode())
            data = b''
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
    head, dummy, body = data.partition(b'\r\n\r\n')
    return int(head.split()[1]), body.decode('utf-8', 'replace')


def snapshot(root):
    """Every entry under ``root``: {relative path: content, link target or 'dir'}."""
    entries = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            if os.path.islink(path):
                entries[relative] = 'link ' + os.readlink(path)
            elif os.path.isdir(path):
                entries[relative] = 'dir'
            else:
                with open(path, 'rb') as handle:
                    entries[relative] = handle.read()
    return entries


class ExistingSite(object):
    """The server's Debian configuration directory with a website for example.com, mounted over the real one
    in private namespaces, and the server running on it."""

    def __init__(self, server, ca, collections):
        self.server = server
        self.collections = collections
        self.real = CONFIG_DIRECTORIES[server]
        if not os.path.isdir(self.real) or not shutil.which(BINARIES[server], path=os.environ['PATH'] + ':/usr/sbin:/sbin'):
            pytest.skip('%s is not installed (make system-deps installs it)' % server)
        # Readable by the servers' unprivileged workers: the documents are served from here.
        self.work = Path(tempfile.mkdtemp(prefix='matrix-wellknown-site-'))
        os.chmod(self.work, 0o755)
        self.copy = self.work / 'etc'
        shutil.copytree(self.real, self.copy, symlinks=True)
        self.port = free_port()
        self.cert, self.key, self.pem = ca.issue('site-%s' % server, ['example.com'])
        self.public = self.work / 'public'
        self.state = self.work / 'state'
        self.state.mkdir()
        env = {}
        getattr(self, '_layout_' + server)()
        if server == 'caddy':
            env = {'HOME': str(self.work), 'XDG_DATA_HOME': str(self.work / 'data'),
                   'XDG_CONFIG_HOME': str(self.work / 'config')}
        (self.state / 'server.json').write_text(json.dumps({'argv': self.namespace(self.start_argv()), 'env': env,
                                                            'port': self.port}))
        self.ctl('start')

    # Debian's layouts, with the site for example.com; pid files and logs in the test's directory.
    def _layout_nginx(self):
        conf = self.copy / 'nginx.conf'
        text = conf.read_text()
        text = text.replace('pid /run/nginx.pid;', 'pid %s/nginx.pid;' % self.work)
        text = text.replace('/var/log/nginx/', '%s/' % self.work)
        conf.write_text(text)
        (self.copy / 'sites-enabled' / 'default').unlink()
        (self.copy / 'sites-available' / 'example.com').write_text('''server {
    listen 127.0.0.1:%d ssl;
    server_name example.com;
    ssl_certificate %s;
    ssl_certificate_key %s;
    location / {
        default_type text/plain;
        return 200 "website\\n";
    }
}
''' % (self.port, self.cert, self.key))
        (self.copy / 'sites-enabled' / 'example.com').symlink_to('/etc/nginx/sites-available/example.com')

    def _layout_apache(self):
        for module in ('ssl', 'socache_shmcb', 'headers', 'rewrite'):
            for suffix in ('.load', '.conf'):
                if (self.copy / 'mods-available' / (module + suffix)).exists():
                    (self.copy / 'mods-enabled' / (module + suffix)).symlink_to('../mods-available/' + module + suffix)
        envvars = self.copy / 'envvars'
        text = envvars.read_text()
        for name in ('APACHE_RUN_DIR', 'APACHE_LOCK_DIR', 'APACHE_LOG_DIR'):
            text += '\nexport %s=%s\n' % (name, self.work)
        text += 'export APACHE_PID_FILE=%s/apache2.pid\n' % self.work
        envvars.write_text(text)
        (self.copy / 'ports.conf').write_text('Listen 127.0.0.1:%d https\n' % self.port)
        (self.copy / 'sites-enabled' / '000-default.conf').unlink()
        (self.work / 'www').mkdir()
        (self.work / 'www' / 'index.html').write_text('website\n')
        (self.copy / 'sites-available' / 'example.com.conf').write_text('''<VirtualHost 127.0.0.1:%d>
    ServerName example.com
    DocumentRoot %s/www
    SSLEngine on
    SSLCertificateFile %s
    SSLCertificateKeyFile %s
    <Directory %s/www>
        Require all granted
    </Directory>
</VirtualHost>
''' % (self.port, self.work, self.cert, self.key, self.work))
        (self.copy / 'sites-enabled' / 'example.com.conf').symlink_to('../sites-available/example.com.conf')

    def _layout_caddy(self):
        (self.copy / 'Caddyfile.d').mkdir()
        (self.copy / 'Caddyfile').write_text('''{
\tadmin off
}

https://example.com:%d {
\tbind 127.0.0.1
\ttls %s %s
\thandle {
\t\trespond "website" 200
\t}
}

import Caddyfile.d/*.caddyfile
''' % (self.port, self.cert, self.key))

    def _layout_haproxy(self):
        conf = self.copy / 'haproxy.cfg'
        text = '\n'.join(line for line in conf.read_text().splitlines()
                         if line.split()[:2] not in (['stats', 'socket'], ['daemon']))
        conf.write_text(text + '''

frontend website
\tbind 127.0.0.1:%d ssl crt %s
\tdefault_backend website

backend website
\thttp-request return status 200 content-type text/plain string "website"
''' % (self.port, self.pem))
        (self.copy / 'conf.d').mkdir()

    def start_argv(self):
        if self.server == 'nginx':
            return [program('nginx'), '-g', 'daemon off;']
        if self.server == 'apache':
            return ['sh', '-c', '. /etc/apache2/envvars && exec %s -DFOREGROUND' % program('apache2')]
        if self.server == 'caddy':
            return [program('caddy'), 'run', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile']
        # As with EXTRAOPTS="-f /etc/haproxy/conf.d" in /etc/default/haproxy.
        return [program('haproxy'), '-f', '/etc/haproxy/haproxy.cfg', '-f', '/etc/haproxy/conf.d', '-db']

    def namespace(self, argv):
        return IN_NAMESPACE + [str(self.copy), self.real] + [str(arg) for arg in argv]

    def ctl(self, action):
        completed = subprocess.run([sys.executable, str(SERVERCTL), action, str(self.state)],
                                   capture_output=True, text=True, timeout=60, check=False)
        assert completed.returncode == 0, completed.stdout + completed.stderr

    def stop(self):
        self.ctl('stop')
        shutil.rmtree(self.work, ignore_errors=True)

    def play(self, **variables):
        values = {
            'matrix_base_domain_webserver': self.server,
            'matrix_base_domain_method': 'static',
            # One host plays both: the documents come from its own variables.
            'matrix_base_domain_matrix_host': '{{ inventory_hostname }}',
            'matrix_base_domain_https_port': self.port,
            'matrix_base_domain_listen_addresses': ['127.0.0.1'],
            'matrix_base_domain_tls_certificate': str(self.cert),
            'matrix_base_domain_tls_certificate_key': str(self.key),
            'matrix_base_domain_public_path': str(self.public),
            'matrix_base_domain_reload_command': '%s %s restart %s' % (sys.executable, SERVERCTL, self.state),
            'ansible_python_interpreter': sys.executable,
        }
        values.update(variables)
        (self.work / 'site.yml').write_text(PLAYBOOK)
        (self.work / 'extra.json').write_text(json.dumps(values))
        argv = self.namespace([Path(sys.executable).parent / 'ansible-playbook', '-i', 'localhost,', '-c', 'local',
                               self.work / 'site.yml', '-e', '@%s' % (self.work / 'extra.json')])
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(self.collections), ANSIBLE_NOCOLOR='1',
                   ANSIBLE_LOCALHOST_WARNING='0')
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, check=False)


@pytest.fixture(params=sorted(CONFIG_DIRECTORIES))
def site(request, ca, collections):
    existing = ExistingSite(request.param, ca, collections)
    yield existing
    existing.stop()


def test_the_default_form_refuses_before_writing_and_names_the_line_to_add(site):
    """A second site for example.com on the website's port would take / or the documents: refused, nothing
    written, the website still answering, and the message gives the variable and the exact line."""
    before = snapshot(site.copy)
    result = site.play()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert 'matrix_base_domain_config_form: snippet' in output, output
    assert INCLUDE_LINES[site.server] in output, output
    assert snapshot(site.copy) == before
    assert not site.public.exists()
    assert get(site.port, '/') == (200, 'website' + ('' if site.server in ('caddy', 'haproxy') else '\n'))


def test_form_snippet_included_in_the_site_serves_the_documents_beside_the_website(site):
    """The admin adds the line the refusal gives to the site; with form snippet the role writes the snippet, the
    server reloads, the documents are served and / still answers the website."""
    include = INCLUDE_LINES[site.server]
    if site.server == 'nginx':
        path = site.copy / 'sites-available' / 'example.com'
        path.write_text(path.read_text().replace('    location / {', '    %s\n    location / {' % include))
    elif site.server == 'apache':
        (site.copy / 'snippets').mkdir()
        path = site.copy / 'sites-available' / 'example.com.conf'
        path.write_text(path.read_text().replace('</VirtualHost>', '    %s\n</VirtualHost>' % include))
    elif site.server == 'caddy':
        (site.copy / 'snippets').mkdir()
        path = site.copy / 'Caddyfile'
        path.write_text(path.read_text().replace('\thandle {', '\t%s\n\thandle {' % include))
    else:
        path = site.copy / 'haproxy.cfg'
        path.write_text(path.read_text().replace('\tdefault_backend website', '\t%s\n\tdefault_backend website' % include))
    result = site.play(matrix_base_domain_config_form='snippet')
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'does not load' not in result.stdout, result.stdout
    status, body = get(site.port, '/.well-known/matrix/server')
    assert status == 200, body
    assert json.loads(body)['m.server'] == 'matrix.example.com:8448'
    assert get(site.port, '/')[1].strip() == 'website'
    again = site.play(matrix_base_domain_config_form='snippet')
    assert again.returncode == 0, again.stdout
    assert 'changed=0' in again.stdout, again.stdout


@pytest.mark.parametrize('site', ['nginx'], indirect=True)
def test_an_upstream_name_that_does_not_resolve_names_the_variable(site):
    """nginx resolves proxy_pass names when it loads its config: a Matrix name without DNS yet fails the check, and
    the message says why and which variable gives the address."""
    before = snapshot(site.copy)
    result = site.play(matrix_base_domain_method='proxy', matrix_base_domain_upstream_hostname='matrix.invalid',
                       matrix_base_domain_config_form='snippet')
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert 'resolves the name matrix.invalid when it loads its configuration' in output, output
    assert 'Set matrix_base_domain_upstream_address' in output, output
    assert snapshot(site.copy) == before
