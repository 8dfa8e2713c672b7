# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fakes of the network for the checker's unit tests: an HTTP client answering from a table of routes, a resolver
answering from a table of SRV records, a correct deployment, and helpers to run the checker and read its problems."""

from __future__ import annotations

import json
import time

from ansible_collections.matrix.wellknown.plugins.module_utils._check_context import Context, Deadline, parse_server_name
from ansible_collections.matrix.wellknown.plugins.module_utils._check_report import Findings
from ansible_collections.matrix.wellknown.plugins.module_utils._check_requests import Requests
from ansible_collections.matrix.wellknown.plugins.module_utils._checker import Checker
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import Response

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


NOW = 1800000000.0
POLICY_KEY = 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ'


def client_with(**extra):
    routes = good_routes()
    routes[('GET', BASE + 'client')] = respond(dict(CLIENT, **extra))
    return routes


def redirect_chain(length):
    def change(routes):
        for hop in range(length):
            source = BASE + 'server' if hop == 0 else 'https://example.com/hop%d' % hop
            routes[('GET', source)] = redirect('/hop%d' % (hop + 1))
        routes[('GET', 'https://example.com/hop%d' % length)] = respond(SERVER)
    return change


def context(routes=None, server_name='example.com', now=None):
    """The shared state of one concern run alone, over a FakeClient: (Context, client)."""
    client = FakeClient(good_routes() if routes is None else routes)
    server = parse_server_name(server_name)
    findings = Findings(server.explicit)
    deadline = Deadline()
    return Context(server, findings, deadline, Requests(client, findings, deadline, now or time.time())), client
