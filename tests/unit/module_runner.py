# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in-process, as Ansible would hand it its arguments, and return its result; read what it left."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from unittest import mock

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core 2.18 has no testing helper: hand the arguments over where AnsibleModule reads them.
    @contextlib.contextmanager
    def patch_module_args(args):
        """Make ``args`` the arguments the next AnsibleModule reads."""
        with mock.patch.object(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode()):
            yield


class ModuleExit(Exception):
    """Raised in place of exit_json/fail_json, carrying the result."""

    def __init__(self, result, failed):
        super().__init__(result)
        self.result = result
        self.failed = failed


def _exit_json(self, **result):
    raise ModuleExit(result, False)


def _fail_json(self, msg, **result):
    result['msg'] = msg
    raise ModuleExit(result, True)


def run_module(main, args, check_mode=False, diff=False):
    """Call ``main`` with ``args``; return (result, failed)."""
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with mock.patch.object(basic.AnsibleModule, 'exit_json', _exit_json), \
            mock.patch.object(basic.AnsibleModule, 'fail_json', _fail_json), patch_module_args(args):
        try:
            main()
        except ModuleExit as done:
            return done.result, done.failed
    raise AssertionError('the module returned without calling exit_json or fail_json')


@contextlib.contextmanager
def time_limit(seconds, what):
    """Fail the test (AssertionError: still running after ``seconds``, ``what``) instead of hanging the suite when
    the code under test blocks or spins. SIGALRM: in the main thread only."""
    def expired(signum, frame):
        raise AssertionError('still running after %d seconds: %s' % (seconds, what))
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def real_module(check_mode=True):
    """An AnsibleModule with no options, for module_utils that run commands through ``module.run_command``.

    Check mode by default: the server check's clean-up then leaves the system's temporary directory alone."""
    with patch_module_args({'_ansible_check_mode': check_mode}):
        return basic.AnsibleModule(argument_spec={}, supports_check_mode=True)


def snapshot(directory):
    """{path relative to ``directory``: bytes} of every file below it."""
    found = {}
    for root, dummy, names in os.walk(str(directory)):
        for name in names:
            with open(os.path.join(root, name), 'rb') as handle:
                found[os.path.relpath(os.path.join(root, name), str(directory))] = handle.read()
    return found
