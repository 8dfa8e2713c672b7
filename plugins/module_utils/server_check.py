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

# Binaries that can check a config, by server.
BINARIES = {'nginx': ('nginx',), 'apache': ('apache2', 'httpd'), 'caddy': ('caddy',), 'haproxy': ('haproxy',)}
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


def pem_bundle(certificate, key):
    """Certificate chain then private key, as HAProxy reads them from one file (bytes)."""
    if not certificate.endswith(b'\n'):
        certificate += b'\n'
    if not key.endswith(b'\n'):
        key += b'\n'
    return certificate + key


def staged_config(content, replacements):
    """``content`` with each path that the config loads replaced by its staged copy (longest path first).

    Every path in a config this collection writes has passed a grammar without spaces or quotes, and stands
    in the config as a whole word, so a plain replacement finds each of them and nothing else.
    """
    for real in sorted(replacements, key=len, reverse=True):
        content = content.replace(real, replacements[real])
    return content


def check_config(run, server, form, content, binary, workdir, apache_modules_directory=None, exists=None):
    """Check ``content`` with ``binary`` in ``workdir``; return (ok, argv, output).

    ``run(argv, cwd, environment)`` runs a command and returns (rc, out, err).
    """
    candidate = workdir + '/candidate.conf'
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
