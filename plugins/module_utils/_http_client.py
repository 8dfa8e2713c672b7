# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""A small HTTP(S) client for the discovery checker, on the standard library only.


What it does that urllib does not: it connects to one address while keeping the
original name for TLS SNI, certificate verification and the Host header (curl's
``--connect-to``), never follows redirects by itself, never reads more than a
bound of a body, and gives every request one deadline (a server that accepts
and never answers, or drips bytes, cannot hold it longer than the timeout).
Every failure is a :class:`FetchError` with a stable code, never a traceback.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import os.path
import re
import socket
import ssl
import time

from urllib.parse import urlsplit

from ansible_collections.matrix.wellknown.plugins.module_utils._grammar import check_hostname, check_port

# Well-known documents must stay under 50 KiB; reading a little more tells an
# oversize document from a truncated read without ever holding a huge body.
DEFAULT_MAX_BODY = 64 * 1024
DEFAULT_TIMEOUT = 10.0
USER_AGENT = 'matrix.wellknown-checker'
_DEFAULT_PORTS = {'http': 80, 'https': 443}
# Request targets and header values go on the wire as they are: refuse anything
# that could split the request (CR, LF, other controls, spaces).
_UNSAFE = re.compile(r'[\x00-\x20\x7f-\U0010ffff]')
_UNSAFE_HEADER_VALUE = re.compile(r'[\x00-\x08\x0a-\x1f\x7f-\U0010ffff]')


class FetchError(Exception):
    """A request that did not produce an HTTP response.

    ``code`` is one of ``connection-failed``, ``timeout``, ``tls-error``,
    ``dns-error``, ``dns-library-missing``, ``http-error`` (not HTTP, or a broken
    response) and ``invalid-url``; ``message`` is a sentence fragment.
    """

    def __init__(self, code, message):
        super(FetchError, self).__init__(message)
        self.code = code
        self.message = message


class Response(object):
    """What a server answered: status, headers, and at most ``max_body`` bytes of the body."""

    def __init__(self, status, reason, headers, body, truncated=False, url=None, not_after=None):
        self.status = status
        self.reason = reason
        self.headers = list(headers)
        self.body = body
        self.truncated = truncated
        self.url = url
        # When the server's certificate stops being valid (seconds since the epoch), for https with verification.
        self.not_after = not_after

    def header(self, name):
        """The first value of a header (case-insensitive), or None."""
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name):
        """All values of a header (case-insensitive), in order."""
        name = name.lower()
        return [value for key, value in self.headers if key.lower() == name]

    def __repr__(self):
        return 'Response(%r, %d, %d bytes%s)' % (self.url, self.status, len(self.body), ', truncated' if self.truncated else '')


class ConnectTo(object):
    """One curl-style ``HOST:PORT:CONNECT_HOST:CONNECT_PORT`` rule; empty fields match anything / keep the value."""

    __slots__ = ('host', 'port', 'connect_host', 'connect_port')

    def __init__(self, host, port, connect_host, connect_port):
        self.host = host
        self.port = port
        self.connect_host = connect_host
        self.connect_port = connect_port

    def apply(self, host, port):
        """Return the (host, port) to connect to, or None when the rule does not match."""
        if self.host is not None and self.host != host.lower():
            return None
        if self.port is not None and self.port != port:
            return None
        return (self.connect_host if self.connect_host is not None else host,
                self.connect_port if self.connect_port is not None else port)


def _split_fields(entry):
    """Split on ":" outside [IPv6] brackets."""
    fields, current, in_brackets = [], '', False
    for char in entry:
        if char == '[':
            in_brackets = True
        elif char == ']':
            in_brackets = False
        if char == ':' and not in_brackets:
            fields.append(current)
            current = ''
        else:
            current += char
    fields.append(current)
    return fields


def _bare_host(host):
    """A host for connecting and matching: lower case, IPv6 without brackets."""
    if host.startswith('[') and host.endswith(']'):
        return host[1:-1].lower()
    return host.lower()


def parse_connect_to(entries):
    """Parse connect_to entries; return (rules, errors) where errors are sentences naming the entry."""
    rules, errors = [], []
    for entry in entries or []:
        if not isinstance(entry, str):
            errors.append('connect_to entry %r is not a string' % (entry,))
            continue
        fields = _split_fields(entry)
        if len(fields) != 4:
            errors.append('connect_to entry %r is not HOST:PORT:CONNECT_HOST:CONNECT_PORT (four fields separated by ":", '
                          'IPv6 addresses in [brackets])' % entry)
            continue
        parsed = []
        for label, value, check in (('HOST', fields[0], check_hostname), ('PORT', fields[1], check_port),
                                    ('CONNECT_HOST', fields[2], check_hostname), ('CONNECT_PORT', fields[3], check_port)):
            if value == '':
                parsed.append(None)
                continue
            problem = check(value)
            if problem:
                errors.append('connect_to entry %r: %s %r %s' % (entry, label, value, problem))
                break
            parsed.append(int(value) if check is check_port else _bare_host(value))
        else:
            rules.append(ConnectTo(*parsed))
    return rules, errors


def _seconds(value):
    return '%g second%s' % (value, '' if value == 1 else 's')


def is_ip_address(host):
    """True for an IPv4 or IPv6 address (IPv6 with or without brackets)."""
    try:
        ipaddress.ip_address(_bare_host(host))
    except ValueError:
        return False
    return True


def system_addresses(host, port):
    """Resolve a host name with the system resolver (getaddrinfo): a list of IP strings."""
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError('dns-error', 'the name %s does not resolve: %s' % (host, exc.strerror or exc))
    except UnicodeError:
        raise FetchError('dns-error', 'the name %s is not a valid DNS name' % host)
    addresses = []
    for info in infos:
        if info[4][0] not in addresses:
            addresses.append(info[4][0])
    return addresses


def _not_after(sock):
    """The end of validity of a verified peer certificate (seconds since the epoch), or None when unknown."""
    try:
        # Without verification Python gives no parsed certificate: nothing to read then.
        value = (sock.getpeercert() or {}).get('notAfter')
        return ssl.cert_time_to_seconds(value) if value else None
    except (ValueError, ssl.SSLError):
        return None


class _DeadlineReader(io.RawIOBase):
    """Raw reads from a socket that never wait past the request's deadline."""

    def __init__(self, sock, deadline):
        super(_DeadlineReader, self).__init__()
        self._sock = sock
        self._deadline = deadline

    def readable(self):
        return True

    def readinto(self, buffer):
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout('deadline passed')
        self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)


class _ResponseSource(object):
    """What http.client.HTTPResponse needs from a socket: makefile('rb')."""

    def __init__(self, sock, deadline):
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode):
        if mode != 'rb':
            raise ValueError('only rb is supported')
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


class Client(object):
    """Make single HTTP(S) requests with connect_to remapping, bounded reads and one deadline per request.

    ``resolve(host, port)`` returns the IP addresses of a name (default: the
    system resolver); it may raise FetchError or any exception with ``code`` and
    ``message`` attributes. ``deadline`` (a time.monotonic() value) bounds every
    request as well: none runs past it, whatever its own timeout.
    """

    def __init__(self, connect_to=None, ca_path=None, validate_certs=True, timeout=DEFAULT_TIMEOUT,
                 resolve=None, max_body=DEFAULT_MAX_BODY, deadline=None):
        self.connect_to = list(connect_to or [])
        self.timeout = float(timeout)
        self.deadline = deadline
        self.max_body = max_body
        self.resolve = resolve or system_addresses
        self.validate_certs = validate_certs
        self.ssl_context = self._make_context(ca_path, validate_certs)

    @staticmethod
    def _make_context(ca_path, validate_certs):
        if not validate_certs:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        if ca_path:
            if os.path.isdir(ca_path):
                return ssl.create_default_context(capath=ca_path)
            return ssl.create_default_context(cafile=ca_path)
        return ssl.create_default_context()

    def destination(self, host, port):
        """Where a connection to host:port really goes, after connect_to (first matching rule wins)."""
        host = _bare_host(host)
        for rule in self.connect_to:
            target = rule.apply(host, port)
            if target is not None:
                return target
        return host, port

    def addresses(self, host, port):
        """Where connections to host:port go, one (address, port) per address; raise FetchError when it does not resolve.

        A connect_to rule that names another host gives that destination only (its first address when it is a name).
        """
        dest_host, dest_port = self.destination(host, port)
        addresses = self._addresses(dest_host, dest_port)
        if not addresses:
            raise FetchError('dns-error', 'the name %s has no address' % dest_host)
        if dest_host != _bare_host(host):
            # connect_to named the place to connect to (a rule that keeps the name only changes the port).
            addresses = addresses[:1]
        return [(address, dest_port) for address in addresses]

    def request(self, method, url, headers=None, tls_name=None, host_header=None, connect_host=None,
                connect_port=None, max_body=None, address=None):
        """Send one request and return a Response; raise FetchError when no HTTP answer came.

        ``url`` gives the scheme, the name (SNI, certificate, Host) and the path.
        ``connect_host``/``connect_port`` send the connection elsewhere (SRV
        targets); connect_to rules then apply to that destination.
        ``address`` (IP, port), from addresses(), connects exactly there instead.
        ``tls_name`` and ``host_header`` override what the URL implies.
        """
        try:
            parts = urlsplit(url)
            url_port = parts.port
        except ValueError:
            raise FetchError('invalid-url', '%r is not a valid URL' % url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise FetchError('invalid-url', '%r is not an absolute http(s) URL' % url)
        host = parts.hostname
        port = url_port or _DEFAULT_PORTS[parts.scheme]
        target = (parts.path or '/') + ('?' + parts.query if parts.query else '')
        if host_header is None:
            host_header = parts.netloc.rsplit('@', 1)[-1]
        if _UNSAFE.search(target) or _UNSAFE.search(host_header) or _UNSAFE.search(method):
            raise FetchError('invalid-url', '%r contains spaces, control or non-ASCII characters' % url)
        lines = ['%s %s HTTP/1.1' % (method, target), 'Host: %s' % host_header, 'User-Agent: %s' % USER_AGENT,
                 'Accept: application/json', 'Connection: close']
        for name, value in (headers or {}).items():
            if _UNSAFE.search(name) or _UNSAFE_HEADER_VALUE.search(value):
                raise FetchError('invalid-url', 'header %r has characters not allowed in HTTP' % name)
            lines.append('%s: %s' % (name, value))
        payload = ('\r\n'.join(lines) + '\r\n\r\n').encode('ascii')

        if address is not None:
            dest_host, dest_port = address
        else:
            dest_host, dest_port = self.destination(connect_host or host, connect_port or port)
        deadline = time.monotonic() + self.timeout
        limit = _seconds(self.timeout)
        if self.deadline is not None and self.deadline < deadline:
            deadline = self.deadline
            limit = 'the deadline of the whole check'
        where = '%s:%d' % (dest_host if ':' not in dest_host else '[%s]' % dest_host, dest_port)
        sock = self._connect(dest_host, dest_port, deadline, where, limit)
        try:
            not_after = None
            if parts.scheme == 'https':
                sock = self._handshake(sock, tls_name or host, deadline, where, limit)
                not_after = _not_after(sock)
            response = self._exchange(sock, method, payload, deadline, where, url,
                                      self.max_body if max_body is None else max_body, limit)
            response.not_after = not_after
            return response
        except FetchError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            # Whatever a hostile or broken server makes the standard library raise is a finding, not a crash.
            raise FetchError('http-error', 'talking to %s failed unexpectedly (%s: %s)' % (where, type(exc).__name__, exc))
        finally:
            sock.close()

    def _addresses(self, host, port):
        if is_ip_address(host):
            return [_bare_host(host)]
        try:
            return self.resolve(host, port)
        except FetchError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            # The injected resolver reports its failures with code and message attributes; anything else is a bug.
            if not hasattr(exc, 'code'):
                raise
            raise FetchError(exc.code, getattr(exc, 'message', None) or str(exc))

    def _connect(self, host, port, deadline, where, limit):
        addresses = self._addresses(host, port)
        if not addresses:
            raise FetchError('dns-error', 'the name %s has no address' % host)
        last = None
        for address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            family = socket.AF_INET6 if ':' in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(remaining)
            try:
                sock.connect((address, port))
                return sock
            except socket.timeout:
                last = FetchError('timeout', 'connecting to %s (%s) timed out after %s' % (where, address, limit))
            except OSError as exc:
                last = FetchError('connection-failed', 'cannot connect to %s (%s): %s' % (where, address, exc.strerror or exc))
            sock.close()
        raise last or FetchError('timeout', 'connecting to %s timed out after %s' % (where, limit))

    def _handshake(self, sock, tls_name, deadline, where, limit):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError('timeout', 'no TLS handshake with %s within %s' % (where, limit))
        sock.settimeout(remaining)
        name = _bare_host(tls_name)
        try:
            # For an IP literal, Python sends no SNI and checks the address against the certificate.
            return self.ssl_context.wrap_socket(sock, server_hostname=name)
        except ssl.SSLCertVerificationError as exc:
            raise FetchError('tls-error', 'the TLS certificate presented for %s at %s is not valid: %s'
                             % (name, where, str(exc.verify_message or exc.reason or exc).rstrip('.')))
        except ssl.SSLError as exc:
            raise FetchError('tls-error', 'TLS handshake for %s with %s failed: %s' % (name, where, exc.reason or exc))
        except socket.timeout:
            raise FetchError('timeout', 'no TLS handshake with %s within %s' % (where, limit))
        except OSError as exc:
            raise FetchError('connection-failed', 'the connection to %s broke during the TLS handshake: %s'
                             % (where, exc.strerror or exc))

    def _exchange(self, sock, method, payload, deadline, where, url, max_body, limit):
        try:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            sock.sendall(payload)
            response = http.client.HTTPResponse(_ResponseSource(sock, deadline), method=method)
            response.begin()
            body = b''
            while method != 'HEAD' and len(body) <= max_body:
                chunk = response.read(max_body + 1 - len(body))
                if not chunk:
                    break
                body += chunk
            truncated = len(body) > max_body
            if not truncated and response.length:
                # http.client returns a short body quietly when the connection closes early.
                raise http.client.IncompleteRead(body, response.length)
            result = Response(response.status, response.reason, response.getheaders(), body[:max_body], truncated, url)
            response.close()
            return result
        except socket.timeout:
            raise FetchError('timeout', 'no complete answer from %s within %s' % (where, limit))
        except ssl.SSLError as exc:
            raise FetchError('tls-error', 'TLS error while talking to %s: %s' % (where, exc.reason or exc))
        except http.client.IncompleteRead as exc:
            raise FetchError('http-error', 'the connection to %s closed in the middle of the body (%d bytes read)'
                             % (where, len(exc.partial)))
        except (http.client.HTTPException, ValueError) as exc:
            raise FetchError('http-error', '%s did not answer with valid HTTP (%s: %s)' % (where, type(exc).__name__, str(exc)[:80]))
        except OSError as exc:
            raise FetchError('connection-failed', 'the connection to %s failed: %s' % (where, exc.strerror or exc))
