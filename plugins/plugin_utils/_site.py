# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The site a web server config describes, built on the controller from the roles' settings.

Pure functions only. ``build_site`` checks every value that a template writes into a config file and
returns the normalised site the templates render; a problem names the user's variable.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re

from ansible_collections.matrix.wellknown.plugins.module_utils._documents import check_document_name
from ansible_collections.matrix.wellknown.plugins.module_utils import _servers as servers
from ansible_collections.matrix.wellknown.plugins.plugin_utils._settings import (
    Problems,
    SettingsError,
    check_cache_max_age,
    check_file_path,
    check_haproxy_name,
    check_ip_address,
    check_path,
    check_port_number,
    check_redirect_url,
    check_site_hostname,
    check_traefik_name,
    check_traefik_priority,
    upstream,
)

# From the registry of server types (module_utils/_servers.py): those that serve files (the Matrix host, and every
# method of the base domain), and Traefik, which serves no files but forwards the base domain's /.well-known/matrix/.
SERVERS = servers.NAMES
STATIC_SERVERS = servers.STATIC_SERVERS
PROXY_SERVERS = servers.PROXY_SERVERS
FORMS = ('server', 'snippet')
# Where a Traefik router gets its certificate: a certificate resolver (ACME), certificate files this config loads
# (the file provider's tls.certificates), or the certificates Traefik has already loaded.
TRAEFIK_TLS = ('resolver', 'files', 'loaded')
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

# The CA bundle of Debian and Ubuntu (ca-certificates). nginx, Apache and HAProxy need a file to verify an
# upstream (HAProxy's @system-ca is read under the ca-base of Debian's haproxy.cfg, /etc/ssl/certs/@system-ca,
# which does not exist; an absolute path is not); Caddy uses the system's store when given nothing.
SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt'


def default_config_path(server, form, name):
    """The usual drop-in path for ``server`` and ``form``; ``''`` for a server this collection does not configure."""
    directories = servers.TYPES[server]['directories'] if server in servers.TYPES else {}
    if form not in directories:
        return ''
    directory, suffix = directories[form]
    return '%s/%s%s' % (directory, name, suffix)


def default_reload_command(server):
    """The distribution's reload command for ``server`` (systemd); ``''`` for a server that needs none (Traefik
    picks up a changed file by itself) or an unknown one."""
    service = servers.TYPES[server]['service'] if server in servers.TYPES else None
    if not service:
        return ''
    return 'systemctl reload %s' % service


_NAME = re.compile(r'^[a-z][a-z0-9_]{0,63}\Z')


def _listen(problems, site, server):
    addresses = site.get('listen_addresses') or []
    if not isinstance(addresses, list):
        problems.add('listen_addresses', 'is not a list of IP addresses')
        return []
    entries = []
    port = int(site['https_port'])
    for address in addresses:
        if not problems.check('listen_addresses', address, check_ip_address):
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


def _wellknown(problems, wellknown, server):
    method = wellknown.get('method')
    if method not in METHODS:
        problems.add('method', '%r is not one of %s' % (method, ', '.join(METHODS)))
        return None
    result = {'method': method}
    if method == 'static':
        # Where the documents are written, derived once by the caller: every template serves them from there.
        if problems.check('directory', wellknown.get('directory'), check_path):
            result['directory'] = wellknown['directory'].rstrip('/') or '/'
        documents = wellknown.get('documents') or []
        if not isinstance(documents, list):
            problems.add('documents', 'is not a list of document names')
            documents = []
        result['documents'] = [name for name in documents if problems.check('documents', name, check_document_name)]
        if problems.check('cache_max_age', wellknown.get('cache_max_age'), check_cache_max_age):
            result['cache_max_age'] = int(wellknown['cache_max_age'])
        return result

    result.update(upstream(problems, wellknown, server))
    ca_file = wellknown.get('upstream_ca_file') or ''
    if ca_file:
        problems.check('upstream_ca_file', ca_file, check_file_path)
    result['ca_file'] = ca_file
    if ca_file:
        result['ca_file_effective'] = ca_file
    elif server in ('caddy', 'traefik'):
        # Both verify with the system's store when given no CA.
        result['ca_file_effective'] = ''
    else:
        result['ca_file_effective'] = SYSTEM_CA_FILE
    return result


def check_traefik_method_form(problems, method, form):
    """Traefik serves no files (method proxy) and its file provider takes whole files (form server): the one
    statement of that rule, for build_site and for the role plan, which applies it before the paths."""
    if method != 'proxy':
        problems.add('method', '%r: Traefik serves no files, it forwards /.well-known/matrix/ to the Matrix host: use '
                               'method proxy' % (method,))
    if form != 'server':
        problems.add('form', "%r: Traefik's file provider loads whole files, each a part of one configuration: use form "
                             'server' % (form,))


def _traefik(problems, site, result):
    """A Traefik router for the base domain: entry point, priority and where its certificate comes from."""
    wellknown = site.get('wellknown')
    check_traefik_method_form(problems, wellknown.get('method') if isinstance(wellknown, dict) else 'proxy',
                              site.get('form', 'server'))
    if problems.check('hostname', site.get('hostname'), check_site_hostname):
        result['hostname'] = site['hostname']
    traefik = {}
    if problems.check('traefik_entrypoint', site.get('traefik_entrypoint'), check_traefik_name):
        traefik['entrypoint'] = site['traefik_entrypoint']
    if problems.check('traefik_priority', site.get('traefik_priority'), check_traefik_priority):
        traefik['priority'] = int(site['traefik_priority'])
    tls = site.get('traefik_tls')
    traefik['tls'] = tls
    if tls not in TRAEFIK_TLS:
        problems.add('traefik_tls', '%r is not one of %s' % (tls, ', '.join(TRAEFIK_TLS)))
    elif tls == 'resolver':
        if problems.check('traefik_certresolver', site.get('traefik_certresolver'), check_traefik_name):
            traefik['certresolver'] = site['traefik_certresolver']
    elif tls == 'files':
        problems.check('tls_certificate', site.get('tls_certificate'), check_file_path)
        problems.check('tls_certificate_key', site.get('tls_certificate_key'), check_file_path)
        result['tls_certificate'] = site.get('tls_certificate')
        result['tls_certificate_key'] = site.get('tls_certificate_key')
    result['traefik'] = traefik


def build_site(site, server, names=None):
    """Check a site description and return the normalised form the templates use.

    ``site`` holds ``name``, ``form``, ``config_path``, ``hostname``, ``https_port``, ``listen_addresses``,
    ``tls_certificate``, ``tls_certificate_key``, ``haproxy_backend_name``,
    ``haproxy_tls_bundle_path``, for Traefik ``traefik_entrypoint``, ``traefik_priority``, ``traefik_tls`` (with
    ``traefik_certresolver`` for ``resolver``, the certificate and key for ``files``), ``root_action`` (with ``index_file`` for ``page``, ``redirect_url`` for
    ``redirect``) and ``wellknown`` (``method`` ``static``
    with ``directory``, where the documents are, ``documents``, ``cache_max_age``, or ``proxy`` with ``upstream_hostname``,
    ``upstream_address``, ``upstream_ca_file``). ``names`` maps those fields to the user's
    variable names for messages. Raises SettingsError listing every problem.
    """
    problems = Problems(names)
    if server not in SERVERS:
        raise SettingsError(['%s: %r is not one of %s' % (problems.name('server'), server, ', '.join(SERVERS))])
    if not isinstance(site, dict):
        raise SettingsError(['the site description is not a mapping'])
    result = {'server': server, 'cors_headers': [list(header) for header in CORS_HEADERS]}

    name = site.get('name')
    if not isinstance(name, str) or not _NAME.match(name):
        problems.add('name', '%r is not an identifier (lower case letters, digits and "_")' % (name,))
    result['name'] = name

    form = site.get('form', 'server')
    if form not in FORMS:
        problems.add('form', '%r is not one of %s' % (form, ', '.join(FORMS)))
    result['form'] = form

    root_action = site.get('root_action', 'not_found')
    if root_action not in ROOT_ACTIONS:
        problems.add('root_action', '%r is not one of %s' % (root_action, ', '.join(ROOT_ACTIONS)))
    result['root_action'] = root_action
    if root_action in ('page', 'redirect') and form != 'server':
        problems.add('form', '%r: a site that answers at / (%s %r) is a complete site: use form server'
                     % (form, problems.name('root_action'), root_action))
    if root_action == 'page' and problems.check('index_file', site.get('index_file'), check_file_path):
        result['index_file'] = site['index_file']
        # nginx and Caddy serve the file from its directory, under its own name.
        result['index_directory'], result['index_name'] = posixpath.split(site['index_file'])
    if root_action == 'redirect' and problems.check('redirect_url', site.get('redirect_url'), check_redirect_url):
        result['redirect_url'] = site['redirect_url']

    if problems.check('config_path', site.get('config_path'), check_file_path):
        result['config_path'] = site['config_path']

    if server == 'haproxy':
        backend = site.get('haproxy_backend_name') or name
        problems.check('haproxy_backend_name', backend, check_haproxy_name)
        result['haproxy_backend_name'] = backend

    if server == 'traefik':
        _traefik(problems, site, result)
    elif form == 'server':
        if problems.check('hostname', site.get('hostname'), check_site_hostname):
            result['hostname'] = site['hostname']
        result['listen'] = []
        if problems.check('https_port', site.get('https_port'), check_port_number):
            result['https_port'] = int(site['https_port'])
            result['listen'] = _listen(problems, site, server)
        certificate = site.get('tls_certificate')
        key = site.get('tls_certificate_key') or ''
        problems.check('tls_certificate', certificate, check_file_path)
        if key:
            problems.check('tls_certificate_key', key, check_file_path)
        elif server != 'haproxy':
            problems.add('tls_certificate_key', 'is empty: give the private key of the certificate')
        result['tls_certificate'] = certificate
        result['tls_certificate_key'] = key or certificate
        result['tls_bundle'] = None
        if server == 'haproxy':
            # HAProxy wants certificate and key in one PEM; build it unless the certificate file holds both.
            if key and key != certificate:
                bundle = site.get('haproxy_tls_bundle_path')
                if problems.check('haproxy_tls_bundle_path', bundle, check_file_path):
                    result['tls_bundle'] = {'path': bundle, 'certificate': certificate, 'key': key}
                result['tls_pem'] = bundle
            else:
                result['tls_pem'] = certificate

    wellknown = site.get('wellknown')
    if not isinstance(wellknown, dict):
        problems.add('wellknown', 'is not a mapping')
    else:
        result['wellknown'] = _wellknown(problems, wellknown, server)

    problems.raise_any()
    return result


def managed_line(name):
    """The first line of the configs of site ``name``."""
    return '%s%s): local changes are overwritten' % (servers.MANAGED_PREFIX, name)
