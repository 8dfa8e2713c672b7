# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Check a live Matrix discovery setup: the three well-known documents, federation and client endpoints.

The network is reached only through two injected objects, so tests can run the
whole logic against fakes:

- ``client.request(method, url, headers=None, tls_name=None, host_header=None,
  connect_host=None, connect_port=None)`` returns an ``http_client.Response`` or raises
  ``http_client.FetchError`` (see plugins/module_utils/_http_client.py);
- ``resolver.srv(name)`` returns SRV records as dicts (priority, weight, port,
  target), ``[]`` when there are none, or raises an error with ``code`` and
  ``message``; ``resolver.canonical_name(host)`` returns the name behind a
  CNAME, or None.

``client.addresses(host, port)`` gives the (address, port) pairs a connection to
host:port may use, and ``request(..., address=pair)`` connects to one of them:
that is how each address of a name is checked on its own.

Every problem carries a stable kebab-case code; the module matrix_wellknown_info documents them (RETURN: problems).
``report_lines(result)`` turns the result into the lines a person reads.
"""

from __future__ import annotations

import email.utils
import json
import re
import time

from urllib.parse import urldefrag, urljoin, urlsplit

from ansible_collections.matrix.wellknown.plugins.module_utils._documents import (
    ERROR,
    MAX_DOCUMENT_BYTES,
    SPEC_DOCUMENTS,
    WARNING,
    validate_document,
)
from ansible_collections.matrix.wellknown.plugins.module_utils._grammar import (
    check_http_url,
    check_server_name,
    split_server_name,
)
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError, is_ip_address

# Any origin will do: a browser client sends its own, a correct setup answers "*".
ORIGIN = 'https://matrix-wellknown-check.invalid'
MAX_REDIRECTS = 10
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
POLICY_SERVER = 'policy_server'
# The spec's three, then the policy server document (Matrix v1.18), checked only when it is served.
DOCUMENTS = SPEC_DOCUMENTS + (POLICY_SERVER,)
CORS_DOCUMENTS = ('client', 'support', POLICY_SERVER)
# A browser blocks an https page from reading http (mixed content): for the client document that breaks Element Web.
INSECURE_REDIRECT_ERRORS = ('client',)
AUTH_METADATA_PATH = '/_matrix/client/v1/auth_metadata'
MSC2965_KEY = 'org.matrix.msc2965.authentication'
RTC_FOCI_KEY = 'org.matrix.msc4143.rtc_foci'
# Element Call needs one focus; a document listing hundreds (one may redirect 10 times) would hold the check for hours.
MAX_RTC_FOCI = 5
# Matrix documents are a few levels deep; Python's own JSON handling (and Ansible's output of the result) recurses.
MAX_JSON_DEPTH = 64
# How many of the checks that did not run a problem names before "and N more".
NOT_RUN_SHOWN = 6
DEFAULT_CACHE_SECONDS = 24 * 3600
MAX_CACHE_SECONDS = 48 * 3600
CERTIFICATE_WARNING_DAYS = 14
# HTML where JSON belongs: a challenge page of a CDN, a CMS page, an error page of a proxy.
_HTML_START = re.compile(br'\s*(<!doctype html|<html|<head|<body|<title|<!--|<\?xml)', re.IGNORECASE)
_CHALLENGE_MARKERS = (b'cf-chl', b'challenge-platform', b'just a moment', b'attention required', b'cf-browser-verification',
                      b'ddos-guard', b'sucuri', b'captcha')
_CDN_SERVERS = ('cloudflare', 'ddos-guard', 'sucuri', 'akamaighost', 'awselb', 'cloudfront')
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

# Each problem code belongs to one check; the report prints one line per check that ran.
CHECK_OF_CODE = {
    'connection-failed': 'reachable over HTTPS', 'timeout': 'reachable over HTTPS', 'tls-error': 'reachable over HTTPS',
    'dns-error': 'reachable over HTTPS', 'http-error': 'reachable over HTTPS', 'invalid-url': 'reachable over HTTPS',
    'dns-library-missing': 'DNS library',
    'address-failed': 'every address answers alike',
    'certificate-expiring': 'certificate not about to expire',
    'redirect-loop': 'redirects', 'too-many-redirects': 'redirects', 'bad-redirect': 'redirects',
    'insecure-redirect': 'redirects', 'redirected': 'redirects',
    'http-status': 'answers 200', 'not-found': 'answers 200', 'bot-challenge': 'answers 200',
    'html-instead-of-json': 'answers 200',
    'too-large': 'size under 50 KiB', 'content-encoding': 'JSON in UTF-8', 'not-utf8': 'JSON in UTF-8',
    'invalid-json': 'JSON in UTF-8', 'invalid-document': 'valid per the specification',
    'stale-document': 'same as expected', 'content-type': 'Content-Type application/json',
    'cache-control': 'cache lifetime', 'cache-lifetime': 'cache lifetime',
    'cors-missing': 'CORS', 'cors-missing-on-redirect': 'CORS', 'cors-preflight': 'CORS preflight',
    'server-document-ignored': 'read by remote servers',
    'deprecated-srv': 'SRV records', 'srv-target-cname': 'SRV records',
    'federation-failed': 'federation version endpoint',
    'versions-failed': 'client versions endpoint', 'identity-server-failed': 'identity server',
    'auth-metadata-missing': 'OAuth 2.0 server metadata', 'auth-issuer-mismatch': 'OAuth 2.0 server metadata',
    'rtc-focus-unreachable': 'LiveKit (Element Call)', 'too-many-rtc-foci': 'LiveKit (Element Call)',
    'deadline-exceeded': 'finished within the deadline',
}
# Problems of the check itself, not of a document or federation: the report prints them after the groups.
CHECKER_CODES = ('deadline-exceeded',)
REPORT_GROUPS = SPEC_DOCUMENTS + (POLICY_SERVER, 'federation')


def check_label(document, code):
    """The check a problem belongs to, as the report names it."""
    if document is None and code == 'dns-error':
        return 'SRV records'  # the only DNS failure without a document is an SRV lookup
    return CHECK_OF_CODE.get(code, code)


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


class _OutOfTime(Exception):
    """The check's deadline passed: the probe about to start does not run."""


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
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return None, 'invalid-json', 'is not valid JSON (%s at line %d, column %d)' % (exc.msg, exc.lineno, exc.colno)
    except ValueError as exc:
        return None, 'invalid-json', 'is not valid JSON (%s)' % exc
    except RecursionError:
        return None, 'invalid-document', 'nests arrays or objects too deep to read (at most %d levels)' % MAX_JSON_DEPTH
    if json_depth(value) > MAX_JSON_DEPTH:
        return None, 'invalid-document', 'nests arrays or objects more than %d levels deep' % MAX_JSON_DEPTH
    return value, None, None


def json_depth(value):
    """How deeply arrays and objects nest in a parsed JSON value (0 for a scalar), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth) for child in children)
    return deepest


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


def family(address):
    """IPv4 or IPv6, for messages and the returned data."""
    return 'IPv6' if ':' in address else 'IPv4'


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


class Checker(object):
    """Run every check for one server name; ``run()`` returns the module's result data."""

    def __init__(self, server_name, client, resolver, expected=None, origin=ORIGIN,
                 certificate_warning_days=CERTIFICATE_WARNING_DAYS, now=None, deadline=None):
        """``deadline``: a time.monotonic() value after which no probe starts (give the client the same one, so that
        a request in flight stops there too); None for no bound."""
        problem = check_server_name(server_name)
        if problem:
            raise ValueError('server_name %r %s' % (server_name, problem))
        self.server_name = server_name
        self.host, port = split_server_name(server_name)
        self.port = int(port) if port is not None else None
        # Remote servers connect straight to a name with a port (or an IP address) and never read the server document.
        self.explicit = self.port is not None or is_ip_address(self.host)
        self.client = client
        self.resolver = resolver
        self.expected = dict((name, doc) for name, doc in (expected or {}).items() if doc is not None)
        self.origin = origin
        self.certificate_warning_days = certificate_warning_days
        self.now = time.time() if now is None else now
        self.problems = []
        self.documents = dict((name, None) for name in DOCUMENTS)
        self.addresses = []
        self.certificates = []
        self.server_cache = None
        self.checks = dict((group, []) for group in REPORT_GROUPS)
        self._server_absent = False
        self.deadline = deadline
        self._started = time.monotonic()
        self._not_run = []
        # Each distinct request is sent once: a document may name the same URL many times.
        self._answers = {}

    # --- bookkeeping -------------------------------------------------------

    def add(self, document, severity, code, message):
        if document == 'server' and self.explicit and severity == ERROR:
            # Nobody reads that document: whatever is wrong with it breaks nothing.
            severity = WARNING
        for problem in self.problems:
            if (problem.document, problem.code, problem.message) == (document, code, message):
                return
        self.problems.append(Problem(document, severity, code, message))
        if code not in CHECKER_CODES:
            self._verdict(document or 'federation', check_label(document, code), severity)

    def _verdict(self, group, label, verdict):
        """Record that a check ran in a report group, keeping its worst verdict."""
        checks = self.checks[group]
        for check in checks:
            if check[0] == label:
                if _RANK[verdict] > _RANK[check[1]]:
                    check[1] = verdict
                return
        checks.append([label, verdict])

    def _ran(self, group, *labels):
        for label in labels:
            self._verdict(group, label, 'ok')

    def _library_missing(self, message):
        # One problem says it all, whichever lookup hit it first.
        if not any(problem.code == DNS_LIBRARY_MISSING for problem in self.problems):
            self.add(None, ERROR, DNS_LIBRARY_MISSING, message)

    def run(self):
        for name in DOCUMENTS:
            self.documents[name] = self._step('the %s document' % name, self._check_document, name)
        federation = dict(method=None, server_name=self.server_name, delegated_server_name=None, host=None, port=None,
                          tls_name=None, host_header=None, srv=[], version=None)
        cut = len(self._not_run)
        self._step('federation', self._check_federation, federation)
        if len(self._not_run) == cut:
            # Whether a missing server document matters depends on how federation went.
            self._judge_missing_server(federation)
        client = dict(base_url=None, versions=None, identity_server=None, auth_issuer=None, rtc_foci=[])
        self._check_client(client)
        if self._not_run:
            shown = self._not_run[:NOT_RUN_SHOWN]
            more = len(self._not_run) - len(shown)
            self.add(None, ERROR, 'deadline-exceeded', 'The check stopped at its deadline, after %d seconds: %s%s did not '
                     'run or stopped midway, so this result is incomplete. Servers that do not answer (see the timeouts) '
                     'use up the time: fix them, or give the check a larger deadline.'
                     % (round(time.monotonic() - self._started), ', '.join(shown),
                        ' and %d more' % more if more else ''))
        documents = dict(self.documents)
        if not self.checks[POLICY_SERVER]:
            # Optional and newer than the other three: its key is there only when it is served.
            del documents[POLICY_SERVER]
        result = dict(
            ok=not any(problem.severity == ERROR for problem in self.problems),
            problems=[problem.as_dict() for problem in self.problems],
            documents=documents,
            federation=federation,
            client=client,
            addresses=list(self.addresses),
            certificates=list(self.certificates),
            server_cache=self.server_cache,
            checks=dict((group, [dict(check=label, verdict=verdict) for label, verdict in checks])
                        for group, checks in self.checks.items()),
        )
        result['report'] = report_lines(self.server_name, result)
        return result

    # --- the deadline and the requests ---------------------------------------

    def _in_time(self):
        """Raise _OutOfTime once the deadline has passed."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise _OutOfTime()

    def _step(self, label, function, *args):
        """Run one check and return its result, unless the deadline passes (before or during it): None then."""
        try:
            self._in_time()
        except _OutOfTime:
            self._not_run.append(label)
            return None
        try:
            result = function(*args)
        except _OutOfTime:
            self._not_run.append('%s (stopped midway)' % label)
            return None
        return result

    def _request(self, method, url, **kwargs):
        """client.request, once per distinct request, and none after the deadline."""
        key = (method, url) + tuple(sorted((name, tuple(sorted(value.items())) if isinstance(value, dict) else value)
                                           for name, value in kwargs.items()))
        if key not in self._answers:
            self._in_time()
            try:
                self._answers[key] = self.client.request(method, url, **kwargs)
            except FetchError as exc:
                self._answers[key] = exc
        answer = self._answers[key]
        if isinstance(answer, FetchError):
            raise answer
        return answer

    # --- HTTP helpers ------------------------------------------------------

    def _follow(self, url, headers=None):
        """GET url, following redirects hop by hop; return (final response, hops as (url, response, target))."""
        hops = []
        seen = [url]
        while True:
            response = self._request('GET', url, headers=headers)
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
        severity = ERROR
        if self.explicit and document in SPEC_DOCUMENTS:
            severity = WARNING
            hint += (' The server name %s has an explicit port (or is an IP address): remote servers never read the '
                     'documents of %s, and clients ask for the homeserver URL when they cannot read the client '
                     'document, so this is a warning only.' % (self.server_name, self.host))
        self.add(document, severity, exc.code, 'GET %s failed: %s. %s' % (url, exc.message.rstrip('.'), hint))

    # --- every address of a name, and certificates ---------------------------

    def _probe_addresses(self, group, what, url, host, port, reference, **kwargs):
        """GET url once through each address of host:port; report the addresses that fail while others answer.

        ``reference`` is the status the normal request got (None when it failed):
        an address answers alike when it gives that status.
        """
        self._in_time()
        try:
            targets = self.client.addresses(host, port)
        except FetchError:
            return  # the normal request already reported the name
        entries = []
        if len(targets) == 1:
            address = targets[0]
            entries.append(dict(address=address[0], port=address[1], ok=reference is not None,
                                answer='HTTP %d' % reference if reference is not None else 'failed (see the problems)'))
        else:
            for address in targets:
                try:
                    response = self._request('GET', url, address=address, **kwargs)
                except FetchError as exc:
                    entries.append(dict(address=address[0], port=address[1], ok=False, answer=exc.message))
                    continue
                if reference is not None and response.status != reference:
                    entries.append(dict(address=address[0], port=address[1], ok=False,
                                        answer='%s where the others answer HTTP %d' % (_status(response), reference)))
                else:
                    entries.append(dict(address=address[0], port=address[1], ok=True, answer=_status(response)))
        for entry in entries:
            entry.update(checked=what, host=host, family=family(entry['address']), url=url)
            self.addresses.append(entry)
        failed = [entry for entry in entries if not entry['ok']]
        if failed and len(failed) < len(entries):
            self._ran(group, 'every address answers alike')
            for entry in failed:
                self.add(group if group != 'federation' else None, ERROR, 'address-failed',
                         '%s (%s) has %d addresses, and GET %s through the %s address %s fails: %s. Remote servers and '
                         'clients that pick this address fail while the others work: fix or remove the %s record of %s '
                         '(or make the web server listen on %s and the firewall let it through).'
                         % (host, what, len(entries), url, entry['family'], entry['address'], entry['answer'].rstrip('.'),
                            'AAAA' if entry['family'] == 'IPv6' else 'A', host, entry['address']))
        elif not failed:
            self._ran(group, 'every address answers alike')

    def _check_certificate(self, group, what, tls_name, port, response):
        if response is None or response.not_after is None:
            return
        if any(entry['name'] == tls_name and entry['port'] == port for entry in self.certificates):
            return
        days = (response.not_after - self.now) / 86400.0
        not_after = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(response.not_after))
        self.certificates.append(dict(name=tls_name, port=port, checked=what, not_after=not_after,
                                      days_left=int(days)))
        self._ran(group, 'certificate not about to expire')
        if days < self.certificate_warning_days:
            self.add(group if group != 'federation' else None, WARNING, 'certificate-expiring',
                     'The certificate of %s (%s, port %d) expires on %s, in %.1f days: renew it now (is the renewal '
                     'job, such as certbot\'s timer, running and reloading the web server?); when it expires, remote '
                     'servers and clients stop connecting.' % (tls_name, what, port, not_after, days))

    # --- the documents -------------------------------------------------------

    def _check_document(self, name):
        url = 'https://%s/.well-known/matrix/%s' % (self.host, name)
        cors = name in CORS_DOCUMENTS
        cors_severity = ERROR if name == 'client' else WARNING
        try:
            response, hops = self._follow(url, {'Origin': self.origin} if cors else None)
        except (FetchError, _Failure) as exc:
            if name != POLICY_SERVER or name in self.expected:
                if isinstance(exc, FetchError):
                    self._fetch_failed(name, url, exc, self.host, 443)
                else:
                    self.add(name, ERROR, exc.code, 'The %s document cannot be fetched: %s.' % (name, exc.message))
            return None
        if name == POLICY_SERVER and name not in self.expected and (response.status != 200 or detect_html(response)):
            # Optional: only a document that is there is checked (a catch-all page in its place means "not published").
            return None
        self._ran(name, 'reachable over HTTPS')
        if name == 'server':
            # One document stands for the base domain: its addresses and its certificate.
            first = hops[0][1] if hops else response
            self._probe_addresses('server', 'the base domain, all its documents', url, self.host, 443, first.status)
            self._check_certificate('server', 'the base domain', self.host, 443, first)
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
            self.add(name, ERROR, 'http-status', '%s answers %s: serve the %s document there with status 200%s.'
                     % (final_url, _status(response), name,
                        ' (or 404 when there is no support information)' if name == 'support' else ''))
            return None
        self._ran(name, 'answers 200')

        self._check_headers(name, final_url, response, cors, cors_severity)
        if response.truncated:
            self.add(name, ERROR, 'too-large', '%s is larger than %d bytes (reading stopped there): Matrix servers read at most '
                     '50 KiB (%d bytes); serve a small document.' % (final_url, len(response.body), MAX_DOCUMENT_BYTES))
            return None
        self._ran(name, 'size under 50 KiB')
        if len(response.body) >= MAX_DOCUMENT_BYTES:
            self.add(name, ERROR, 'too-large', '%s is %d bytes: Matrix servers read at most 50 KiB (%d bytes); shrink it.'
                     % (final_url, len(response.body), MAX_DOCUMENT_BYTES))

        encoding = (response.header('Content-Encoding') or '').strip()
        if encoding and encoding.lower() != 'identity':
            self.add(name, ERROR, 'content-encoding', '%s is sent with Content-Encoding: %s although the request accepted no '
                     'compression (no Accept-Encoding), so Matrix servers and clients get compressed bytes where JSON '
                     'belongs: serve the plain file to such requests (nginx: drop "gzip_static always" or the added '
                     'Content-Encoding header for /.well-known/matrix/; Apache: no forced Content-Encoding).'
                     % (final_url, encoding))
            return None
        document, code, detail = parse_json(response.body)
        if code:
            fix = {'not-utf8': 'save it as UTF-8',
                   'invalid-document': ('no Matrix document nests that deep: serve the real document (is something else '
                                        'answering at this path?)')}.get(code, 'fix the syntax (python3 -m json.tool FILE shows where)')
            if code == 'invalid-document':
                self._ran(name, 'JSON in UTF-8')
            self.add(name, ERROR, code, 'The %s document at %s %s: %s.' % (name, final_url, detail, fix))
            return None
        self._ran(name, 'JSON in UTF-8', 'valid per the specification')
        # The served size was measured above; the re-serialised size is another number.
        findings = [(finding.severity, finding.path, finding.message)
                    for finding in validate_document(name, document, check_size=False)]
        for severity, path, message in findings:
            where = ' %s' % path if path else ''
            self.add(name, severity, 'invalid-document', 'The served %s document is invalid:%s %s.'
                     % (name, where, message.rstrip('.')))
        if name in self.expected:
            self._ran(name, 'same as expected')
            if self.expected[name] != document:
                self.add(name, ERROR, 'stale-document', 'The %s document served at %s differs from the expected one (%s): '
                         'replace the copy served there with the current document.'
                         % (name, final_url, describe_difference(self.expected[name], document)))
        if cors:
            self._check_preflight(name, url)
        return document

    def _intercepted(self, name, url, response, interception):
        code, what = interception
        if code == 'bot-challenge':
            self.add(name, ERROR, code, '%s answers %s with %s instead of the JSON document: browsers pass such a challenge, '
                     'Matrix servers and clients cannot. Exempt the path /.well-known/matrix/ from bot protection and '
                     'challenges (Cloudflare: a WAF custom rule "URI Path starts with /.well-known/matrix/" with the action '
                     'Skip for all remaining custom rules, Bot Fight Mode and Super Bot Fight Mode, and no "I\'m Under '
                     'Attack" mode there; other CDNs have the same kind of allow rule).'
                     % (url, _status(response), what))
        else:
            self.add(name, ERROR, code, '%s answers %s with %s instead of the JSON document (a CMS, a catch-all rule or an '
                     'error page of the proxy answers this path): serve the %s file at /.well-known/matrix/%s before any '
                     'catch-all rule, as application/json.' % (url, _status(response), what, name, name))

    def _check_hops(self, name, hops, cors, cors_severity):
        if hops:
            self._ran(name, 'redirects')
        for hop_url, hop, target in hops:
            if hop_url.startswith('https:') and target.startswith('http:'):
                if name in INSECURE_REDIRECT_ERRORS:
                    self.add(name, ERROR, 'insecure-redirect', '%s redirects to plain http (%s): browsers block an https '
                             'page from reading it (mixed content), so Element Web cannot read the client document; '
                             'redirect to https only.' % (hop_url, target))
                else:
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
        self._ran(name, 'Content-Type application/json', 'cache lifetime')
        if media_type != 'application/json':
            self.add(name, WARNING, 'content-type', '%s is served with %s: serve it as Content-Type: application/json (the '
                     'file has no extension, so web servers guess; in nginx use default_type application/json).'
                     % (url, 'Content-Type %r' % content_type if content_type else 'no Content-Type'))
        if not response.header('Cache-Control'):
            self.add(name, WARNING, 'cache-control', '%s has no Cache-Control header: add one such as '
                     'Cache-Control: max-age=3600 so servers and clients know how long to cache it '
                     '(remote servers otherwise keep the server document for 24 hours).' % url)
        if name == 'server':
            self._check_cache_lifetime(url, response)
        if cors:
            self._ran(name, 'CORS')
            why = allows_origin(response, self.origin)
            if why:
                self.add(name, cors_severity, 'cors-missing', '%s %s for a cross-origin GET: add the header '
                         'Access-Control-Allow-Origin: * (browser clients such as Element Web cannot read it otherwise).'
                         % (url, why))

    def _check_cache_lifetime(self, url, response):
        lifetime = cache_lifetime(response, self.now)
        self.server_cache = lifetime
        header = '; '.join(response.header_values('Cache-Control')) or 'Expires: %s' % response.header('Expires')
        if lifetime['seconds'] == 0:
            self.add('server', WARNING, 'cache-lifetime', '%s is sent with %s, so remote servers do not keep it: they '
                     'fetch it again for almost every request to this server (Synapse at least every 5 minutes), and '
                     'federation fails whenever the base domain does; let them cache it (Cache-Control: max-age=3600 '
                     'or more).' % (url, 'Cache-Control: %s' % header if lifetime['source'] != 'expires' else header))
        elif lifetime['header'] is not None and lifetime['header'] > MAX_CACHE_SECONDS:
            self.add('server', WARNING, 'cache-lifetime', '%s asks to be cached for %s (%s), but remote servers keep the '
                     'server document at most 48 hours (the specification\'s cap): set at most max-age=%d, so the '
                     'lifetime you plan for (for example before moving the homeserver) is the one applied.'
                     % (url, _duration(lifetime['header']), header, MAX_CACHE_SECONDS))

    def _check_preflight(self, name, url):
        headers = {'Origin': self.origin, 'Access-Control-Request-Method': 'GET'}
        fix = 'answer OPTIONS with 204 (or 200) and the headers %s' % CORS_HEADERS_HINT
        self._ran(name, 'CORS preflight')
        try:
            response = self._request('OPTIONS', url, headers=headers)
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
        elif name == 'support':
            self._ran(name, 'not published (404), which is allowed')
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
            self._in_time()
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
            self._ran('federation', 'SRV records')
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

    def _check_federation(self, result):
        """Fill ``result`` with how remote servers reach the server name, and what answered there."""
        host, port = self.host, self.port
        if self.explicit:
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
        self._ran('federation', 'federation version endpoint')
        hint = self._federation_hint(result)
        for target_host, target_port, error in failures:
            severity = WARNING if result['version'] is not None else ERROR
            self.add(None, severity, 'federation-failed', 'Federation to %s fails: GET %s on %s (certificate for %s, Host %s) %s. %s'
                     % (self.server_name, FEDERATION_VERSION_PATH, _hostport(target_host, target_port), tls_name,
                        host_header, error, hint))
        url = 'https://%s%s' % (_hostport(result['host'], result['port']), FEDERATION_VERSION_PATH)
        self._probe_addresses('federation', 'the federation target', url, result['host'], result['port'],
                              200 if result['version'] is not None else None, tls_name=tls_name, host_header=host_header)
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
            response = self._request('GET', url, tls_name=tls_name, host_header=host_header,
                                     connect_host=host, connect_port=port)
        except FetchError as exc:
            if exc.code == DNS_LIBRARY_MISSING:
                self._library_missing(exc.message)
            return 'failed: %s' % exc.message
        self._check_certificate('federation', 'the federation target %s' % _hostport(host, port), tls_name, port, response)
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
        if not self._server_absent:
            return
        if federation['method'] in ('srv', 'explicit'):
            self._ran('server', 'not published (404), which is fine: %s' % (
                'an SRV record delegates federation' if federation['method'] == 'srv'
                else 'the server name has an explicit port'))
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
        """GET url following redirects; return (response, hops, None) or (None, None, why it failed)."""
        try:
            response, hops = self._follow(url)
        except (FetchError, _Failure) as exc:
            return None, None, exc.message
        return response, hops, None

    def _check_client(self, result):
        """Fill ``result`` with what clients find through the client document, one step per endpoint."""
        document = self.documents['client']
        if not isinstance(document, dict):
            return
        base_url = self._base_url(document, 'm.homeserver')
        if base_url:
            result['base_url'] = base_url
            self._step('the client versions endpoint', self._store, result, 'versions', self._check_versions, base_url)
        identity = self._base_url(document, 'm.identity_server')
        if identity:
            result['identity_server'] = identity
            self._step('the identity server', self._check_identity_server, identity)
        authentication = document.get(MSC2965_KEY)
        if base_url and isinstance(authentication, dict) and isinstance(authentication.get('issuer'), str):
            self._step('the OAuth 2.0 server metadata', self._store, result, 'auth_issuer', self._check_auth_metadata,
                       base_url, authentication['issuer'])
        foci = document.get(RTC_FOCI_KEY)
        urls = []
        for focus in foci if isinstance(foci, list) else []:
            url = focus.get('livekit_service_url') if isinstance(focus, dict) else None
            if isinstance(url, str) and url not in urls:
                urls.append(url)
        if len(urls) > MAX_RTC_FOCI:
            self.add('client', WARNING, 'too-many-rtc-foci', 'The client document lists %d different livekit_service_url '
                     'values in %s; only the first %d were probed (%s): Element Call uses the first focus it can reach, '
                     'so list only the foci you run.'
                     % (len(urls), RTC_FOCI_KEY, MAX_RTC_FOCI, ', '.join(urls[:MAX_RTC_FOCI])))
        for url in urls[:MAX_RTC_FOCI]:
            entry = self._step('the LiveKit focus %s' % url, self._check_livekit, url)
            if isinstance(entry, dict):
                result['rtc_foci'].append(entry)

    @staticmethod
    def _store(result, key, function, *args):
        result[key] = function(*args)

    def _check_versions(self, base_url):
        url = base_url.rstrip('/') + '/_matrix/client/versions'
        fix = ('clients stop here: make %s answer with a JSON object holding a "versions" list (is the homeserver running '
               'and proxied under that base_url?), or fix m.homeserver.base_url' % url)
        self._ran('client', 'client versions endpoint')
        response, hops, why = self._get_json(url)
        parts = urlsplit(url)
        if parts.scheme == 'https':
            first = hops[0][1] if hops else response
            port = parts.port or 443
            self._probe_addresses('client', 'the homeserver of m.homeserver.base_url', url, parts.hostname, port,
                                  first.status if first is not None else None)
            self._check_certificate('client', 'the homeserver of m.homeserver.base_url', parts.hostname, port, first)
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
        self._ran('client', 'identity server')
        response, dummy, why = self._get_json(url)
        if response is None:
            self.add('client', ERROR, 'identity-server-failed', 'GET %s failed: %s; %s.' % (url, why, fix))
        elif response.status != 200:
            self.add('client', ERROR, 'identity-server-failed', 'GET %s answered %s: %s.'
                     % (url, _status(response), fix))

    def _check_auth_metadata(self, base_url, issuer):
        """Compare the issuer of the client document with the one of auth_metadata; return the latter (or None)."""
        url = base_url.rstrip('/') + AUTH_METADATA_PATH
        self._ran('client', 'OAuth 2.0 server metadata')
        missing = ('clients since Matrix v1.15 read the OAuth 2.0 server metadata there, and the %s key of the client '
                   'document is the deprecated way to announce it: make the homeserver (or the authentication service '
                   'behind it, such as MAS) answer %s with the issuer %s' % (MSC2965_KEY, AUTH_METADATA_PATH, issuer))
        response, dummy, why = self._get_json(url)
        if response is None:
            self.add('client', WARNING, 'auth-metadata-missing', 'GET %s failed: %s; %s.' % (url, why, missing))
            return None
        if response.status != 200:
            self.add('client', WARNING, 'auth-metadata-missing', 'GET %s answered %s: %s.' % (url, _status(response), missing))
            return None
        value, code, detail = parse_json(response.body) if not response.truncated else (None, 'too-large', 'is too large')
        served = value.get('issuer') if isinstance(value, dict) else None
        if code or not isinstance(served, str):
            self.add('client', WARNING, 'auth-metadata-missing', 'The answer to GET %s %s: %s.'
                     % (url, detail if code else 'has no "issuer" string', missing))
            return None
        if served != issuer:
            slash = (' (they differ only in the trailing "/", and issuers are compared exactly)'
                     if served.rstrip('/') == issuer.rstrip('/') else '')
            self.add('client', ERROR, 'auth-issuer-mismatch', 'The client document announces the issuer %s in %s, but %s '
                     'gives the issuer %s%s: clients that read one or the other log in against different servers, or '
                     'refuse; set %s.issuer to %s (or fix the issuer the homeserver announces).'
                     % (issuer, MSC2965_KEY, url, served, slash, MSC2965_KEY, served))
        return served

    def _check_livekit(self, url):
        """GET a livekit_service_url of rtc_foci: any answer below 500 over HTTPS will do."""
        self._ran('client', 'LiveKit (Element Call)')
        fix = ('Element Call cannot start calls through this focus: make the LiveKit JWT service answer at %s over HTTPS '
               '(or fix livekit_service_url in %s)' % (url, RTC_FOCI_KEY))
        entry = dict(livekit_service_url=url, ok=False, answer=None)
        problem, plain = check_http_url(url)
        if problem or plain:
            entry['answer'] = 'not an https URL'
            self.add('client', WARNING, 'rtc-focus-unreachable', 'The livekit_service_url %r %s: %s.'
                     % (url, problem or 'is plain http, which browsers block on an https page', fix))
            return entry
        response, dummy, why = self._get_json(url)
        if response is None:
            entry['answer'] = why
            self.add('client', WARNING, 'rtc-focus-unreachable', 'GET %s failed: %s; %s.' % (url, why, fix))
        elif response.status >= 500:
            entry['answer'] = _status(response)
            self.add('client', WARNING, 'rtc-focus-unreachable', 'GET %s answered %s: %s.' % (url, _status(response), fix))
        else:
            entry.update(ok=True, answer=_status(response))
        return entry


_RANK = {'ok': 0, WARNING: 1, ERROR: 2}
_VERDICT_WORDS = {'ok': 'ok', WARNING: 'WARNING', ERROR: 'ERROR'}


def _plural(count, word):
    return '%d %s%s' % (count, word, '' if count == 1 else 's')


def report_lines(server_name, result):
    """The lines of a report for people: per group (server, client, support, policy_server, federation) one line per
    check with its verdict, each problem under its check with what to change, then a summary."""
    lines = ['Matrix discovery of %s' % server_name]
    problems = result['problems']
    documents = result['documents']
    federation = result['federation']
    for group in REPORT_GROUPS:
        checks = result['checks'].get(group) or []
        if group == POLICY_SERVER and not checks:
            continue  # not published
        if group == 'federation':
            target = ('%s -> %s (%s)' % (server_name, _hostport(federation['host'], federation['port']), federation['method'])
                      if federation['host'] else server_name)
            lines.append('federation: %s' % target)
        else:
            state = ''
            verdicts = dict((check['check'], check['verdict']) for check in checks)
            if verdicts.get('reachable over HTTPS', ERROR) == ERROR:
                state = ' (not reached)'
            elif documents.get(group) is None:
                state = ' (not read)'
            lines.append('%s: /.well-known/matrix/%s%s' % (group, group, state))
        group_problems = [problem for problem in problems if (problem['document'] or 'federation') == group]
        for label, verdict in [(check['check'], check['verdict']) for check in checks]:
            lines.append('  %-8s %s' % (_VERDICT_WORDS[verdict], label))
            for problem in group_problems:
                if check_label(problem['document'], problem['code']) == label:
                    lines.append('           - [%s] %s' % (problem['code'], problem['message']))
    own = [problem for problem in problems if problem['code'] in CHECKER_CODES]
    if own:
        lines.append('the check itself:')
    for problem in own:
        lines.append('  %-8s %s' % (_VERDICT_WORDS[problem['severity']], check_label(None, problem['code'])))
        lines.append('           - [%s] %s' % (problem['code'], problem['message']))
    errors = len([problem for problem in problems if problem['severity'] == ERROR])
    warnings = len(problems) - errors
    if errors:
        verdict = 'BROKEN: Matrix servers or clients fail; fix the errors above'
    elif warnings:
        verdict = 'works, with warnings worth fixing'
    else:
        verdict = 'everything checked works'
    lines.append('Summary: %s, %s: %s.' % (_plural(errors, 'error'), _plural(warnings, 'warning'), verdict))
    return lines
