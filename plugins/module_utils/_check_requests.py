# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The requests of the discovery checker, shared by its concerns, and reading their answers.

``Requests`` sends each distinct request once and none after the deadline, follows redirects hop by hop, probes every
address of a name on its own (``address-failed``) and records the certificates seen (``certificate-expiring``). The
network is reached only through the injected ``client`` (``_http_client.Client`` or a fake):
``client.request(method, url, headers=None, tls_name=None, host_header=None, connect_host=None, connect_port=None,
address=None)`` returns an ``_http_client.Response`` or raises ``_http_client.FetchError``;
``client.addresses(host, port)`` gives the (address, port) pairs a connection to host:port may use.
"""

from __future__ import annotations

import json
import time

from urllib.parse import urldefrag, urljoin

from ansible_collections.matrix.wellknown.plugins.module_utils._documents import ERROR, WARNING
from ansible_collections.matrix.wellknown.plugins.module_utils._grammar import check_http_url
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError

MAX_REDIRECTS = 10
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Matrix documents are a few levels deep; Python's own JSON handling (and Ansible's output of the result) recurses.
MAX_JSON_DEPTH = 64
CERTIFICATE_WARNING_DAYS = 14


class Failure(Exception):
    """A redirect chain that cannot be followed; code is a problem code."""

    def __init__(self, code, message):
        super(Failure, self).__init__(message)
        self.code = code
        self.message = message


def status(response):
    """``HTTP 404 Not Found``, for messages."""
    return ('HTTP %d %s' % (response.status, response.reason or '')).strip()


def family(address):
    """IPv4 or IPv6, for messages and the returned data."""
    return 'IPv6' if ':' in address else 'IPv4'


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


class Requests(object):
    """The checker's way to the network; ``addresses`` and ``certificates`` are the entries of the module's result."""

    def __init__(self, client, findings, deadline, now, certificate_warning_days=CERTIFICATE_WARNING_DAYS):
        self.client = client
        self.findings = findings
        self.deadline = deadline
        self.now = now
        self.certificate_warning_days = certificate_warning_days
        self.addresses = []
        self.certificates = []
        # Each distinct request is sent once: a document may name the same URL many times.
        self._answers = {}

    def request(self, method, url, **kwargs):
        """client.request, once per distinct request, and none after the deadline."""
        key = (method, url) + tuple(sorted((name, tuple(sorted(value.items())) if isinstance(value, dict) else value)
                                           for name, value in kwargs.items()))
        if key not in self._answers:
            self.deadline.check()
            try:
                self._answers[key] = self.client.request(method, url, **kwargs)
            except FetchError as exc:
                self._answers[key] = exc
        answer = self._answers[key]
        if isinstance(answer, FetchError):
            raise answer
        return answer

    def follow(self, url, headers=None):
        """GET url, following redirects hop by hop; return (final response, hops as (url, response, target))."""
        hops = []
        seen = [url]
        while True:
            response = self.request('GET', url, headers=headers)
            if response.status not in REDIRECT_STATUSES:
                return response, hops
            location = response.header('Location')
            if not location:
                raise Failure('bad-redirect', '%s answers HTTP %d without a Location header: add the Location, or serve '
                                              'the document directly with 200' % (url, response.status))
            target = urldefrag(urljoin(url, location.strip()))[0]
            problem = check_http_url(target)[0]
            if problem:
                raise Failure('bad-redirect', '%s redirects to %r, which %s: fix the Location header' % (url, location, problem))
            hops.append((url, response, target))
            if target in seen:
                raise Failure('redirect-loop', 'the redirects loop (%s): make the chain end in a 200 answer'
                                               % ' -> '.join(seen[-4:] + [target]))
            if len(hops) > MAX_REDIRECTS:
                raise Failure('too-many-redirects', '%s is reached after more than %d redirects (Matrix clients and servers give '
                                                    'up around 10): redirect once, or serve the document directly'
                                                    % (target, MAX_REDIRECTS))
            seen.append(target)
            url = target

    # --- every address of a name, and certificates ---------------------------

    def probe_addresses(self, group, what, url, host, port, reference, **kwargs):
        """GET url once through each address of host:port; report the addresses that fail while others answer.

        ``reference`` is the status the normal request got (None when it failed):
        an address answers alike when it gives that status.
        """
        self.deadline.check()
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
                    response = self.request('GET', url, address=address, **kwargs)
                except FetchError as exc:
                    entries.append(dict(address=address[0], port=address[1], ok=False, answer=exc.message))
                    continue
                if reference is not None and response.status != reference:
                    entries.append(dict(address=address[0], port=address[1], ok=False,
                                        answer='%s where the others answer HTTP %d' % (status(response), reference)))
                else:
                    entries.append(dict(address=address[0], port=address[1], ok=True, answer=status(response)))
        for entry in entries:
            entry.update(checked=what, host=host, family=family(entry['address']), url=url)
            self.addresses.append(entry)
        failed = [entry for entry in entries if not entry['ok']]
        if failed and len(failed) < len(entries):
            self.findings.ran(group, 'every address answers alike')
            for entry in failed:
                self.findings.add(group if group != 'federation' else None, ERROR, 'address-failed',
                                  '%s (%s) has %d addresses, and GET %s through the %s address %s fails: %s. Remote servers '
                                  'and clients that pick this address fail while the others work: fix or remove the %s '
                                  'record of %s (or make the web server listen on %s and the firewall let it through).'
                                  % (host, what, len(entries), url, entry['family'], entry['address'],
                                     entry['answer'].rstrip('.'), 'AAAA' if entry['family'] == 'IPv6' else 'A', host,
                                     entry['address']))
        elif not failed:
            self.findings.ran(group, 'every address answers alike')

    def check_certificate(self, group, what, tls_name, port, response):
        """Record the certificate a response came with (once per name and port); warn when it expires soon."""
        if response is None or response.not_after is None:
            return
        if any(entry['name'] == tls_name and entry['port'] == port for entry in self.certificates):
            return
        days = (response.not_after - self.now) / 86400.0
        not_after = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(response.not_after))
        self.certificates.append(dict(name=tls_name, port=port, checked=what, not_after=not_after,
                                      days_left=int(days)))
        self.findings.ran(group, 'certificate not about to expire')
        if days < self.certificate_warning_days:
            self.findings.add(group if group != 'federation' else None, WARNING, 'certificate-expiring',
                              'The certificate of %s (%s, port %d) expires on %s, in %.1f days: renew it now (is the '
                              'renewal job, such as certbot\'s timer, running and reloading the web server?); when it '
                              'expires, remote servers and clients stop connecting.'
                              % (tls_name, what, port, not_after, days))
