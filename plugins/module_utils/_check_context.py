# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""What the concerns of the discovery checker share, and nothing more.

``Context`` holds the server name checked (``ServerName``, read-only), the findings (``_check_report.Findings``),
the deadline (``Deadline``) and the requests (``_check_requests.Requests``). Each concern gets it when it is built;
everything else a concern needs comes in as arguments and goes out as return values.
"""

from __future__ import annotations

import time

from ansible_collections.matrix.wellknown.plugins.module_utils._grammar import check_server_name, split_server_name
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import is_ip_address


class ServerName(object):
    """A valid Matrix server name, split: ``host``, ``port`` (int or None), ``explicit``."""

    __slots__ = ('name', 'host', 'port', 'explicit')

    def __init__(self, name):
        self.name = name
        self.host, port = split_server_name(name)
        self.port = int(port) if port is not None else None
        # Remote servers connect straight to a name with a port (or an IP address) and never read the server document.
        self.explicit = self.port is not None or is_ip_address(self.host)


def parse_server_name(server_name):
    """The ``ServerName`` of the option server_name; ValueError naming the option and the rule it breaks."""
    problem = check_server_name(server_name)
    if problem:
        raise ValueError('server_name %r %s' % (server_name, problem))
    return ServerName(server_name)


class OutOfTime(Exception):
    """The check's deadline passed: the probe about to start does not run."""


class Deadline(object):
    """One bound for the whole check: ``at`` is a time.monotonic() value after which no probe starts, None for no
    bound. ``not_run`` names the steps it cut, in order."""

    def __init__(self, at=None):
        self.at = at
        self.started = time.monotonic()
        self.not_run = []

    def check(self):
        """Raise OutOfTime once the deadline has passed."""
        if self.at is not None and time.monotonic() >= self.at:
            raise OutOfTime()

    def step(self, label, function, *args):
        """Run one check and return its result, unless the deadline passes (before or during it): None then."""
        try:
            self.check()
        except OutOfTime:
            self.not_run.append(label)
            return None
        try:
            result = function(*args)
        except OutOfTime:
            self.not_run.append('%s (stopped midway)' % label)
            return None
        return result


class Context(object):
    """The state every concern shares: ``server``, ``findings``, ``deadline``, ``requests``."""

    __slots__ = ('server', 'findings', 'deadline', 'requests')

    def __init__(self, server, findings, deadline, requests):
        self.server = server
        self.findings = findings
        self.deadline = deadline
        self.requests = requests
