# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""What the discovery checker found, and the report text for people.

``Findings`` is the one record every concern of the checker writes to: the problems, in the order they were found,
and per report group the checks that ran with their worst verdict. ``CHECK_OF_CODE`` is the registry of problem
codes: each code belongs to one check, and the report prints each problem under its check. ``report_lines`` reads
the module's result only.
"""

from __future__ import annotations

from ansible_collections.matrix.wellknown.plugins.module_utils._documents import ERROR, SPEC_DOCUMENTS, WARNING
from ansible_collections.matrix.wellknown.plugins.module_utils._resolver import DNS_LIBRARY_MISSING

POLICY_SERVER = 'policy_server'
# The spec's three, then the policy server document (Matrix v1.18), checked only when it is served.
DOCUMENTS = SPEC_DOCUMENTS + (POLICY_SERVER,)

# Each problem code belongs to one check; the report prints one line per check that ran.
CHECK_OF_CODE = {
    'connection-failed': 'reachable over HTTPS', 'timeout': 'reachable over HTTPS', 'tls-error': 'reachable over HTTPS',
    'dns-error': 'reachable over HTTPS', 'http-error': 'reachable over HTTPS', 'invalid-url': 'reachable over HTTPS',
    DNS_LIBRARY_MISSING: 'DNS library',
    'address-failed': 'every address answers alike',
    'certificate-expiring': 'certificate not about to expire',
    'redirect-loop': 'redirects', 'too-many-redirects': 'redirects', 'bad-redirect': 'redirects',
    'insecure-redirect': 'redirects', 'redirected': 'redirects',
    'http-status': 'answers 200', 'not-found': 'answers 200', 'bot-challenge': 'answers 200',
    'html-instead-of-json': 'answers 200',
    'too-large': 'size under 50 KiB', 'content-encoding': 'JSON in UTF-8', 'not-utf8': 'JSON in UTF-8',
    'invalid-json': 'JSON in UTF-8', 'invalid-document': 'valid per the specification',
    'stale-document': 'same as expected', 'content-type': 'Content-Type application/json',
    'cache-control': 'cache lifetime', 'cache-lifetime': 'cache lifetime',
    'cors-missing': 'CORS', 'cors-missing-on-redirect': 'CORS', 'cors-preflight': 'CORS preflight',
    'server-document-ignored': 'read by remote servers',
    'deprecated-srv': 'SRV records', 'srv-target-cname': 'SRV records',
    'federation-failed': 'federation version endpoint',
    'versions-failed': 'client versions endpoint', 'identity-server-failed': 'identity server',
    'auth-metadata-missing': 'OAuth 2.0 server metadata', 'auth-issuer-mismatch': 'OAuth 2.0 server metadata',
    'rtc-focus-unreachable': 'LiveKit (Element Call)', 'too-many-rtc-foci': 'LiveKit (Element Call)',
    'deadline-exceeded': 'finished within the deadline',
}
# Problems of the check itself, not of a document or federation: the report prints them after the groups.
CHECKER_CODES = ('deadline-exceeded',)
REPORT_GROUPS = DOCUMENTS + ('federation',)

_RANK = {'ok': 0, WARNING: 1, ERROR: 2}
_VERDICT_WORDS = {'ok': 'ok', WARNING: 'WARNING', ERROR: 'ERROR'}


def check_label(document, code):
    """The check a problem belongs to, as the report names it."""
    if document is None and code == 'dns-error':
        return 'SRV records'  # the only DNS failure without a document is an SRV lookup
    return CHECK_OF_CODE.get(code, code)


class Problem(object):
    """One thing wrong with the setup, for the module's ``problems`` list."""

    __slots__ = ('document', 'severity', 'code', 'message')

    def __init__(self, document, severity, code, message):
        self.document = document
        self.severity = severity
        self.code = code
        self.message = message

    def as_dict(self):
        return dict(document=self.document, severity=self.severity, code=self.code, message=self.message)

    def __repr__(self):
        return 'Problem(%r, %r, %r, %r)' % (self.document, self.severity, self.code, self.message)


class Findings(object):
    """The problems and the checks that ran, per report group (the documents, then ``federation``).

    ``explicit``: the server name has a port or is an IP address, so remote servers never read its server document,
    and nothing wrong with that document is more than a warning.
    """

    def __init__(self, explicit):
        self.explicit = explicit
        self.problems = []
        self.checks = dict((group, []) for group in REPORT_GROUPS)

    def add(self, document, severity, code, message):
        """Record a problem (once) and the verdict of its check; ``document`` None is federation and DNS."""
        if document == 'server' and self.explicit and severity == ERROR:
            # Nobody reads that document: whatever is wrong with it breaks nothing.
            severity = WARNING
        for problem in self.problems:
            if (problem.document, problem.code, problem.message) == (document, code, message):
                return
        self.problems.append(Problem(document, severity, code, message))
        if code not in CHECKER_CODES:
            self._verdict(document or 'federation', check_label(document, code), severity)

    def ran(self, group, *labels):
        """Record that these checks ran in a group; a problem added later sets their verdict."""
        for label in labels:
            self._verdict(group, label, 'ok')

    def library_missing(self, message):
        """The missing DNS library, whichever lookup hit it first: one problem says it all."""
        if not any(problem.code == DNS_LIBRARY_MISSING for problem in self.problems):
            self.add(None, ERROR, DNS_LIBRARY_MISSING, message)

    def has_checks(self, group):
        return bool(self.checks[group])

    def _verdict(self, group, label, verdict):
        """Record that a check ran in a report group, keeping its worst verdict."""
        checks = self.checks[group]
        for check in checks:
            if check[0] == label:
                if _RANK[verdict] > _RANK[check[1]]:
                    check[1] = verdict
                return
        checks.append([label, verdict])

    def result(self):
        """``ok``, ``problems`` and ``checks`` of the module's result."""
        return dict(
            ok=not any(problem.severity == ERROR for problem in self.problems),
            problems=[problem.as_dict() for problem in self.problems],
            checks=dict((group, [dict(check=label, verdict=verdict) for label, verdict in checks])
                        for group, checks in self.checks.items()),
        )


def hostport(host, port):
    """host:port with an IPv6 address in brackets."""
    if ':' in host and not host.startswith('['):
        host = '[%s]' % host
    return '%s:%d' % (host, port)


def _plural(count, word):
    return '%d %s%s' % (count, word, '' if count == 1 else 's')


def report_lines(server_name, result):
    """The lines of a report for people: per group (server, client, support, policy_server, federation) one line per
    check with its verdict, each problem under its check with what to change, then a summary."""
    lines = ['Matrix discovery of %s' % server_name]
    problems = result['problems']
    documents = result['documents']
    federation = result['federation']
    for group in REPORT_GROUPS:
        checks = result['checks'].get(group) or []
        if group == POLICY_SERVER and not checks:
            continue  # not published
        if group == 'federation':
            target = ('%s -> %s (%s)' % (server_name, hostport(federation['host'], federation['port']), federation['method'])
                      if federation['host'] else server_name)
            lines.append('federation: %s' % target)
        else:
            state = ''
            verdicts = dict((check['check'], check['verdict']) for check in checks)
            if verdicts.get('reachable over HTTPS', ERROR) == ERROR:
                state = ' (not reached)'
            elif documents.get(group) is None:
                state = ' (not read)'
            lines.append('%s: /.well-known/matrix/%s%s' % (group, group, state))
        group_problems = [problem for problem in problems if (problem['document'] or 'federation') == group]
        for label, verdict in [(check['check'], check['verdict']) for check in checks]:
            lines.append('  %-8s %s' % (_VERDICT_WORDS[verdict], label))
            for problem in group_problems:
                if check_label(problem['document'], problem['code']) == label:
                    lines.append('           - [%s] %s' % (problem['code'], problem['message']))
    own = [problem for problem in problems if problem['code'] in CHECKER_CODES]
    if own:
        lines.append('the check itself:')
    for problem in own:
        lines.append('  %-8s %s' % (_VERDICT_WORDS[problem['severity']], check_label(None, problem['code'])))
        lines.append('           - [%s] %s' % (problem['code'], problem['message']))
    errors = len([problem for problem in problems if problem['severity'] == ERROR])
    warnings = len(problems) - errors
    if errors:
        verdict = 'BROKEN: Matrix servers or clients fail; fix the errors above'
    elif warnings:
        verdict = 'works, with warnings worth fixing'
    else:
        verdict = 'everything checked works'
    lines.append('Summary: %s, %s: %s.' % (_plural(errors, 'error'), _plural(warnings, 'warning'), verdict))
    return lines
