# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checker's report (_check_report): each problem under its check in its group; through Checker, against
fakes (no network)."""

from __future__ import annotations

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError, Response
from ansible_collections.matrix.wellknown.plugins.module_utils._resolver import DnsError

from checker_fakes import (
    BASE,
    CLIENT,
    FEDERATION,
    FakeResolver,
    GOOD_HEADERS,
    POLICY_KEY,
    SERVER,
    VERSION,
    codes,
    good_routes,
    respond,
    run,
    without,
)


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
