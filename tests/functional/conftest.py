# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by the functional tests: a work dir, a CA, the collection for ansible, and server bookkeeping."""

from __future__ import annotations

import os
import sys

import pytest

from helpers import CertificateAuthority, collection_path

# The unit tests' in-process module runner (tests/unit/module_runner.py), for the tests here that run a module's
# main() against real servers or as root.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, 'unit'))


@pytest.fixture(scope='session')
def workdir(tmp_path_factory):
    """A private directory for the session's servers, certificates and logs."""
    return tmp_path_factory.mktemp('functional')


@pytest.fixture(scope='session')
def ca(workdir):
    """A throwaway certificate authority; ca.issue(label, [names]) makes server certificates."""
    return CertificateAuthority(workdir / 'ca')


@pytest.fixture(scope='session')
def collections(workdir):
    """An ANSIBLE_COLLECTIONS_PATH entry holding this repository as matrix.wellknown."""
    return collection_path(workdir / 'collections')


@pytest.fixture(scope='session')
def session_servers():
    """Register started servers (anything with stop()); all are stopped at the end of the session, even on failure."""
    started = []
    yield started
    errors = []
    for server in reversed(started):
        try:
            server.stop()
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(exc)
    if errors:
        raise errors[0]


@pytest.fixture
def servers():
    """Like session_servers, for one test."""
    started = []
    yield started
    for server in reversed(started):
        server.stop()
