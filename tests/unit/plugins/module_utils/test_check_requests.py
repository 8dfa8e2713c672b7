# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The requests every concern of the checker shares (_check_requests): JSON bodies, every address of a name,
certificates, each request once; through Checker, against fakes (no network)."""

from __future__ import annotations

import json
import time

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils._check_requests import parse_json
from ansible_collections.matrix.wellknown.plugins.module_utils._checker import Checker
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError

from checker_fakes import (
    BASE,
    FEDERATION,
    FakeClient,
    FakeResolver,
    NOW,
    VERSION,
    client_with,
    codes,
    good_routes,
    respond,
    run,
)


# --- pure helpers ----------------------------------------------------------------

@pytest.mark.parametrize('body, value, code', [
    (b'{"a": 1}', {'a': 1}, None),
    (b'  \n', None, 'invalid-json'),
    (b'{"a": Infinity}', None, 'invalid-json'),
    (b'{"a": 1', None, 'invalid-json'),
    (b'\xff\xfe{\x00}\x00', None, 'not-utf8'),
    (b'"caf\xc3\xa9"', u'caf\xe9', None),
    # Valid JSON, but deeper than any Matrix document: refused before anything recurses over it.
    (b'[' * 100000 + b']' * 100000, None, 'invalid-document'),
    (b'[' * 600 + b']' * 600, None, 'invalid-document'),
    (b'[' * 65 + b']' * 65, None, 'invalid-document'),
    (b'{"a": ' * 65 + b'1' + b'}' * 65, None, 'invalid-document'),
    (b'[' * 64 + b']' * 64, json.loads('[' * 64 + ']' * 64), None),
])
def test_parse_json(body, value, code):
    parsed, found_code, detail = parse_json(body)
    assert (parsed, found_code) == (value, code)
    assert (detail is None) == (code is None)


# --- every address of a name ------------------------------------------------------

def test_an_address_that_fails_while_the_other_answers_is_reported_with_its_family():
    routes = good_routes()
    routes[('GET', BASE + 'server', '2001:db8::1')] = FetchError('connection-failed', 'cannot connect to [2001:db8::1]:443')
    addresses = {('example.com', 443): ['192.0.2.1', '2001:db8::1']}
    client = FakeClient(routes, addresses)
    result = Checker('example.com', client, FakeResolver()).run()
    assert codes(result) == [('server', 'error', 'address-failed')]
    message = result['problems'][0]['message']
    assert 'IPv6 address 2001:db8::1' in message and 'AAAA record of example.com' in message
    assert [(entry['address'], entry['family'], entry['ok']) for entry in result['addresses'] if entry['host'] == 'example.com'] \
        == [('192.0.2.1', 'IPv4', True), ('2001:db8::1', 'IPv6', False)]
    # Each address got the same request: same URL, through that address.
    probes = [call for call in client.calls if call['address'] is not None]
    assert [(call['url'], call['address']) for call in probes] == [(BASE + 'server', ('192.0.2.1', 443)),
                                                                   (BASE + 'server', ('2001:db8::1', 443))]


def test_an_address_answering_another_status_fails_and_federation_addresses_are_checked_with_the_tls_name():
    routes = good_routes()
    url = 'https://matrix.example.com:443' + FEDERATION
    routes[('GET', url, '192.0.2.8')] = respond(status=404)
    client = FakeClient(routes, {('matrix.example.com', 443): ['192.0.2.7', '192.0.2.8']})
    result = Checker('example.com', client, FakeResolver()).run()
    assert codes(result) == [(None, 'error', 'address-failed')]
    assert 'HTTP 404' in result['problems'][0]['message']
    probes = [call for call in client.calls if call['address'] is not None and call['url'] == url]
    assert len(probes) == 2
    assert {(call['tls_name'], call['host_header']) for call in probes} == {('matrix.example.com', 'matrix.example.com:443')}


def test_client_base_url_addresses_are_checked():
    routes = good_routes()
    routes[('GET', 'https://matrix.example.com/_matrix/client/versions', '192.0.2.9')] = FetchError('timeout', 'no answer')
    client = FakeClient(routes, {('matrix.example.com', 443): ['192.0.2.7', '192.0.2.9']})
    routes[('GET', 'https://matrix.example.com:443' + FEDERATION, '192.0.2.9')] = respond(VERSION)
    result = Checker('example.com', client, FakeResolver()).run()
    assert codes(result) == [('client', 'error', 'address-failed')]


def test_all_addresses_failing_is_the_normal_error_only():
    routes = good_routes()
    for address in ('192.0.2.1', '2001:db8::1'):
        routes[('GET', 'https://matrix.example.com:443' + FEDERATION, address)] = FetchError('connection-failed', 'refused')
    routes[('GET', 'https://matrix.example.com:443' + FEDERATION)] = FetchError('connection-failed', 'refused')
    client = FakeClient(routes, {('matrix.example.com', 443): ['192.0.2.1', '2001:db8::1']})
    result = Checker('example.com', client, FakeResolver()).run()
    assert (None, 'error', 'federation-failed') in codes(result)
    assert 'address-failed' not in [problem['code'] for problem in result['problems']]


# --- certificates ---------------------------------------------------------------------

@pytest.mark.parametrize('days_left, warning_days, warned', [(3, 14, True), (30, 14, False), (3, 0, False), (20, 30, True)])
def test_certificates_about_to_expire(days_left, warning_days, warned):
    routes = good_routes()
    answer = routes[('GET', 'https://matrix.example.com:443' + FEDERATION)]
    answer.not_after = NOW + days_left * 86400 + 60
    client = FakeClient(routes)
    result = Checker('example.com', client, FakeResolver(), certificate_warning_days=warning_days, now=NOW).run()
    assert codes(result) == ([(None, 'warning', 'certificate-expiring')] if warned else [])
    assert result['certificates'] == [dict(name='matrix.example.com', port=443, checked='the federation target matrix.example.com:443',
                                           not_after=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(answer.not_after)),
                                           days_left=days_left)]


def test_base_domain_and_homeserver_certificates_are_reported_on_their_documents():
    routes = good_routes()
    routes[('GET', BASE + 'server')].not_after = NOW + 86400
    routes[('GET', 'https://matrix.example.com/_matrix/client/versions')].not_after = NOW + 2 * 86400
    result = Checker('example.com', FakeClient(routes), FakeResolver(), now=NOW).run()
    assert codes(result) == [('server', 'warning', 'certificate-expiring'), ('client', 'warning', 'certificate-expiring')]


def test_each_distinct_request_is_sent_once():
    """The identity server on the homeserver's host and a focus at the versions URL: nothing is asked twice."""
    routes = client_with(**{
        'm.identity_server': {'base_url': 'https://matrix.example.com'},
        'org.matrix.msc4143.rtc_foci': [{'type': 'livekit', 'livekit_service_url': 'https://matrix.example.com/_matrix/client/versions'}]})
    routes[('GET', 'https://matrix.example.com/_matrix/identity/v2')] = respond({})
    dummy, client, dummy = run(routes)
    sent = [(call['method'], call['url'], call['address'], call['connect_host']) for call in client.calls]
    assert len(sent) == len(set(sent))
    assert sent.count(('GET', 'https://matrix.example.com/_matrix/client/versions', None, None)) == 1
