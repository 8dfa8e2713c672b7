# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The discovery checker's federation concern: how remote servers reach the server name, and what answers there.

The server name is resolved as the specification says (explicit port or IP address, ``m.server`` of the server
document, SRV records ``_matrix-fed._tcp`` then ``_matrix._tcp``, then port 8448), and the federation version endpoint
is called there with the TLS name and ``Host`` header a remote server would use. DNS is reached only through the
injected ``resolver``: ``resolver.srv(name)`` returns SRV records as dicts (priority, weight, port, target), ``[]``
when there are none, or raises an error with ``code`` and ``message``; ``resolver.canonical_name(host)`` returns the
name behind a CNAME, or None.
"""

from __future__ import annotations

from ansible_collections.matrix.wellknown.plugins.module_utils._check_report import hostport
from ansible_collections.matrix.wellknown.plugins.module_utils._check_requests import parse_json, status
from ansible_collections.matrix.wellknown.plugins.module_utils._documents import ERROR, WARNING
from ansible_collections.matrix.wellknown.plugins.module_utils._grammar import check_server_name, split_server_name
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError, is_ip_address
from ansible_collections.matrix.wellknown.plugins.module_utils._resolver import DNS_LIBRARY_MISSING

FEDERATION_PORT = 8448
FEDERATION_VERSION_PATH = '/_matrix/federation/v1/version'
SRV_SERVICES = ('_matrix-fed._tcp', '_matrix._tcp')


def federation_result(server_name):
    """The module's ``federation`` before anything is known."""
    return dict(method=None, server_name=server_name, delegated_server_name=None, host=None, port=None,
                tls_name=None, host_header=None, srv=[], version=None)


def usable_delegation(document):
    """m.server of the served server document, when remote servers would use it."""
    if not isinstance(document, dict):
        return None
    value = document.get('m.server')
    if not isinstance(value, str) or check_server_name(value):
        return None
    return value


class FederationChecks(object):
    """Federation of one server name, through the shared context and a resolver."""

    def __init__(self, context, resolver):
        self.server = context.server
        self.findings = context.findings
        self.deadline = context.deadline
        self.requests = context.requests
        self.resolver = resolver

    def check(self, result, server_document):
        """Fill ``result`` with how remote servers reach the server name, and what answered there."""
        server = self.server
        host, port = server.host, server.port
        if server.explicit:
            result['method'] = 'explicit'
            targets = [(host, port or FEDERATION_PORT)]
            tls_name, host_header = host, server.name
            if server_document is not None:
                self.findings.add('server', WARNING, 'server-document-ignored', 'The server name %s has an explicit port '
                                  '(or is an IP address), so remote servers never read /.well-known/matrix/server: use '
                                  'the name without port to delegate with it.' % server.name)
        else:
            delegated = usable_delegation(server_document)
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
        self.findings.ran('federation', 'federation version endpoint')
        hint = self._hint(result)
        for target_host, target_port, error in failures:
            severity = WARNING if result['version'] is not None else ERROR
            self.findings.add(None, severity, 'federation-failed', 'Federation to %s fails: GET %s on %s (certificate for '
                              '%s, Host %s) %s. %s'
                              % (server.name, FEDERATION_VERSION_PATH, hostport(target_host, target_port), tls_name,
                                 host_header, error, hint))
        url = 'https://%s%s' % (hostport(result['host'], result['port']), FEDERATION_VERSION_PATH)
        self.requests.probe_addresses('federation', 'the federation target', url, result['host'], result['port'],
                                      200 if result['version'] is not None else None, tls_name=tls_name,
                                      host_header=host_header)
        return result

    def judge_missing_server(self, federation, server_absent):
        """A server document that answered 404: fine, a warning or an error, depending on how federation went."""
        if not server_absent:
            return
        host = self.server.host
        if federation['method'] in ('srv', 'explicit'):
            self.findings.ran('server', 'not published (404), which is fine: %s' % (
                'an SRV record delegates federation' if federation['method'] == 'srv'
                else 'the server name has an explicit port'))
            return
        url = 'https://%s/.well-known/matrix/server' % host
        if federation['version'] is not None:
            self.findings.add('server', WARNING, 'not-found', '%s answers 404 and there is no SRV record: federation works '
                              'only because the homeserver answers on %s; publish a server document with m.server if it '
                              'should go elsewhere.' % (url, hostport(host, FEDERATION_PORT)))
        else:
            self.findings.add('server', ERROR, 'not-found', '%s answers 404 and there is no SRV record, so remote servers '
                              'try %s, which does not work: publish a server document with m.server (like '
                              '"matrix.%s:443").' % (url, hostport(host, FEDERATION_PORT), host))

    def _srv_targets(self, name, result):
        """Look up the SRV records remote servers use for name; return [(host, port)] in the order to try."""
        for service in SRV_SERVICES:
            record_name = '%s.%s' % (service, name)
            self.deadline.check()
            try:
                records = self.resolver.srv(record_name)
            except Exception as exc:  # pylint: disable=broad-except
                # Resolvers report failures with code and message attributes; anything else is a bug to show, not hide.
                if not hasattr(exc, 'code'):
                    raise
                code = exc.code
                message = getattr(exc, 'message', None) or str(exc)
                if code == DNS_LIBRARY_MISSING:
                    self.findings.library_missing('%s SRV records were not looked up.' % message)
                    return []
                self.findings.add(None, ERROR, 'dns-error', 'The SRV lookup of %s failed: %s. Remote servers cannot tell '
                                  'whether federation is delegated by SRV; fix the name server.' % (record_name, message))
                continue
            self.findings.ran('federation', 'SRV records')
            if not records:
                continue
            for record in records:
                result['srv'].append(dict(record, name=record_name))
            if service != SRV_SERVICES[0]:
                self.findings.add(None, WARNING, 'deprecated-srv', 'Only the deprecated SRV record %s exists: publish '
                                  '_matrix-fed._tcp.%s with the same target too (newer servers look that up first).'
                                  % (record_name, name))
            for record in records:
                canonical = self.resolver.canonical_name(record['target'])
                if canonical and canonical.lower().rstrip('.') != record['target'].lower().rstrip('.'):
                    self.findings.add(None, WARNING, 'srv-target-cname', 'The SRV target %s of %s is a CNAME (of %s): SRV '
                                      'targets must not be aliases; point the SRV record at %s.'
                                      % (record['target'], record_name, canonical, canonical))
            return [(record['target'], record['port']) for record in records]
        return []

    def _hint(self, result):
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
                % (hostport(result['tls_name'], FEDERATION_PORT), self.server.host))

    def _federation_version(self, host, port, tls_name, host_header, result):
        """Ask one target for its version; None on success (result['version'] set), else why it failed."""
        url = 'https://%s%s' % (hostport(host, port), FEDERATION_VERSION_PATH)
        try:
            response = self.requests.request('GET', url, tls_name=tls_name, host_header=host_header,
                                             connect_host=host, connect_port=port)
        except FetchError as exc:
            if exc.code == DNS_LIBRARY_MISSING:
                self.findings.library_missing(exc.message)
            return 'failed: %s' % exc.message
        self.requests.check_certificate('federation', 'the federation target %s' % hostport(host, port), tls_name, port,
                                        response)
        if response.status != 200:
            return 'answered %s instead of 200' % status(response)
        if response.truncated:
            return 'answered with more than %d bytes' % len(response.body)
        value, code, detail = parse_json(response.body)
        if code:
            return 'answered a body that %s' % detail
        if not isinstance(value, dict) or not isinstance(value.get('server'), dict):
            return 'answered JSON without a "server" object'
        result['version'] = value['server']
        return None
