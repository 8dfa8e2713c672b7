# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checker's documents concern (_check_documents): fetching the documents, redirects, headers, CORS, cache,
CDN pages, JSON and the specification; through Checker, against fakes (no network)."""

from __future__ import annotations

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import _check_documents as check_documents
from ansible_collections.matrix.wellknown.plugins.module_utils._check_documents import DocumentChecks, describe_difference
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError, Response

from checker_fakes import (
    BASE,
    CLIENT,
    FEDERATION,
    GOOD_HEADERS,
    POLICY_KEY,
    SERVER,
    SUPPORT,
    VERSION,
    codes,
    context,
    good_routes,
    redirect,
    redirect_chain,
    respond,
    run,
    without,
)


def test_cors_documents_are_fetched_with_an_origin_and_preflighted():
    dummy, client, dummy = run()
    by_key = dict(((call['method'], call['url']), call) for call in client.calls)
    assert by_key[('GET', BASE + 'client')]['headers'] == {'Origin': check_documents.ORIGIN}
    assert by_key[('GET', BASE + 'server')]['headers'] is None
    preflight = {'Origin': check_documents.ORIGIN, 'Access-Control-Request-Method': 'GET'}
    assert by_key[('OPTIONS', BASE + 'support')]['headers'] == preflight
    assert ('OPTIONS', BASE + 'server') not in by_key


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
    redirect_chain(10)(routes)
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


# --- policy server ---------------------------------------------------------------------


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


def test_a_deeply_nested_document_is_an_invalid_document_not_a_crash():
    routes = good_routes()
    routes[('GET', BASE + 'client')] = respond(body=b'[' * 600 + b']' * 600)
    result = run(routes)[0]
    assert codes(result) == [('client', 'error', 'invalid-document')]
    assert result['documents']['client'] is None
    assert 'more than 64 levels deep' in result['problems'][0]['message']


# --- the concern alone, over its context ---------------------------------------------------------

def test_the_documents_concern_runs_alone_over_a_context():
    routes = good_routes()
    routes[('GET', BASE + 'client')] = respond(CLIENT, headers=without(GOOD_HEADERS, 'Access-Control-Allow-Origin'))
    shared, client = context(routes)
    documents = DocumentChecks(shared)
    assert documents.check('server') == SERVER
    assert documents.check('client') == CLIENT
    assert [(problem.document, problem.code) for problem in shared.findings.problems] == [('client', 'cors-missing')]
    assert documents.server_cache == dict(source='max-age', seconds=3600, header=3600)
    assert [call['url'] for call in client.calls] == [BASE + 'server', BASE + 'client', BASE + 'client']
