# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The matrix_wellknown_info module, run in-process: option validation and what it hands to the checker."""

from __future__ import annotations

import time

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import _checker as checker
from ansible_collections.matrix.wellknown.plugins.modules import matrix_wellknown_info

from module_runner import run_module

RESULT = dict(ok=True, problems=[], documents=dict(server=None, client=None, support=None),
              federation=dict(method='fallback'), client=dict(base_url=None, versions=None, identity_server=None))


class FakeChecker(object):
    """Stands in for checker.Checker and records what the module built."""

    created = []

    def __init__(self, server_name, client, resolver, expected=None, certificate_warning_days=None, deadline=None):
        FakeChecker.created.append(dict(server_name=server_name, client=client, resolver=resolver, expected=expected,
                                        certificate_warning_days=certificate_warning_days, deadline=deadline))

    def run(self):
        return dict(RESULT)


@pytest.fixture(autouse=True)
def fake_checker(monkeypatch):
    monkeypatch.setattr(matrix_wellknown_info, 'Checker', FakeChecker)
    FakeChecker.created = []


def run(args, check_mode=False):
    return run_module(matrix_wellknown_info.main, args, check_mode=check_mode)


@pytest.mark.parametrize('check_mode', [False, True])
def test_runs_the_checker_and_never_changes_anything(check_mode):
    result, failed = run(dict(server_name='example.com'), check_mode)
    assert not failed
    assert result == dict(RESULT, changed=False)
    created = FakeChecker.created[0]
    assert created['server_name'] == 'example.com'
    assert created['expected'] is None
    assert created['client'].timeout == 10.0
    assert created['resolver'].nameservers == []
    assert created['certificate_warning_days'] == 14
    # One deadline for the checker and every request of its client, 120 seconds from the start.
    assert created['deadline'] == created['client'].deadline
    assert 90 < created['deadline'] - time.monotonic() <= 120


def test_options_reach_the_client_and_resolver():
    result, failed = run(dict(server_name='example.com:8448', timeout=2.5, validate_certs=False, certificate_warning_days=30,
                              connect_to=['example.com:443:127.0.0.1:8443'], nameservers=['127.0.0.1:5353'],
                              expected=dict(client={'m.homeserver': {'base_url': 'https://matrix.example.com'}})))
    assert not failed
    created = FakeChecker.created[0]
    assert created['client'].destination('example.com', 443) == ('127.0.0.1', 8443)
    assert created['client'].timeout == 2.5
    assert created['client'].validate_certs is False
    assert created['resolver'].nameservers == [('127.0.0.1', 5353)]
    assert created['resolver'].timeout == 2.5
    assert created['expected']['client'] == {'m.homeserver': {'base_url': 'https://matrix.example.com'}}
    assert created['expected']['server'] is None
    assert created['certificate_warning_days'] == 30


@pytest.mark.parametrize('args, text', [
    (dict(server_name='https://example.com'), 'server_name'),
    (dict(server_name='example.com:99999'), 'server_name'),
    (dict(server_name='example.com', timeout=0), 'timeout'),
    # Numbers a socket timeout cannot hold (it overflowed with a traceback), and nan.
    (dict(server_name='example.com', timeout=1e300), 'timeout must be a number of seconds greater than 0 and at most 3600'),
    (dict(server_name='example.com', timeout='nan'), 'timeout must be a number of seconds greater than 0 and at most 3600'),
    (dict(server_name='example.com', timeout='1e400'), 'timeout must be a number of seconds greater than 0'),
    (dict(server_name='example.com', deadline=0), 'deadline must be a number of seconds greater than 0 and at most 86400'),
    (dict(server_name='example.com', deadline='inf'), 'deadline must be a number of seconds greater than 0'),
    (dict(server_name='example.com', certificate_warning_days=-1), 'certificate_warning_days'),
    (dict(server_name='example.com', connect_to=['example.com:443:127.0.0.1']), 'connect_to'),
    (dict(server_name='example.com', connect_to=['example.com:443:127.0.0.1:x']), 'CONNECT_PORT'),
    (dict(server_name='example.com', nameservers=['dns.example.com']), 'nameservers'),
    (dict(server_name='example.com', expected=dict(mautrix={})), 'mautrix'),
    (dict(server_name='example.com', ca_path='/nonexistent/ca.pem'), 'ca_path'),
])
def test_invalid_options_fail_naming_the_option(args, text):
    result, failed = run(args)
    assert failed
    assert text in result['msg']
    assert FakeChecker.created == []


def test_nameservers_without_dnspython_fail_naming_the_library_and_the_option(monkeypatch):
    monkeypatch.setattr(matrix_wellknown_info, 'HAS_DNSPYTHON', False)
    monkeypatch.setattr(matrix_wellknown_info, 'DNSPYTHON_IMPORT_ERROR', 'Traceback: No module named dns')
    result, failed = run(dict(server_name='example.com', nameservers=['127.0.0.1']))
    assert failed
    assert 'Failed to import the required Python library (dnspython)' in result['msg']
    assert 'nameservers' in result['msg']
    assert result['exception'] == 'Traceback: No module named dns'
    assert FakeChecker.created == []


def test_without_dnspython_and_without_nameservers_the_check_runs(monkeypatch):
    # SRV lookups then report dns-library-missing in the result; the task does not fail.
    monkeypatch.setattr(matrix_wellknown_info, 'HAS_DNSPYTHON', False)
    result, failed = run(dict(server_name='example.com'))
    assert not failed
    assert len(FakeChecker.created) == 1


@pytest.mark.parametrize('server_name', ['https://example.com', 'example.com:99999', 'exa mple.com'])
def test_the_module_and_the_checker_word_the_server_name_rule_alike(server_name):
    result, failed = run(dict(server_name=server_name))
    assert failed
    with pytest.raises(ValueError) as info:
        checker.Checker(server_name, None, None)
    assert result['msg'] == str(info.value)
