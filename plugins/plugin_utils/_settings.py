# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Checks of the settings that end up in a web server config or a hosted service's file.

Pure functions only. Every value is checked against a grammar that leaves no room for config syntax
(no spaces, quotes, ``;``, braces or newlines); a problem names the user's variable.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re

from ansible_collections.matrix.wellknown.plugins.module_utils._grammar import (
    check_address,
    check_hostname,
    check_http_url,
    check_port,
    check_safe_file_path,
    check_safe_path,
    split_server_name,
)

# What a redirect target may hold in every config: no quotes, spaces, ";" (nginx), "$" (nginx and Apache
# variables), "%" (HAProxy log-format, Apache back-references), "#" (comments), braces (Caddy placeholders)
# or backslashes. Percent-encoded URLs are refused with the rest; they are not needed for a redirect to a host.
_REDIRECT_URL = re.compile(r"^https?://[A-Za-z0-9.:\[\]-]+(/[A-Za-z0-9._~/!*+,=:@&?-]*)?\Z")
_HAPROXY_NAME = re.compile(r'^[A-Za-z0-9_.-]{1,64}\Z')
# Names of Traefik's static configuration (entry points, certificate resolvers) as a router refers to them: no "@"
# (a provider suffix), no "." (a separator of Traefik's CLI and environment names), nothing YAML or Go templates read.
_TRAEFIK_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z')
# The largest router priority accepted (Traefik keeps the top of its 64-bit range for its own routers).
TRAEFIK_PRIORITY_MAX = 2 ** 31 - 1
# Caches treat a larger Cache-Control max-age as this one (RFC 9111, 1.2.2); nginx and HAProxy refuse larger numbers.
CACHE_MAX_AGE_MAX = 2 ** 31 - 1

# Services that connect to the name they verify (the upstream address may only change the port): how each
# does it, what it does with /.well-known/matrix/, and advice for its users.
_SAME_NAME_SERVICES = {
    'apache': ('Apache connects to the host it names in ProxyPass and checks the certificate against that same name',
               'proxies', ' and make that name resolve to the address (DNS or /etc/hosts)'),
    'netlify': ('Netlify connects to the host named in the rule and checks its certificate against that same name',
                'proxies', ''),
    'cloudfront': ('CloudFront connects to the origin domain name and checks its certificate against that same name',
                   'forwards', ''),
}


class SettingsError(ValueError):
    """Invalid settings; ``problems`` lists one message per variable, naming it."""

    def __init__(self, problems):
        self.problems = problems
        super(SettingsError, self).__init__('; '.join(problems))


class Problems(object):
    """Collects the problems of a set of settings, naming each value by the user variable it comes from."""

    def __init__(self, names):
        self.names = names or {}
        self.messages = []

    def name(self, field):
        return self.names.get(field, field)

    def check(self, field, value, rule):
        """Whether ``rule(value)`` finds nothing; the problem it finds is recorded otherwise."""
        problem = rule(value)
        if problem:
            self.messages.append('%s: %r %s' % (self.name(field), value, problem))
            return False
        return True

    def add(self, field, message):
        self.messages.append('%s: %s' % (self.name(field), message))

    def raise_any(self):
        if self.messages:
            raise SettingsError(self.messages)


def _text(value):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def _idn_hint(value):
    try:
        return ': use its punycode form %r' % value.rstrip('.').encode('idna').decode('ascii')
    except UnicodeError:
        return ''


def check_hostname_value(value):
    """A hostname a user gives (a DNS name, an IPv4 address or an [IPv6] literal): the one rule for every hostname
    variable, Matrix names and sites alike, saying what to change for the usual mistakes."""
    if not isinstance(value, str):
        return 'must be a hostname (a string), not a %s' % type(value).__name__
    if not value:
        return 'is empty: give a hostname such as example.com'
    if value.endswith('.'):
        return 'ends with a dot: give it without the dot (%r)' % value.rstrip('.')
    if any(ord(char) > 127 for char in value):
        return 'is an internationalised domain name%s' % _idn_hint(value)
    problem = check_hostname(value)
    return problem and '%s: give a hostname such as example.com, without scheme, port or path' % problem


def check_site_hostname(value):
    """A name a site answers to: a DNS name or an IPv4 address (no IPv6 literal, no port)."""
    if isinstance(value, str) and value.startswith('['):
        return 'is an IPv6 literal: give a DNS name'
    return check_hostname_value(value)


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
    """A TCP port, as a number or a string of digits (the grammar's port rule)."""
    text = _text(value)
    problem = check_port(text) if text is not None else 'not a number'
    if not problem:
        return None
    return 'is outside 1-65535' if 'outside' in problem else 'is not a port number (1 to 5 digits)'


def check_ip_address(value):
    """An IP address to listen on, IPv4 or IPv6, without brackets, port or zone id."""
    if not isinstance(value, str):
        return 'is not a string'
    if '%' in value:
        # Not every web server takes a zone id in its listen directive, and Python cannot even expand one.
        return 'has an IPv6 zone id (after "%"): give an address without one (a global or unique local address)'
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


def check_traefik_name(value):
    """The name of a Traefik entry point or certificate resolver."""
    if not isinstance(value, str) or not _TRAEFIK_NAME.match(value):
        return ('is not a Traefik entry point or resolver name (1 to 64 letters, digits, "_" or "-", starting with a '
                'letter or digit)')
    return None


def check_traefik_priority(value):
    """A Traefik router priority, 1 or more."""
    text = _text(value)
    if text is None or not re.match(r'^[0-9]{1,10}\Z', text) or not 1 <= int(text) <= TRAEFIK_PRIORITY_MAX:
        return 'is not a router priority (a whole number from 1 to %d)' % TRAEFIK_PRIORITY_MAX
    return None


def check_cache_max_age(value):
    """Seconds of Cache-Control max-age, up to the largest delta-seconds caches must understand (RFC 9111)."""
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or not 0 <= value <= CACHE_MAX_AGE_MAX:
        return 'is not a whole number of seconds from 0 to %d' % CACHE_MAX_AGE_MAX
    return None


def upstream(problems, settings, service=None):
    """The Matrix host to forward to: ``upstream_hostname`` and the optional ``upstream_address`` (host:port).

    Returns ``upstream_hostname``, ``connect_host``, ``connect_port`` and ``connect``. For a ``service`` that
    connects to the name it verifies (Apache, Netlify, CloudFront), the address may only change the port.
    """
    result = {}
    hostname = settings.get('upstream_hostname')
    if problems.check('upstream_hostname', hostname, check_dns_name):
        result['upstream_hostname'] = hostname
    address = settings.get('upstream_address') or ''
    connect_host, connect_port = hostname, '443'
    if address and problems.check('upstream_address', address, check_upstream_address):
        connect_host, connect_port = split_server_name(address)
        if service in _SAME_NAME_SERVICES and connect_host != hostname:
            rule, dummy, advice = _SAME_NAME_SERVICES[service]
            problems.add('upstream_address', '%r: %s, so it cannot connect to %r while verifying %r. Give %s:<port> '
                         '(only the port can change)%s' % (address, rule, connect_host, hostname, hostname, advice))
    result['connect_host'] = connect_host
    result['connect_port'] = int(connect_port) if connect_port and connect_port.isdigit() else 443
    result['connect'] = '%s:%s' % (connect_host, result['connect_port'])
    return result


def hosted_service(problems, settings, service, what):
    """The settings every hosted service (Netlify, CloudFront) shares: method proxy, an absolute
    ``config_path`` (``what`` says which file), and the upstream. Returns the upstream."""
    method = settings.get('method')
    if method != 'proxy':
        problems.add('method', '%r: %s %s /.well-known/matrix/ to the Matrix host; only method proxy applies'
                     % (method, _SAME_NAME_SERVICES[service][0].split()[0], _SAME_NAME_SERVICES[service][1]))
    path = settings.get('config_path')
    if not isinstance(path, str) or not posixpath.isabs(path):
        problems.add('config_path', '%r is not an absolute path: give %s' % (path, what))
    return upstream(problems, settings, service)
