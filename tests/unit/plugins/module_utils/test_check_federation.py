# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checker's federation concern (_check_federation): server name resolution, SRV records, the federation
endpoint, the missing DNS library; through Checker, against fakes (no network)."""

from __future__ import annotations

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils._check_federation import FederationChecks, federation_result
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError, Response
from ansible_collections.matrix.wellknown.plugins.module_utils._resolver import DnsError

from checker_fakes import (
    BASE,
    FEDERATION,
    FakeResolver,
    SERVER,
    VERSION,
    codes,
    context,
    good_routes,
    respond,
    run,
    srv_record,
)


# --- server name resolution (federation) ----------------------------------------

def _server_doc(value):
    return respond({'m.server': value}) if value is not None else Response(404, 'Not Found', [], b'')


RESOLUTION = [
    # server_name, m.server, SRV records, answering federation URL, expected federation fields
    ('example.com:8448', SERVER['m.server'], {}, 'https://example.com:8448',
     dict(method='explicit', host='example.com', port=8448, tls_name='example.com', host_header='example.com:8448')),
    ('192.0.2.1', None, {}, 'https://192.0.2.1:8448',
     dict(method='explicit', host='192.0.2.1', port=8448, tls_name='192.0.2.1', host_header='192.0.2.1')),
    ('[2001:db8::1]:8443', None, {}, 'https://[2001:db8::1]:8443',
     dict(method='explicit', host='[2001:db8::1]', port=8443, tls_name='[2001:db8::1]', host_header='[2001:db8::1]:8443')),
    ('example.com', 'matrix.example.com:8443', {}, 'https://matrix.example.com:8443',
     dict(method='well-known', host='matrix.example.com', port=8443, tls_name='matrix.example.com',
          host_header='matrix.example.com:8443')),
    ('example.com', '192.0.2.7', {}, 'https://192.0.2.7:8448',
     dict(method='well-known', host='192.0.2.7', port=8448, tls_name='192.0.2.7', host_header='192.0.2.7')),
    ('example.com', 'matrix.example.com', {'_matrix-fed._tcp.matrix.example.com': [srv_record('hs1.example.net', 8449)]},
     'https://hs1.example.net:8449',
     dict(method='well-known', host='hs1.example.net', port=8449, tls_name='matrix.example.com',
          host_header='matrix.example.com')),
    ('example.com', 'matrix.example.com', {}, 'https://matrix.example.com:8448',
     dict(method='well-known', host='matrix.example.com', port=8448, tls_name='matrix.example.com',
          host_header='matrix.example.com')),
    ('example.com', None, {'_matrix-fed._tcp.example.com': [srv_record('hs1.example.net', 443)]}, 'https://hs1.example.net:443',
     dict(method='srv', host='hs1.example.net', port=443, tls_name='example.com', host_header='example.com')),
    ('example.com', {'m.server': 'https://bad'}, {'_matrix-fed._tcp.example.com': [srv_record('hs.example.net', 443)]},
     'https://hs.example.net:443', dict(method='srv', host='hs.example.net', port=443, tls_name='example.com')),
    ('example.com', None, {}, 'https://example.com:8448',
     dict(method='fallback', host='example.com', port=8448, tls_name='example.com', host_header='example.com')),
]


@pytest.mark.parametrize('server_name, delegation, records, answering, fields', RESOLUTION)
def test_server_name_resolution(server_name, delegation, records, answering, fields):
    routes = good_routes()
    host = server_name.rsplit(':', 1)[0] if not server_name.startswith('[') else server_name.split(']')[0] + ']'
    base = 'https://%s/.well-known/matrix/' % host
    for name in ('client', 'support'):
        routes[('GET', base + name)] = routes[('GET', BASE + name)]
        routes[('OPTIONS', base + name)] = respond(status=204)
    if isinstance(delegation, dict):
        routes[('GET', base + 'server')] = respond(delegation)
    else:
        routes[('GET', base + 'server')] = _server_doc(delegation)
    routes[('GET', answering + FEDERATION)] = respond(VERSION)
    result, client, resolver = run(routes, server_name, FakeResolver(srv=records))
    federation = result['federation']
    for key, value in fields.items():
        assert federation[key] == value, key
    assert federation['version'] == VERSION['server']
    assert not [problem for problem in result['problems'] if problem['severity'] == 'error'
                and problem['code'] != 'invalid-document']
    if fields['method'] == 'fallback':
        assert codes(result) == [('server', 'warning', 'not-found')]
    call = [call for call in client.calls if call['url'].endswith(FEDERATION)][-1]
    assert (call['tls_name'], call['host_header']) == (federation['tls_name'], federation['host_header'])
    assert (call['connect_host'], call['connect_port']) == (federation['host'], federation['port'])


def test_explicit_port_skips_srv_and_warns_about_an_ignored_server_document():
    routes = good_routes()
    routes[('GET', 'https://example.com:8448' + FEDERATION)] = respond(VERSION)
    result, dummy, resolver = run(routes, 'example.com:8448')
    assert resolver.calls == []
    assert codes(result) == [('server', 'warning', 'server-document-ignored')]
    assert result['ok'] is True


def test_srv_lookups_go_fed_then_deprecated():
    routes = good_routes()
    routes[('GET', BASE + 'server')] = respond({'m.server': 'matrix.example.com'})
    routes[('GET', 'https://matrix.example.com:8448' + FEDERATION)] = respond(VERSION)
    result, dummy, resolver = run(routes)
    assert resolver.calls == ['_matrix-fed._tcp.matrix.example.com', '_matrix._tcp.matrix.example.com']
    assert result['problems'] == []


def test_deprecated_srv_record_is_used_with_a_warning():
    routes = good_routes()
    routes[('GET', BASE + 'server')] = Response(404, 'Not Found', [], b'')
    routes[('GET', 'https://old.example.net:8448' + FEDERATION)] = respond(VERSION)
    resolver = FakeResolver(srv={'_matrix._tcp.example.com': [srv_record('old.example.net', 8448)]})
    result = run(routes, resolver=resolver)[0]
    assert codes(result) == [(None, 'warning', 'deprecated-srv')]
    assert result['federation']['method'] == 'srv'
    assert result['federation']['srv'] == [dict(srv_record('old.example.net', 8448), name='_matrix._tcp.example.com')]


def test_srv_targets_are_tried_in_order_and_a_failing_one_is_a_warning():
    routes = good_routes()
    routes[('GET', BASE + 'server')] = Response(404, 'Not Found', [], b'')
    routes[('GET', 'https://a.example.net:443' + FEDERATION)] = FetchError('connection-failed', 'refused')
    routes[('GET', 'https://b.example.net:443' + FEDERATION)] = respond(VERSION)
    records = [srv_record('b.example.net', 443, priority=20), srv_record('a.example.net', 443, priority=10)]
    resolver = FakeResolver(srv={'_matrix-fed._tcp.example.com': sorted(records, key=lambda r: r['priority'])})
    result = run(routes, resolver=resolver)[0]
    assert codes(result) == [(None, 'warning', 'federation-failed')]
    assert result['federation']['host'] == 'b.example.net'
    assert result['ok'] is True


def test_srv_target_that_is_a_cname_is_a_warning():
    routes = good_routes()
    routes[('GET', BASE + 'server')] = Response(404, 'Not Found', [], b'')
    routes[('GET', 'https://alias.example.net:443' + FEDERATION)] = respond(VERSION)
    resolver = FakeResolver(srv={'_matrix-fed._tcp.example.com': [srv_record('alias.example.net', 443)]},
                            cnames={'alias.example.net': 'real.example.net'})
    assert codes(run(routes, resolver=resolver)[0]) == [(None, 'warning', 'srv-target-cname')]


@pytest.mark.parametrize('federation_answer, expected', [
    (respond(VERSION), [('server', 'warning', 'not-found')]),
    (FetchError('connection-failed', 'refused'), [(None, 'error', 'federation-failed'), ('server', 'error', 'not-found')]),
])
def test_missing_server_document_without_srv(federation_answer, expected):
    routes = good_routes()
    routes[('GET', BASE + 'server')] = Response(404, 'Not Found', [], b'')
    routes[('GET', 'https://example.com:8448' + FEDERATION)] = federation_answer
    result = run(routes)[0]
    assert codes(result) == expected
    assert result['federation']['method'] == 'fallback'


def test_srv_lookup_failure_is_a_dns_error():
    routes = good_routes()
    routes[('GET', BASE + 'server')] = Response(404, 'Not Found', [], b'')
    routes[('GET', 'https://example.com:8448' + FEDERATION)] = respond(VERSION)
    resolver = FakeResolver(errors={'_matrix-fed._tcp.example.com': DnsError('dns-error', 'SERVFAIL')})
    result = run(routes, resolver=resolver)[0]
    assert (None, 'error', 'dns-error') in codes(result)
    assert resolver.calls == ['_matrix-fed._tcp.example.com', '_matrix._tcp.example.com']


def test_missing_dns_library_is_reported_once():
    routes = good_routes()
    routes[('GET', BASE + 'server')] = Response(404, 'Not Found', [], b'')
    routes[('GET', 'https://example.com:8448' + FEDERATION)] = FetchError('dns-library-missing', 'install dnspython')
    missing = DnsError('dns-library-missing', 'Failed to import the required Python library (dnspython)')
    resolver = FakeResolver(errors={'_matrix-fed._tcp.example.com': missing})
    result = run(routes, resolver=resolver)[0]
    found = [problem for problem in result['problems'] if problem['code'] == 'dns-library-missing']
    assert len(found) == 1
    assert 'dnspython' in found[0]['message']
    assert found[0]['document'] is None
    assert resolver.calls == ['_matrix-fed._tcp.example.com']


def test_document_fetch_without_dns_library_gives_one_problem():
    routes = good_routes()
    for name in ('server', 'client', 'support'):
        routes[('GET', BASE + name)] = FetchError('dns-library-missing', 'install dnspython')
    result = run(routes)[0]
    assert [problem['code'] for problem in result['problems']].count('dns-library-missing') == 1


# --- the concern alone, over its context ---------------------------------------------------------

def test_the_federation_concern_runs_alone_over_a_context():
    shared, client = context()
    resolver = FakeResolver()
    federation = FederationChecks(shared, resolver)
    result = federation.check(federation_result('example.com'), None)
    # Without a server document: SRV records of the server name, then port 8448 of it.
    assert (result['method'], result['host'], result['port']) == ('fallback', 'example.com', 8448)
    assert resolver.calls == ['_matrix-fed._tcp.example.com', '_matrix._tcp.example.com']
    assert [call['url'] for call in client.calls] == ['https://example.com:8448' + FEDERATION]
    federation.judge_missing_server(result, True)
    assert [(problem.document, problem.severity, problem.code) for problem in shared.findings.problems] == [
        (None, 'error', 'federation-failed'), ('server', 'error', 'not-found')]
