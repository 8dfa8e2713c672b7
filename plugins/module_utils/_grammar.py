# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Grammars from the Matrix specification, as pure functions.

Every ``check_*`` function returns ``None`` when the value is valid, otherwise a
short rule sentence ("is not ...") that callers prefix with the value's name.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import unicodedata

from urllib.parse import urlsplit

MAX_PORT = 65535

# Every pattern ends with \Z, not $: $ also matches before a trailing newline, which would then reach a
# file name or a config.
_DNS_NAME = re.compile(r'^[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\Z')
_IPV4_SHAPE = re.compile(r'^[0-9]{1,3}(\.[0-9]{1,3}){3}\Z')
_ALL_DIGITS_AND_DOTS = re.compile(r'^[0-9.]+\Z')
_PORT = re.compile(r'^[0-9]{1,5}\Z')
_LOCALPART = re.compile(r'^[a-z0-9._=/+-]+\Z')
# Historical user IDs may hold any printable ASCII except ':' in the localpart.
_HISTORICAL_LOCALPART = re.compile(r'^[\x21-\x39\x3b-\x7e]+\Z')
_NAMESPACED = re.compile(r'^[a-z][a-z0-9._-]{0,254}\Z')
# Java package style for extra client keys: reverse domain, at least two parts.
_JAVA_PACKAGE = re.compile(r'^[a-z][a-z0-9_-]*(\.[A-Za-z0-9_-]+)+\Z')
_EMAIL = re.compile(r'^[^@\s"\'<>(),;:\\\[\]]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\Z')
_FORBIDDEN_URL_CHARS = re.compile(r'[\s"\'<>\\`{}|^]')
_BASE64 = re.compile(r'^[A-Za-z0-9+/]+\Z')
ED25519_KEY_BYTES = 32
_SAFE_PATH = re.compile(r'^/[A-Za-z0-9._/+@%=,-]*\Z')
# Python's ipaddress accepts any text after "%" as an IPv6 zone id, and web servers copy it into their configs:
# only the characters of interface names (and numeric zones) are allowed.
_ZONE_ID = re.compile(r'^[A-Za-z0-9_.-]+\Z')


def check_invisible(value):
    """Refuse control characters (NUL, escapes), bidirectional overrides and other invisible format characters.

    A published value with U+202E shows a reader something else than what a client opens.
    """
    for char in value:
        if unicodedata.category(char)[0] == 'C':
            return 'contains the control or invisible character U+%04X (%s)' % (
                ord(char), unicodedata.name(char, 'unnamed'))
    return None


def check_port(text):
    """Check a decimal port number given as a string (1-65535)."""
    if not _PORT.match(text or ''):
        return 'has a port that is not a number of 1 to 5 digits'
    if not 1 <= int(text) <= MAX_PORT:
        return 'has a port outside 1-65535'
    return None


def check_ipv6_address(text):
    """Check an IPv6 address without brackets; a zone id (``fe80::1%eth0``) only of letters, digits, "_", "." and "-"."""
    address, percent, zone = text.partition('%')
    if percent and not _ZONE_ID.match(zone):
        return 'has an IPv6 zone id (after "%") that is not made only of letters, digits, "_", "." and "-"'
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return 'has an invalid IPv6 literal'
    return None


def check_hostname(host):
    """Check the hostname part of a server name: IPv4, [IPv6] or a DNS name."""
    if not host:
        return 'has an empty hostname'
    if host.startswith('['):
        if ']' in host and not host.endswith(']'):
            return 'has characters after the IPv6 literal that are not ":port"'
        if not host.endswith(']'):
            return 'has an IPv6 literal without its closing "]"'
        return check_ipv6_address(host[1:-1])
    if _IPV4_SHAPE.match(host):
        if any(int(part) > 255 for part in host.split('.')):
            return 'has an IPv4 address with a part over 255'
        return None
    if _ALL_DIGITS_AND_DOTS.match(host):
        return 'is neither a valid IPv4 address nor a DNS name'
    if len(host) > 255 or not _DNS_NAME.match(host):
        return 'is not a valid DNS name (letters, digits, "-" and "." between non-empty labels)'
    return None


def split_server_name(value):
    """Split a server name into (hostname, port or None) without validating it."""
    if value.startswith('['):
        end = value.find(']')
        if end == -1:
            return value, None
        rest = value[end + 1:]
        if rest.startswith(':'):
            return value[:end + 1], rest[1:]
        # Anything else after "]" stays in the host, where check_hostname refuses it.
        return value, None
    if ':' in value:
        host, port = value.rsplit(':', 1)
        return host, port
    return value, None


def check_server_name(value):
    """Check a server name: hostname [":" port] (spec appendix, Server Name)."""
    if not isinstance(value, str):
        return 'is not a string'
    if not value:
        return 'is empty'
    if re.search(r'\s', value):
        return 'contains whitespace'
    if '://' in value:
        return 'must not include a scheme such as "https://": give only host[:port]'
    if '/' in value or '?' in value or '#' in value:
        return 'must not include a path: give only host[:port]'
    host, port = split_server_name(value)
    if ':' in host and not host.startswith('['):
        return 'has more than one ":" (IPv6 addresses must be written in [brackets])'
    if host.startswith('[') and '%' in host:
        # IPv6address = 2*45IPv6char, IPv6char = DIGIT / A-F / a-f / ":" / ".": a zone id names an interface of
        # one machine, which other servers cannot reach.
        return ('has an IPv6 zone id (after "%"): the server name grammar allows only hex digits, ":" and "." '
                'in an IPv6 literal')
    problem = check_hostname(host)
    if problem:
        return problem
    if port is not None:
        return check_port(port)
    return None


def check_user_id(value):
    """Check a Matrix user ID: "@" localpart ":" server_name, at most 255 bytes."""
    if not isinstance(value, str):
        return 'is not a string'
    if len(value.encode('utf-8')) > 255:
        return 'is longer than 255 bytes'
    if not value.startswith('@') or ':' not in value:
        return 'is not a user ID of the form @localpart:server.name'
    localpart, server_name = value[1:].split(':', 1)
    if not localpart:
        return 'has an empty localpart'
    if not _LOCALPART.match(localpart):
        if _HISTORICAL_LOCALPART.match(localpart):
            return None
        return 'has a localpart with characters outside a-z, 0-9 and "-._=/+"'
    problem = check_server_name(server_name)
    if problem:
        return 'has a server name that ' + problem
    return None


def check_namespaced_identifier(value):
    """Check a namespaced identifier such as m.role.admin or com.example.role."""
    if not isinstance(value, str) or not _NAMESPACED.match(value) or '.' not in value:
        return 'is not a namespaced identifier (lower case, dot-separated, like "com.example.role")'
    return None


def check_java_package_key(value):
    """Check a client well-known key in Java package style (io.element.e2ee)."""
    if not _JAVA_PACKAGE.match(value):
        return ('is not a namespaced key in Java package style (like "io.element.e2ee" or '
                '"org.matrix.msc4143.rtc_foci")')
    return None


def check_email(value):
    """A plausible e-mail address: one "@", no spaces or quotes, a dotted domain."""
    if not isinstance(value, str):
        return 'is not a plausible e-mail address (like admin@example.com)'
    return check_invisible(value) or (
        None if _EMAIL.match(value) else 'is not a plausible e-mail address (like admin@example.com)')


def check_http_url(value):
    """Check an absolute http(s) URL with a host.

    Returns (problem, is_plain_http)."""
    if not isinstance(value, str):
        return 'is not a string', False
    if _FORBIDDEN_URL_CHARS.search(value):
        return 'contains whitespace, quotes or other characters not allowed in a URL', False
    invisible = check_invisible(value)
    if invisible:
        return invisible, False
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return 'is not an absolute http(s) URL', False
    if parts.scheme not in ('http', 'https') or not parts.netloc or not parts.hostname:
        return 'is not an absolute http(s) URL', False
    if parts.username is not None or parts.password is not None:
        return 'must not contain user credentials', False
    host = parts.netloc.rsplit('@', 1)[-1]
    if port is not None:
        host = host.rsplit(':', 1)[0]
    if port == 0:
        return 'has a port outside 1-65535', False
    problem = check_hostname(host)
    if problem:
        return 'has a host that ' + problem, False
    return None, parts.scheme == 'http'


def check_address(value):
    """Check a host:port address for a web server config (hostname or IP, port required)."""
    if not isinstance(value, str) or not value:
        return 'is not a host:port address'
    if re.search(r'\s', value):
        return 'contains whitespace'
    host, port = split_server_name(value)
    if port is None:
        return 'has no ":port" (give host:port)'
    problem = check_hostname(host)
    if problem:
        return problem
    return check_port(port)


def check_safe_path(value):
    """Check an absolute filesystem path that is safe to write into a config file."""
    if not isinstance(value, str) or not _SAFE_PATH.match(value):
        return ('is not an absolute path made only of letters, digits and "/._-+@%=,"'
                ' (no spaces, quotes, ";", braces or newlines)')
    if '/../' in value + '/' or value.endswith('/..'):
        return 'must not contain ".." components'
    return None


def check_safe_file_path(value):
    """Like check_safe_path, for a file: no trailing "/" and no "." or empty components."""
    problem = check_safe_path(value)
    if problem:
        return problem
    if value.endswith('/') or '/./' in value + '/' or '//' in value:
        return 'is not the path of a file (it ends with "/" or has empty or "." components)'
    return None


def check_ed25519_key(value):
    """An ed25519 public key as the policy_server document publishes it: unpadded standard base64 of 32 bytes."""
    if not isinstance(value, str) or not value:
        return 'must be the unpadded base64 of a 32-byte ed25519 public key (43 characters)'
    if value.endswith('='):
        return 'must be unpadded base64 (drop the trailing "=")'
    if not _BASE64.match(value):
        return 'is not standard base64 (A-Z, a-z, 0-9, "+" and "/"; not the URL-safe "-" and "_", no spaces)'
    try:
        decoded = base64.b64decode(value + '=' * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return 'is not valid base64'
    if len(decoded) != ED25519_KEY_BYTES:
        return 'decodes to %d bytes: an ed25519 public key has %d' % (len(decoded), ED25519_KEY_BYTES)
    return None
