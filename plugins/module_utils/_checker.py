# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The discovery checker's entry point: ``Checker(server_name, client, resolver, ...).run()`` returns the result of
the module matrix_wellknown_info.

``Checker`` only orders the concerns, each in a file of its own, and puts their results together:

- ``_check_documents``: the documents under /.well-known/matrix/ (HTTP, redirects, CORS, cache, CDN, JSON, spec);
- ``_check_federation``: the server name's resolution (m.server, SRV, port 8448) and the federation endpoint;
- ``_check_client``: the client endpoints the client document names (versions, identity server, OAuth 2.0
  metadata, LiveKit foci);
- ``_check_report``: the problem codes, the ``Findings`` every concern records to, and the report text.

What they share is one ``_check_context.Context`` (the server name, the findings, the deadline, and the
``_check_requests.Requests`` through which every request goes). The network is reached only through the injected
``client`` (see ``_check_requests``) and ``resolver`` (see ``_check_federation``), so tests run the whole logic
against fakes.
"""

from __future__ import annotations

import time

from ansible_collections.matrix.wellknown.plugins.module_utils._check_client import ClientChecks, client_result
from ansible_collections.matrix.wellknown.plugins.module_utils._check_context import Context, Deadline, parse_server_name
from ansible_collections.matrix.wellknown.plugins.module_utils._check_documents import ORIGIN, DocumentChecks
from ansible_collections.matrix.wellknown.plugins.module_utils._check_federation import FederationChecks, federation_result
from ansible_collections.matrix.wellknown.plugins.module_utils._check_report import (
    DOCUMENTS,
    POLICY_SERVER,
    Findings,
    report_lines,
)
from ansible_collections.matrix.wellknown.plugins.module_utils._check_requests import CERTIFICATE_WARNING_DAYS, Requests
from ansible_collections.matrix.wellknown.plugins.module_utils._documents import ERROR

# How many of the checks that did not run a problem names before "and N more".
NOT_RUN_SHOWN = 6


class Checker(object):
    """Run every check for one server name; ``run()`` returns the module's result data."""

    def __init__(self, server_name, client, resolver, expected=None, origin=ORIGIN,
                 certificate_warning_days=CERTIFICATE_WARNING_DAYS, now=None, deadline=None):
        """``deadline``: a time.monotonic() value after which no probe starts (give the client the same one, so that
        a request in flight stops there too); None for no bound. ValueError when server_name is not a server name."""
        server = parse_server_name(server_name)
        now = time.time() if now is None else now
        findings = Findings(server.explicit)
        self._deadline = Deadline(deadline)
        requests = Requests(client, findings, self._deadline, now, certificate_warning_days)
        self.context = Context(server, findings, self._deadline, requests)
        self._documents = DocumentChecks(self.context, expected, origin, now)
        self._federation = FederationChecks(self.context, resolver)
        self._client = ClientChecks(self.context)

    @property
    def deadline(self):
        return self._deadline.at

    @deadline.setter
    def deadline(self, value):
        self._deadline.at = value

    def run(self):
        step, not_run = self._deadline.step, self._deadline.not_run
        server, findings, requests = self.context.server, self.context.findings, self.context.requests
        documents = dict((name, None) for name in DOCUMENTS)
        for name in DOCUMENTS:
            documents[name] = step('the %s document' % name, self._documents.check, name)
        federation = federation_result(server.name)
        cut = len(not_run)
        step('federation', self._federation.check, federation, documents['server'])
        if len(not_run) == cut:
            # Whether a missing server document matters depends on how federation went.
            self._federation.judge_missing_server(federation, self._documents.server_absent)
        client = client_result()
        self._client.check(client, documents['client'])
        if not_run:
            shown = not_run[:NOT_RUN_SHOWN]
            more = len(not_run) - len(shown)
            findings.add(None, ERROR, 'deadline-exceeded', 'The check stopped at its deadline, after %d seconds: %s%s did '
                         'not run or stopped midway, so this result is incomplete. Servers that do not answer (see the '
                         'timeouts) use up the time: fix them, or give the check a larger deadline.'
                         % (round(time.monotonic() - self._deadline.started), ', '.join(shown),
                            ' and %d more' % more if more else ''))
        if not findings.has_checks(POLICY_SERVER):
            # Optional and newer than the other three: its key is there only when it is served.
            del documents[POLICY_SERVER]
        summary = findings.result()
        result = dict(
            ok=summary['ok'],
            problems=summary['problems'],
            documents=documents,
            federation=federation,
            client=client,
            addresses=list(requests.addresses),
            certificates=list(requests.certificates),
            server_cache=self._documents.server_cache,
            checks=summary['checks'],
        )
        result['report'] = report_lines(server.name, result)
        return result
