# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The discovery checker's logic, against a fake HTTP client and a fake resolver (no network)."""

from __future__ import annotations

import json
import time

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import _check_documents as check_documents
from ansible_collections.matrix.wellknown.plugins.module_utils._check_requests import parse_json
from ansible_collections.matrix.wellknown.plugins.module_utils._checker import Checker
from ansible_collections.matrix.wellknown.plugins.module_utils._check_documents import describe_difference
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError, Response
from ansible_collections.matrix.wellknown.plugins.module_utils._resolver import DnsError

BASE = 'https://example.com/.well-known/matrix/'
FEDERATION = '/_matrix/federation/v1/version'
SERVER = {'m.server': 'matrix.example.com:443'}
CLIENT = {'m.homeserver': {'base_url': 'https://matrix.example.com'},
          'm.identity_server': {'base_url': 'https://identity.example.com'}}
SUPPORT = {'contacts': [{'role': 'm.role.admin', 'email_address': 'admin@example.com'}]}
GOOD_HEADERS = [('Content-Type', 'application/json'), ('Cache-Control', 'max-age=3600'),
                ('Access-Control-Allow-Origin', '*')]
VERSION = {'server': {'name': 'Synapse', 'version': '1.120.0'}}


def respond(document=None, status=200, headers=None, body=None, truncated=False):
    if body is None:
        body = b'' if document is None else json.dumps(document).encode('utf-8')
    return Response(status, 'Reason', GOOD_HEADERS if headers is None else headers, body, truncated)


def redirect(location, status=301, cors=True):
    headers = [('Location', location)] + ([('Access-Control-Allow-Origin', '*')] if cors else [])
    return Response(status, 'Moved', headers, b'')


def without(headers, name):
    return [(key, value) for key, value in headers if key.lower() != name.lower()]


def good_routes():
    """A correct deployment: example.com delegates to matrix.example.com:443."""
    return {
        ('GET', BASE + 'server'): respond(SERVER),
        ('GET', BASE + 'client'): respond(CLIENT),
        ('GET', BASE + 'support'): respond(SUPPORT),
        ('OPTIONS', BASE + 'client'): respond(status=204),
        ('OPTIONS', BASE + 'support'): respond(status=204),
        ('GET', 'https://matrix.example.com:443' + FEDERATION): respond(VERSION),
        ('GET', 'https://matrix.example.com/_matrix/client/versions'): respond({'versions': ['v1.11', 'v1.12']}),
        ('GET', 'https://identity.example.com/_matrix/identity/v2'): respond({}),
    }


class FakeClient(object):
    """Answers from a table keyed by (method, url); anything else is a 404. Records every call.

    Every name has one address unless ``addresses`` maps (host, port) to more; a request
    through one address is answered from the table keyed by (method, url, address) first.
    """

    def __init__(self, routes, addresses=None):
        self.routes = routes
        self.address_table = addresses or {}
        self.calls = []

    def addresses(self, host, port):
        if (host, port) in self.address_table:
            answer = self.address_table[(host, port)]
            if isinstance(answer, Exception):
                raise answer
            return [(address, port) for address in answer]
        return [('192.0.2.1', port)]

    def request(self, method, url, headers=None, tls_name=None, host_header=None, connect_host=None, connect_port=None,
                max_body=None, address=None):
        self.calls.append(dict(method=method, url=url, headers=headers, tls_name=tls_name, host_header=host_header,
                               connect_host=connect_host, connect_port=connect_port, address=address))
        answer = self.routes.get((method, url, address[0] if address else None))
        if answer is None:
            answer = self.routes.get((method, url), Response(404, 'Not Found', [], b'not found'))
        if isinstance(answer, Exception):
            raise answer
        answer.url = url
        return answer


class FakeResolver(object):
    def __init__(self, srv=None, errors=None, cnames=None):
        self.records = srv or {}
        self.errors = errors or {}
        self.cnames = cnames or {}
        self.calls = []

    def srv(self, name):
        self.calls.append(name)
        if name in self.errors:
            raise self.errors[name]
        return [dict(record) for record in self.records.get(name, [])]

    def canonical_name(self, host):
        return self.cnames.get(host, host)


def run(routes=None, server_name='example.com', resolver=None, expected=None):
    client = FakeClient(good_routes() if routes is None else routes)
    resolver = resolver or FakeResolver()
    result = Checker(server_name, client, resolver, expected).run()
    return result, client, resolver


def codes(result):
    return [(problem['document'], problem['severity'], problem['code']) for problem in result['problems']]


def srv_record(target, port, priority=10, weight=5):
    return dict(priority=priority, weight=weight, port=port, target=target)


# --- a correct deployment ---------------------------------------------------

def test_correct_deployment_has_no_problem():
    result, client, resolver = run()
    assert result['problems'] == []
    assert result['ok'] is True
    assert result['documents'] == dict(server=SERVER, client=CLIENT, support=SUPPORT)
    assert result['federation'] == dict(
        method='well-known', server_name='example.com', delegated_server_name='matrix.example.com:443',
        host='matrix.example.com', port=443, tls_name='matrix.example.com', host_header='matrix.example.com:443',
        srv=[], version=VERSION['server'])
    assert result['client'] == dict(base_url='https://matrix.example.com', versions=['v1.11', 'v1.12'],
                                    identity_server='https://identity.example.com', auth_issuer=None, rtc_foci=[])
    # host:port in m.server: no SRV lookup at all.
    assert resolver.calls == []


def test_cors_documents_are_fetched_with_an_origin_and_preflighted():
    dummy, client, dummy = run()
    by_key = dict(((call['method'], call['url']), call) for call in client.calls)
    assert by_key[('GET', BASE + 'client')]['headers'] == {'Origin': check_documents.ORIGIN}
    assert by_key[('GET', BASE + 'server')]['headers'] is None
    preflight = {'Origin': check_documents.ORIGIN, 'Access-Control-Request-Method': 'GET'}
    assert by_key[('OPTIONS', BASE + 'support')]['headers'] == preflight
    assert ('OPTIONS', BASE + 'server') not in by_key


# --- one fault at a time ------------------------------------------------------

def _set(key, answer):
    def change(routes):
        routes[key] = answer
    return change


def _headers(name, drop=None, add=()):
    def change(routes):
        old = routes[('GET', BASE + name)]
        headers = without(old.headers, drop) if drop else list(old.headers)
        routes[('GET', BASE + name)] = respond(body=old.body, headers=headers + list(add))
    return change


def _redirect_client_without_cors(routes):
    routes[('GET', BASE + 'client')] = redirect('https://www.example.com/.well-known/matrix/client', cors=False)
    routes[('GET', 'https://www.example.com/.well-known/matrix/client')] = respond(CLIENT)


def _redirect_chain(length):
    def change(routes):
        for hop in range(length):
            source = BASE + 'server' if hop == 0 else 'https://example.com/hop%d' % hop
            routes[('GET', source)] = redirect('/hop%d' % (hop + 1))
        routes[('GET', 'https://example.com/hop%d' % length)] = respond(SERVER)
    return change


FAULTS = [
    ('client without CORS', _headers('client', drop='Access-Control-Allow-Origin'), ('client', 'error', 'cors-missing')),
    ('support without CORS', _headers('support', drop='Access-Control-Allow-Origin'), ('support', 'warning', 'cors-missing')),
    ('CORS for another origin', _headers('client', drop='Access-Control-Allow-Origin',
                                         add=[('Access-Control-Allow-Origin', 'https://app.element.io')]),
     ('client', 'error', 'cors-missing')),
    ('CORS header twice', _headers('client', add=[('Access-Control-Allow-Origin', '*')]), ('client', 'error', 'cors-missing')),
    ('redirect without CORS', _redirect_client_without_cors, ('client', 'error', 'cors-missing-on-redirect')),
    ('wrong content type', _headers('server', drop='Content-Type', add=[('Content-Type', 'text/plain')]),
     ('server', 'warning', 'content-type')),
    ('no content type', _headers('support', drop='Content-Type'), ('support', 'warning', 'content-type')),
    ('no cache control', _headers('client', drop='Cache-Control'), ('client', 'warning', 'cache-control')),
    ('preflight refused', _set(('OPTIONS', BASE + 'client'), respond(status=405, headers=[])),
     ('client', 'warning', 'cors-preflight')),
    ('preflight without CORS', _set(('OPTIONS', BASE + 'support'), respond(status=204, headers=[])),
     ('support', 'warning', 'cors-preflight')),
    ('preflight times out', _set(('OPTIONS', BASE + 'client'), FetchError('timeout', 'no answer')),
     ('client', 'warning', 'cors-preflight')),
    ('redirect loop', _set(('GET', BASE + 'server'), redirect(BASE + 'server')), ('server', 'error', 'redirect-loop')),
    ('too many redirects', _redirect_chain(11), ('server', 'error', 'too-many-redirects')),
    ('redirect without location', _set(('GET', BASE + 'support'), Response(302, 'Found', [], b'')),
     ('support', 'error', 'bad-redirect')),
    ('redirect to a bad URL', _set(('GET', BASE + 'support'), redirect('ftp://example.com/x')),
     ('support', 'error', 'bad-redirect')),
    ('redirect to plain http', _set(('GET', BASE + 'support'), redirect('http://example.com/s')),
     ('support', 'warning', 'insecure-redirect')),
    ('invalid JSON', _set(('GET', BASE + 'client'), respond(body=b'{"m.homeserver": ')), ('client', 'error', 'invalid-json')),
    ('empty body', _set(('GET', BASE + 'server'), respond(body=b'')), ('server', 'error', 'invalid-json')),
    ('NaN in JSON', _set(('GET', BASE + 'support'), respond(body=b'{"contacts": NaN}')), ('support', 'error', 'invalid-json')),
    ('UTF-8 BOM', _set(('GET', BASE + 'server'), respond(body=b'\xef\xbb\xbf{}')), ('server', 'error', 'invalid-json')),
    ('not UTF-8', _set(('GET', BASE + 'server'), respond(body=b'{"m.server": "\xff"}')), ('server', 'error', 'not-utf8')),
    ('truncated body', _set(('GET', BASE + 'server'), respond(body=b'x' * 100, truncated=True)), ('server', 'error', 'too-large')),
    ('over 50 KiB', _set(('GET', BASE + 'support'), respond(dict(SUPPORT, padding='x' * 52000))),
     ('support', 'error', 'too-large')),
    ('m.server with a scheme', _set(('GET', BASE + 'server'), respond({'m.server': 'https://matrix.example.com'})),
     ('server', 'error', 'invalid-document')),
    ('JSON array', _set(('GET', BASE + 'client'), respond([1])), ('client', 'error', 'invalid-document')),
    ('empty support', _set(('GET', BASE + 'support'), respond({})), ('support', 'error', 'invalid-document')),
    ('plain http base_url', _set(('GET', BASE + 'client'), respond({'m.homeserver': {'base_url': 'http://matrix.example.com'}})),
     ('client', 'warning', 'invalid-document')),
    ('client absent', _set(('GET', BASE + 'client'), respond(status=404, headers=[])), ('client', 'warning', 'not-found')),
    ('client error status', _set(('GET', BASE + 'client'), respond(status=500, headers=[])), ('client', 'error', 'http-status')),
    ('support forbidden', _set(('GET', BASE + 'support'), respond(status=403, headers=[])), ('support', 'error', 'http-status')),
    ('TLS error', _set(('GET', BASE + 'server'), FetchError('tls-error', 'bad certificate')), ('server', 'error', 'tls-error')),
    ('refused', _set(('GET', BASE + 'client'), FetchError('connection-failed', 'refused')),
     ('client', 'error', 'connection-failed')),
    ('timeout', _set(('GET', BASE + 'support'), FetchError('timeout', 'slow')), ('support', 'error', 'timeout')),
    ('no DNS', _set(('GET', BASE + 'server'), FetchError('dns-error', 'NXDOMAIN')), ('server', 'error', 'dns-error')),
    ('broken HTTP', _set(('GET', BASE + 'server'), FetchError('http-error', 'garbage')), ('server', 'error', 'http-error')),
    ('versions fail', _set(('GET', 'https://matrix.example.com/_matrix/client/versions'), respond(status=502, headers=[])),
     ('client', 'error', 'versions-failed')),
    ('versions without list', _set(('GET', 'https://matrix.example.com/_matrix/client/versions'), respond({'versions': 'v1.1'})),
     ('client', 'error', 'versions-failed')),
    ('versions not JSON', _set(('GET', 'https://matrix.example.com/_matrix/client/versions'), respond(body=b'<html>')),
     ('client', 'error', 'versions-failed')),
    ('versions unreachable', _set(('GET', 'https://matrix.example.com/_matrix/client/versions'),
                                  FetchError('connection-failed', 'refused')), ('client', 'error', 'versions-failed')),
    ('identity server fails', _set(('GET', 'https://identity.example.com/_matrix/identity/v2'), respond(status=404, headers=[])),
     ('client', 'error', 'identity-server-failed')),
    ('federation 404', _set(('GET', 'https://matrix.example.com:443' + FEDERATION), respond(status=404)),
     (None, 'error', 'federation-failed')),
    ('federation without server object', _set(('GET', 'https://matrix.example.com:443' + FEDERATION), respond({'x': 1})),
     (None, 'error', 'federation-failed')),
    ('federation TLS error', _set(('GET', 'https://matrix.example.com:443' + FEDERATION), FetchError('tls-error', 'mismatch')),
     (None, 'error', 'federation-failed')),
]


@pytest.mark.parametrize('change, expected', [fault[1:] for fault in FAULTS], ids=[fault[0] for fault in FAULTS])
def test_each_fault_is_reported_with_its_code(change, expected):
    routes = good_routes()
    change(routes)
    result = run(routes)[0]
    assert expected in codes(result)
    assert result['ok'] is (expected[1] != 'error' and all(problem['severity'] != 'error' for problem in result['problems']))
    for problem in result['problems']:
        assert problem['message'].endswith('.'), problem['message']


@pytest.mark.parametrize('change, expected', [fault[1:] for fault in FAULTS if fault[2][1] == 'error'],
                         ids=[fault[0] for fault in FAULTS if fault[2][1] == 'error'])
def test_errors_make_ok_false(change, expected):
    routes = good_routes()
    change(routes)
    assert run(routes)[0]['ok'] is False


def test_redirect_on_client_is_followed_with_a_warning_and_cors_checked_per_hop():
    routes = good_routes()
    routes[('GET', BASE + 'client')] = redirect('https://www.example.com/a', status=302)
    routes[('GET', 'https://www.example.com/a')] = redirect('/.well-known/matrix/client', status=308, cors=False)
    routes[('GET', 'https://www.example.com/.well-known/matrix/client')] = respond(CLIENT)
    result = run(routes)[0]
    assert codes(result) == [('client', 'error', 'cors-missing-on-redirect'), ('client', 'warning', 'redirected')]
    assert 'https://www.example.com/a' in result['problems'][0]['message']
    assert result['documents']['client'] == CLIENT


def test_ten_redirects_are_allowed():
    routes = good_routes()
    _redirect_chain(10)(routes)
    result = run(routes)[0]
    assert result['problems'] == []
    assert result['documents']['server'] == SERVER


def test_invalid_document_messages_name_the_field():
    routes = good_routes()
    routes[('GET', BASE + 'server')] = respond({'m.server': 'https://matrix.example.com'})
    problem = run(routes)[0]['problems'][0]
    assert problem['code'] == 'invalid-document'
    assert 'm.server' in problem['message'] and 'scheme' in problem['message']


def test_support_absent_is_fine():
    routes = good_routes()
    del routes[('GET', BASE + 'support')]
    result = run(routes)[0]
    assert result['problems'] == []
    assert result['documents']['support'] is None


def test_too_large_truncated_document_is_not_parsed():
    routes = good_routes()
    routes[('GET', BASE + 'client')] = respond(body=b'{' * 1000, truncated=True)
    result = run(routes)[0]
    assert codes(result) == [('client', 'error', 'too-large')]
    assert result['documents']['client'] is None
    assert result['client']['base_url'] is None


def test_trailing_slash_on_base_url_is_tolerated():
    routes = good_routes()
    routes[('GET', BASE + 'client')] = respond({'m.homeserver': {'base_url': 'https://matrix.example.com/'}})
    result, client, dummy = run(routes)
    assert result['problems'] == []
    assert result['client']['versions'] == ['v1.11', 'v1.12']
    assert 'https://matrix.example.com/_matrix/client/versions' in [call['url'] for call in client.calls]


def test_versions_endpoint_redirects_are_followed():
    routes = good_routes()
    routes[('GET', 'https://matrix.example.com/_matrix/client/versions')] = redirect('https://hs.example.com/_matrix/client/versions')
    routes[('GET', 'https://hs.example.com/_matrix/client/versions')] = respond({'versions': ['v1.12']})
    assert run(routes)[0]['client']['versions'] == ['v1.12']


# --- expected documents --------------------------------------------------------

@pytest.mark.parametrize('expected, problems', [
    ({'server': SERVER, 'client': CLIENT, 'support': SUPPORT}, []),
    ({'client': dict(CLIENT, **{'org.matrix.msc4143.rtc_foci': [{'type': 'livekit'}]})},
     [('client', 'error', 'stale-document')]),
    ({'server': {'m.server': 'matrix.example.com:8448'}}, [('server', 'error', 'stale-document')]),
    ({'server': None, 'client': None}, []),
])
def test_expected_documents(expected, problems):
    assert codes(run(expected=expected)[0]) == problems


def test_stale_document_message_names_the_keys():
    result = run(expected={'client': dict(CLIENT, **{'org.matrix.msc4143.rtc_foci': []})})[0]
    assert 'missing: org.matrix.msc4143.rtc_foci' in result['problems'][0]['message']


def test_expected_but_absent_document():
    routes = good_routes()
    del routes[('GET', BASE + 'support')]
    assert codes(run(routes, expected={'support': SUPPORT})[0]) == [('support', 'error', 'stale-document')]


@pytest.mark.parametrize('expected, served, text', [
    ({'a': 1, 'b': 2}, {'a': 1, 'c': 3}, 'missing: b; unexpected: c key(s)'),
    ({'a': 1}, {'a': 2}, 'different: a key(s)'),
    ({'a': 1}, [1], 'it is not the expected value'),
])
def test_describe_difference(expected, served, text):
    assert describe_difference(expected, served) == text


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


@pytest.mark.parametrize('server_name', ['https://example.com', '', 'exa mple.com', 'example.com:0', 'a:b:c'])
def test_checker_refuses_invalid_server_names(server_name):
    with pytest.raises(ValueError, match='server_name'):
        Checker(server_name, FakeClient({}), FakeResolver())


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


# --- HTML where JSON belongs --------------------------------------------------------

CHALLENGE_HTML = b'<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>cf-chl</body></html>'


@pytest.mark.parametrize('answer, expected', [
    (respond(status=403, headers=[('cf-mitigated', 'challenge'), ('Content-Type', 'text/html')], body=CHALLENGE_HTML),
     ('client', 'error', 'bot-challenge')),
    (respond(status=503, headers=[('Server', 'cloudflare'), ('Content-Type', 'text/html; charset=UTF-8')],
             body=b'<html><body>Checking your browser</body></html>'), ('client', 'error', 'bot-challenge')),
    (respond(status=200, headers=[('Content-Type', 'text/html')], body=b'<!doctype html><title>Welcome</title>'),
     ('client', 'error', 'html-instead-of-json')),
    (respond(status=200, headers=GOOD_HEADERS, body=b'\n<html>home page</html>'), ('client', 'error', 'html-instead-of-json')),
    (respond(status=502, headers=[('Content-Type', 'text/html')], body=b'<html>Bad Gateway</html>'),
     ('client', 'error', 'http-status')),
])
def test_html_in_place_of_json_is_recognised(answer, expected):
    routes = good_routes()
    routes[('GET', BASE + 'client')] = answer
    result = run(routes)[0]
    assert [problem for problem in codes(result) if problem[1] == 'error'] == [expected]
    if expected[2] == 'bot-challenge':
        assert '/.well-known/matrix/' in result['problems'][0]['message']
        assert 'Skip' in result['problems'][0]['message']


# --- cache lifetime of the server document ----------------------------------------------

NOW = 1800000000.0


@pytest.mark.parametrize('headers, lifetime', [
    ([('Cache-Control', 'max-age=3600')], dict(source='max-age', seconds=3600, header=3600)),
    ([('Cache-Control', 'public, max-age="600"')], dict(source='max-age', seconds=600, header=600)),
    ([('Cache-Control', 'max-age=604800')], dict(source='max-age', seconds=172800, header=604800)),
    ([('Cache-Control', 'no-store, max-age=3600')], dict(source='no-store', seconds=0, header=0)),
    ([('Cache-Control', 'max-age=0')], dict(source='max-age', seconds=0, header=0)),
    ([('Expires', 'Fri, 15 Jan 2027 09:20:00 GMT')], dict(source='expires', seconds=7200, header=7200)),
    ([('Expires', '0')], dict(source='expires', seconds=0, header=0)),
    ([], dict(source='default', seconds=86400, header=None)),
])
def test_cache_lifetime(headers, lifetime):
    # Two hours before the Expires date above.
    assert check_documents.cache_lifetime(Response(200, 'OK', headers, b'{}'), now=1800004800.0 - 7200) == lifetime


@pytest.mark.parametrize('cache, warned', [
    ('max-age=3600', False),
    ('max-age=172800', False),
    ('max-age=0', True),
    ('no-store', True),
    ('max-age=604800', True),
])
def test_server_document_cache_lifetime_warnings(cache, warned):
    routes = good_routes()
    routes[('GET', BASE + 'server')] = respond(SERVER, headers=without(GOOD_HEADERS, 'Cache-Control') + [('Cache-Control', cache)])
    result = run(routes)[0]
    assert codes(result) == ([('server', 'warning', 'cache-lifetime')] if warned else [])
    assert result['server_cache']['seconds'] == min(check_documents.cache_lifetime(routes[('GET', BASE + 'server')])['header'], 172800)


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
                                           not_after=time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                                                           time.gmtime(answer.not_after)),
                                           days_left=days_left)]


def test_base_domain_and_homeserver_certificates_are_reported_on_their_documents():
    routes = good_routes()
    routes[('GET', BASE + 'server')].not_after = NOW + 86400
    routes[('GET', 'https://matrix.example.com/_matrix/client/versions')].not_after = NOW + 2 * 86400
    result = Checker('example.com', FakeClient(routes), FakeResolver(), now=NOW).run()
    assert codes(result) == [('server', 'warning', 'certificate-expiring'), ('client', 'warning', 'certificate-expiring')]


# --- policy server ---------------------------------------------------------------------

POLICY_KEY = 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ'


def _policy_routes(document, headers=None):
    routes = good_routes()
    routes[('GET', BASE + 'policy_server')] = respond(document, headers=headers)
    routes[('OPTIONS', BASE + 'policy_server')] = respond(status=204)
    return routes


def test_policy_server_document_is_checked_when_served():
    result = run(_policy_routes({'public_keys': {'ed25519': POLICY_KEY}}))[0]
    assert result['problems'] == []
    assert result['documents']['policy_server'] == {'public_keys': {'ed25519': POLICY_KEY}}
    assert [check['check'] for check in result['checks']['policy_server']][:2] == ['reachable over HTTPS', 'answers 200']


@pytest.mark.parametrize('routes, expected', [
    (_policy_routes({'public_keys': {'ed25519': 'AAAA'}}), [('policy_server', 'error', 'invalid-document')]),
    (_policy_routes({'public_keys': {'ed25519': POLICY_KEY}}, headers=without(GOOD_HEADERS, 'Access-Control-Allow-Origin')),
     [('policy_server', 'warning', 'cors-missing')]),
])
def test_policy_server_problems(routes, expected):
    assert codes(run(routes)[0]) == expected


@pytest.mark.parametrize('answer', [
    Response(404, 'Not Found', [], b''),
    respond(status=200, headers=[('Content-Type', 'text/html')], body=b'<html>catch-all</html>'),
    FetchError('timeout', 'slow'),
])
def test_policy_server_absent_is_not_reported(answer):
    routes = good_routes()
    routes[('GET', BASE + 'policy_server')] = answer
    result = run(routes)[0]
    assert result['problems'] == []
    assert result['checks']['policy_server'] == []
    assert 'policy_server' not in result['documents']
    assert not [line for line in result['report'] if line.startswith('policy_server')]


# --- OAuth 2.0 metadata and LiveKit ----------------------------------------------------

AUTH_URL = 'https://matrix.example.com/_matrix/client/v1/auth_metadata'


def _client_with(**extra):
    routes = good_routes()
    routes[('GET', BASE + 'client')] = respond(dict(CLIENT, **extra))
    return routes


@pytest.mark.parametrize('answer, expected', [
    (respond({'issuer': 'https://auth.example.com/'}), []),
    (respond({'issuer': 'https://other.example.com/'}), [('client', 'error', 'auth-issuer-mismatch')]),
    (respond({'issuer': 'https://auth.example.com'}), [('client', 'error', 'auth-issuer-mismatch')]),
    (Response(404, 'Not Found', [], b''), [('client', 'warning', 'auth-metadata-missing')]),
    (respond({'authorization_endpoint': 'https://auth.example.com/authorize'}), [('client', 'warning', 'auth-metadata-missing')]),
    (FetchError('connection-failed', 'refused'), [('client', 'warning', 'auth-metadata-missing')]),
])
def test_auth_metadata_issuer(answer, expected):
    routes = _client_with(**{'org.matrix.msc2965.authentication': {'issuer': 'https://auth.example.com/'}})
    routes[('GET', AUTH_URL)] = answer
    result = run(routes)[0]
    assert codes(result) == expected
    if expected and expected[0][2] == 'auth-issuer-mismatch':
        assert 'org.matrix.msc2965.authentication.issuer' in result['problems'][0]['message']


def test_no_auth_metadata_request_without_the_key():
    dummy, client, dummy = run()
    assert AUTH_URL not in [call['url'] for call in client.calls]


@pytest.mark.parametrize('url, answer, expected', [
    ('https://rtc.example.com/livekit/jwt', Response(404, 'Not Found', [], b''), []),
    ('https://rtc.example.com/livekit/jwt', FetchError('connection-failed', 'refused'), [('client', 'warning', 'rtc-focus-unreachable')]),
    ('https://rtc.example.com/livekit/jwt', Response(502, 'Bad Gateway', [], b''), [('client', 'warning', 'rtc-focus-unreachable')]),
    ('http://rtc.example.com/livekit/jwt', None, [('client', 'warning', 'rtc-focus-unreachable')]),
])
def test_livekit_service_urls(url, answer, expected):
    routes = _client_with(**{'org.matrix.msc4143.rtc_foci': [{'type': 'livekit', 'livekit_service_url': url}]})
    if answer is not None:
        routes[('GET', url)] = answer
    result = run(routes)[0]
    assert codes(result) == expected
    assert [focus['ok'] for focus in result['client']['rtc_foci']] == [not expected]


# --- issue 12: explicit ports, compressed bodies, mixed content ------------------------------

def test_name_with_port_and_nothing_on_443_is_ok_with_warnings():
    routes = dict((key, FetchError('connection-failed', 'refused')) for key in good_routes() if key[1].startswith(BASE))
    routes[('GET', 'https://example.com:8448' + FEDERATION)] = respond(VERSION)
    result = run(routes, 'example.com:8448')[0]
    assert codes(result) == [(name, 'warning', 'connection-failed') for name in ('server', 'client', 'support')]
    assert result['ok'] is True
    assert 'explicit port' in result['problems'][0]['message']


def test_name_without_port_and_nothing_on_443_is_an_error():
    routes = good_routes()
    routes[('GET', BASE + 'client')] = FetchError('connection-failed', 'refused')
    assert ('client', 'error', 'connection-failed') in codes(run(routes)[0])


def test_body_compressed_without_being_asked_names_the_encoding():
    routes = good_routes()
    compressed = b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\xae\x05\x00'
    routes[('GET', BASE + 'server')] = respond(body=compressed, headers=GOOD_HEADERS + [('Content-Encoding', 'gzip')])
    result = run(routes)[0]
    problems = [problem for problem in result['problems'] if problem['document'] == 'server']
    assert [problem['code'] for problem in problems] == ['content-encoding']
    assert 'Content-Encoding: gzip' in problems[0]['message']
    assert 'UTF-8' not in problems[0]['message']


@pytest.mark.parametrize('name, severity', [('client', 'error'), ('support', 'warning'), ('server', 'warning')])
def test_redirect_to_plain_http(name, severity):
    routes = good_routes()
    routes[('GET', BASE + name)] = redirect('http://example.com/%s' % name)
    routes[('GET', 'http://example.com/%s' % name)] = respond({'server': SERVER, 'client': CLIENT, 'support': SUPPORT}[name])
    result = run(routes)[0]
    assert (name, severity, 'insecure-redirect') in codes(result)


# --- the report ----------------------------------------------------------------------------

def test_report_of_a_correct_deployment():
    report = run()[0]['report']
    assert report[0] == 'Matrix discovery of example.com'
    headers = [line.split(':')[0] for line in report if not line.startswith(' ')]
    assert headers == ['Matrix discovery of example.com', 'server', 'client', 'support', 'federation', 'Summary']
    assert report[-1] == 'Summary: 0 errors, 0 warnings: everything checked works.'
    assert not [line for line in report if 'WARNING' in line or 'ERROR' in line]


def test_report_puts_each_problem_under_its_check_in_its_group():
    routes = good_routes()
    routes[('GET', BASE + 'client')] = respond(CLIENT, headers=without(GOOD_HEADERS, 'Access-Control-Allow-Origin'))
    routes[('GET', BASE + 'server')] = respond(SERVER, headers=without(GOOD_HEADERS, 'Content-Type'))
    result = run(routes)[0]
    report = result['report']
    client = report.index('client: /.well-known/matrix/client')
    cors = report.index('  ERROR    CORS')
    assert client < cors < report.index('support: /.well-known/matrix/support')
    assert report[cors + 1].startswith('           - [cors-missing] ')
    content_type = report.index('  WARNING  Content-Type application/json')
    assert content_type < client
    assert report[-1] == 'Summary: 1 error, 1 warning: BROKEN: Matrix servers or clients fail; fix the errors above.'
    assert len([line for line in report if line.startswith('           - [')]) == len(result['problems'])


def test_report_marks_an_unreachable_document():
    routes = good_routes()
    routes[('GET', BASE + 'support')] = FetchError('timeout', 'slow')
    report = run(routes)[0]['report']
    assert 'support: /.well-known/matrix/support (not reached)' in report


@pytest.mark.parametrize('answer', [Response(404, 'Not Found', [], b''), FetchError('connection-failed', 'refused')])
def test_expected_policy_server_that_is_not_served_is_reported(answer):
    routes = good_routes()
    routes[('GET', BASE + 'policy_server')] = answer
    result = run(routes, expected={'policy_server': {'public_keys': {'ed25519': POLICY_KEY}}})[0]
    assert [problem[0] for problem in codes(result)] == ['policy_server']
    assert result['ok'] is False


def test_report_puts_an_srv_lookup_failure_under_the_srv_check():
    routes = good_routes()
    routes[('GET', BASE + 'server')] = Response(404, 'Not Found', [], b'')
    routes[('GET', 'https://example.com:8448' + FEDERATION)] = respond(VERSION)
    resolver = FakeResolver(errors={'_matrix-fed._tcp.example.com': DnsError('dns-error', 'SERVFAIL')})
    report = run(routes, resolver=resolver)[0]['report']
    srv = report.index('  ERROR    SRV records')
    assert report[srv + 1].startswith('           - [dns-error] The SRV lookup of _matrix-fed._tcp.example.com failed')
    assert report.index('federation: example.com -> example.com:8448 (fallback)') < srv


# --- issue 20: bounds ------------------------------------------------------------------------

def test_livekit_urls_are_probed_once_each_and_at_most_five():
    """60 copies of one URL and 8 more: each distinct URL once, the first five, and a warning naming the cap."""
    urls = ['https://rtc%d.example.com/livekit/jwt' % number for number in range(9)]
    foci = [{'type': 'livekit', 'livekit_service_url': urls[0]}] * 60 + [
        {'type': 'livekit', 'livekit_service_url': url} for url in urls[1:] + urls[1:]]
    result, client, dummy = run(_client_with(**{'org.matrix.msc4143.rtc_foci': foci}))
    probed = [call['url'] for call in client.calls if 'rtc' in call['url']]
    assert probed == urls[:5]
    assert [focus['livekit_service_url'] for focus in result['client']['rtc_foci']] == urls[:5]
    assert codes(result) == [('client', 'warning', 'too-many-rtc-foci')]
    message = result['problems'][0]['message']
    assert 'lists 9 different livekit_service_url values' in message and 'only the first 5 were probed' in message
    assert '           - [too-many-rtc-foci] ' + message in result['report']


def test_each_distinct_request_is_sent_once():
    """The identity server on the homeserver's host and a focus at the versions URL: nothing is asked twice."""
    routes = _client_with(**{
        'm.identity_server': {'base_url': 'https://matrix.example.com'},
        'org.matrix.msc4143.rtc_foci': [{'type': 'livekit', 'livekit_service_url': 'https://matrix.example.com/_matrix/client/versions'}]})
    routes[('GET', 'https://matrix.example.com/_matrix/identity/v2')] = respond({})
    dummy, client, dummy = run(routes)
    sent = [(call['method'], call['url'], call['address'], call['connect_host']) for call in client.calls]
    assert len(sent) == len(set(sent))
    assert sent.count(('GET', 'https://matrix.example.com/_matrix/client/versions', None, None)) == 1


def test_past_the_deadline_nothing_runs_and_the_problem_names_every_check():
    client = FakeClient(good_routes())
    result = Checker('example.com', client, FakeResolver(), deadline=time.monotonic() - 1).run()
    assert client.calls == []
    assert codes(result) == [(None, 'error', 'deadline-exceeded')]
    assert result['ok'] is False
    message = result['problems'][0]['message']
    assert ('the server document, the client document, the support document, the policy_server document, federation '
            'did not run or stopped midway' in message)
    # Its own lines in the report, not under federation.
    assert result['report'][-4:-1] == ['the check itself:', '  ERROR    finished within the deadline',
                                       '           - [deadline-exceeded] ' + message]
    assert 'deadline' not in ' '.join(result['report'][:-4])


class SlowClient(FakeClient):
    """A fake client where the deadline passes while one URL is fetched."""

    def __init__(self, routes, slow_url):
        super(SlowClient, self).__init__(routes)
        self.slow_url = slow_url
        self.checker = None

    def request(self, method, url, **kwargs):
        answer = super(SlowClient, self).request(method, url, **kwargs)
        if url == self.slow_url:
            self.checker.deadline = time.monotonic() - 0.001
        return answer


def test_a_deadline_passing_midway_stops_the_next_probe_and_says_which_did_not_run():
    urls = ['https://rtc%d.example.com/livekit/jwt' % number for number in range(3)]
    routes = _client_with(**{'org.matrix.msc4143.rtc_foci': [{'type': 'livekit', 'livekit_service_url': url} for url in urls]})
    client = SlowClient(routes, urls[0])
    check = Checker('example.com', client, FakeResolver(), deadline=time.monotonic() + 3600)
    client.checker = check
    result = check.run()
    assert [call['url'] for call in client.calls if 'rtc' in call['url']] == urls[:1]
    assert codes(result) == [(None, 'error', 'deadline-exceeded')]
    assert 'the LiveKit focus %s, the LiveKit focus %s did not run' % tuple(urls[1:]) in result['problems'][0]['message']
    assert [focus['livekit_service_url'] for focus in result['client']['rtc_foci']] == urls[:1]


def test_a_deadline_passing_within_the_server_document_leaves_its_absence_unjudged():
    """A federation check that did not run cannot tell whether a missing server document matters."""
    routes = good_routes()
    del routes[('GET', BASE + 'server')]
    client = SlowClient(routes, BASE + 'support')
    check = Checker('example.com', client, FakeResolver(), deadline=time.monotonic() + 3600)
    client.checker = check
    result = check.run()
    assert 'not-found' not in [code for dummy, dummy, code in codes(result)]
    assert (': the support document (stopped midway), the policy_server document, federation, the client versions '
            'endpoint, the identity server did not run' in result['problems'][-1]['message'])


def test_a_deeply_nested_document_is_an_invalid_document_not_a_crash():
    routes = good_routes()
    routes[('GET', BASE + 'client')] = respond(body=b'[' * 600 + b']' * 600)
    result = run(routes)[0]
    assert codes(result) == [('client', 'error', 'invalid-document')]
    assert result['documents']['client'] is None
    assert 'more than 64 levels deep' in result['problems'][0]['message']


def test_a_missing_server_document_is_judged_when_federation_ran_although_later_checks_did_not():
    routes = good_routes()
    del routes[('GET', BASE + 'server')]
    del routes[('GET', 'https://matrix.example.com:443' + FEDERATION)]
    client = SlowClient(routes, 'https://matrix.example.com/_matrix/client/versions')
    check = Checker('example.com', client, FakeResolver(), deadline=time.monotonic() + 3600)
    client.checker = check
    result = check.run()
    assert ('server', 'error', 'not-found') in codes(result)
    assert (': the client versions endpoint (stopped midway), the identity server did not run'
            in result['problems'][-1]['message'])
