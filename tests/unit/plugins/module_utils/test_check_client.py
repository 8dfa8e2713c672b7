# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checker's client concern (_check_client): the endpoints the client document names; through Checker,
against fakes (no network)."""

from __future__ import annotations

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils._check_client import ClientChecks, client_result
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError, Response

from checker_fakes import (
    BASE,
    client_with,
    codes,
    context,
    good_routes,
    redirect,
    respond,
    run,
)


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


# --- OAuth 2.0 metadata and LiveKit ----------------------------------------------------

AUTH_URL = 'https://matrix.example.com/_matrix/client/v1/auth_metadata'


@pytest.mark.parametrize('answer, expected', [
    (respond({'issuer': 'https://auth.example.com/'}), []),
    (respond({'issuer': 'https://other.example.com/'}), [('client', 'error', 'auth-issuer-mismatch')]),
    (respond({'issuer': 'https://auth.example.com'}), [('client', 'error', 'auth-issuer-mismatch')]),
    (Response(404, 'Not Found', [], b''), [('client', 'warning', 'auth-metadata-missing')]),
    (respond({'authorization_endpoint': 'https://auth.example.com/authorize'}), [('client', 'warning', 'auth-metadata-missing')]),
    (FetchError('connection-failed', 'refused'), [('client', 'warning', 'auth-metadata-missing')]),
])
def test_auth_metadata_issuer(answer, expected):
    routes = client_with(**{'org.matrix.msc2965.authentication': {'issuer': 'https://auth.example.com/'}})
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
    routes = client_with(**{'org.matrix.msc4143.rtc_foci': [{'type': 'livekit', 'livekit_service_url': url}]})
    if answer is not None:
        routes[('GET', url)] = answer
    result = run(routes)[0]
    assert codes(result) == expected
    assert [focus['ok'] for focus in result['client']['rtc_foci']] == [not expected]


# --- issue 20: bounds ------------------------------------------------------------------------

def test_livekit_urls_are_probed_once_each_and_at_most_five():
    """60 copies of one URL and 8 more: each distinct URL once, the first five, and a warning naming the cap."""
    urls = ['https://rtc%d.example.com/livekit/jwt' % number for number in range(9)]
    foci = [{'type': 'livekit', 'livekit_service_url': urls[0]}] * 60 + [
        {'type': 'livekit', 'livekit_service_url': url} for url in urls[1:] + urls[1:]]
    result, client, dummy = run(client_with(**{'org.matrix.msc4143.rtc_foci': foci}))
    probed = [call['url'] for call in client.calls if 'rtc' in call['url']]
    assert probed == urls[:5]
    assert [focus['livekit_service_url'] for focus in result['client']['rtc_foci']] == urls[:5]
    assert codes(result) == [('client', 'warning', 'too-many-rtc-foci')]
    message = result['problems'][0]['message']
    assert 'lists 9 different livekit_service_url values' in message and 'only the first 5 were probed' in message
    assert '           - [too-many-rtc-foci] ' + message in result['report']


# --- the concern alone, over its context ---------------------------------------------------------

def test_the_client_concern_runs_alone_over_a_context():
    shared, client = context()
    result = client_result()
    ClientChecks(shared).check(result, {'m.homeserver': {'base_url': 'https://matrix.example.com'}})
    assert result['versions'] == ['v1.11', 'v1.12']
    assert shared.findings.problems == []
    assert [call['url'] for call in client.calls] == ['https://matrix.example.com/_matrix/client/versions']
