# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Checking a web server config with the server itself, on the target, before it replaces the current one.

A drop-in config cannot be checked alone: ``validation_wrapper`` writes a minimal main config that
includes it the way it is used, with every path the check writes under a temporary directory.
"""

from __future__ import annotations

import glob
import json
import os
import re
import signal
import socket
import threading
import time

from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.module_utils.urls import open_url

from ansible_collections.matrix.wellknown.plugins.module_utils import _servers as servers

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
    command, is started on loopback instead (``check_traefik``, whose ``run`` also takes the time bound).
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

    Traefik runs through ``run(argv, cwd, environment, bound)`` (``transaction.run_command_bounded``: rc None when it
    was stopped at the bound); a thread reads its API meanwhile and stops it as soon as the file is loaded or refused.
    Refused: a router, service or middleware of the file that Traefik reports with errors or not enabled, an error
    Traefik logs (a file it cannot parse, a missing certificate file or resolver), or a file from which nothing is
    loaded within ``timeout`` seconds.
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
        rc, dummy, dummy = run(argv, workdir, {}, timeout + settle + 2)
    finally:
        watch.done.set()
        watch.join()
    problems, loaded = traefik_findings(watch.api, watch._log())
    if not problems and not loaded:
        if rc not in (None, 0, -signal.SIGTERM, 128 + signal.SIGTERM):
            problems.append('Traefik stopped (exit code %s) before loading the file' % rc)
        else:
            problems.append('Traefik loaded no router, service or middleware from the file within %g seconds'
                            % timeout)
    return not problems, argv, '\n'.join(problems)


# The whole configuration: the candidate checked with the server's real main configuration and every site already
# there, staged in a temporary directory (a copy of the configuration directory with the candidate in place), so
# that nothing on disk changes until the server accepts the whole. Debian's layouts; other paths through
# ``main_config``; the distribution's main configuration of each server is in the registry (``_servers``).
# Debian's HAProxy service reads its -f options from here (CONFIG, EXTRAOPTS).
HAPROXY_SERVICE_DEFAULTS = '/etc/default/haproxy'
# Seconds a check command may run (nginx -T, apache2 -t, caddy validate, haproxy -c).
CHECK_TIMEOUT = 60
# A configuration directory is small; these bound a copy of an odd one (a link loop, a data directory inside).
_STAGE_MAX_FILES = 5000
_STAGE_MAX_DEPTH = 8
_STAGE_MAX_BYTES = 64 * 1024 * 1024
# Apache's runtime paths come from envvars; the check points them to its own directory (apache2ctl creates the
# real ones, a check must not need them).
_APACHE_ENVVARS = ('. "$1" || exit 1; '
                   'APACHE_RUN_DIR=$MATRIX_WELLKNOWN_CHECK_DIR; APACHE_LOCK_DIR=$MATRIX_WELLKNOWN_CHECK_DIR; '
                   'APACHE_PID_FILE=$MATRIX_WELLKNOWN_CHECK_DIR/apache2.pid; '
                   'export APACHE_RUN_DIR APACHE_LOCK_DIR APACHE_PID_FILE; shift; exec "$@"')


class CheckTimeout(Exception):
    """A check command that did not finish within its time bound (and was killed)."""

    def __init__(self, argv, timeout):
        self.argv = argv
        self.timeout = timeout
        super(CheckTimeout, self).__init__('%s did not finish within %s seconds' % (' '.join(argv), timeout))


class Check(object):
    """What a check found: ``ok``, the command, its output, warnings, and ``problem`` (a dict: ``kind`` conflict,
    unresolved or timeout, with its details) for the caller's advice."""

    def __init__(self, ok, argv, output, warnings=None, problem=None):
        self.ok = ok
        self.argv = argv
        self.output = output
        self.warnings = warnings or []
        self.problem = problem


def find_main_config(server, configured=None):
    """The main configuration ``server`` loads: ``configured``, else the distribution's; None when it is not a file."""
    path = configured or servers.TYPES[server]['main_config']
    if path and os.path.isfile(path):
        return path
    return None


def _path_pattern(path):
    # A path as a whole word: not a prefix of a longer name (/etc/nginx-old).
    return re.compile(re.escape(to_bytes(path)) + b'(?=[/"\'\\s;,)]|$)')


def rewrite_paths(data, rewrites):
    """``data`` (bytes) with each path of ``rewrites`` (real: staged, str) replaced, longest first."""
    for real in sorted(rewrites, key=len, reverse=True):
        data = _path_pattern(real).sub(to_bytes(rewrites[real]).replace(b'\\', b'\\\\'), data)
    return data


def stage_tree(source, target, rewrites, candidate_real, candidate):
    """Copy the directory ``source`` to ``target`` (links followed), each file with ``rewrites`` applied, and the
    candidate (bytes) at its place: a file or link that resolves to ``candidate_real`` becomes the candidate.

    Dangling links are copied as links (the server fails on them as it would on the real ones); sockets and
    FIFOs are left out.
    """
    budget = {'files': _STAGE_MAX_FILES, 'bytes': _STAGE_MAX_BYTES}
    candidate_real = candidate_real or '\0'

    def write(path, data):
        with open(path, 'wb') as handle:
            handle.write(data)

    def copy(src, dst, depth):
        os.mkdir(dst, 0o700)
        for name in sorted(os.listdir(src)):
            path = os.path.join(src, name)
            out = os.path.join(dst, name)
            real = os.path.realpath(path)
            budget['files'] -= 1
            if budget['files'] < 0:
                raise ValueError('%s holds more than %d files' % (source, _STAGE_MAX_FILES))
            if path == candidate_real or real == candidate_real:
                write(out, candidate)
            elif os.path.isdir(real):
                if depth < _STAGE_MAX_DEPTH:
                    copy(path, out, depth + 1)
            elif os.path.isfile(real):
                budget['bytes'] -= os.path.getsize(real)
                if budget['bytes'] < 0:
                    raise ValueError('%s holds more than %d bytes' % (source, _STAGE_MAX_BYTES))
                with open(real, 'rb') as handle:
                    write(out, rewrite_paths(handle.read(), rewrites))
            elif os.path.islink(path):
                os.symlink(os.readlink(path), out)

    copy(source, target, 0)


def _strip_comment(line):
    return line.split('#', 1)[0].strip()


# nginx

_NGINX_FILE = re.compile(r'^# configuration file (.+):$', re.MULTILINE)
_NGINX_CONFLICT = re.compile(r'conflicting server name "([^"]*)" on (\S+), ignored')
_NGINX_UNRESOLVED = re.compile(r'host not found in upstream "([^"]+)"')
_NGINX_SERVER_NAME = re.compile(r'(?:^|[;{}\s])server_name\s+([^;]+);', re.MULTILINE)


def nginx_loaded(dump):
    """The files of ``nginx -T``'s dump, as {path: text}."""
    parts = _NGINX_FILE.split(dump)
    return dict((parts[index], parts[index + 1]) for index in range(1, len(parts) - 1, 2))


def nginx_server_names(text):
    names = []
    for match in _NGINX_SERVER_NAME.finditer('\n'.join(_strip_comment(line) for line in text.splitlines())):
        names.extend(match.group(1).split())
    return names


def nginx_conflicts(messages, candidate_text, loaded, candidate):
    """Conflicts of the candidate's names in nginx's messages: [{name, address, sites}] (sites: the other files
    that declare the name)."""
    names = set(nginx_server_names(candidate_text))
    found = []
    for name, address in _NGINX_CONFLICT.findall(messages):
        if name not in names:
            continue
        sites = sorted(path for path, text in loaded.items() if path != candidate and name in nginx_server_names(text))
        entry = {'name': name, 'address': address, 'sites': sites}
        if entry not in found:
            found.append(entry)
    return found


# Apache

_APACHE_INCLUDE = re.compile(r'^\s*\(\S+\)\s+(/.*)$')
_APACHE_VHOST = re.compile(r'^\s*(?:port (\d+) namevhost|default server)\s+(\S+) \((.+):(\d+)\)$')
_APACHE_SINGLE = re.compile(r'^(\S+)\s+(\S+) \((.+):(\d+)\)$')
_APACHE_ALIAS = re.compile(r'^\s+(?:wild )?alias (\S+)$')


def apache_loaded(dump):
    """The files apache2 -D DUMP_INCLUDES listed."""
    return [match.group(1) for match in map(_APACHE_INCLUDE.match, dump.splitlines()) if match]


def apache_vhosts(dump):
    """The name-based hosts of apache2 -D DUMP_VHOSTS: [(address, name, file)], aliases as names of their own."""
    hosts = []
    address = None
    last = None
    for line in dump.splitlines():
        if not line.strip() or line.startswith(('VirtualHost configuration', 'ServerRoot', 'Main ', 'Mutex', 'PidFile',
                                                'Define', 'User', 'Group')):
            continue
        if not line[0].isspace():
            address = line.split()[0]
            single = _APACHE_SINGLE.match(line)
            if single and 'NameVirtualHost' not in line:
                last = (address, single.group(3))
                hosts.append((address, single.group(2), single.group(3)))
            continue
        match = _APACHE_VHOST.match(line)
        if match and address:
            if line.strip().startswith('default server'):
                continue
            last = (address, match.group(3))
            hosts.append((address, match.group(2), match.group(3)))
            continue
        alias = _APACHE_ALIAS.match(line)
        if alias and last:
            hosts.append((last[0], alias.group(1), last[1]))
    return hosts


def _split_address(address):
    host, dummy, port = address.rpartition(':')
    return host.strip('[]'), port


def _overlap(first, second):
    """Two addresses (host:port) a connection could reach both of."""
    wildcards = ('', '*', '_default_', '0.0.0.0', '::')
    host1, port1 = _split_address(first)
    host2, port2 = _split_address(second)
    return port1 == port2 and (host1 == host2 or host1 in wildcards or host2 in wildcards)


def apache_conflicts(dump, candidate):
    hosts = apache_vhosts(dump)
    found = []
    for address, name, path in hosts:
        if path != candidate:
            continue
        sites = sorted(set(other_path for other_address, other_name, other_path in hosts
                           if other_path != candidate and other_name.lower() == name.lower()
                           and _overlap(address, other_address)))
        entry = {'name': name, 'address': address, 'sites': sites}
        if sites and entry not in found:
            found.append(entry)
    return found


# Caddy

_CADDY_IMPORT = re.compile(r'^import\s+(\S+)')


def _caddy_blocks(text):
    """The top-level blocks of a Caddyfile: [(head, body)]; imports at the top level as ('import', argument)."""
    blocks = []
    depth = 0
    head = None
    for raw in text.splitlines():
        line = _strip_comment(raw)
        if not line:
            continue
        if depth == 0:
            match = _CADDY_IMPORT.match(line)
            if match:
                blocks.append(('import', match.group(1)))
                continue
            if head is None:
                head = line.rstrip('{').strip()
            elif not line.startswith('{'):
                head = head + ' ' + line.rstrip('{').strip()
        depth += line.count('{') - line.count('}')
        if depth <= 0:
            depth = 0
            if line.endswith('}') or line.endswith('{}'):
                blocks.append(('site', head or ''))
                head = None
    return blocks


def caddy_files(main):
    """The files a Caddyfile loads with its imports (globs relative to the importing file), main first, as
    [(path, top)]: ``top`` when the file's blocks are sites (imported outside any block)."""
    found = []
    seen = set()

    def visit(path, top, depth):
        if path in seen or depth > _STAGE_MAX_DEPTH:
            return
        seen.add(path)
        found.append((path, top))
        text = _read_text(path)
        nesting = 0
        for raw in text.splitlines():
            line = _strip_comment(raw)
            match = _CADDY_IMPORT.match(line)
            if match:
                value = match.group(1)
                pattern = value if value.startswith('/') else os.path.join(os.path.dirname(path), value)
                for name in sorted(glob.glob(pattern)):
                    if os.path.isfile(name):
                        visit(name, top and nesting == 0, depth + 1)
            nesting = max(0, nesting + line.count('{') - line.count('}'))

    visit(main, True, 0)
    return found


def caddy_addresses(head):
    """(host, port) of each address of a site block's head; (None, None) for the global options block."""
    if not head or head.startswith('('):
        return []
    result = []
    for address in head.replace(',', ' ').split():
        scheme, sep, rest = address.partition('://')
        if not sep:
            scheme, rest = '', address
        rest = rest.split('/', 1)[0]
        host, colon, port = rest.rpartition(':') if ']' not in rest.rpartition(':')[2] else ('', '', '')
        if not colon:
            host, port = rest, ''
        port = port or {'http': '80', 'https': '443'}.get(scheme, '443')
        if host:
            result.append((host.lower(), port))
    return result


def caddy_conflicts(files_text, candidate):
    """Sites of other files for a (host, port) a site of the candidate serves."""
    ours = []
    theirs = []
    for path, text in files_text.items():
        for kind, head in _caddy_blocks(text):
            if kind != 'site':
                continue
            for address in caddy_addresses(head):
                (ours if path == candidate else theirs).append((address, path))
    found = []
    for (host, port), dummy in ours:
        sites = sorted(set(path for (other_host, other_port), path in theirs if (other_host, other_port) == (host, port)))
        entry = {'name': host, 'address': port, 'sites': sites}
        if sites and entry not in found:
            found.append(entry)
    return found


# HAProxy

def haproxy_service_files(main, defaults_text):
    """The -f files and directories HAProxy's service loads: CONFIG (or ``main``) and the -f of EXTRAOPTS."""
    loaded = []
    config = None
    for line in (defaults_text or '').splitlines():
        line = _strip_comment(line)
        key, sep, value = line.partition('=')
        if not sep:
            continue
        value = value.strip().strip('"\'')
        if key.strip() == 'CONFIG':
            config = value
        elif key.strip() == 'EXTRAOPTS':
            words = value.split()
            loaded += [words[index + 1] for index, word in enumerate(words[:-1]) if word == '-f']
    return [config or main] + loaded


_HAPROXY_SECTIONS = ('frontend', 'listen', 'backend', 'defaults', 'global', 'peers', 'resolvers', 'userlist', 'cache',
                     'program', 'http-errors', 'ring', 'mailers')


def haproxy_binds(text):
    """(section, address) of each bind line of a frontend or listen section."""
    binds = []
    section = None
    for raw in text.splitlines():
        line = _strip_comment(raw)
        if not line:
            continue
        words = line.split()
        if not raw[0].isspace() and words[0] in _HAPROXY_SECTIONS:
            section = words[1] if words[0] in ('frontend', 'listen') and len(words) > 1 else None
            continue
        if section and words[0] == 'bind' and len(words) > 1:
            for address in words[1].split(','):
                binds.append((section, address.split('@', 1)[-1]))
    return binds


def haproxy_conflicts(files_text, candidate):
    ours = []
    theirs = []
    for path, text in files_text.items():
        for section, address in haproxy_binds(text):
            (ours if path == candidate else theirs).append((section, address, path))
    found = []
    for section, address, dummy in ours:
        for other_section, other_address, path in theirs:
            if _overlap(address, other_address):
                entry = {'name': section, 'address': address, 'sites': [path], 'frontend': other_section}
                if entry not in found:
                    found.append(entry)
    return found


def _unresolved(output):
    names = _NGINX_UNRESOLVED.findall(output)
    names += re.findall(r"could not resolve address '([^']+)'", output)
    return sorted(set(names))


def _read_text(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')
    except (IOError, OSError):
        return ''


def _haproxy_whole(binary, workdir, candidate_real, candidate, main_config, defaults_text):
    """(argv, loaded, {path: text} of every file, staged candidate path, {staged path: real path}) of HAProxy's check
    of the files its service loads."""
    stage = os.path.join(workdir, 'whole')
    staged_candidate = os.path.join(stage, 'candidate.cfg')
    os.mkdir(stage, 0o700)
    argv = [binary, '-c']
    texts = {}
    back = {}
    loaded = False
    for index, entry in enumerate(haproxy_service_files(main_config, defaults_text)):
        if entry == candidate_real:
            loaded = True
            argv += ['-f', staged_candidate]
        elif os.path.isdir(entry):
            names = sorted(name for name in os.listdir(entry)
                           if name.endswith('.cfg') and os.path.isfile(os.path.join(entry, name)))
            if os.path.dirname(candidate_real) == entry.rstrip('/') and candidate_real.endswith('.cfg'):
                # The directory as it will be: its .cfg files with the candidate in place.
                loaded = True
                copy = os.path.join(stage, 'directory-%d' % index)
                os.mkdir(copy, 0o700)
                names = sorted(set(names) | set([os.path.basename(candidate_real)]))
                for name in names:
                    path = os.path.join(copy, name)
                    if name == os.path.basename(candidate_real):
                        staged_candidate = path
                        continue
                    texts[path] = _read_text(os.path.join(entry, name))
                    with open(path, 'w') as handle:
                        handle.write(texts[path])
                argv += ['-f', copy]
                back[copy] = entry.rstrip('/')
            else:
                texts.update((os.path.join(entry, name), _read_text(os.path.join(entry, name))) for name in names)
                argv += ['-f', entry]
        else:
            texts[entry] = _read_text(entry)
            argv += ['-f', entry]
    if not loaded:
        argv += ['-f', staged_candidate]
    with open(staged_candidate, 'wb') as handle:
        handle.write(candidate)
    texts[staged_candidate] = to_text(candidate, errors='surrogate_or_replace')
    back[staged_candidate] = candidate_real
    return argv, loaded, texts, staged_candidate, back


def _stage_command(server, binary, stage, source, main_config, candidate_real, candidate):
    """Stage the directory of ``main_config`` in ``stage`` with ``candidate`` (bytes; None: as it is now) in place;
    return (argv, environment, staged main, staged candidate, rewrites)."""
    tree = os.path.join(stage, 'tree')
    os.mkdir(stage, 0o700)
    inside = candidate_real.startswith(source.rstrip('/') + '/')
    staged_candidate = (tree + candidate_real[len(source):] if inside
                        else os.path.join(stage, 'candidate' + os.path.splitext(candidate_real)[1]))
    rewrites = {source: tree}
    if candidate is not None:
        if not inside:
            rewrites[candidate_real] = staged_candidate
        stage_tree(source, tree, rewrites, candidate_real, candidate)
        if not os.path.isdir(os.path.dirname(staged_candidate)):
            os.makedirs(os.path.dirname(staged_candidate))
        with open(staged_candidate, 'wb') as handle:
            handle.write(candidate)
    else:
        stage_tree(source, tree, rewrites, None, None)
    staged_main = tree + main_config[len(source):]
    environment = {}
    if server == 'nginx':
        # Not -p: relative load_module paths are the binary's prefix; relative includes follow -c.
        argv = [binary, '-T', '-c', staged_main]
    elif server == 'apache':
        argv = [binary, '-t', '-D', 'DUMP_VHOSTS', '-D', 'DUMP_INCLUDES', '-d', tree, '-f', staged_main]
        envvars = os.path.join(tree, 'envvars')
        if os.path.isfile(envvars):
            runtime = os.path.join(stage, 'run')
            os.mkdir(runtime, 0o700)
            argv = ['/bin/sh', '-c', _APACHE_ENVVARS, 'sh', envvars] + argv
            environment = {'MATRIX_WELLKNOWN_CHECK_DIR': runtime}
    elif server == 'caddy':
        argv = [binary, 'validate', '--config', staged_main, '--adapter', 'caddyfile']
        environment = {'HOME': stage, 'XDG_DATA_HOME': stage + '/data', 'XDG_CONFIG_HOME': stage + '/config'}
    else:
        raise ValueError('unknown server %r' % (server,))
    return argv, environment, staged_main, staged_candidate, rewrites


def _real_paths(text, replacements):
    for staged in sorted(replacements, key=len, reverse=True):
        text = text.replace(staged, replacements[staged])
    return text


def check_whole(run, server, content, binary, workdir, candidate_real, main_config, haproxy_defaults=None):
    """Check ``content``, to be written at ``candidate_real``, with the server's whole configuration.

    The directory of ``main_config`` is copied into ``workdir`` with the candidate in place and every path of the
    directory in its files pointed to the copy; the server checks the copy as it loads the real one (nginx -T,
    apache2 -t with envvars, caddy validate, haproxy -c with every file its service loads). Returns a Check with
    ``loaded`` (whether the main configuration loads the candidate), ``conflicts`` and ``baseline`` (the output of
    the configuration as it is now, when that fails too: the failure is not the candidate's); output and problems
    name the real paths. ``run(argv, cwd, environment)`` returns (rc, out, err) and may raise CheckTimeout.
    """
    candidate = to_bytes(content)
    source = os.path.dirname(main_config)
    environment = {}
    staged_main = None
    if server == 'haproxy':
        argv, loaded, texts, staged_candidate, back = _haproxy_whole(binary, workdir, candidate_real, candidate,
                                                                     main_config, haproxy_defaults)
    else:
        argv, environment, staged_main, staged_candidate, rewrites = _stage_command(
            server, binary, os.path.join(workdir, 'whole'), source, main_config, candidate_real, candidate)
        back = dict((staged, real) for real, staged in rewrites.items())
        back[staged_candidate] = candidate_real
    try:
        rc, out, err = run(argv, workdir, environment)
    except CheckTimeout as exc:
        raise CheckTimeout([_real_paths(arg, back) for arg in exc.argv], exc.timeout)
    out = out or ''
    messages = clean_check_output(server, (err or '').strip())
    conflicts = []
    if server == 'nginx':
        texts = nginx_loaded(out)
        loaded = staged_candidate in texts or staged_candidate in messages
        if loaded:
            conflicts = nginx_conflicts(messages, content, texts, staged_candidate)
        output = messages
    elif server == 'apache':
        loaded = staged_candidate in apache_loaded(out) or staged_candidate in messages
        if loaded and rc != 0 and 'multiple Listeners' in messages:
            # The candidate opens a port the configuration already listens on: a site is there. Which names it
            # serves, apache2 says of the candidate without its Listen.
            again = re.sub(r'(?im)^\s*Listen\s.*$', '', content)
            argv_again, environment_again, dummy, dummy, dummy = _stage_command(
                server, binary, os.path.join(workdir, 'without-listen'), source, main_config, candidate_real,
                to_bytes(again))
            dummy, out_again, dummy = run(argv_again, workdir, environment_again)
            other, this = os.path.join(workdir, 'without-listen'), os.path.join(workdir, 'whole')
            conflicts = apache_conflicts(out_again, staged_candidate.replace(this, other))
            for conflict in conflicts:
                conflict['sites'] = [path.replace(other, this) for path in conflict['sites']]
        elif loaded:
            conflicts = apache_conflicts(out, staged_candidate)
        # The include and host lists are for this check; apache2 -t says what is wrong on stderr.
        output = messages
    elif server == 'caddy':
        found = caddy_files(staged_main)
        loaded = staged_candidate in [path for path, top in found]
        if loaded:
            conflicts = caddy_conflicts(dict((path, _read_text(path)) for path, top in found if top), staged_candidate)
        output = '\n'.join(part for part in (messages, clean_check_output(server, out.strip())) if part)
    else:
        conflicts = haproxy_conflicts(texts, staged_candidate)
        output = '\n'.join(part for part in (messages, out.strip()) if part)
    check = Check(rc == 0 and not conflicts, [_real_paths(arg, back) for arg in argv], _real_paths(output, back))
    check.loaded = loaded
    check.baseline = None
    if rc != 0 and server != 'haproxy' and not loaded:
        # nginx dumps nothing when its check fails: the configuration as it is now says whose failure it is.
        argv, environment, dummy, dummy, rewrites = _stage_command(
            server, binary, os.path.join(workdir, 'baseline'), source, main_config, candidate_real, None)
        rc_now, out_now, err_now = run(argv, workdir, environment)
        if rc_now == 0:
            check.loaded = True
        else:
            back = dict((staged, real) for real, staged in rewrites.items())
            check.baseline = _real_paths(clean_check_output(server, (err_now or '').strip()), back)
    for conflict in conflicts:
        conflict['sites'] = [_real_paths(path, back) for path in conflict['sites']]
    check.conflicts = conflicts
    return check
