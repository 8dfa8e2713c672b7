# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checker's newer checks against real servers on loopback, and the report playbook matrix.wellknown.check.

One nginx holds a virtual host per situation: a name resolving (through dnsmasq)
to 127.0.0.1 and ::1 with the web server on IPv4 only, a challenge page, server
documents cached 0 s, 1 hour and 7 days, a certificate valid for 3 more days,
policy_server documents, a homeserver whose auth_metadata issuer differs from the
client document's, an unreachable LiveKit URL, a gzip body nobody asked for, a
client document redirected to plain http, and a server name with a port and
nothing on 443. Nothing leaves loopback.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers import Dnsmasq, Nginx, closed_port, free_port, nginx_string, run_module

MODULE = 'matrix.wellknown.matrix_wellknown_info'
POLICY_KEY = 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ'
CORS = ("add_header Access-Control-Allow-Origin '*' always; "
        "add_header Access-Control-Allow-Methods 'GET, POST, PUT, DELETE, OPTIONS' always; "
        "add_header Access-Control-Allow-Headers 'X-Requested-With, Content-Type, Authorization' always; ")


def location(path, body, cache='max-age=3600', cors=True, content_type='application/json', status=200, extra=''):
    """An nginx location answering like a correct setup (unless told otherwise), OPTIONS preflight included."""
    headers = (CORS if cors else '') + ("add_header Cache-Control '%s' always; " % cache if cache else '') + extra
    preflight = 'if ($request_method = OPTIONS) { %s return 204; }' % headers if cors else ''
    text = body if isinstance(body, str) else json.dumps(body)
    return ('location = %s { default_type %s; %s %s return %d %s; }\n'
            % (path, content_type, preflight, headers, status, nginx_string(text)))


def documents(host, server=None, client=None, support=None, policy_server=None, raw=None):
    """Locations for the well-known documents of a host: a correct set delegating to it, some replaced by raw locations."""
    server = {'m.server': '%s:443' % host} if server is None else server
    client = {'m.homeserver': {'base_url': 'https://%s' % host}} if client is None else client
    support = {'contacts': [{'role': 'm.role.admin', 'email_address': 'admin@example.com'}]} if support is None else support
    parts = dict(server=location('/.well-known/matrix/server', server, cors=False),
                 client=location('/.well-known/matrix/client', client),
                 support=location('/.well-known/matrix/support', support))
    if policy_server is not None:
        parts['policy_server'] = location('/.well-known/matrix/policy_server', policy_server)
    parts.update(raw or {})
    return ''.join(parts.values())


HOMESERVER = (location('/_matrix/federation/v1/version', {'server': {'name': 'stand-in', 'version': '1'}}, cors=False)
              + location('/_matrix/client/versions', {'versions': ['v1.11', 'v1.15']}))


def vhost(names, listen, cert, locations):
    return ('server {\n%s server_name %s;\n ssl_certificate %s;\n ssl_certificate_key %s;\n%s}\n'
            % (''.join(' listen %s ssl;\n' % address for address in listen), names, cert[0], cert[1], locations))


@pytest.fixture(scope='session')
def live(workdir, ca, session_servers):
    port, dual_port, http_port, dns_port = free_port(), free_port(), free_port(), free_port()
    v4 = ['127.0.0.1:%d' % port]
    files = workdir / 'checker-files'
    files.mkdir()
    (files / 'server.gz').write_bytes(gzip.compress(json.dumps({'m.server': 'gzip.example.com:443'}).encode()))

    names = ['good.example.com', 'dual.example.com', 'dualok.example.com', 'challenge.example.com', 'html.example.com',
             'cache0.example.com', 'cache1h.example.com', 'cache7d.example.com', 'policy.example.com',
             'badpolicy.example.com', 'auth.example.com', 'livekit.example.com', 'gzip.example.com',
             'mixed.example.com', 'port.example.com']
    cert = ca.issue('checker', names + ['rtc.example.com'], days=90)
    short = ca.issue('checker-3-days', ['expiring.example.com'], days=3)

    auth = {'org.matrix.msc2965.authentication': {'issuer': 'https://auth.example.com/issuer/'}}
    foci = {'org.matrix.msc4143.rtc_foci': [{'type': 'livekit', 'livekit_service_url': 'https://rtc.example.com/livekit/jwt'}]}
    challenge = ('<!DOCTYPE html><html><head><title>Just a moment...</title></head>'
                 '<body><script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script></body></html>')
    hosts = {
        'good.example.com': documents('good.example.com', policy_server={'public_keys': {'ed25519': POLICY_KEY}},
                                      client=dict({'m.homeserver': {'base_url': 'https://good.example.com'}}, **foci))
        + HOMESERVER + location('/livekit/jwt', {'errcode': 'M_NOT_FOUND'}, status=404),
        'challenge.example.com': documents('good.example.com', raw=dict(client=location(
            '/.well-known/matrix/client', challenge, content_type='text/html', status=403,
            extra="add_header cf-mitigated challenge always; "))),
        'html.example.com': documents('good.example.com', raw=dict(server=location(
            '/.well-known/matrix/server', '<!doctype html><title>Welcome to my blog</title>', content_type='text/html'))),
        'cache0.example.com': documents('good.example.com', raw=dict(server=location(
            '/.well-known/matrix/server', {'m.server': 'good.example.com:443'}, cache='max-age=0', cors=False))),
        'cache1h.example.com': documents('good.example.com'),
        'cache7d.example.com': documents('good.example.com', raw=dict(server=location(
            '/.well-known/matrix/server', {'m.server': 'good.example.com:443'}, cache='max-age=604800', cors=False))),
        'policy.example.com': documents('good.example.com', policy_server={'public_keys': {'ed25519': POLICY_KEY}}),
        'badpolicy.example.com': documents('good.example.com', policy_server={'public_keys': {'ed25519': POLICY_KEY + '='}}),
        'auth.example.com': documents('auth.example.com', client=dict({'m.homeserver': {'base_url': 'https://auth.example.com'}},
                                                                      **auth))
        + HOMESERVER + location('/_matrix/client/v1/auth_metadata', {'issuer': 'https://mas.example.com/'}),
        'livekit.example.com': documents('good.example.com', client=dict(
            {'m.homeserver': {'base_url': 'https://good.example.com'}},
            **{'org.matrix.msc4143.rtc_foci': [{'type': 'livekit',
                                                'livekit_service_url': 'https://unreachable.example.com/livekit/jwt'}]})),
        'gzip.example.com': documents('good.example.com', raw=dict(server=(
            'location = /.well-known/matrix/server { default_type application/json; '
            "add_header Cache-Control 'max-age=3600' always; add_header Content-Encoding gzip; alias %s; }\n"
            % (files / 'server.gz')))),
        'mixed.example.com': documents('good.example.com', raw=dict(client=(
            'location = /.well-known/matrix/client { %s return 301 http://mixed.example.com/.well-known/matrix/client; }\n'
            % CORS))),
        # A server name with a port: the homeserver answers federation here, nothing answers on 443.
        'port.example.com': HOMESERVER,
    }
    config = ''.join(vhost(name, v4, cert, locations) for name, locations in hosts.items())
    config += vhost('expiring.example.com', v4, short, documents('good.example.com'))
    # IPv4 only, although the name has an AAAA record too; the same documents on both families on dual_port.
    for name, listen, name_port in (('dual', v4, port), ('dualok', ['127.0.0.1:%d' % dual_port, '[::1]:%d' % dual_port], dual_port)):
        # Federation and base_url on the same port, through the name: no connect_to, both addresses.
        host = '%s.example.com:%d' % (name, name_port)
        config += vhost('%s.example.com' % name, listen, cert, documents(
            host, server={'m.server': host}, client={'m.homeserver': {'base_url': 'https://%s' % host}}) + HOMESERVER)
    # The plain http end of the redirect from mixed.example.com.
    config += ('server {\n listen 127.0.0.1:%d;\n server_name mixed.example.com;\n%s}\n'
               % (http_port, location('/.well-known/matrix/client', {'m.homeserver': {'base_url': 'https://good.example.com'}})))
    session_servers.append(Nginx(workdir / 'checker-nginx', config, [port, dual_port, http_port]))
    session_servers.append(Dnsmasq(workdir / 'checker-dnsmasq', dns_port, local_domains=['example.com'],
                                   hosts=[('dual.example.com', '127.0.0.1,::1'), ('dualok.example.com', '127.0.0.1,::1')]))

    refused = closed_port()
    connect_to = ['%s:443:127.0.0.1:%d' % (name, port) for name in names
                  if name not in ('port.example.com', 'dual.example.com', 'dualok.example.com')]
    connect_to += ['expiring.example.com:443:127.0.0.1:%d' % port, 'rtc.example.com:443:127.0.0.1:%d' % port,
                   'port.example.com:443:127.0.0.1:%d' % refused, 'port.example.com:%d:127.0.0.1:%d' % (port, port),
                   'unreachable.example.com:443:127.0.0.1:%d' % refused, 'mixed.example.com:80:127.0.0.1:%d' % http_port,
                   # Only the port changes: the name is resolved through dnsmasq, to both addresses.
                   'dual.example.com:443::%d' % port, 'dualok.example.com:443::%d' % dual_port]
    return SimpleNamespace(port=port, dual_port=dual_port, ca=str(ca.cert), connect_to=connect_to,
                           nameservers=['127.0.0.1:%d' % dns_port])


@pytest.fixture
def check(live, collections):
    def run(server_name, **args):
        args = dict(dict(server_name=server_name, connect_to=live.connect_to, ca_path=live.ca,
                         nameservers=live.nameservers, timeout=5), **args)
        result = run_module(collections, MODULE, args)
        assert result.get('failed') is not True, result
        return result
    return run


def found(result, severity=None):
    return sorted(((problem['document'], problem['severity'], problem['code']) for problem in result['problems']
                   if severity is None or problem['severity'] == severity), key=lambda item: tuple(part or '' for part in item))


def test_a_correct_deployment_with_the_newer_surfaces_has_no_warning(check):
    result = check('good.example.com')
    assert result['problems'] == []
    assert result['ok'] is True
    assert result['documents']['policy_server'] == {'public_keys': {'ed25519': POLICY_KEY}}
    assert result['client']['rtc_foci'] == [dict(livekit_service_url='https://rtc.example.com/livekit/jwt', ok=True,
                                                 answer='HTTP 404 Not Found')]
    assert result['server_cache'] == dict(source='max-age', seconds=3600, header=3600)
    assert {entry['name'] for entry in result['certificates']} == {'good.example.com'}
    assert all(entry['days_left'] >= 88 for entry in result['certificates'])


def test_an_address_family_the_web_server_does_not_listen_on_is_reported(check, live):
    result = check('dual.example.com')
    assert found(result) == [(None, 'error', 'address-failed'), ('client', 'error', 'address-failed'),
                             ('server', 'error', 'address-failed')]
    for problem in result['problems']:
        assert 'IPv6 address ::1' in problem['message'], problem['message']
        assert 'AAAA record of dual.example.com' in problem['message']
    assert sorted((entry['checked'], entry['family'], entry['ok']) for entry in result['addresses']) == sorted(
        (checked, family, family == 'IPv4') for checked in ('the base domain, all its documents', 'the federation target',
                                                            'the homeserver of m.homeserver.base_url')
        for family in ('IPv4', 'IPv6'))
    # What answers on IPv4 still works: the documents were read and federation answered.
    assert result['federation']['version'] == {'name': 'stand-in', 'version': '1'}


def test_a_web_server_on_both_families_passes(check):
    result = check('dualok.example.com')
    assert result['problems'] == []
    assert len(result['addresses']) == 6 and all(entry['ok'] for entry in result['addresses']), result['addresses']


@pytest.mark.parametrize('server_name, expected', [
    ('challenge.example.com', ('client', 'error', 'bot-challenge')),
    ('html.example.com', ('server', 'error', 'html-instead-of-json')),
    ('badpolicy.example.com', ('policy_server', 'error', 'invalid-document')),
    ('auth.example.com', ('client', 'error', 'auth-issuer-mismatch')),
    ('livekit.example.com', ('client', 'warning', 'rtc-focus-unreachable')),
    ('expiring.example.com', ('server', 'warning', 'certificate-expiring')),
    ('gzip.example.com', ('server', 'error', 'content-encoding')),
    ('mixed.example.com', ('client', 'error', 'insecure-redirect')),
])
def test_each_situation_is_reported_on_its_document(check, server_name, expected):
    result = check(server_name)
    assert expected in found(result)
    # Only the planted fault, and what follows from it: a broken server document sends federation to port 8448.
    consequences = {('server', 'error', 'html-instead-of-json'), ('server', 'error', 'content-encoding')}
    others = set(found(result, 'error')) - {expected}
    assert others <= ({(None, 'error', 'federation-failed')} if expected in consequences else set())
    assert result['ok'] is (expected[1] == 'warning')


def test_challenge_message_says_how_to_exempt_the_path(check):
    problem = [problem for problem in check('challenge.example.com')['problems'] if problem['code'] == 'bot-challenge'][0]
    assert 'cf-mitigated: challenge' in problem['message']
    assert 'URI Path starts with /.well-known/matrix/' in problem['message']


def test_compressed_body_names_the_encoding_not_utf8(check):
    problem = [problem for problem in check('gzip.example.com')['problems'] if problem['document'] == 'server'][0]
    assert 'Content-Encoding: gzip' in problem['message']
    assert 'save it as UTF-8' not in problem['message']


@pytest.mark.parametrize('server_name, lifetime, warned', [
    ('cache0.example.com', dict(source='max-age', seconds=0, header=0), True),
    ('cache1h.example.com', dict(source='max-age', seconds=3600, header=3600), False),
    ('cache7d.example.com', dict(source='max-age', seconds=172800, header=604800), True),
])
def test_server_document_cache_lifetime(check, server_name, lifetime, warned):
    result = check(server_name)
    assert result['server_cache'] == lifetime
    assert found(result) == ([('server', 'warning', 'cache-lifetime')] if warned else [])


def test_certificate_warning_days_is_configurable(check):
    assert found(check('expiring.example.com', certificate_warning_days=2)) == []
    days = [entry['days_left'] for entry in check('expiring.example.com')['certificates']
            if entry['name'] == 'expiring.example.com']
    assert days == [2]  # 3 days minus the minutes since it was issued


def test_valid_policy_server_document(check):
    result = check('policy.example.com')
    assert result['problems'] == []
    assert result['documents']['policy_server'] == {'public_keys': {'ed25519': POLICY_KEY}}


def test_server_name_with_a_port_and_nothing_on_443_is_ok(check, live):
    result = check('port.example.com:%d' % live.port)
    assert found(result) == [('client', 'warning', 'connection-failed'), ('server', 'warning', 'connection-failed'),
                             ('support', 'warning', 'connection-failed')]
    assert result['ok'] is True
    assert result['federation']['version'] == {'name': 'stand-in', 'version': '1'}


# --- the report playbook ---------------------------------------------------------------------

def playbook(collections, live, server_name):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    extra = dict(server_name=server_name, connect_to=live.connect_to, ca_path=live.ca, nameservers=live.nameservers,
                 timeout=5, ansible_python_interpreter=sys.executable)
    argv = [str(Path(sys.executable).parent / 'ansible-playbook'), 'matrix.wellknown.check', '-e', json.dumps(extra)]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)


def test_report_playbook_on_a_good_deployment(collections, live):
    completed = playbook(collections, live, 'good.example.com')
    assert completed.returncode == 0, completed.stdout + completed.stderr
    for line in ('Matrix discovery of good.example.com', 'server: /.well-known/matrix/server',
                 'client: /.well-known/matrix/client', 'support: /.well-known/matrix/support',
                 'policy_server: /.well-known/matrix/policy_server', 'federation: good.example.com -> good.example.com:443',
                 'ok       LiveKit (Element Call)', 'Summary: 0 errors, 0 warnings: everything checked works.'):
        assert line in completed.stdout, line
    assert 'ERROR  ' not in completed.stdout and 'WARNING  ' not in completed.stdout


def test_report_playbook_on_a_broken_deployment_fails_naming_the_problem(collections, live):
    completed = playbook(collections, live, 'challenge.example.com')
    assert completed.returncode == 2, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    error = [number for number, line in enumerate(lines) if line.strip().startswith('"  ERROR    answers 200')]
    assert error, completed.stdout
    assert '[bot-challenge]' in lines[error[0] + 1]
    assert 'Summary: 1 error, 0 warnings: BROKEN' in completed.stdout
