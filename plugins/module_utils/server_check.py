# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checking a web server config with the server itself, on the target, before it replaces the current one.

Private to this collection: no API stability is promised to other collections.
A drop-in config cannot be checked alone: ``validation_wrapper`` writes a minimal main config that
includes it the way it is used, with every path the check writes under a temporary directory.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import threading
import time

from ansible.module_utils.common.text.converters import to_bytes
from ansible.module_utils.urls import open_url

# Binaries that can check a config, by server.
BINARIES = {'nginx': ('nginx',), 'apache': ('apache2', 'httpd'), 'caddy': ('caddy',), 'haproxy': ('haproxy',),
            'traefik': ('traefik',)}
# Apache modules the templates use, as (identifier, file name).
APACHE_MODULES = (
    ('authz_core_module', 'mod_authz_core.so'),
    ('alias_module', 'mod_alias.so'),
    ('headers_module', 'mod_headers.so'),
    ('rewrite_module', 'mod_rewrite.so'),
    ('ssl_module', 'mod_ssl.so'),
    ('proxy_module', 'mod_proxy.so'),
    ('proxy_http_module', 'mod_proxy_http.so'),
)
APACHE_MPMS = (('mpm_event_module', 'mod_mpm_event.so'), ('mpm_prefork_module', 'mod_mpm_prefork.so'))
# Debian/Ubuntu, Fedora/RHEL (64 and 32 bit), openSUSE, Alpine.
APACHE_MODULE_DIRECTORIES = (
    '/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/usr/lib/httpd/modules',
    '/usr/lib64/apache2', '/usr/lib/apache2',
)


def find_apache_modules_directory(exists):
    """The first known Apache modules directory for which ``exists(path)`` holds, or None."""
    for directory in APACHE_MODULE_DIRECTORIES:
        if exists(directory + '/mod_ssl.so'):
            return directory
    return None


def _apache_load(identifier, filename, directory, exists):
    path = '%s/%s' % (directory, filename)
    if directory is None or not exists(path):
        # Built in, or absent: apache2 -t then names the directive it does not know.
        return []
    return ['<IfModule !%s>' % identifier, '    LoadModule %s %s' % (identifier, path), '</IfModule>']


def validation_wrapper(server, form, candidate, workdir, apache_modules_directory=None, exists=None):
    """Text of a minimal main config that includes ``candidate`` the way ``form`` is used.

    Everything the check writes (pid, logs, temporary files, caches) goes to ``workdir``.
    """
    if server == 'nginx':
        lines = [
            'pid %s/nginx.pid;' % workdir,
            'error_log stderr;',
            'events {',
            '}',
            'http {',
            '    access_log off;',
        ]
        lines += ['    %s_temp_path %s/%s;' % (kind, workdir, kind) for kind in ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi')]
        if form == 'server':
            lines.append('    include %s;' % candidate)
        else:
            lines += ['    server {', '        listen 127.0.0.1:9;', '        server_name localhost;',
                      '        include %s;' % candidate, '    }']
        lines.append('}')
    elif server == 'apache':
        exists = exists or (lambda path: False)
        lines = [
            'ServerRoot %s' % workdir,
            'DefaultRuntimeDir %s' % workdir,
            'PidFile %s/httpd.pid' % workdir,
            'ErrorLog %s/error.log' % workdir,
            'Mutex file:%s default' % workdir,
            'ServerName localhost',
        ]
        mpm = []
        for identifier, filename in APACHE_MPMS:
            mpm = _apache_load(identifier, filename, apache_modules_directory, exists)
            if mpm:
                break
        lines += mpm
        for identifier, filename in APACHE_MODULES:
            lines += _apache_load(identifier, filename, apache_modules_directory, exists)
        if form == 'server':
            lines.append('Include %s' % candidate)
        else:
            lines += ['Listen 127.0.0.1:9', '<VirtualHost 127.0.0.1:9>', '    ServerName localhost',
                      '    Include %s' % candidate, '</VirtualHost>']
    elif server == 'caddy':
        lines = ['{', '\tadmin off', '}']
        if form == 'server':
            lines.append('import %s' % candidate)
        else:
            lines += ['http://localhost:9 {', '\timport %s' % candidate, '}']
    elif server == 'haproxy':
        # The candidate is loaded as a second -f file after this one, as in production. HAProxy refuses a
        # config without any listener, which a backend-only snippet is: the wrapper brings one.
        lines = ['global', '    pidfile %s/haproxy.pid' % workdir, '',
                 'frontend matrix_wellknown_check', '    mode http', '    bind 127.0.0.1:9', '    timeout client 30s']
    else:
        raise ValueError('unknown server %r' % (server,))
    return '\n'.join(lines) + '\n'


def check_command(server, binary, wrapper, candidate, workdir):
    """(argv, environment) of the command that checks the wrapper config."""
    if server == 'nginx':
        return [binary, '-t', '-q', '-p', workdir + '/', '-c', wrapper], {}
    if server == 'apache':
        return [binary, '-t', '-f', wrapper], {}
    if server == 'caddy':
        environment = {'HOME': workdir, 'XDG_DATA_HOME': workdir + '/data', 'XDG_CONFIG_HOME': workdir + '/config'}
        return [binary, 'validate', '--config', wrapper, '--adapter', 'caddyfile'], environment
    if server == 'haproxy':
        return [binary, '-c', '-f', wrapper, '-f', candidate], {}
    raise ValueError('unknown server %r' % (server,))


def clean_check_output(server, text):
    """Drop the informational log lines Caddy prints as JSON, keeping warnings, errors and plain text."""
    if server != 'caddy':
        return text
    kept = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict) and entry.get('level') in ('debug', 'info'):
            continue
        kept.append(line)
    return '\n'.join(kept)


def staged_config(content, replacements):
    """``content`` with each path that the config loads replaced by its staged copy (longest path first).

    Every path in a config this collection writes has passed a grammar without spaces or quotes, and stands
    in the config as a whole word, so a plain replacement finds each of them and nothing else.
    """
    for real in sorted(replacements, key=len, reverse=True):
        content = content.replace(real, replacements[real])
    return content


def candidate_path(server, workdir):
    """Where the check puts the candidate config (Traefik's file provider reads a file by its extension)."""
    return workdir + ('/candidate.yml' if server == 'traefik' else '/candidate.conf')


def check_config(run, server, form, content, binary, workdir, apache_modules_directory=None, exists=None):
    """Check ``content`` with ``binary`` in ``workdir``; return (ok, argv, output).

    ``run(argv, cwd, environment)`` runs a command and returns (rc, out, err). Traefik, which has no check
    command, is started on loopback instead (``check_traefik``).
    """
    candidate = candidate_path(server, workdir)
    if server == 'traefik':
        with open(candidate, 'w') as handle:
            handle.write(content)
        return check_traefik(run, binary, candidate, workdir)
    wrapper = workdir + '/main.conf'
    with open(candidate, 'w') as handle:
        handle.write(content)
    with open(wrapper, 'w') as handle:
        handle.write(validation_wrapper(server, form, candidate, workdir,
                                        apache_modules_directory=apache_modules_directory, exists=exists))
    argv, environment = check_command(server, binary, wrapper, candidate, workdir)
    rc, out, err = run(argv, workdir, environment)
    output = '\n'.join(part.strip() for part in (err, out) if part and part.strip())
    return rc == 0, argv, clean_check_output(server, output)


# Traefik has no command that checks a configuration: the check starts it on the candidate, with loopback entry
# points for every name the candidate's routers use and its API on a free loopback port, and reads what it loaded.
TRAEFIK_API_ENTRYPOINT = 'traefik'
TRAEFIK_KINDS = ('routers', 'services', 'middlewares')
# Where the check's ACME resolvers would get certificates: nowhere (a closed loopback port), so a check never asks
# a real CA for a certificate. Their "unable to obtain" errors are expected, and not the candidate's.
TRAEFIK_CHECK_CA_SERVER = 'https://127.0.0.1:1/directory'
_TRAEFIK_RESOLVER = re.compile(r'^\s*certResolver\s*:\s*["\']?([A-Za-z0-9_-]+)["\']?\s*(#.*)?$', re.IGNORECASE)
_TRAEFIK_FLOW_LIST = re.compile(r'^\s*entryPoints\s*:\s*\[([^\]]*)\]', re.IGNORECASE)
_TRAEFIK_BLOCK_KEY = re.compile(r'^(\s*)entryPoints\s*:\s*(#.*)?$', re.IGNORECASE)
_TRAEFIK_ITEM = re.compile(r'^(\s*)-\s*["\']?([A-Za-z0-9_-]+)["\']?\s*(#.*)?$')
_TRAEFIK_NAME = re.compile(r'^[A-Za-z0-9_-]+\Z')


def traefik_names(content):
    """(entry points, certificate resolvers) that the routers of a YAML dynamic configuration name, sorted.

    A line scan, for the block and flow lists of YAML (the target may not have a YAML parser): a name it misses
    makes Traefik report the router's entry point or resolver as missing, which refuses the file; it never
    makes a bad file pass.
    """
    entrypoints = set()
    resolvers = set()
    lines = content.splitlines()
    for index, line in enumerate(lines):
        match = _TRAEFIK_RESOLVER.match(line)
        if match:
            resolvers.add(match.group(1))
            continue
        match = _TRAEFIK_FLOW_LIST.match(line)
        if match:
            for item in match.group(1).split(','):
                item = item.strip().strip('"\'')
                if _TRAEFIK_NAME.match(item):
                    entrypoints.add(item)
            continue
        match = _TRAEFIK_BLOCK_KEY.match(line)
        if match:
            indent = len(match.group(1))
            for following in lines[index + 1:]:
                if not following.strip() or following.strip().startswith('#'):
                    continue
                item = _TRAEFIK_ITEM.match(following)
                if not item or len(item.group(1)) < indent:
                    break
                entrypoints.add(item.group(2))
    entrypoints.discard(TRAEFIK_API_ENTRYPOINT)
    return sorted(entrypoints), sorted(resolvers)


def traefik_command(binary, candidate, workdir, api_port, entrypoints, resolvers):
    """argv of a Traefik that loads ``candidate`` alone, on loopback, with its API on ``api_port``."""
    argv = [
        binary,
        '--global.checkNewVersion=false',
        '--global.sendAnonymousUsage=false',
        '--log.level=ERROR',
        '--log.format=json',
        '--api.insecure=true',
        '--entryPoints.%s.address=127.0.0.1:%d' % (TRAEFIK_API_ENTRYPOINT, api_port),
        '--providers.file.filename=%s' % candidate,
        '--providers.file.watch=false',
    ]
    for name in entrypoints:
        # Port 0: the system picks a free one; nothing connects to it.
        argv.append('--entryPoints.%s.address=127.0.0.1:0' % name)
    for name in resolvers:
        argv += ['--certificatesResolvers.%s.acme.storage=%s/acme-%s.json' % (name, workdir, name),
                 '--certificatesResolvers.%s.acme.caServer=%s' % (name, TRAEFIK_CHECK_CA_SERVER),
                 '--certificatesResolvers.%s.acme.tlsChallenge=true' % name]
    return argv


def _log_entries(text):
    entries = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        entries.append(entry if isinstance(entry, dict) else {'level': 'error', 'message': line.strip()})
    return [entry for entry in entries if entry.get('message') or entry.get('error')]


def traefik_findings(api, log_text):
    """What Traefik reported against the candidate: (problems, loaded).

    ``api`` maps each of ``TRAEFIK_KINDS`` to what ``/api/http/<kind>`` answered (a list, or None); ``log_text``
    is Traefik's JSON log. ``loaded`` says whether anything of the file provider is in the API.
    """
    problems = []
    loaded = False
    for kind in TRAEFIK_KINDS:
        for item in api.get(kind) or []:
            if not isinstance(item, dict) or item.get('provider') != 'file':
                continue
            loaded = True
            errors = item.get('error') or []
            if errors or item.get('status') not in ('enabled', None):
                problems.append('%s %s (%s): %s' % (kind[:-1], item.get('name'), item.get('status'),
                                                    '; '.join(errors) or 'not enabled'))
    for entry in _log_entries(log_text):
        if entry.get('level') not in ('error', 'fatal', 'panic'):
            continue
        # The check's own resolvers cannot reach a CA: that says nothing about the candidate.
        if str(entry.get('providerName', '')).endswith('.acme'):
            continue
        # The API already showed this one against its router or service.
        if entry.get('error') and any(str(entry['error']) in problem for problem in problems):
            continue
        message = ': '.join(str(entry[key]) for key in ('message', 'error') if entry.get(key))
        context = ', '.join('%s %s' % (key, entry[key]) for key in ('routerName', 'middlewareName', 'serviceName',
                                                                    'entryPointName', 'certificateResolver')
                            if entry.get(key))
        line = '%s (%s)' % (message, context) if context else message
        if line not in problems:
            problems.append(line)
    return problems, loaded


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]
    finally:
        probe.close()


def _read_api(port):
    api = {}
    for kind in TRAEFIK_KINDS:
        try:
            answer = open_url('http://127.0.0.1:%d/api/http/%s' % (port, kind), timeout=2, use_proxy=False)
            api[kind] = json.loads(answer.read())
        except Exception:  # pylint: disable=broad-except
            # Not up yet (refused, reset, half an answer): the caller asks again until its deadline.
            api[kind] = None
    return api


def _stop_traefik(marker):
    """Stop the check's Traefik (and the timeout command around it): the processes whose command line holds
    ``marker``, the check's own temporary directory."""
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as handle:
                cmdline = handle.read()
        except (IOError, OSError):
            continue
        if marker in cmdline:
            try:
                os.kill(int(entry), signal.SIGTERM)
            except OSError:
                pass


class _Watch(threading.Thread):
    """Reads Traefik's API and log while it runs, until it loaded the file or reported a problem; then stops it."""

    def __init__(self, port, log_path, marker, deadline, settle):
        super(_Watch, self).__init__()
        self.daemon = True
        self.port = port
        self.log_path = log_path
        self.marker = marker
        self.deadline = deadline
        self.settle = settle
        self.api = {}
        self.done = threading.Event()

    def _log(self):
        try:
            with open(self.log_path, 'rb') as handle:
                return handle.read().decode('utf-8', 'replace')
        except (IOError, OSError):
            return ''

    def run(self):
        try:
            while time.monotonic() < self.deadline and not self.done.is_set():
                self.api = _read_api(self.port)
                problems, loaded = traefik_findings(self.api, self._log())
                if problems or loaded:
                    if loaded and not problems:
                        # Routers are checked once the services and middlewares they use are in: let that finish.
                        time.sleep(self.settle)
                        self.api = _read_api(self.port)
                    break
                time.sleep(0.1)
        finally:
            _stop_traefik(self.marker)


def check_traefik(run, binary, candidate, workdir, timeout=20.0, settle=1.0):
    """Start Traefik on ``candidate`` alone, read what it loaded, stop it; return (ok, argv, output).

    Traefik runs under ``timeout`` through ``run`` (the module's run_command); a thread reads its API meanwhile
    and stops it as soon as the file is loaded or refused. Refused: a router, service or middleware of the file
    that Traefik reports with errors or not enabled, an error Traefik logs (a file it cannot parse, a missing
    certificate file or resolver), or a file from which nothing is loaded within ``timeout`` seconds.
    """
    with open(candidate) as handle:
        entrypoints, resolvers = traefik_names(handle.read())
    port = free_port()
    argv = traefik_command(binary, candidate, workdir, port, entrypoints, resolvers)
    log_path = os.path.join(workdir, 'traefik.log')
    argv = [arg for arg in argv if not arg.startswith('--log.filePath=')] + ['--log.filePath=%s' % log_path]
    watch = _Watch(port, log_path, to_bytes(workdir), time.monotonic() + timeout, settle)
    watch.start()
    try:
        rc, dummy, dummy = run(['timeout', '--kill-after=5', '%d' % (timeout + settle + 2)] + argv, workdir, {})
    finally:
        watch.done.set()
        watch.join()
    problems, loaded = traefik_findings(watch.api, watch._log())
    if not problems and not loaded:
        if rc not in (0, 124, -signal.SIGTERM, 128 + signal.SIGTERM):
            problems.append('Traefik stopped (exit code %s) before loading the file' % rc)
        else:
            problems.append('Traefik loaded no router, service or middleware from the file within %g seconds'
                            % timeout)
    return not problems, argv, '\n'.join(problems)
