# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real servers on loopback for functional tests: a throwaway CA, nginx, dnsmasq, raw socket servers, and a module runner.

Everything lives in a directory the caller gives (a pytest tmp dir), listens on
127.0.0.1 on ports picked at run time, and is stopped by PID. Nothing here is
specific to the checker module, so tests of other web servers can reuse it:
start a server from a config text, issue certificates from the CA, run a module
the way Ansible does.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOOPBACK = '127.0.0.1'

# The matrix_wellknown module, as ``python -m`` runs it in a process of its own (with collections_root() on
# PYTHONPATH), the way Ansible runs a module.
WELLKNOWN_MODULE = 'ansible_collections.matrix.wellknown.plugins.modules.matrix_wellknown'
# The documents of a first run, and of the run that changes them.
OLD = {
    'server': {'m.server': 'matrix.example.com:443'},
    'client': {'m.homeserver': {'base_url': 'https://matrix.example.com'}},
}
NEW = {
    'server': {'m.server': 'other.example.com:443'},
    'client': {'m.homeserver': {'base_url': 'https://other.example.com'}},
}


# nginx locations that answer a homeserver's version endpoints (federation and client-server), for a
# server block standing in for matrix.example.com.
HOMESERVER_STAND_IN = '''        location = /_matrix/federation/v1/version {
            default_type application/json;
            return 200 '{"server": {"name": "stand-in", "version": "1"}}';
        }
        location = /_matrix/client/versions {
            default_type application/json;
            return 200 '{"versions": ["v1.11"]}';
        }
'''


class ServerError(Exception):
    """A server did not start; the message carries its log."""


def free_port():
    """A TCP port that is free on loopback right now (UDP is checked too, for DNS servers)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((LOOPBACK, 0))
            port = tcp.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.bind((LOOPBACK, port))
        except OSError:
            continue
        return port


def closed_port():
    """A loopback port nothing listens on (connections are refused)."""
    return free_port()


def program(name):
    """The path of a program, also in the sbin directories a non-login PATH may lack."""
    found = shutil.which(name) or shutil.which(name, path='/usr/local/sbin:/usr/sbin:/sbin')
    if found is None:
        raise ServerError('%s is not installed (make system-deps installs it)' % name)
    return found


def run(argv, **kwargs):
    """Run a command, raising with its output when it fails."""
    completed = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if completed.returncode != 0:
        command = ' '.join(map(str, argv))
        raise ServerError('%s failed (%d):\n%s%s' % (command, completed.returncode, completed.stdout, completed.stderr))
    return completed


def wait_for_port(port, process=None, log=None, timeout=10.0):
    """Wait until something accepts TCP connections on the loopback port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerError('process exited with %s before listening on %d:\n%s'
                              % (process.returncode, port, log.read_text() if log and log.exists() else ''))
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerError('nothing listens on %d after %g seconds:\n%s'
                      % (port, timeout, log.read_text() if log and log.exists() else ''))


class Process(object):
    """A foreground server process with its output in a log file; stop() ends it by PID."""

    def __init__(self, argv, log, env=None, cwd=None):
        self.argv = [str(arg) for arg in argv]
        self.log = Path(log)
        with open(self.log, 'ab') as output:
            self.process = subprocess.Popen(self.argv, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            env=env, cwd=cwd)
        self.pid = self.process.pid

    def wait_for(self, ports, timeout=10.0):
        for port in ports:
            wait_for_port(port, self.process, self.log, timeout)
        return self

    def stop(self, timeout=5.0):
        if self.process.poll() is not None:
            return
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self.process.wait(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


class CertificateAuthority(object):
    """A throwaway CA made with the openssl CLI; issue() makes server certificates for any names."""

    def __init__(self, directory, name='matrix.wellknown test CA'):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.cert = self.directory / 'ca.pem'
        self.key = self.directory / 'ca.key'
        run([program('openssl'), 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
             '-keyout', self.key, '-out', self.cert, '-days', '2', '-subj', '/CN=%s' % name,
             '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
             '-addext', 'subjectKeyIdentifier=hash'])

    def issue(self, label, names, days=2):
        """Issue a certificate for DNS names and IP addresses; return (cert path, key path, chain path)."""
        cert = self.directory / ('%s.pem' % label)
        key = self.directory / ('%s.key' % label)
        csr = self.directory / ('%s.csr' % label)
        extensions = self.directory / ('%s.ext' % label)
        alt_names = ','.join(('IP:%s' if _is_ip(name) else 'DNS:%s') % name for name in names)
        extensions.write_text('basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n'
                              'extendedKeyUsage=serverAuth\nsubjectAltName=%s\nsubjectKeyIdentifier=hash\n'
                              'authorityKeyIdentifier=keyid\n' % alt_names)
        run([program('openssl'), 'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
             '-keyout', key, '-out', csr, '-subj', '/CN=%s' % names[0]])
        run([program('openssl'), 'x509', '-req', '-in', csr, '-CA', self.cert, '-CAkey', self.key, '-CAcreateserial',
             '-out', cert, '-days', str(days), '-extfile', extensions])
        chain = self.directory / ('%s.chain.pem' % label)
        chain.write_text(cert.read_text() + key.read_text())
        return cert, key, chain


def _is_ip(name):
    try:
        socket.inet_pton(socket.AF_INET6 if ':' in name else socket.AF_INET, name)
    except OSError:
        return False
    return True


def nginx_string(text):
    """Quote a string for an nginx config (single quotes; nginx has no other escapes than backslash)."""
    return "'%s'" % text.replace('\\', '\\\\').replace("'", "\\'")


class Nginx(Process):
    """nginx in the foreground, unprivileged paths only, from the text of its http {} block."""

    def __init__(self, directory, http_config, ports):
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for temp in ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'):
            (directory / temp).mkdir(exist_ok=True)
        user = ''
        if os.geteuid() == 0:
            # Workers would run as nobody and could not read files in a private tmp dir.
            user = 'user %s %s;\n' % (pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name)
        self.config = directory / 'nginx.conf'
        self.config.write_text(
            '%sworker_processes 1;\npid %s;\nerror_log %s info;\nevents { worker_connections 128; }\n'
            'http {\n    access_log %s;\n    client_body_temp_path %s;\n    proxy_temp_path %s;\n'
            '    fastcgi_temp_path %s;\n    uwsgi_temp_path %s;\n    scgi_temp_path %s;\n'
            '    default_type application/octet-stream;\n%s\n}\n'
            % (user, directory / 'nginx.pid', directory / 'error.log', directory / 'access.log',
               directory / 'client_body', directory / 'proxy', directory / 'fastcgi', directory / 'uwsgi',
               directory / 'scgi', http_config))
        base = [program('nginx'), '-p', directory, '-e', directory / 'error.log', '-c', self.config]
        run(base + ['-t', '-q'])
        super(Nginx, self).__init__(base + ['-g', 'daemon off;'], directory / 'nginx.out')
        self.wait_for(ports)


class Dnsmasq(Process):
    """dnsmasq answering only from its own records on a loopback port (UDP and TCP); nothing is forwarded."""

    def __init__(self, directory, port, srv=(), hosts=(), cnames=(), local_domains=()):
        """srv: (name, target, port, priority, weight); hosts: (name, address); cnames: (alias, target)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        lines = ['port=%d' % port, 'listen-address=%s' % LOOPBACK, 'bind-interfaces', 'no-resolv', 'no-hosts',
                 'no-poll', 'log-facility=%s' % (directory / 'dnsmasq.log'), 'log-queries']
        lines += ['local=/%s/' % domain for domain in local_domains]
        lines += ['srv-host=%s,%s,%d,%d,%d' % record for record in srv]
        lines += ['host-record=%s,%s' % record for record in hosts]
        lines += ['cname=%s,%s' % record for record in cnames]
        self.config = directory / 'dnsmasq.conf'
        self.config.write_text('\n'.join(lines) + '\n')
        self.port = port
        argv = [program('dnsmasq'), '--keep-in-foreground', '--conf-file=%s' % self.config, '--pid-file=']
        if os.geteuid() == 0:
            argv.append('--user=%s' % pwd.getpwuid(os.geteuid()).pw_name)
        super(Dnsmasq, self).__init__(argv, directory / 'dnsmasq.out')
        self.wait_for([port])


class SocketServer(object):
    """A raw TCP (optionally TLS) server in a thread: handler(connection, stop_event) per connection."""

    def __init__(self, handler, port=None, tls=None):
        self.handler = handler
        self.port = port or free_port()
        self.stop_event = threading.Event()
        self.context = None
        if tls:
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(str(tls[0]), str(tls[1]))
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((LOOPBACK, self.port))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.connections = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop_event.is_set():
            try:
                connection, dummy = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections.append(connection)
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection):
        try:
            if self.context is not None:
                connection.settimeout(5)
                connection = self.context.wrap_socket(connection, server_side=True)
            self.handler(connection, self.stop_event)
        except OSError:
            pass
        finally:
            connection.close()

    def stop(self):
        self.stop_event.set()
        self.thread.join(5)
        self.listener.close()
        for connection in self.connections:
            connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def read_request(connection):
    """Read an HTTP request head from a connection."""
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def collections_root():
    """The directory that holds ``ansible_collections`` with this collection, for a module's PYTHONPATH.

    Looked up when called, not when this file is imported: conftest.py imports it before pytest-ansible has made
    ``ansible_collections`` importable.
    """
    import ansible_collections
    return os.path.dirname(list(ansible_collections.__path__)[0])


def expected_bytes(document):
    """A document as the module writes it (MDAD's to_nice_json: sorted keys, four spaces, no trailing newline)."""
    return json.dumps(document, sort_keys=True, indent=4, separators=(',', ': ')).encode('ascii')


def state_of(directory):
    """{name: bytes} of every file in ``directory`` (a Path)."""
    return dict((name, (directory / name).read_bytes()) for name in sorted(os.listdir(str(directory))))


def collection_path(directory):
    """A collections dir holding ansible_collections/matrix/wellknown as a symlink to this repository."""
    root = Path(directory)
    link = root / 'ansible_collections' / 'matrix' / 'wellknown'
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO, target_is_directory=True)
    return root


def run_module(collections, module, args, timeout=120, check_mode=False):
    """Run a module on localhost with the ansible CLI, as a user would; return the task result dict."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_LOCALHOST_WARNING='0',
        ANSIBLE_INVENTORY_UNPARSED_WARNING='0',
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
    )
    ansible = Path(sys.executable).parent / 'ansible'
    with tempfile.TemporaryDirectory() as tree:
        # The tree callback (ansible-core's own) writes each host's result as JSON.
        argv = [str(ansible) if ansible.exists() else 'ansible', 'localhost', '-m', module, '-a', json.dumps(args),
                '-e', 'ansible_python_interpreter=%s' % sys.executable, '--tree', tree]
        if check_mode:
            argv.append('--check')
        completed = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, check=False)
        try:
            return json.loads((Path(tree) / 'localhost').read_text())
        except (OSError, ValueError):
            raise AssertionError('ansible did not give a task result (rc %d):\n%s\n%s'
                                 % (completed.returncode, completed.stdout, completed.stderr))
