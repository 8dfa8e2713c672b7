# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checker's HTTP client and DNS helpers: parsing of options, and behaviour against tiny loopback servers."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import _http_client as http_client
from ansible_collections.matrix.wellknown.plugins.module_utils import _resolver as resolver_module
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import (
    Client,
    FetchError,
    is_ip_address,
    parse_connect_to,
)
from ansible_collections.matrix.wellknown.plugins.module_utils._resolver import DnsError, Resolver, parse_nameservers


# --- connect_to --------------------------------------------------------------------

@pytest.mark.parametrize('entry, host, port, destination', [
    ('example.com:443:127.0.0.1:8443', 'example.com', 443, ('127.0.0.1', 8443)),
    ('example.com:443:127.0.0.1:8443', 'EXAMPLE.com', 443, ('127.0.0.1', 8443)),
    ('example.com:443:127.0.0.1:8443', 'example.com', 8448, ('example.com', 8448)),
    ('example.com:443:127.0.0.1:8443', 'matrix.example.com', 443, ('matrix.example.com', 443)),
    (':443:127.0.0.1:8443', 'anything.example', 443, ('127.0.0.1', 8443)),
    ('example.com::127.0.0.1:', 'example.com', 8448, ('127.0.0.1', 8448)),
    ('example.com:443::8443', 'example.com', 443, ('example.com', 8443)),
    ('[2001:db8::1]:8448:[::1]:9000', '[2001:db8::1]', 8448, ('::1', 9000)),
    ('[2001:db8::1]:8448:[::1]:9000', '2001:db8::1', 8448, ('::1', 9000)),
])
def test_connect_to_remaps_destinations(entry, host, port, destination):
    rules, errors = parse_connect_to([entry])
    assert errors == []
    assert Client(connect_to=rules).destination(host, port) == destination


def test_first_matching_connect_to_rule_wins():
    rules = parse_connect_to(['example.com:443:127.0.0.1:1', ':443:127.0.0.1:2'])[0]
    client = Client(connect_to=rules)
    assert client.destination('example.com', 443) == ('127.0.0.1', 1)
    assert client.destination('other.example', 443) == ('127.0.0.1', 2)


@pytest.mark.parametrize('entry, text', [
    ('example.com:443:127.0.0.1', 'four fields'),
    ('example.com:443:127.0.0.1:8443:1', 'four fields'),
    ('example.com:https:127.0.0.1:8443', 'PORT'),
    ('example.com:443:127.0.0.1:70000', 'CONNECT_PORT'),
    ('exa mple.com:443:127.0.0.1:1', 'HOST'),
    ('example.com:443:[::1:1', 'four fields'),
    ('example.com:443:bad_host!:1', 'CONNECT_HOST'),
    (443, 'not a string'),
])
def test_connect_to_rejects_bad_entries(entry, text):
    rules, errors = parse_connect_to([entry])
    assert rules == []
    assert len(errors) == 1 and text in errors[0]


@pytest.mark.parametrize('host, expected', [
    ('127.0.0.1', True), ('[::1]', True), ('::1', True), ('example.com', False), ('1.2.3', False),
])
def test_is_ip_address(host, expected):
    assert is_ip_address(host) is expected


# --- name servers --------------------------------------------------------------------

@pytest.mark.parametrize('values, servers', [
    (['192.0.2.53'], [('192.0.2.53', 53)]),
    (['127.0.0.1:5353'], [('127.0.0.1', 5353)]),
    (['::1'], [('::1', 53)]),
    (['[::1]:5353', '[2001:db8::53]'], [('::1', 5353), ('2001:db8::53', 53)]),
    (['[fe80::1%eth0]:53'], [('fe80::1%eth0', 53)]),
    ([], []),
])
def test_parse_nameservers(values, servers):
    assert parse_nameservers(values) == (servers, [])


@pytest.mark.parametrize('value, text', [
    ('dns.example.com', 'not an IP address'),
    ('127.0.0.1:0', 'port outside'),
    ('127.0.0.1:dns', 'not a number'),
    ('[::1', 'not ADDRESS'),
    ('', 'not an address'),
    ('fe80::1%eth0;x', 'zone id'),
    ('[fe80::1%a{b}]:53', 'zone id'),
])
def test_parse_nameservers_rejects(value, text):
    servers, errors = parse_nameservers([value])
    assert servers == [] and len(errors) == 1 and text in errors[0]


def test_resolver_without_dnspython_reports_the_library(monkeypatch):
    monkeypatch.setattr(resolver_module, 'HAS_DNSPYTHON', False)
    resolver = Resolver([('127.0.0.1', 53)])
    for lookup in (lambda: resolver.srv('_matrix-fed._tcp.example.com'), lambda: resolver.addresses('example.com', 443)):
        with pytest.raises(DnsError) as info:
            lookup()
        assert info.value.code == 'dns-library-missing'
        assert 'Failed to import the required Python library (dnspython)' in info.value.message
    assert resolver.canonical_name('example.com') is None


def test_resolver_without_dnspython_and_nameservers_uses_the_system_for_addresses(monkeypatch):
    monkeypatch.setattr(resolver_module, 'HAS_DNSPYTHON', False)
    assert '127.0.0.1' in Resolver().addresses('127.0.0.1', 80)


# --- a tiny DNS server, to test the dnspython side ----------------------------------

@contextlib.contextmanager
def dns_server(records):
    """Answer SRV/A queries from a dict {(name, type): [rdata text]}; unknown names get NXDOMAIN."""
    import dns.message
    import dns.rcode
    import dns.rrset

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 0))
    sock.settimeout(0.1)
    stop = threading.Event()
    queried = []

    def serve():
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except socket.timeout:
                continue
            query = dns.message.from_wire(data)
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True)
            rdtype = dns.rdatatype.to_text(question.rdtype)
            queried.append((name, rdtype))
            response = dns.message.make_response(query)
            if (name, rdtype) in records:
                response.answer.append(dns.rrset.from_text_list(question.name, 60, 'IN', rdtype, records[(name, rdtype)]))
            elif not any(key[0] == name for key in records):
                response.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(response.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], queried
    finally:
        stop.set()
        thread.join()
        sock.close()


def test_resolver_srv_records_best_first_and_nxdomain_is_empty():
    records = {
        ('_matrix-fed._tcp.example.com', 'SRV'): ['20 0 8448 b.example.com.', '10 1 443 a.example.com.',
                                                  '10 9 443 c.example.com.'],
        ('a.example.com', 'A'): ['127.0.0.1'],
    }
    with dns_server(records) as (port, queried):
        resolver = Resolver([('127.0.0.1', port)], timeout=2)
        assert [(r['target'], r['port']) for r in resolver.srv('_matrix-fed._tcp.example.com')] == [
            ('c.example.com', 443), ('a.example.com', 443), ('b.example.com', 8448)]
        assert resolver.srv('_matrix._tcp.example.com') == []
        assert resolver.addresses('a.example.com', 443) == ['127.0.0.1']
        with pytest.raises(DnsError, match='NXDOMAIN'):
            resolver.addresses('nowhere.example.com', 443)
        # A second lookup of the same name is answered from the cache.
        with pytest.raises(DnsError):
            resolver.addresses('nowhere.example.com', 443)
    assert queried.count(('nowhere.example.com', 'A')) == 1


def test_resolver_timeout_is_a_dns_error():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 0))
    try:
        resolver = Resolver([('127.0.0.1', sock.getsockname()[1])], timeout=0.3)
        started = time.monotonic()
        with pytest.raises(DnsError) as info:
            resolver.srv('_matrix-fed._tcp.example.com')
        assert info.value.code == 'dns-error'
        assert time.monotonic() - started < 2
    finally:
        sock.close()


# --- the HTTP client against loopback servers -------------------------------------------

@contextlib.contextmanager
def tcp_server(handler, wait_for_request=True):
    """Run handler(connection, stop) for each connection on a loopback port, after reading the request head."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(('127.0.0.1', 0))
    listener.listen(5)
    listener.settimeout(0.1)
    stop = threading.Event()
    requests = []

    def serve():
        while not stop.is_set():
            try:
                connection, dummy = listener.accept()
            except socket.timeout:
                continue
            with connection:
                connection.settimeout(5)
                data = b''
                try:
                    while wait_for_request and b'\r\n\r\n' not in data:
                        chunk = connection.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    requests.append(data)
                    handler(connection, stop)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], requests
    finally:
        stop.set()
        thread.join()
        listener.close()


def client_for(port, **kwargs):
    rules = parse_connect_to(['example.com:80:127.0.0.1:%d' % port])[0]
    return Client(connect_to=rules, **kwargs)


def answer(payload):
    def handler(connection, stop):
        connection.sendall(payload)
    return handler


def test_request_sends_the_original_host_and_returns_the_answer():
    payload = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Twice: a\r\nX-Twice: b\r\nContent-Length: 2\r\n\r\n{}'
    with tcp_server(answer(payload)) as (port, requests):
        response = client_for(port).request('GET', 'http://example.com/.well-known/matrix/client', headers={'Origin': 'https://o.example'})
    assert (response.status, response.body, response.truncated) == (200, b'{}', False)
    assert response.header('content-type') == 'application/json'
    assert response.header_values('X-Twice') == ['a', 'b']
    request = requests[0].decode('ascii')
    assert request.startswith('GET /.well-known/matrix/client HTTP/1.1\r\n')
    assert '\r\nHost: example.com\r\n' in request
    assert '\r\nOrigin: https://o.example\r\n' in request


def test_request_can_override_host_header_and_destination():
    payload = b'HTTP/1.1 204 No Content\r\n\r\n'
    with tcp_server(answer(payload)) as (port, requests):
        client = Client()
        response = client.request('GET', 'http://matrix.example.com:8448/x', host_header='matrix.example.com',
                                  connect_host='127.0.0.1', connect_port=port)
    assert response.status == 204
    assert b'\r\nHost: matrix.example.com\r\n' in requests[0]


def test_chunked_body_is_decoded():
    payload = b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{"\r\n5\r\na": 1\r\n1\r\n}\r\n0\r\n\r\n'
    with tcp_server(answer(payload)) as (port, dummy):
        assert client_for(port).request('GET', 'http://example.com/').body == b'{"a": 1}'


def test_endless_body_is_read_only_up_to_the_bound():
    def endless(connection, stop):
        connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n')
        while not stop.is_set():
            connection.sendall(b'x' * 65536)

    with tcp_server(endless) as (port, dummy):
        started = time.monotonic()
        response = client_for(port, timeout=5, max_body=1000).request('GET', 'http://example.com/')
        elapsed = time.monotonic() - started
    assert response.truncated is True
    assert len(response.body) == 1000
    assert elapsed < 2


@pytest.mark.parametrize('handler', [
    pytest.param(lambda connection, stop: stop.wait(3), id='silent'),
    pytest.param(lambda connection, stop: [connection.sendall(b'H') or time.sleep(0.05) for dummy in range(60)], id='drip'),
])
def test_a_server_that_never_finishes_answering_times_out_on_the_deadline(handler):
    with tcp_server(handler) as (port, dummy):
        started = time.monotonic()
        with pytest.raises(FetchError) as info:
            client_for(port, timeout=0.5).request('GET', 'http://example.com/')
        elapsed = time.monotonic() - started
    assert info.value.code == 'timeout'
    assert elapsed < 1.5


def test_the_deadline_of_the_whole_check_cuts_a_request_before_its_own_timeout():
    """A silent server, a request timeout of 30 s, and 0.5 s left to the deadline: the deadline wins, and says so."""
    with tcp_server(lambda connection, stop: stop.wait(5)) as (port, dummy):
        client = client_for(port, timeout=30)
        started = time.monotonic()
        client.deadline = started + 0.5
        with pytest.raises(FetchError) as info:
            client.request('GET', 'http://example.com/')
        elapsed = time.monotonic() - started
    assert info.value.code == 'timeout'
    assert info.value.message == 'no complete answer from 127.0.0.1:%d within the deadline of the whole check' % port
    assert elapsed < 1.5


def test_connection_refused():
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    port = listener.getsockname()[1]
    listener.close()
    with pytest.raises(FetchError) as info:
        client_for(port).request('GET', 'http://example.com/')
    assert info.value.code == 'connection-failed'
    assert '127.0.0.1:%d' % port in info.value.message


@pytest.mark.parametrize('payload', [
    b'SSH-2.0-OpenSSH_9.2\r\n',
    b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort',
    b'',
])
def test_broken_answers_are_http_errors(payload):
    with tcp_server(answer(payload)) as (port, dummy):
        with pytest.raises(FetchError) as info:
            client_for(port).request('GET', 'http://example.com/')
    assert info.value.code == 'http-error'


def test_tls_handshake_with_a_plain_http_server_is_a_tls_error():
    with tcp_server(answer(b'HTTP/1.1 400 Bad Request\r\n\r\n'), wait_for_request=False) as (port, dummy):
        rules = parse_connect_to(['example.com:443:127.0.0.1:%d' % port])[0]
        with pytest.raises(FetchError) as info:
            Client(connect_to=rules, timeout=2).request('GET', 'https://example.com/')
    assert info.value.code == 'tls-error'


@pytest.mark.parametrize('url, headers', [
    ('http://example.com/a b', None),
    ('http://example.com/a\r\nX-Injected: 1', None),
    ('ftp://example.com/', None),
    ('http:///nohost', None),
    ('http://example.com:99999/', None),
    ('http://example.com/', {'Origin': 'x\r\nX-Injected: 1'}),
])
def test_unsafe_requests_are_refused_before_connecting(url, headers):
    def resolve(host, port):
        raise AssertionError('must not resolve')

    with pytest.raises(FetchError) as info:
        Client(resolve=resolve).request('GET', url, headers=headers)
    assert info.value.code == 'invalid-url'


def test_resolver_errors_become_fetch_errors():
    def resolve(host, port):
        raise DnsError('dns-error', 'the name %s does not exist' % host)

    with pytest.raises(FetchError) as info:
        Client(resolve=resolve).request('GET', 'http://nowhere.example.com/')
    assert (info.value.code, info.value.message) == ('dns-error', 'the name nowhere.example.com does not exist')


# --- each address on its own, certificate expiry ------------------------------------------

@pytest.mark.parametrize('connect_to, host, expected', [
    ([], 'example.com', [('127.0.0.1', 443), ('::1', 443)]),
    ([], '[2001:db8::1]', [('2001:db8::1', 443)]),
    (['example.com:443:192.0.2.5:8443'], 'example.com', [('192.0.2.5', 8443)]),
    (['example.com:443:both.example.net:8443'], 'example.com', [('127.0.0.1', 8443)]),
    (['example.com:443::8443'], 'example.com', [('127.0.0.1', 8443), ('::1', 8443)]),
])
def test_addresses_are_every_address_of_the_name_or_the_connect_to_destination_only(connect_to, host, expected):
    client = Client(connect_to=parse_connect_to(connect_to)[0], resolve=lambda name, port: ['127.0.0.1', '::1'])
    assert client.addresses(host, 443) == expected


def test_addresses_of_a_name_without_address_is_a_dns_error():
    with pytest.raises(FetchError) as info:
        Client(resolve=lambda name, port: []).addresses('example.com', 443)
    assert info.value.code == 'dns-error'


def test_request_through_one_address_keeps_the_name_in_host():
    def resolve(host, port):
        raise AssertionError('must not resolve')

    payload = b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'
    with tcp_server(answer(payload)) as (port, requests):
        # A connect_to rule for the name must not apply either: the address is where the request goes.
        rules = parse_connect_to(['example.com:80:192.0.2.1:1'])[0]
        response = Client(connect_to=rules, resolve=resolve).request('GET', 'http://example.com/x', address=('127.0.0.1', port))
    assert response.status == 200
    assert b'\r\nHost: example.com\r\n' in requests[0]
    assert response.not_after is None  # plain http has no certificate


class FakeTlsSocket(object):
    def __init__(self, certificate):
        self.certificate = certificate

    def getpeercert(self):
        return self.certificate


@pytest.mark.parametrize('certificate, expected', [
    ({'notAfter': 'Jan 15 09:20:00 2027 GMT'}, 1800004800),
    ({}, None),
    (None, None),
    ({'notAfter': 'garbage'}, None),
])
def test_not_after_of_the_peer_certificate(certificate, expected):
    assert http_client._not_after(FakeTlsSocket(certificate)) == expected
