# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The discovery checker's first concern: the documents under https://<host>/.well-known/matrix/, fetched as Matrix
servers and clients fetch them.

For each document: reachability, redirects, status, a CDN challenge or HTML in place of JSON, headers
(``Content-Type``, ``Cache-Control``, CORS and its preflight), size, UTF-8, JSON, the Matrix specification, and the
document given as expected. The base domain's addresses and certificate are probed with the server document.
``DocumentChecks.check(name)`` returns the parsed document, or None when there is none to read.
"""

from __future__ import annotations

import email.utils
import re
import time

from ansible_collections.matrix.wellknown.plugins.module_utils._check_report import POLICY_SERVER
from ansible_collections.matrix.wellknown.plugins.module_utils._check_requests import Failure, parse_json, status
from ansible_collections.matrix.wellknown.plugins.module_utils._documents import (
    ERROR,
    MAX_DOCUMENT_BYTES,
    SPEC_DOCUMENTS,
    WARNING,
    validate_document,
)
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError
from ansible_collections.matrix.wellknown.plugins.module_utils._resolver import DNS_LIBRARY_MISSING

# Any origin will do: a browser client sends its own, a correct setup answers "*".
ORIGIN = 'https://matrix-wellknown-check.invalid'
CORS_DOCUMENTS = ('client', 'support', POLICY_SERVER)
# A browser blocks an https page from reading http (mixed content): for the client document that breaks Element Web.
INSECURE_REDIRECT_ERRORS = ('client',)
DEFAULT_CACHE_SECONDS = 24 * 3600
MAX_CACHE_SECONDS = 48 * 3600
# HTML where JSON belongs: a challenge page of a CDN, a CMS page, an error page of a proxy.
_HTML_START = re.compile(br'\s*(<!doctype html|<html|<head|<body|<title|<!--|<\?xml)', re.IGNORECASE)
_CHALLENGE_MARKERS = (b'cf-chl', b'challenge-platform', b'just a moment', b'attention required', b'cf-browser-verification',
                      b'ddos-guard', b'sucuri', b'captcha')
_CDN_SERVERS = ('cloudflare', 'ddos-guard', 'sucuri', 'akamaighost', 'awselb', 'cloudfront')
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


def _cache_directives(response):
    directives = {}
    for value in response.header_values('Cache-Control'):
        for part in value.split(','):
            name, dummy, argument = part.strip().partition('=')
            if name:
                directives.setdefault(name.strip().lower(), argument.strip().strip('"'))
    return directives


def cache_lifetime(response, now=None):
    """How long a remote homeserver keeps the server document, the way Synapse reads the headers.

    Returns dict(source, seconds, header): ``source`` is ``no-store``, ``max-age``,
    ``expires`` or ``default``; ``seconds`` the lifetime after the specification's
    24-hour default and 48-hour cap; ``header`` the lifetime the headers ask for
    (None for the default).
    """
    now = time.time() if now is None else now
    directives = _cache_directives(response)
    if 'no-store' in directives:
        return dict(source='no-store', seconds=0, header=0)
    max_age = directives.get('max-age')
    if max_age is not None and max_age.isdigit():
        asked = int(max_age)
        return dict(source='max-age', seconds=min(asked, MAX_CACHE_SECONDS), header=asked)
    expires = response.header('Expires')
    if expires is not None:
        try:
            expires_at = email.utils.parsedate_to_datetime(expires).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            # HTTP caches treat an Expires they cannot read as already past.
            expires_at = None
        asked = max(int(expires_at - now), 0) if expires_at is not None else 0
        return dict(source='expires', seconds=min(asked, MAX_CACHE_SECONDS), header=asked)
    return dict(source='default', seconds=DEFAULT_CACHE_SECONDS, header=None)


def _duration(seconds):
    if seconds >= 86400 and seconds % 3600 == 0:
        return '%d hours' % (seconds // 3600) if seconds < 3 * 86400 else '%g days' % round(seconds / 86400.0, 1)
    if seconds >= 3600:
        return '%g hours' % round(seconds / 3600.0, 1)
    return '%d seconds' % seconds


def detect_html(response):
    """(code, what) when the answer is HTML where JSON belongs, else None.

    ``bot-challenge`` for the challenge of a CDN or bot protection (Cloudflare's
    ``cf-mitigated: challenge``, a 403/429/503 page from a CDN's server),
    ``html-instead-of-json`` for any other HTML page.
    """
    media_type = (response.header('Content-Type') or '').split(';')[0].strip().lower()
    is_html = media_type in ('text/html', 'application/xhtml+xml') or bool(_HTML_START.match(response.body[:512]))
    mitigated = (response.header('cf-mitigated') or '').strip().lower()
    server = (response.header('Server') or '').strip().lower()
    cdn = next((name for name in _CDN_SERVERS if name in server), None)
    if mitigated:
        return 'bot-challenge', 'a challenge of Cloudflare (cf-mitigated: %s)' % mitigated
    if not is_html:
        return None
    body = response.body[:16384].lower()
    if any(marker in body for marker in _CHALLENGE_MARKERS) or (cdn and response.status in (403, 429, 503)):
        return 'bot-challenge', 'an HTML challenge page%s' % (' of %s (Server: %s)' % (cdn, server) if cdn else '')
    return 'html-instead-of-json', 'an HTML page (%s)' % ('Content-Type %s' % media_type if media_type else 'no Content-Type')


class DocumentChecks(object):
    """The documents of the base domain. After the checks, ``server_cache`` is the lifetime remote servers give the
    server document (None when none was read), and ``server_absent`` whether it answered 404: whether that matters
    depends on federation, which the federation concern judges."""

    def __init__(self, context, expected=None, origin=ORIGIN, now=None):
        self.server = context.server
        self.findings = context.findings
        self.requests = context.requests
        self.expected = dict((name, doc) for name, doc in (expected or {}).items() if doc is not None)
        self.origin = origin
        self.now = time.time() if now is None else now
        self.server_cache = None
        self.server_absent = False

    def check(self, name):
        """Fetch and check one document; return it parsed, or None."""
        findings = self.findings
        host = self.server.host
        url = 'https://%s/.well-known/matrix/%s' % (host, name)
        cors = name in CORS_DOCUMENTS
        cors_severity = ERROR if name == 'client' else WARNING
        try:
            response, hops = self.requests.follow(url, {'Origin': self.origin} if cors else None)
        except (FetchError, Failure) as exc:
            if name != POLICY_SERVER or name in self.expected:
                if isinstance(exc, FetchError):
                    self._fetch_failed(name, url, exc, host, 443)
                else:
                    findings.add(name, ERROR, exc.code, 'The %s document cannot be fetched: %s.' % (name, exc.message))
            return None
        if name == POLICY_SERVER and name not in self.expected and (response.status != 200 or detect_html(response)):
            # Optional: only a document that is there is checked (a catch-all page in its place means "not published").
            return None
        findings.ran(name, 'reachable over HTTPS')
        if name == 'server':
            # One document stands for the base domain: its addresses and its certificate.
            first = hops[0][1] if hops else response
            self.requests.probe_addresses('server', 'the base domain, all its documents', url, host, 443, first.status)
            self.requests.check_certificate('server', 'the base domain', host, 443, first)
        self._check_hops(name, hops, cors, cors_severity)
        final_url = hops[-1][2] if hops else url

        if response.status == 404:
            self._absent(name, final_url)
            return None
        interception = detect_html(response)
        if interception and (interception[0] == 'bot-challenge'
                             or (response.status == 200 and parse_json(response.body)[1])):
            self._intercepted(name, final_url, response, interception)
            return None
        if response.status != 200:
            findings.add(name, ERROR, 'http-status', '%s answers %s: serve the %s document there with status 200%s.'
                         % (final_url, status(response), name,
                            ' (or 404 when there is no support information)' if name == 'support' else ''))
            return None
        findings.ran(name, 'answers 200')

        self._check_headers(name, final_url, response, cors, cors_severity)
        if response.truncated:
            findings.add(name, ERROR, 'too-large', '%s is larger than %d bytes (reading stopped there): Matrix servers read '
                         'at most 50 KiB (%d bytes); serve a small document.'
                         % (final_url, len(response.body), MAX_DOCUMENT_BYTES))
            return None
        findings.ran(name, 'size under 50 KiB')
        if len(response.body) >= MAX_DOCUMENT_BYTES:
            findings.add(name, ERROR, 'too-large', '%s is %d bytes: Matrix servers read at most 50 KiB (%d bytes); shrink it.'
                         % (final_url, len(response.body), MAX_DOCUMENT_BYTES))

        encoding = (response.header('Content-Encoding') or '').strip()
        if encoding and encoding.lower() != 'identity':
            findings.add(name, ERROR, 'content-encoding', '%s is sent with Content-Encoding: %s although the request '
                         'accepted no compression (no Accept-Encoding), so Matrix servers and clients get compressed bytes '
                         'where JSON belongs: serve the plain file to such requests (nginx: drop "gzip_static always" or '
                         'the added Content-Encoding header for /.well-known/matrix/; Apache: no forced Content-Encoding).'
                         % (final_url, encoding))
            return None
        document, code, detail = parse_json(response.body)
        if code:
            fix = {'not-utf8': 'save it as UTF-8',
                   'invalid-document': ('no Matrix document nests that deep: serve the real document (is something else '
                                        'answering at this path?)')}.get(code, 'fix the syntax (python3 -m json.tool FILE shows where)')
            if code == 'invalid-document':
                findings.ran(name, 'JSON in UTF-8')
            findings.add(name, ERROR, code, 'The %s document at %s %s: %s.' % (name, final_url, detail, fix))
            return None
        findings.ran(name, 'JSON in UTF-8', 'valid per the specification')
        # The served size was measured above; the re-serialised size is another number.
        for finding in validate_document(name, document, check_size=False):
            where = ' %s' % finding.path if finding.path else ''
            findings.add(name, finding.severity, 'invalid-document', 'The served %s document is invalid:%s %s.'
                         % (name, where, finding.message.rstrip('.')))
        if name in self.expected:
            findings.ran(name, 'same as expected')
            if self.expected[name] != document:
                findings.add(name, ERROR, 'stale-document', 'The %s document served at %s differs from the expected one '
                             '(%s): replace the copy served there with the current document.'
                             % (name, final_url, describe_difference(self.expected[name], document)))
        if cors:
            self._check_preflight(name, url)
        return document

    def _fetch_failed(self, document, url, exc, host, port):
        if exc.code == DNS_LIBRARY_MISSING:
            self.findings.library_missing(exc.message)
            return
        hint = _FETCH_HINTS.get(exc.code, '') % dict(host=host, port=port)
        severity = ERROR
        if self.server.explicit and document in SPEC_DOCUMENTS:
            severity = WARNING
            hint += (' The server name %s has an explicit port (or is an IP address): remote servers never read the '
                     'documents of %s, and clients ask for the homeserver URL when they cannot read the client '
                     'document, so this is a warning only.' % (self.server.name, self.server.host))
        self.findings.add(document, severity, exc.code, 'GET %s failed: %s. %s' % (url, exc.message.rstrip('.'), hint))

    def _intercepted(self, name, url, response, interception):
        code, what = interception
        if code == 'bot-challenge':
            self.findings.add(name, ERROR, code, '%s answers %s with %s instead of the JSON document: browsers pass such a '
                              'challenge, Matrix servers and clients cannot. Exempt the path /.well-known/matrix/ from bot '
                              'protection and challenges (Cloudflare: a WAF custom rule "URI Path starts with '
                              '/.well-known/matrix/" with the action Skip for all remaining custom rules, Bot Fight Mode and '
                              'Super Bot Fight Mode, and no "I\'m Under Attack" mode there; other CDNs have the same kind of '
                              'allow rule).' % (url, status(response), what))
        else:
            self.findings.add(name, ERROR, code, '%s answers %s with %s instead of the JSON document (a CMS, a catch-all '
                              'rule or an error page of the proxy answers this path): serve the %s file at '
                              '/.well-known/matrix/%s before any catch-all rule, as application/json.'
                              % (url, status(response), what, name, name))

    def _check_hops(self, name, hops, cors, cors_severity):
        if hops:
            self.findings.ran(name, 'redirects')
        for hop_url, hop, target in hops:
            if hop_url.startswith('https:') and target.startswith('http:'):
                if name in INSECURE_REDIRECT_ERRORS:
                    self.findings.add(name, ERROR, 'insecure-redirect', '%s redirects to plain http (%s): browsers block an '
                                      'https page from reading it (mixed content), so Element Web cannot read the client '
                                      'document; redirect to https only.' % (hop_url, target))
                else:
                    self.findings.add(name, WARNING, 'insecure-redirect', '%s redirects to plain http (%s): redirect to '
                                      'https only.' % (hop_url, target))
            if cors:
                why = allows_origin(hop, self.origin)
                if why:
                    self.findings.add(name, cors_severity, 'cors-missing-on-redirect',
                                      'The redirect from %s to %s (HTTP %d) %s: add Access-Control-Allow-Origin: * to the '
                                      'redirect response as well (in nginx, add_header ... always), or serve the document '
                                      'directly.' % (hop_url, target, hop.status, why))
        if hops and name == 'client':
            self.findings.add(name, WARNING, 'redirected', 'The client document is reached through %d redirect(s) from %s: '
                              'clients before Matrix v1.20 do not follow redirects; serve it directly with 200 on the base '
                              'domain.' % (len(hops), hops[0][0]))

    def _check_headers(self, name, url, response, cors, cors_severity):
        content_type = response.header('Content-Type')
        media_type = (content_type or '').split(';')[0].strip().lower()
        self.findings.ran(name, 'Content-Type application/json', 'cache lifetime')
        if media_type != 'application/json':
            self.findings.add(name, WARNING, 'content-type', '%s is served with %s: serve it as Content-Type: '
                              'application/json (the file has no extension, so web servers guess; in nginx use '
                              'default_type application/json).'
                              % (url, 'Content-Type %r' % content_type if content_type else 'no Content-Type'))
        if not response.header('Cache-Control'):
            self.findings.add(name, WARNING, 'cache-control', '%s has no Cache-Control header: add one such as '
                              'Cache-Control: max-age=3600 so servers and clients know how long to cache it '
                              '(remote servers otherwise keep the server document for 24 hours).' % url)
        if name == 'server':
            self._check_cache_lifetime(url, response)
        if cors:
            self.findings.ran(name, 'CORS')
            why = allows_origin(response, self.origin)
            if why:
                self.findings.add(name, cors_severity, 'cors-missing', '%s %s for a cross-origin GET: add the header '
                                  'Access-Control-Allow-Origin: * (browser clients such as Element Web cannot read it '
                                  'otherwise).' % (url, why))

    def _check_cache_lifetime(self, url, response):
        lifetime = cache_lifetime(response, self.now)
        self.server_cache = lifetime
        header = '; '.join(response.header_values('Cache-Control')) or 'Expires: %s' % response.header('Expires')
        if lifetime['seconds'] == 0:
            self.findings.add('server', WARNING, 'cache-lifetime', '%s is sent with %s, so remote servers do not keep it: '
                              'they fetch it again for almost every request to this server (Synapse at least every 5 '
                              'minutes), and federation fails whenever the base domain does; let them cache it '
                              '(Cache-Control: max-age=3600 or more).'
                              % (url, 'Cache-Control: %s' % header if lifetime['source'] != 'expires' else header))
        elif lifetime['header'] is not None and lifetime['header'] > MAX_CACHE_SECONDS:
            self.findings.add('server', WARNING, 'cache-lifetime', '%s asks to be cached for %s (%s), but remote servers '
                              'keep the server document at most 48 hours (the specification\'s cap): set at most '
                              'max-age=%d, so the lifetime you plan for (for example before moving the homeserver) is the '
                              'one applied.' % (url, _duration(lifetime['header']), header, MAX_CACHE_SECONDS))

    def _check_preflight(self, name, url):
        headers = {'Origin': self.origin, 'Access-Control-Request-Method': 'GET'}
        fix = 'answer OPTIONS with 204 (or 200) and the headers %s' % CORS_HEADERS_HINT
        self.findings.ran(name, 'CORS preflight')
        try:
            response = self.requests.request('OPTIONS', url, headers=headers)
        except FetchError as exc:
            self.findings.add(name, WARNING, 'cors-preflight', 'The CORS preflight (OPTIONS %s) failed: %s; %s.'
                              % (url, exc.message, fix))
            return
        if not 200 <= response.status < 300:
            self.findings.add(name, WARNING, 'cors-preflight', 'The CORS preflight (OPTIONS %s with Origin and '
                              'Access-Control-Request-Method: GET) got HTTP %d: %s.' % (url, response.status, fix))
            return
        why = allows_origin(response, self.origin)
        if why:
            self.findings.add(name, WARNING, 'cors-preflight', 'The answer to the CORS preflight (OPTIONS %s) %s: %s.'
                              % (url, why, fix))

    def _absent(self, name, url):
        if name == 'server':
            # Whether that is a problem depends on SRV records and port 8448 (decided after federation).
            self.server_absent = True
        elif name == 'client':
            self.findings.add(name, WARNING, 'not-found', '%s answers 404: clients then have to guess the homeserver URL '
                              'from the server name; publish a client document with m.homeserver.base_url.' % url)
        elif name == 'support':
            self.findings.ran(name, 'not published (404), which is allowed')
        if name in self.expected:
            self.findings.add(name, ERROR, 'stale-document', 'The %s document is expected but %s answers 404: publish it '
                              'there.' % (name, url))
