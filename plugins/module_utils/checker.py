# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Check a live Matrix discovery setup: the three well-known documents, federation and client endpoints.

Private to this collection: no API stability is promised to other collections.
The network is reached only through two injected objects, so tests can run the
whole logic against fakes:

- ``client.request(method, url, headers=None, tls_name=None, host_header=None,
  connect_host=None, connect_port=None)`` returns an ``http_client.Response`` or raises
  ``http_client.FetchError`` (see plugins/module_utils/http_client.py);
- ``resolver.srv(name)`` returns SRV records as dicts (priority, weight, port,
  target), ``[]`` when there are none, or raises an error with ``code`` and
  ``message``; ``resolver.canonical_name(host)`` returns the name behind a
  CNAME, or None.

Every problem carries a stable kebab-case code; docs/checker.md lists them.
"""

from __future__ import annotations

import json

from urllib.parse import urldefrag, urljoin

from ansible_collections.matrix.wellknown.plugins.module_utils.documents import (
    ERROR,
    MAX_DOCUMENT_BYTES,
    SPEC_DOCUMENTS,
    WARNING,
    validate_document,
)
from ansible_collections.matrix.wellknown.plugins.module_utils.grammar import (
    check_http_url,
    check_server_name,
    split_server_name,
)
from ansible_collections.matrix.wellknown.plugins.module_utils.http_client import FetchError, is_ip_address

# Any origin will do: a browser client sends its own, a correct setup answers "*".
ORIGIN = 'https://matrix-wellknown-check.invalid'
MAX_REDIRECTS = 10
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
CORS_DOCUMENTS = ('client', 'support')
FEDERATION_PORT = 8448
FEDERATION_VERSION_PATH = '/_matrix/federation/v1/version'
SRV_SERVICES = ('_matrix-fed._tcp', '_matrix._tcp')
DNS_LIBRARY_MISSING = 'dns-library-missing'
CORS_HEADERS_HINT = ('Access-Control-Allow-Origin: *, Access-Control-Allow-Methods: GET, POST, PUT, DELETE, OPTIONS '
                     'and Access-Control-Allow-Headers: X-Requested-With, Content-Type, Authorization')

_FETCH_HINTS = {
    'connection-failed': 'Make sure a web server listens on port %(port)s of %(host)s and that DNS (or connect_to) points to it.',
    'timeout': 'The server did not answer in time: check the firewall, the proxy and the web server on %(host)s.',
    'tls-error': 'Serve a certificate for %(host)s that is valid, current and issued by a trusted CA (with the full chain).',
    'dns-error': 'Publish DNS records for %(host)s (or fix the name server), so that it resolves.',
    'http-error': 'Make sure port %(port)s of %(host)s speaks HTTPS and the web server or proxy in front of it works.',
    'invalid-url': 'Use an absolute https URL made of plain ASCII.',
}


class Problem(object):
    """One thing wrong with the setup, for the module's ``problems`` list."""

    __slots__ = ('document', 'severity', 'code', 'message')

    def __init__(self, document, severity, code, message):
        self.document = document
        self.severity = severity
        self.code = code
        self.message = message

    def as_dict(self):
        return dict(document=self.document, severity=self.severity, code=self.code, message=self.message)

    def __repr__(self):
        return 'Problem(%r, %r, %r, %r)' % (self.document, self.severity, self.code, self.message)


class _Failure(Exception):
    """A redirect chain that cannot be followed; code is a problem code."""

    def __init__(self, code, message):
        super(_Failure, self).__init__(message)
        self.code = code
        self.message = message


def _hostport(host, port):
    """host:port with an IPv6 address in brackets."""
    if ':' in host and not host.startswith('['):
        host = '[%s]' % host
    return '%s:%d' % (host, port)


def _status(response):
    return ('HTTP %d %s' % (response.status, response.reason or '')).strip()


def _reject_constant(name):
    raise ValueError('%s is not allowed in JSON' % name)


def parse_json(body):
    """Decode a UTF-8 JSON body; return (value, code, detail) with code None on success."""
    if not body.strip():
        return None, 'invalid-json', 'is empty'
    try:
        text = body.decode('utf-8')
    except UnicodeDecodeError as exc:
        return None, 'not-utf8', 'is not valid UTF-8 (byte 0x%02x at offset %d)' % (body[exc.start], exc.start)
    try:
        return json.loads(text, parse_constant=_reject_constant), None, None
    except json.JSONDecodeError as exc:
        return None, 'invalid-json', 'is not valid JSON (%s at line %d, column %d)' % (exc.msg, exc.lineno, exc.colno)
    except (ValueError, RecursionError) as exc:
        return None, 'invalid-json', 'is not valid JSON (%s)' % exc


def describe_difference(expected, served):
    """A short description of how the served document differs from the expected one."""
    if not isinstance(expected, dict) or not isinstance(served, dict):
        return 'it is not the expected value'
    missing = sorted(key for key in expected if key not in served)
    extra = sorted(key for key in served if key not in expected)
    changed = sorted(key for key in expected if key in served and expected[key] != served[key])
    parts = []
    for label, keys in (('missing', missing), ('unexpected', extra), ('different', changed)):
        if keys:
            parts.append('%s: %s' % (label, ', '.join(keys)))
    return '; '.join(parts) + ' key(s)'


def allows_origin(response, origin=ORIGIN):
    """None when the response lets a browser at ``origin`` read it, else why not."""
    values = response.header_values('Access-Control-Allow-Origin')
    if not values:
        return 'has no Access-Control-Allow-Origin header'
    if len(values) > 1:
        return 'has %d Access-Control-Allow-Origin headers (browsers reject more than one)' % len(values)
    if values[0].strip() not in ('*', origin):
        return 'has Access-Control-Allow-Origin %r, which does not allow other origins' % values[0]
    return None


class Checker(object):
    """Run every check for one server name; ``run()`` returns the module's result data."""

    def __init__(self, server_name, client, resolver, expected=None, origin=ORIGIN):
        problem = check_server_name(server_name)
        if problem:
            raise ValueError('server_name %r %s' % (server_name, problem))
        self.server_name = server_name
        self.host, port = split_server_name(server_name)
        self.port = int(port) if port is not None else None
        self.client = client
        self.resolver = resolver
        self.expected = dict((name, doc) for name, doc in (expected or {}).items() if doc is not None)
        self.origin = origin
        self.problems = []
        self.documents = dict((name, None) for name in SPEC_DOCUMENTS)
        self._server_absent = False

    # --- bookkeeping -------------------------------------------------------

    def add(self, document, severity, code, message):
        for problem in self.problems:
            if (problem.document, problem.code, problem.message) == (document, code, message):
                return
        self.problems.append(Problem(document, severity, code, message))

    def _library_missing(self, message):
        # One problem says it all, whichever lookup hit it first.
        if not any(problem.code == DNS_LIBRARY_MISSING for problem in self.problems):
            self.add(None, ERROR, DNS_LIBRARY_MISSING, message)

    def run(self):
        for name in SPEC_DOCUMENTS:
            self.documents[name] = self._check_document(name)
        federation = self._check_federation()
        client = self._check_client()
        self._judge_missing_server(federation)
        return dict(
            ok=not any(problem.severity == ERROR for problem in self.problems),
            problems=[problem.as_dict() for problem in self.problems],
            documents=dict(self.documents),
            federation=federation,
            client=client,
        )

    # --- HTTP helpers ------------------------------------------------------

    def _follow(self, url, headers=None):
        """GET url, following redirects hop by hop; return (final response, hops as (url, response, target))."""
        hops = []
        seen = [url]
        while True:
            response = self.client.request('GET', url, headers=headers)
            if response.status not in REDIRECT_STATUSES:
                return response, hops
            location = response.header('Location')
            if not location:
                raise _Failure('bad-redirect', '%s answers HTTP %d without a Location header: add the Location, or serve '
                                               'the document directly with 200' % (url, response.status))
            target = urldefrag(urljoin(url, location.strip()))[0]
            problem = check_http_url(target)[0]
            if problem:
                raise _Failure('bad-redirect', '%s redirects to %r, which %s: fix the Location header' % (url, location, problem))
            hops.append((url, response, target))
            if target in seen:
                raise _Failure('redirect-loop', 'the redirects loop (%s): make the chain end in a 200 answer'
                                                % ' -> '.join(seen[-4:] + [target]))
            if len(hops) > MAX_REDIRECTS:
                raise _Failure('too-many-redirects', '%s is reached after more than %d redirects (Matrix clients and servers give '
                                                     'up around 10): redirect once, or serve the document directly'
                                                     % (target, MAX_REDIRECTS))
            seen.append(target)
            url = target

    def _fetch_failed(self, document, url, exc, host, port):
        if exc.code == DNS_LIBRARY_MISSING:
            self._library_missing(exc.message)
            return
        hint = _FETCH_HINTS.get(exc.code, '') % dict(host=host, port=port)
        self.add(document, ERROR, exc.code, 'GET %s failed: %s. %s' % (url, exc.message.rstrip('.'), hint))

    # --- the three documents -----------------------------------------------

    def _check_document(self, name):
        url = 'https://%s/.well-known/matrix/%s' % (self.host, name)
        cors = name in CORS_DOCUMENTS
        cors_severity = ERROR if name == 'client' else WARNING
        try:
            response, hops = self._follow(url, {'Origin': self.origin} if cors else None)
        except FetchError as exc:
            self._fetch_failed(name, url, exc, self.host, 443)
            return None
        except _Failure as exc:
            self.add(name, ERROR, exc.code, 'The %s document cannot be fetched: %s.' % (name, exc.message))
            return None
        self._check_hops(name, hops, cors, cors_severity)
        final_url = hops[-1][2] if hops else url

        if response.status == 404:
            self._absent(name, final_url)
            return None
        if response.status != 200:
            self.add(name, ERROR, 'http-status', '%s answers %s: serve the %s document there with status 200%s.'
                     % (final_url, _status(response), name,
                        ' (or 404 when there is no support information)' if name == 'support' else ''))
            return None

        self._check_headers(name, final_url, response, cors, cors_severity)
        if response.truncated:
            self.add(name, ERROR, 'too-large', '%s is larger than %d bytes (reading stopped there): Matrix servers read at most '
                     '50 KiB (%d bytes); serve a small document.' % (final_url, len(response.body), MAX_DOCUMENT_BYTES))
            return None
        if len(response.body) >= MAX_DOCUMENT_BYTES:
            self.add(name, ERROR, 'too-large', '%s is %d bytes: Matrix servers read at most 50 KiB (%d bytes); shrink it.'
                     % (final_url, len(response.body), MAX_DOCUMENT_BYTES))

        document, code, detail = parse_json(response.body)
        if code:
            fix = 'save it as UTF-8' if code == 'not-utf8' else 'fix the syntax (python3 -m json.tool FILE shows where)'
            self.add(name, ERROR, code, 'The %s document at %s %s: %s.' % (name, final_url, detail, fix))
            return None
        # The served size was measured above; the re-serialised size is another number.
        for finding in validate_document(name, document, check_size=False):
            where = ' %s' % finding.path if finding.path else ''
            self.add(name, finding.severity, 'invalid-document', 'The served %s document is invalid:%s %s.'
                     % (name, where, finding.message.rstrip('.')))
        if name in self.expected and self.expected[name] != document:
            self.add(name, ERROR, 'stale-document', 'The %s document served at %s differs from the expected one (%s): '
                     'replace the copy served there with the current document.'
                     % (name, final_url, describe_difference(self.expected[name], document)))
        if cors:
            self._check_preflight(name, url)
        return document

    def _check_hops(self, name, hops, cors, cors_severity):
        for hop_url, hop, target in hops:
            if hop_url.startswith('https:') and target.startswith('http:'):
                self.add(name, WARNING, 'insecure-redirect', '%s redirects to plain http (%s): redirect to https only.'
                         % (hop_url, target))
            if cors:
                why = allows_origin(hop, self.origin)
                if why:
                    self.add(name, cors_severity, 'cors-missing-on-redirect',
                             'The redirect from %s to %s (HTTP %d) %s: add Access-Control-Allow-Origin: * to the redirect '
                             'response as well (in nginx, add_header ... always), or serve the document directly.'
                             % (hop_url, target, hop.status, why))
        if hops and name == 'client':
            self.add(name, WARNING, 'redirected', 'The client document is reached through %d redirect(s) from %s: clients '
                     'before Matrix v1.20 do not follow redirects; serve it directly with 200 on the base domain.'
                     % (len(hops), hops[0][0]))

    def _check_headers(self, name, url, response, cors, cors_severity):
        content_type = response.header('Content-Type')
        media_type = (content_type or '').split(';')[0].strip().lower()
        if media_type != 'application/json':
            self.add(name, WARNING, 'content-type', '%s is served with %s: serve it as Content-Type: application/json (the '
                     'file has no extension, so web servers guess; in nginx use default_type application/json).'
                     % (url, 'Content-Type %r' % content_type if content_type else 'no Content-Type'))
        if not response.header('Cache-Control'):
            self.add(name, WARNING, 'cache-control', '%s has no Cache-Control header: add one such as '
                     'Cache-Control: max-age=3600 so servers and clients know how long to cache it '
                     '(remote servers otherwise keep the server document for 24 hours).' % url)
        if cors:
            why = allows_origin(response, self.origin)
            if why:
                self.add(name, cors_severity, 'cors-missing', '%s %s for a cross-origin GET: add the header '
                         'Access-Control-Allow-Origin: * (browser clients such as Element Web cannot read it otherwise).'
                         % (url, why))

    def _check_preflight(self, name, url):
        headers = {'Origin': self.origin, 'Access-Control-Request-Method': 'GET'}
        fix = 'answer OPTIONS with 204 (or 200) and the headers %s' % CORS_HEADERS_HINT
        try:
            response = self.client.request('OPTIONS', url, headers=headers)
        except FetchError as exc:
            self.add(name, WARNING, 'cors-preflight', 'The CORS preflight (OPTIONS %s) failed: %s; %s.' % (url, exc.message, fix))
            return
        if not 200 <= response.status < 300:
            self.add(name, WARNING, 'cors-preflight', 'The CORS preflight (OPTIONS %s with Origin and '
                     'Access-Control-Request-Method: GET) got HTTP %d: %s.' % (url, response.status, fix))
            return
        why = allows_origin(response, self.origin)
        if why:
            self.add(name, WARNING, 'cors-preflight', 'The answer to the CORS preflight (OPTIONS %s) %s: %s.' % (url, why, fix))

    def _absent(self, name, url):
        if name == 'server':
            # Whether that is a problem depends on SRV records and port 8448 (decided after federation).
            self._server_absent = True
        elif name == 'client':
            self.add(name, WARNING, 'not-found', '%s answers 404: clients then have to guess the homeserver URL from the server '
                     'name; publish a client document with m.homeserver.base_url.' % url)
        if name in self.expected:
            self.add(name, ERROR, 'stale-document', 'The %s document is expected but %s answers 404: publish it there.'
                     % (name, url))

    # --- federation --------------------------------------------------------

    def _usable_delegation(self):
        """m.server of the served server document, when remote servers would use it."""
        document = self.documents['server']
        if not isinstance(document, dict):
            return None
        value = document.get('m.server')
        if not isinstance(value, str) or check_server_name(value):
            return None
        return value

    def _srv_targets(self, name, result):
        """Look up the SRV records remote servers use for name; return [(host, port)] in the order to try."""
        for service in SRV_SERVICES:
            record_name = '%s.%s' % (service, name)
            try:
                records = self.resolver.srv(record_name)
            except Exception as exc:  # pylint: disable=broad-except
                # Resolvers report failures with code and message attributes; anything else is a bug to show, not hide.
                if not hasattr(exc, 'code'):
                    raise
                code = exc.code
                message = getattr(exc, 'message', None) or str(exc)
                if code == DNS_LIBRARY_MISSING:
                    self._library_missing('%s SRV records were not looked up.' % message)
                    return []
                self.add(None, ERROR, 'dns-error', 'The SRV lookup of %s failed: %s. Remote servers cannot tell whether '
                         'federation is delegated by SRV; fix the name server.' % (record_name, message))
                continue
            if not records:
                continue
            for record in records:
                result['srv'].append(dict(record, name=record_name))
            if service != SRV_SERVICES[0]:
                self.add(None, WARNING, 'deprecated-srv', 'Only the deprecated SRV record %s exists: publish '
                         '_matrix-fed._tcp.%s with the same target too (newer servers look that up first).'
                         % (record_name, name))
            for record in records:
                canonical = self.resolver.canonical_name(record['target'])
                if canonical and canonical.lower().rstrip('.') != record['target'].lower().rstrip('.'):
                    self.add(None, WARNING, 'srv-target-cname', 'The SRV target %s of %s is a CNAME (of %s): SRV targets '
                             'must not be aliases; point the SRV record at %s.'
                             % (record['target'], record_name, canonical, canonical))
            return [(record['target'], record['port']) for record in records]
        return []

    def _check_federation(self):
        result = dict(method=None, server_name=self.server_name, delegated_server_name=None, host=None, port=None,
                      tls_name=None, host_header=None, srv=[], version=None)
        host, port = self.host, self.port
        if port is not None or is_ip_address(host):
            result['method'] = 'explicit'
            targets = [(host, port or FEDERATION_PORT)]
            tls_name, host_header = host, self.server_name
            if self.documents['server'] is not None:
                self.add('server', WARNING, 'server-document-ignored', 'The server name %s has an explicit port (or is an IP '
                         'address), so remote '
                         'servers never read /.well-known/matrix/server: use the name without port to delegate with it.'
                         % self.server_name)
        else:
            delegated = self._usable_delegation()
            if delegated:
                result['method'] = 'well-known'
                result['delegated_server_name'] = delegated
                dhost, dport = split_server_name(delegated)
                tls_name = dhost
                if dport is not None or is_ip_address(dhost):
                    targets = [(dhost, int(dport) if dport else FEDERATION_PORT)]
                    host_header = delegated
                else:
                    host_header = dhost
                    targets = self._srv_targets(dhost, result) or [(dhost, FEDERATION_PORT)]
            else:
                tls_name = host_header = host
                targets = self._srv_targets(host, result)
                result['method'] = 'srv' if targets else 'fallback'
                targets = targets or [(host, FEDERATION_PORT)]
        result['tls_name'], result['host_header'] = tls_name, host_header

        failures = []
        for target_host, target_port in targets:
            result['host'], result['port'] = target_host, target_port
            error = self._federation_version(target_host, target_port, tls_name, host_header, result)
            if error is None:
                break
            failures.append((target_host, target_port, error))
        else:
            result['host'], result['port'] = targets[0]
        hint = self._federation_hint(result)
        for target_host, target_port, error in failures:
            severity = WARNING if result['version'] is not None else ERROR
            self.add(None, severity, 'federation-failed', 'Federation to %s fails: GET %s on %s (certificate for %s, Host %s) %s. %s'
                     % (self.server_name, FEDERATION_VERSION_PATH, _hostport(target_host, target_port), tls_name,
                        host_header, error, hint))
        return result

    def _federation_hint(self, result):
        method = result['method']
        if method == 'explicit':
            return ('The server name has an explicit port (or is an IP address), so remote servers connect exactly there: '
                    'run the homeserver federation listener there with a certificate valid for %s.' % result['tls_name'])
        if method == 'well-known':
            return ('The server document delegates federation to %s: make the homeserver answer there with a certificate '
                    'valid for %s, or fix m.server.' % (result['delegated_server_name'], result['tls_name']))
        if method == 'srv':
            return ('The SRV record delegates federation: the homeserver must answer at its target with a certificate '
                    'valid for %s.' % result['tls_name'])
        return ('There is no usable server document and no SRV record, so remote servers connect to %s: publish '
                '/.well-known/matrix/server with m.server (like "matrix.%s:443") or serve federation on that port.'
                % (_hostport(result['tls_name'], FEDERATION_PORT), self.host))

    def _federation_version(self, host, port, tls_name, host_header, result):
        """Ask one target for its version; None on success (result['version'] set), else why it failed."""
        url = 'https://%s%s' % (_hostport(host, port), FEDERATION_VERSION_PATH)
        try:
            response = self.client.request('GET', url, tls_name=tls_name, host_header=host_header,
                                           connect_host=host, connect_port=port)
        except FetchError as exc:
            if exc.code == DNS_LIBRARY_MISSING:
                self._library_missing(exc.message)
            return 'failed: %s' % exc.message
        if response.status != 200:
            return 'answered %s instead of 200' % _status(response)
        if response.truncated:
            return 'answered with more than %d bytes' % len(response.body)
        value, code, detail = parse_json(response.body)
        if code:
            return 'answered a body that %s' % detail
        if not isinstance(value, dict) or not isinstance(value.get('server'), dict):
            return 'answered JSON without a "server" object'
        result['version'] = value['server']
        return None

    def _judge_missing_server(self, federation):
        if not self._server_absent or federation['method'] in ('srv', 'explicit'):
            return
        url = 'https://%s/.well-known/matrix/server' % self.host
        if federation['version'] is not None:
            self.add('server', WARNING, 'not-found', '%s answers 404 and there is no SRV record: federation works only because '
                     'the homeserver answers on %s; publish a server document with m.server if it should go elsewhere.'
                     % (url, _hostport(self.host, FEDERATION_PORT)))
        else:
            self.add('server', ERROR, 'not-found', '%s answers 404 and there is no SRV record, so remote servers try %s, '
                     'which does not work: publish a server document with m.server (like "matrix.%s:443").'
                     % (url, _hostport(self.host, FEDERATION_PORT), self.host))

    # --- client endpoints --------------------------------------------------

    @staticmethod
    def _base_url(document, key):
        value = document.get(key)
        if not isinstance(value, dict):
            return None
        url = value.get('base_url')
        if check_http_url(url)[0]:
            return None
        return url

    def _get_json(self, url):
        """GET url following redirects; return (response, None) or (None, why it failed)."""
        try:
            response, dummy = self._follow(url)
        except (FetchError, _Failure) as exc:
            return None, exc.message
        return response, None

    def _check_client(self):
        result = dict(base_url=None, versions=None, identity_server=None)
        document = self.documents['client']
        if not isinstance(document, dict):
            return result
        base_url = self._base_url(document, 'm.homeserver')
        if base_url:
            result['base_url'] = base_url
            result['versions'] = self._check_versions(base_url)
        identity = self._base_url(document, 'm.identity_server')
        if identity:
            result['identity_server'] = identity
            self._check_identity_server(identity)
        return result

    def _check_versions(self, base_url):
        url = base_url.rstrip('/') + '/_matrix/client/versions'
        fix = ('clients stop here: make %s answer with a JSON object holding a "versions" list (is the homeserver running '
               'and proxied under that base_url?), or fix m.homeserver.base_url' % url)
        response, why = self._get_json(url)
        if response is None:
            self.add('client', ERROR, 'versions-failed', 'GET %s failed: %s; %s.' % (url, why, fix))
            return None
        if response.status != 200:
            self.add('client', ERROR, 'versions-failed', 'GET %s answered %s: %s.' % (url, _status(response), fix))
            return None
        value, code, detail = parse_json(response.body) if not response.truncated else (None, 'too-large', 'is too large')
        if code:
            self.add('client', ERROR, 'versions-failed', 'The answer to GET %s %s: %s.' % (url, detail, fix))
            return None
        versions = value.get('versions') if isinstance(value, dict) else None
        if not isinstance(versions, list) or not all(isinstance(version, str) for version in versions):
            self.add('client', ERROR, 'versions-failed', 'The answer to GET %s has no "versions" list of strings: %s.' % (url, fix))
            return None
        return versions

    def _check_identity_server(self, base_url):
        url = base_url.rstrip('/') + '/_matrix/identity/v2'
        fix = ('clients refuse to continue when the identity server does not answer: make %s answer 200, or remove '
               'm.identity_server from the client document' % url)
        response, why = self._get_json(url)
        if response is None:
            self.add('client', ERROR, 'identity-server-failed', 'GET %s failed: %s; %s.' % (url, why, fix))
        elif response.status != 200:
            self.add('client', ERROR, 'identity-server-failed', 'GET %s answered %s: %s.'
                     % (url, _status(response), fix))
