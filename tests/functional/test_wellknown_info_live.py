# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""matrix_wellknown_info against real servers on loopback: nginx (one virtual host per situation), dnsmasq, raw sockets.

The module runs through the ansible CLI. connect_to sends every name to a
loopback port and nameservers points at dnsmasq, so nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import time

from types import SimpleNamespace

import pytest

from helpers import Dnsmasq, Nginx, SocketServer, closed_port, free_port, nginx_string, read_request, run_module

MODULE = 'matrix.wellknown.matrix_wellknown_info'
FEDERATION_VERSION = {'name': 'nginx-fake-homeserver', 'version': '1.0'}
SERVER = {'m.server': 'matrix.example.com:443'}
CLIENT = {'m.homeserver': {'base_url': 'https://matrix.example.com'},
          'm.identity_server': {'base_url': 'https://matrix.example.com'}}
SUPPORT = {'contacts': [{'role': 'm.role.admin', 'email_address': 'admin@example.com'}]}

CORS = ("add_header Access-Control-Allow-Origin '*' always;\n"
        "add_header Access-Control-Allow-Methods 'GET, POST, PUT, DELETE, OPTIONS' always;\n"
        "add_header Access-Control-Allow-Headers 'X-Requested-With, Content-Type, Authorization' always;\n")
CACHE = "add_header Cache-Control 'max-age=3600' always;\n"


def document(name, body=None, cors=None, content_type='application/json', file=None, text=None):
    """An nginx location serving a well-known document the way a correct setup does (unless told otherwise)."""
    cors = name != 'server' if cors is None else cors
    headers = (CORS if cors else '') + CACHE
    if file is not None:
        serve = 'alias %s;' % file
    else:
        serve = 'return 200 %s;' % nginx_string(text if text is not None else json.dumps(body))
    preflight = 'if ($request_method = OPTIONS) { %s return 204; }' % headers.replace('\n', ' ') if cors else ''
    return ('location = /.well-known/matrix/%s {\n default_type %s;\n %s\n %s %s\n}\n'
            % (name, content_type, preflight, headers, serve))


def redirect(name, target, cors=False):
    return 'location = /.well-known/matrix/%s { %s return 301 %s; }\n' % (name, CORS if cors else '', target)


def vhost(name, port, cert, locations):
    return ('server {\n listen %s:%d ssl;\n server_name %s;\n ssl_certificate %s;\n ssl_certificate_key %s;\n'
            ' root %s;\n%s}\n' % ('127.0.0.1', port, name, cert[0], cert[1], cert[0].parent / 'empty', locations))


def good(**override):
    """The three correct documents, with some replaced (a value of None drops the location: 404)."""
    documents = dict(server=document('server', SERVER), client=document('client', CLIENT),
                     support=document('support', SUPPORT))
    documents.update(override)
    return ''.join(value for value in documents.values() if value)


HOMESERVER = (
    'location = /_matrix/federation/v1/version { default_type application/json; return 200 %s; }\n'
    'location = /_matrix/client/versions { default_type application/json; %s return 200 %s; }\n'
    'location = /_matrix/identity/v2 { default_type application/json; return 200 %s; }\n'
    % (nginx_string(json.dumps({'server': FEDERATION_VERSION})), CORS,
       nginx_string(json.dumps({'versions': ['v1.11', 'v1.12']})), nginx_string('{}')))


def endless_body(connection, stop):
    """Answer 200 and then send a body that never ends."""
    read_request(connection)
    connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"m.server": "')
    while not stop.is_set():
        connection.sendall(b'x' * 65536)


def silent(connection, stop):
    """Accept, then never say anything."""
    stop.wait(30)


@pytest.fixture(scope='session')
def site(workdir, ca, session_servers):
    """One nginx with a virtual host per situation, dnsmasq with the SRV records, and raw socket servers."""
    port = free_port()
    dns_port = free_port()
    files = workdir / 'files'
    files.mkdir()
    (workdir / 'ca' / 'empty').mkdir()
    (files / 'huge.json').write_bytes(b'{"m.server": "' + b'x' * (1024 * 1024) + b'"}')
    (files / 'latin1.json').write_bytes(b'{"support_page": "https://example.com/caf\xe9"}')

    names = ['example.com', 'matrix.example.com', 'nocors.example.com', 'corsredirect.example.com',
             'ctype.example.com', 'loop.example.com', 'badjson.example.com', 'scheme.example.com',
             'badsupport.example.com', 'noversions.example.com', 'srv.example.com', 'huge.example.com',
             'latin1.example.com', 'endless.example.com', 'slow.example.com', 'refused.example.com']
    # Valid for longer than the checker's warning about expiring certificates (14 days).
    cert = ca.issue('sites', names, days=90)
    wrong = ca.issue('wrong', ['wrong.example.net'], days=90)

    hosts = {
        'example.com': good(),
        'matrix.example.com': HOMESERVER,
        'nocors.example.com': good(client=document('client', CLIENT, cors=False)),
        'corsredirect.example.com': good(client=redirect('client', 'https://example.com/.well-known/matrix/client')),
        'ctype.example.com': good(server=document('server', SERVER, content_type='text/plain')),
        'loop.example.com': good(server=redirect('server', 'https://loop.example.com/.well-known/matrix/server')),
        'badjson.example.com': good(client=document('client', text='{"m.homeserver": {"base_url": "https://matrix.example.com"}')),
        'scheme.example.com': good(server=document('server', {'m.server': 'https://matrix.example.com'})),
        'badsupport.example.com': good(support=document('support', {'contacts': [{'matrix_id': '@admin:example.com'}]})),
        'noversions.example.com': good(client=document('client', {'m.homeserver': {'base_url': 'https://matrix.example.com/broken/'}})),
        # No server document: federation is delegated by an SRV record only; the homeserver answers here.
        'srv.example.com': good(server=None, support=None) + HOMESERVER,
        'huge.example.com': good(server=document('server', file=files / 'huge.json')),
        'latin1.example.com': good(support=document('support', file=files / 'latin1.json')),
    }
    config = ''.join(vhost(name, port, cert, locations) for name, locations in hosts.items())
    config += vhost('mismatch.example.com', port, wrong, good())
    session_servers.append(Nginx(workdir / 'nginx', config, [port]))

    endless = SocketServer(endless_body, tls=cert)
    session_servers.append(endless)
    slow = SocketServer(silent)
    session_servers.append(slow)

    session_servers.append(Dnsmasq(
        workdir / 'dnsmasq', dns_port,
        srv=[('_matrix-fed._tcp.srv.example.com', 'fed.srv.example.com', port, 10, 5)],
        hosts=[('fed.srv.example.com', '127.0.0.1')],
        local_domains=['example.com', 'example.net']))

    special = {'endless.example.com': endless.port, 'slow.example.com': slow.port, 'refused.example.com': closed_port()}
    connect_to = ['%s:443:127.0.0.1:%d' % (name, special.get(name, port)) for name in names + ['mismatch.example.com']]
    return SimpleNamespace(port=port, dns_port=dns_port, ca=str(ca.cert), connect_to=connect_to,
                           nameservers=['127.0.0.1:%d' % dns_port])


@pytest.fixture
def check(site, collections):
    """Run the module on a server name with the site's connect_to, CA and name server; return the task result."""
    def run(server_name, **args):
        args = dict(dict(server_name=server_name, connect_to=site.connect_to, ca_path=site.ca,
                         nameservers=site.nameservers, timeout=5), **args)
        args = dict((key, value) for key, value in args.items() if value is not None)
        result = run_module(collections, MODULE, args)
        assert result.get('failed') is not True, result
        assert result['changed'] is False
        return result
    return run


def found(result, severity=None):
    return set((problem['document'], problem['code']) for problem in result['problems']
               if severity is None or problem['severity'] == severity)


def test_correct_deployment(check, site):
    result = check('example.com')
    assert result['problems'] == []
    assert result['ok'] is True
    assert result['documents'] == dict(server=SERVER, client=CLIENT, support=SUPPORT)
    federation = result['federation']
    assert (federation['method'], federation['host'], federation['port']) == ('well-known', 'matrix.example.com', 443)
    assert federation['version'] == FEDERATION_VERSION
    assert result['client'] == dict(base_url='https://matrix.example.com', versions=['v1.11', 'v1.12'],
                                    identity_server='https://matrix.example.com', auth_issuer=None, rtc_foci=[])


def test_check_mode_gives_the_same_answer(site, collections):
    args = dict(server_name='example.com', connect_to=site.connect_to, ca_path=site.ca, nameservers=site.nameservers)
    result = run_module(collections, MODULE, args, check_mode=True)
    assert (result['ok'], result['problems'], result['changed']) == (True, [], False)


# A broken server document sends remote servers to port 8448 of the server name, where nothing answers.
FEDERATION_FAILS = {(None, 'federation-failed')}
FAULTS = [
    # server name, expected (document, severity, code), the other errors it causes, other module options
    ('nocors.example.com', ('client', 'error', 'cors-missing'), set(), {}),
    ('corsredirect.example.com', ('client', 'error', 'cors-missing-on-redirect'), set(), {}),
    ('ctype.example.com', ('server', 'warning', 'content-type'), set(), {}),
    ('loop.example.com', ('server', 'error', 'redirect-loop'), FEDERATION_FAILS, {}),
    ('badjson.example.com', ('client', 'error', 'invalid-json'), set(), {}),
    ('scheme.example.com', ('server', 'error', 'invalid-document'), FEDERATION_FAILS, {}),
    ('badsupport.example.com', ('support', 'error', 'invalid-document'), set(), {}),
    ('example.com', ('client', 'error', 'stale-document'), set(),
     dict(expected=dict(client=dict(CLIENT, **{'org.matrix.msc4143.rtc_foci': [{'type': 'livekit'}]})))),
    ('noversions.example.com', ('client', 'error', 'versions-failed'), set(), {}),
]


@pytest.mark.parametrize('server_name, expected, consequences, options', FAULTS, ids=[fault[1][2] for fault in FAULTS])
def test_each_fault_is_reported_on_its_document(check, server_name, expected, consequences, options):
    result = check(server_name, **options)
    assert expected in [(problem['document'], problem['severity'], problem['code']) for problem in result['problems']]
    if expected[1] == 'error':
        # Only the planted fault (and what follows from it): every other check of these hosts passes.
        assert found(result, 'error') == {expected[::2]} | consequences
        assert result['ok'] is False
    else:
        assert found(result, 'error') == set()
        assert result['ok'] is True


def test_redirect_without_cors_also_warns_about_the_redirect(check):
    result = check('corsredirect.example.com')
    # A preflight cannot follow a redirect either.
    assert found(result) == {('client', 'cors-missing-on-redirect'), ('client', 'redirected'), ('client', 'cors-preflight')}
    assert result['documents']['client'] == CLIENT


def test_delegation_by_srv_record_only(check, site):
    result = check('srv.example.com')
    assert result['ok'] is True, result['problems']
    assert result['problems'] == []
    assert result['documents']['server'] is None
    federation = result['federation']
    assert federation['method'] == 'srv'
    assert (federation['host'], federation['port']) == ('fed.srv.example.com', site.port)
    assert (federation['tls_name'], federation['host_header']) == ('srv.example.com', 'srv.example.com')
    assert federation['srv'] == [dict(name='_matrix-fed._tcp.srv.example.com', priority=10, weight=5,
                                      port=site.port, target='fed.srv.example.com')]
    assert federation['version'] == FEDERATION_VERSION


@pytest.mark.parametrize('server_name, code', [
    ('refused.example.com', 'connection-failed'),
    ('mismatch.example.com', 'tls-error'),
    ('nxdomain.example.com', 'dns-error'),
])
def test_unreachable_documents(check, server_name, code):
    result = check(server_name)
    for name in ('server', 'client', 'support'):
        assert (name, code) in found(result, 'error')
    assert (None, 'federation-failed') in found(result, 'error')
    assert result['ok'] is False
    assert result['documents'] == dict(server=None, client=None, support=None)


def test_tls_name_mismatch_says_which_name(check):
    problem = [problem for problem in check('mismatch.example.com')['problems'] if problem['document'] == 'server'][0]
    assert 'mismatch.example.com' in problem['message']


def test_untrusted_ca_is_a_tls_error(check):
    # Without ca_path only the system's CAs are trusted, not the test CA.
    result = check('example.com', ca_path=None)
    assert {('server', 'tls-error'), ('client', 'tls-error'), ('support', 'tls-error')} <= found(result, 'error')


def test_validate_certs_false_accepts_the_wrong_certificate(check):
    result = check('mismatch.example.com', validate_certs=False)
    assert not [problem for problem in result['problems'] if problem['code'] == 'tls-error']
    assert result['documents']['server'] == SERVER


def test_server_that_never_answers_times_out(check):
    started = time.monotonic()
    result = check('slow.example.com', timeout=1)
    elapsed = time.monotonic() - started
    for name in ('server', 'client', 'support'):
        assert (name, 'timeout') in found(result, 'error')
    # The server stays silent for 30 seconds per connection: waiting for it would take 90 seconds or more.
    assert elapsed < 60


def test_huge_document_is_too_large(check):
    result = check('huge.example.com')
    assert ('server', 'too-large') in found(result, 'error')
    assert result['documents']['server'] is None


def test_endless_body_is_not_read_to_the_end(check):
    # A client that read to the end would run into the request deadline and report a timeout instead.
    result = check('endless.example.com', timeout=30)
    for name in ('server', 'client', 'support'):
        assert (name, 'too-large') in found(result, 'error')
        assert (name, 'timeout') not in found(result)


def test_non_utf8_body(check):
    result = check('latin1.example.com')
    assert found(result, 'error') == {('support', 'not-utf8')}
