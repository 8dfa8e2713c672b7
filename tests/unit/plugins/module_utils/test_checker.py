# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The discovery checker as a whole (_checker.Checker over every concern), against a fake HTTP client and a fake
resolver (no network): a correct deployment, one fault at a time, the server name, the deadline."""

from __future__ import annotations

import time

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils._checker import Checker
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError, Response

from checker_fakes import (
    BASE,
    CLIENT,
    FEDERATION,
    FakeClient,
    FakeResolver,
    SERVER,
    SUPPORT,
    VERSION,
    client_with,
    codes,
    good_routes,
    redirect,
    redirect_chain,
    respond,
    run,
    without,
)


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
    ('too many redirects', redirect_chain(11), ('server', 'error', 'too-many-redirects')),
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


@pytest.mark.parametrize('server_name', ['https://example.com', '', 'exa mple.com', 'example.com:0', 'a:b:c'])
def test_checker_refuses_invalid_server_names(server_name):
    with pytest.raises(ValueError, match='server_name'):
        Checker(server_name, FakeClient({}), FakeResolver())


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
    routes = client_with(**{'org.matrix.msc4143.rtc_foci': [{'type': 'livekit', 'livekit_service_url': url} for url in urls]})
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


def test_a_missing_server_document_is_judged_when_federation_ran_although_later_checks_did_not():
    routes = good_routes()
    del routes[('GET', BASE + 'server')]
    del routes[('GET', 'https://matrix.example.com:443' + FEDERATION)]
    client = SlowClient(routes, 'https://matrix.example.com/_matrix/client/versions')
    check = Checker('example.com', client, FakeResolver(), deadline=time.monotonic() + 3600)
    client.checker = check
    result = check.run()
    assert ('server', 'error', 'not-found') in codes(result)
