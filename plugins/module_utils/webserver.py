# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Web server configs for the /.well-known/matrix/ documents: checks, defaults and validation wrappers.

Private to this collection: no API stability is promised to other collections.
Pure functions only (no file, process or network access), so the filter plugins on the
controller, the modules on the target and the unit tests all call them directly.

Every value that ends up in a web server config goes through ``build_site`` first: it
checks each value against a grammar that leaves no room for config syntax (no spaces,
quotes, ``;``, braces or newlines) and fails naming the user's variable.
"""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re

from ansible_collections.matrix.wellknown.plugins.module_utils.documents import check_document_name
from ansible_collections.matrix.wellknown.plugins.module_utils.grammar import (
    MAX_PORT,
    check_address,
    check_hostname,
    check_http_url,
    check_safe_file_path,
    check_safe_path,
    split_server_name,
)

SERVERS = ('nginx', 'apache', 'caddy', 'haproxy')
FORMS = ('server', 'snippet')
# How /.well-known/matrix/ is served: from a directory (the Matrix host, and the base domain's methods
# static and site, which generate the same documents there), or forwarded to the Matrix host.
METHODS = ('static', 'proxy')
# What a form-server site does outside /.well-known/matrix/: answer 404, or (the base domain's method
# site, which serves the whole domain) serve an index page or a redirect at / and 404 elsewhere.
ROOT_ACTIONS = ('not_found', 'page', 'redirect')

# What browsers need on every /.well-known/matrix/ response (Matrix client-server API, CORS).
CORS_HEADERS = (
    ('Access-Control-Allow-Origin', '*'),
    ('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS'),
    ('Access-Control-Allow-Headers', 'X-Requested-With, Content-Type, Authorization'),
)

# The CA bundle of Debian and Ubuntu (ca-certificates). nginx and Apache need a file to verify an
# upstream; HAProxy has a name for the system store, Caddy uses it when given nothing.
SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt'
HAPROXY_SYSTEM_CA = '@system-ca'

# Where each server's packages (Debian, Ubuntu) pick up extra configuration. A snippet goes where
# nothing includes it automatically: it belongs inside an existing site, which includes it by path.
_DEFAULT_DIRECTORIES = {
    ('nginx', 'server'): ('/etc/nginx/conf.d', '.conf'),
    ('nginx', 'snippet'): ('/etc/nginx/snippets', '.conf'),
    ('apache', 'server'): ('/etc/apache2/sites-enabled', '.conf'),
    ('apache', 'snippet'): ('/etc/apache2/snippets', '.conf'),
    ('caddy', 'server'): ('/etc/caddy/Caddyfile.d', '.caddyfile'),
    ('caddy', 'snippet'): ('/etc/caddy/snippets', '.caddyfile'),
    ('haproxy', 'server'): ('/etc/haproxy/conf.d', '.cfg'),
    ('haproxy', 'snippet'): ('/etc/haproxy/conf.d', '.cfg'),
}
_SERVICES = {'nginx': 'nginx', 'apache': 'apache2', 'caddy': 'caddy', 'haproxy': 'haproxy'}

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

_NAME = re.compile(r'^[a-z][a-z0-9_]{0,63}\Z')
# What a redirect target may hold in every config: no quotes, spaces, ";" (nginx), "$" (nginx and Apache
# variables), "%" (HAProxy log-format, Apache back-references), "#" (comments), braces (Caddy placeholders)
# or backslashes. Percent-encoded URLs are refused with the rest; they are not needed for a redirect to a host.
_REDIRECT_URL = re.compile(r"^https?://[A-Za-z0-9.:\[\]-]+(/[A-Za-z0-9._~/!*+,=:@&?-]*)?\Z")
_DIGITS = re.compile(r'^[0-9]{1,5}\Z')
_HAPROXY_NAME = re.compile(r'^[A-Za-z0-9_.-]{1,64}\Z')


class SiteError(ValueError):
    """Invalid settings; ``problems`` lists one message per variable, naming it."""

    def __init__(self, problems):
        self.problems = problems
        super(SiteError, self).__init__('; '.join(problems))


def default_config_path(server, form, name):
    """The usual drop-in path for ``server`` and ``form``; ``''`` for a server this collection does not configure."""
    if (server, form) not in _DEFAULT_DIRECTORIES:
        return ''
    directory, suffix = _DEFAULT_DIRECTORIES[(server, form)]
    return '%s/%s%s' % (directory, name, suffix)


def default_reload_command(server):
    """The distribution's reload command for ``server`` (systemd); ``''`` for an unknown server."""
    if server not in _SERVICES:
        return ''
    return 'systemctl reload %s' % _SERVICES[server]


def _text(value):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def check_site_hostname(value):
    """A name a site answers to: a DNS name or an IPv4 address (no IPv6 literal, no port)."""
    text = _text(value)
    if text is None:
        return 'is not a string'
    if text.startswith('['):
        return 'is an IPv6 literal: give a DNS name'
    return check_hostname(text)


def check_dns_name(value):
    """A DNS name, as sent in TLS SNI (which does not carry IP addresses)."""
    problem = check_site_hostname(value)
    if problem:
        return problem
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None
    return 'is an IP address: give the DNS name the certificate is issued for'


def check_port_number(value):
    """A TCP port, as a number or a string of digits."""
    text = _text(value)
    if text is None or not _DIGITS.match(text):
        return 'is not a port number (1 to 5 digits)'
    if not 1 <= int(text) <= MAX_PORT:
        return 'is outside 1-65535'
    return None


def check_ip_address(value):
    """An IP address to listen on, IPv4 or IPv6, without brackets or port."""
    if not isinstance(value, str):
        return 'is not a string'
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return 'is not an IPv4 or IPv6 address (like 203.0.113.10 or 2001:db8::10, without brackets or port)'
    return None


def check_path(value):
    """An absolute path that is safe in a config file."""
    if not isinstance(value, str):
        return 'is not a string'
    return check_safe_path(value)


def check_file_path(value):
    """The absolute path of a file that is safe in a config file."""
    if not isinstance(value, str):
        return 'is not a string'
    return check_safe_file_path(value)


def check_upstream_address(value):
    """host:port to connect to instead of the upstream hostname."""
    if not isinstance(value, str):
        return 'is not a string'
    return check_address(value)


def check_redirect_url(value):
    """An absolute http(s) URL that is safe in every web server config, for a redirect."""
    problem, dummy = check_http_url(value)
    if problem:
        return problem
    if not _REDIRECT_URL.match(value):
        return ('holds characters that are not safe in a web server config (allowed after the host: letters, digits '
                'and "/._~!*+,=:@&?-"; no "%", "$", ";", "#", quotes or braces)')
    return None


def check_haproxy_name(value):
    """A name for a HAProxy frontend/backend."""
    if not isinstance(value, str) or not _HAPROXY_NAME.match(value):
        return 'is not a HAProxy section name (1 to 64 letters, digits, "_", "." or "-")'
    return None


def check_cache_max_age(value):
    """Seconds of Cache-Control max-age."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or int(value) != value:
        return 'is not a whole number of seconds, 0 or more'
    return None


class Checker(object):
    """Collects problems, naming each value by the user variable it comes from."""

    def __init__(self, names):
        self.names = names or {}
        self.problems = []

    def name(self, field):
        return self.names.get(field, field)

    def check(self, field, value, rule):
        problem = rule(value)
        if problem:
            self.problems.append('%s: %r %s' % (self.name(field), value, problem))
            return False
        return True

    def fail(self, field, message):
        self.problems.append('%s: %s' % (self.name(field), message))


def _listen(checker, site, server):
    addresses = site.get('listen_addresses') or []
    if not isinstance(addresses, list):
        checker.fail('listen_addresses', 'is not a list of IP addresses')
        return []
    entries = []
    port = int(site['https_port'])
    for address in addresses:
        if not checker.check('listen_addresses', address, check_ip_address):
            continue
        ip = ipaddress.ip_address(address)
        host = '[%s]' % ip.compressed if ip.version == 6 else ip.compressed
        entries.append({
            'address': ip.compressed,
            'host': host,
            'host_port': '%s:%d' % (host, port),
            # Apache: names a Define that keeps two files from opening the same Listen.
            'id': re.sub(r'[^A-Za-z0-9]', '_', '%s_%d' % (ip.exploded, port)),
        })
    return entries


# Services that connect to the name they verify: the upstream address may only change the port.
APACHE_UPSTREAM_RULE = ('Apache connects to the host it names in ProxyPass and checks the certificate against that same name, '
                        'so it cannot connect to {host!r} while verifying {name!r}. Give {name}:<port> (only the port can '
                        'change) and make that name resolve to the address (DNS or /etc/hosts)')


def upstream(checker, settings, same_name_rule=None):
    """The Matrix host to forward to: ``upstream_hostname`` and the optional ``upstream_address`` (host:port).

    Returns ``upstream_hostname``, ``connect_host``, ``connect_port`` and ``connect``; problems go to ``checker``.
    With ``same_name_rule`` (a message with {host} and {name}), the address may only change the port: for
    services that connect to the name they verify (Apache, Netlify, CloudFront).
    """
    result = {}
    hostname = settings.get('upstream_hostname')
    if checker.check('upstream_hostname', hostname, check_dns_name):
        result['upstream_hostname'] = hostname
    address = settings.get('upstream_address') or ''
    connect_host, connect_port = hostname, '443'
    if address and checker.check('upstream_address', address, check_upstream_address):
        connect_host, connect_port = split_server_name(address)
        if same_name_rule and connect_host != hostname:
            checker.fail('upstream_address', '%r: %s' % (address, same_name_rule.format(host=connect_host, name=hostname)))
    result['connect_host'] = connect_host
    result['connect_port'] = int(connect_port) if connect_port and connect_port.isdigit() else 443
    result['connect'] = '%s:%s' % (connect_host, result['connect_port'])
    return result


def _wellknown(checker, wellknown, server):
    method = wellknown.get('method')
    if method not in METHODS:
        checker.fail('method', '%r is not one of %s' % (method, ', '.join(METHODS)))
        return None
    result = {'method': method}
    if method == 'static':
        if checker.check('root', wellknown.get('root'), check_path):
            root = wellknown['root'].rstrip('/') or '/'
            result['root'] = root
            result['directory'] = root.rstrip('/') + '/.well-known/matrix'
        documents = wellknown.get('documents') or []
        if not isinstance(documents, list):
            checker.fail('documents', 'is not a list of document names')
            documents = []
        result['documents'] = [name for name in documents if checker.check('documents', name, check_document_name)]
        if checker.check('cache_max_age', wellknown.get('cache_max_age'), check_cache_max_age):
            result['cache_max_age'] = int(wellknown['cache_max_age'])
        return result

    result.update(upstream(checker, wellknown, APACHE_UPSTREAM_RULE if server == 'apache' else None))
    ca_file = wellknown.get('upstream_ca_file') or ''
    if ca_file:
        checker.check('upstream_ca_file', ca_file, check_file_path)
    result['ca_file'] = ca_file
    if ca_file:
        result['ca_file_effective'] = ca_file
    elif server == 'haproxy':
        result['ca_file_effective'] = HAPROXY_SYSTEM_CA
    elif server == 'caddy':
        result['ca_file_effective'] = ''
    else:
        result['ca_file_effective'] = SYSTEM_CA_FILE
    return result


def build_site(site, server, names=None):
    """Check a site description and return the normalised form the templates use.

    ``site`` holds ``name``, ``form``, ``config_path``, ``hostname``, ``https_port``, ``listen_addresses``,
    ``tls_certificate``, ``tls_certificate_key``, ``haproxy_backend_name``,
    ``haproxy_tls_bundle_path``, ``root_action`` (with ``index_file`` for ``page``, ``redirect_url`` for
    ``redirect``) and ``wellknown`` (``method`` ``static``
    with ``root``, ``documents``, ``cache_max_age``, or ``proxy`` with ``upstream_hostname``,
    ``upstream_address``, ``upstream_ca_file``). ``names`` maps those fields to the user's
    variable names for messages. Raises SiteError listing every problem.
    """
    checker = Checker(names)
    if server not in SERVERS:
        raise SiteError(['%s: %r is not one of %s' % (checker.name('server'), server, ', '.join(SERVERS))])
    if not isinstance(site, dict):
        raise SiteError(['the site description is not a mapping'])
    result = {'server': server, 'cors_headers': [list(header) for header in CORS_HEADERS]}

    name = site.get('name')
    if not isinstance(name, str) or not _NAME.match(name):
        checker.fail('name', '%r is not an identifier (lower case letters, digits and "_")' % (name,))
    result['name'] = name

    form = site.get('form', 'server')
    if form not in FORMS:
        checker.fail('form', '%r is not one of %s' % (form, ', '.join(FORMS)))
    result['form'] = form

    root_action = site.get('root_action', 'not_found')
    if root_action not in ROOT_ACTIONS:
        checker.fail('root_action', '%r is not one of %s' % (root_action, ', '.join(ROOT_ACTIONS)))
    result['root_action'] = root_action
    if root_action in ('page', 'redirect') and form != 'server':
        checker.fail('form', '%r: a site that answers at / (%s %r) is a complete site: use form server'
                     % (form, checker.name('root_action'), root_action))
    if root_action == 'page' and checker.check('index_file', site.get('index_file'), check_file_path):
        result['index_file'] = site['index_file']
        # nginx and Caddy serve the file from its directory, under its own name.
        result['index_directory'], result['index_name'] = posixpath.split(site['index_file'])
    if root_action == 'redirect' and checker.check('redirect_url', site.get('redirect_url'), check_redirect_url):
        result['redirect_url'] = site['redirect_url']

    if checker.check('config_path', site.get('config_path'), check_file_path):
        result['config_path'] = site['config_path']

    if server == 'haproxy':
        backend = site.get('haproxy_backend_name') or name
        checker.check('haproxy_backend_name', backend, check_haproxy_name)
        result['haproxy_backend_name'] = backend

    if form == 'server':
        if checker.check('hostname', site.get('hostname'), check_site_hostname):
            result['hostname'] = site['hostname']
        result['listen'] = []
        if checker.check('https_port', site.get('https_port'), check_port_number):
            result['https_port'] = int(site['https_port'])
            result['listen'] = _listen(checker, site, server)
        certificate = site.get('tls_certificate')
        key = site.get('tls_certificate_key') or ''
        checker.check('tls_certificate', certificate, check_file_path)
        if key:
            checker.check('tls_certificate_key', key, check_file_path)
        elif server != 'haproxy':
            checker.fail('tls_certificate_key', 'is empty: give the private key of the certificate')
        result['tls_certificate'] = certificate
        result['tls_certificate_key'] = key or certificate
        result['tls_bundle'] = None
        if server == 'haproxy':
            # HAProxy wants certificate and key in one PEM; build it unless the certificate file holds both.
            if key and key != certificate:
                bundle = site.get('haproxy_tls_bundle_path')
                if checker.check('haproxy_tls_bundle_path', bundle, check_file_path):
                    result['tls_bundle'] = {'path': bundle, 'certificate': certificate, 'key': key}
                result['tls_pem'] = bundle
            else:
                result['tls_pem'] = certificate

    wellknown = site.get('wellknown')
    if not isinstance(wellknown, dict):
        checker.fail('wellknown', 'is not a mapping')
    else:
        result['wellknown'] = _wellknown(checker, wellknown, server)

    if checker.problems:
        raise SiteError(checker.problems)
    return result


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
