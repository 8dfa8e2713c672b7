# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The discovery checker's client concern: what clients find through the client document.

One step per endpoint, each under the deadline: ``/_matrix/client/versions`` under ``m.homeserver.base_url`` (with
the addresses and certificate of that host), ``/_matrix/identity/v2`` of ``m.identity_server``, the OAuth 2.0 server
metadata (Matrix v1.15) when the document announces MSC2965 authentication, and each distinct
``livekit_service_url`` of the RTC foci (Element Call), at most ``MAX_RTC_FOCI``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ansible_collections.matrix.wellknown.plugins.module_utils._check_requests import Failure, parse_json, status
from ansible_collections.matrix.wellknown.plugins.module_utils._documents import ERROR, WARNING
from ansible_collections.matrix.wellknown.plugins.module_utils._grammar import check_http_url
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError

AUTH_METADATA_PATH = '/_matrix/client/v1/auth_metadata'
MSC2965_KEY = 'org.matrix.msc2965.authentication'
RTC_FOCI_KEY = 'org.matrix.msc4143.rtc_foci'
# Element Call needs one focus; a document listing hundreds (one may redirect 10 times) would hold the check for hours.
MAX_RTC_FOCI = 5


def client_result():
    """The module's ``client`` before anything is known."""
    return dict(base_url=None, versions=None, identity_server=None, auth_issuer=None, rtc_foci=[])


def _base_url(document, key):
    value = document.get(key)
    if not isinstance(value, dict):
        return None
    url = value.get('base_url')
    if check_http_url(url)[0]:
        return None
    return url


def _store(result, key, function, *args):
    result[key] = function(*args)


class ClientChecks(object):
    """The client endpoints of one client document, through the shared context."""

    def __init__(self, context):
        self.findings = context.findings
        self.deadline = context.deadline
        self.requests = context.requests

    def check(self, result, document):
        """Fill ``result`` with what clients find through the client ``document``, one step per endpoint."""
        if not isinstance(document, dict):
            return
        step = self.deadline.step
        base_url = _base_url(document, 'm.homeserver')
        if base_url:
            result['base_url'] = base_url
            step('the client versions endpoint', _store, result, 'versions', self._check_versions, base_url)
        identity = _base_url(document, 'm.identity_server')
        if identity:
            result['identity_server'] = identity
            step('the identity server', self._check_identity_server, identity)
        authentication = document.get(MSC2965_KEY)
        if base_url and isinstance(authentication, dict) and isinstance(authentication.get('issuer'), str):
            step('the OAuth 2.0 server metadata', _store, result, 'auth_issuer', self._check_auth_metadata,
                 base_url, authentication['issuer'])
        foci = document.get(RTC_FOCI_KEY)
        urls = []
        for focus in foci if isinstance(foci, list) else []:
            url = focus.get('livekit_service_url') if isinstance(focus, dict) else None
            if isinstance(url, str) and url not in urls:
                urls.append(url)
        if len(urls) > MAX_RTC_FOCI:
            self.findings.add('client', WARNING, 'too-many-rtc-foci', 'The client document lists %d different '
                              'livekit_service_url values in %s; only the first %d were probed (%s): Element Call uses '
                              'the first focus it can reach, so list only the foci you run.'
                              % (len(urls), RTC_FOCI_KEY, MAX_RTC_FOCI, ', '.join(urls[:MAX_RTC_FOCI])))
        for url in urls[:MAX_RTC_FOCI]:
            entry = step('the LiveKit focus %s' % url, self._check_livekit, url)
            if isinstance(entry, dict):
                result['rtc_foci'].append(entry)

    def _get_json(self, url):
        """GET url following redirects; return (response, hops, None) or (None, None, why it failed)."""
        try:
            response, hops = self.requests.follow(url)
        except (FetchError, Failure) as exc:
            return None, None, exc.message
        return response, hops, None

    def _check_versions(self, base_url):
        url = base_url.rstrip('/') + '/_matrix/client/versions'
        fix = ('clients stop here: make %s answer with a JSON object holding a "versions" list (is the homeserver running '
               'and proxied under that base_url?), or fix m.homeserver.base_url' % url)
        self.findings.ran('client', 'client versions endpoint')
        response, hops, why = self._get_json(url)
        parts = urlsplit(url)
        if parts.scheme == 'https':
            first = hops[0][1] if hops else response
            port = parts.port or 443
            self.requests.probe_addresses('client', 'the homeserver of m.homeserver.base_url', url, parts.hostname, port,
                                          first.status if first is not None else None)
            self.requests.check_certificate('client', 'the homeserver of m.homeserver.base_url', parts.hostname, port,
                                            first)
        if response is None:
            self.findings.add('client', ERROR, 'versions-failed', 'GET %s failed: %s; %s.' % (url, why, fix))
            return None
        if response.status != 200:
            self.findings.add('client', ERROR, 'versions-failed', 'GET %s answered %s: %s.' % (url, status(response), fix))
            return None
        value, code, detail = parse_json(response.body) if not response.truncated else (None, 'too-large', 'is too large')
        if code:
            self.findings.add('client', ERROR, 'versions-failed', 'The answer to GET %s %s: %s.' % (url, detail, fix))
            return None
        versions = value.get('versions') if isinstance(value, dict) else None
        if not isinstance(versions, list) or not all(isinstance(version, str) for version in versions):
            self.findings.add('client', ERROR, 'versions-failed', 'The answer to GET %s has no "versions" list of strings: '
                              '%s.' % (url, fix))
            return None
        return versions

    def _check_identity_server(self, base_url):
        url = base_url.rstrip('/') + '/_matrix/identity/v2'
        fix = ('clients refuse to continue when the identity server does not answer: make %s answer 200, or remove '
               'm.identity_server from the client document' % url)
        self.findings.ran('client', 'identity server')
        response, dummy, why = self._get_json(url)
        if response is None:
            self.findings.add('client', ERROR, 'identity-server-failed', 'GET %s failed: %s; %s.' % (url, why, fix))
        elif response.status != 200:
            self.findings.add('client', ERROR, 'identity-server-failed', 'GET %s answered %s: %s.'
                              % (url, status(response), fix))

    def _check_auth_metadata(self, base_url, issuer):
        """Compare the issuer of the client document with the one of auth_metadata; return the latter (or None)."""
        url = base_url.rstrip('/') + AUTH_METADATA_PATH
        self.findings.ran('client', 'OAuth 2.0 server metadata')
        missing = ('clients since Matrix v1.15 read the OAuth 2.0 server metadata there, and the %s key of the client '
                   'document is the deprecated way to announce it: make the homeserver (or the authentication service '
                   'behind it, such as MAS) answer %s with the issuer %s' % (MSC2965_KEY, AUTH_METADATA_PATH, issuer))
        response, dummy, why = self._get_json(url)
        if response is None:
            self.findings.add('client', WARNING, 'auth-metadata-missing', 'GET %s failed: %s; %s.' % (url, why, missing))
            return None
        if response.status != 200:
            self.findings.add('client', WARNING, 'auth-metadata-missing', 'GET %s answered %s: %s.'
                              % (url, status(response), missing))
            return None
        value, code, detail = parse_json(response.body) if not response.truncated else (None, 'too-large', 'is too large')
        served = value.get('issuer') if isinstance(value, dict) else None
        if code or not isinstance(served, str):
            self.findings.add('client', WARNING, 'auth-metadata-missing', 'The answer to GET %s %s: %s.'
                              % (url, detail if code else 'has no "issuer" string', missing))
            return None
        if served != issuer:
            slash = (' (they differ only in the trailing "/", and issuers are compared exactly)'
                     if served.rstrip('/') == issuer.rstrip('/') else '')
            self.findings.add('client', ERROR, 'auth-issuer-mismatch', 'The client document announces the issuer %s in %s, '
                              'but %s gives the issuer %s%s: clients that read one or the other log in against different '
                              'servers, or refuse; set %s.issuer to %s (or fix the issuer the homeserver announces).'
                              % (issuer, MSC2965_KEY, url, served, slash, MSC2965_KEY, served))
        return served

    def _check_livekit(self, url):
        """GET a livekit_service_url of rtc_foci: any answer below 500 over HTTPS will do."""
        self.findings.ran('client', 'LiveKit (Element Call)')
        fix = ('Element Call cannot start calls through this focus: make the LiveKit JWT service answer at %s over HTTPS '
               '(or fix livekit_service_url in %s)' % (url, RTC_FOCI_KEY))
        entry = dict(livekit_service_url=url, ok=False, answer=None)
        problem, plain = check_http_url(url)
        if problem or plain:
            entry['answer'] = 'not an https URL'
            self.findings.add('client', WARNING, 'rtc-focus-unreachable', 'The livekit_service_url %r %s: %s.'
                              % (url, problem or 'is plain http, which browsers block on an https page', fix))
            return entry
        response, dummy, why = self._get_json(url)
        if response is None:
            entry['answer'] = why
            self.findings.add('client', WARNING, 'rtc-focus-unreachable', 'GET %s failed: %s; %s.' % (url, why, fix))
        elif response.status >= 500:
            entry['answer'] = status(response)
            self.findings.add('client', WARNING, 'rtc-focus-unreachable', 'GET %s answered %s: %s.'
                              % (url, status(response), fix))
        else:
            entry.update(ok=True, answer=status(response))
        return entry
