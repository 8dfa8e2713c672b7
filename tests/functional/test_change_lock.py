# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two runs of matrix_wellknown at once, and a run stopped while it holds the lock.

Real module processes (a separate Python reading its arguments from a file, as Ansible runs it). A run is held
in the middle of its writes by strace, which delays every fsync it makes; the lock it holds is read from
/proc/locks, as an administrator would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from helpers import WELLKNOWN_MODULE, collections_root, program

# Run A: the state in place. Run B: every document and the config changed, and the support document added.
A = {
    'server': {'m.server': 'matrix.example.com:443'},
    'client': {'m.homeserver': {'base_url': 'https://matrix.example.com'}},
    'absent': ['support'],
}
B = {
    'server': {'m.server': 'matrix.example.org:8448'},
    'client': {'m.homeserver': {'base_url': 'https://matrix.example.org'}},
    'support': {'contacts': [{'matrix_id': '@admin:example.org', 'role': 'm.role.admin'}]},
}
CONFIG = {'A': 'server_name matrix.example.com;\n', 'B': 'server_name matrix.example.org;\n'}


def write_args(tmp_path, name, documents, config, **options):
    args = dict(documents, path=str(tmp_path / 'wk'), **options)
    args['_webserver'] = {'server': 'nginx', 'path': str(tmp_path / 'conf' / 'site.conf'), 'content': config,
                          'validate': False}
    path = tmp_path / ('%s.json' % name)
    path.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    return path


def module_argv(args_file):
    return [sys.executable, '-m', WELLKNOWN_MODULE, str(args_file)]


def slowed_argv(args_file, delay_us):
    """The module under strace, every fsync delayed: it holds its lock for as long as its writes take."""
    return [program('strace'), '-f', '-qq', '-o', '/dev/null', '-e', 'trace=fsync',
            '-e', 'inject=fsync:delay_enter=%d' % delay_us] + module_argv(args_file)


def start(argv):
    env = dict(os.environ, PYTHONPATH=collections_root())
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process, timeout):
    out, err = process.communicate(timeout=timeout)
    try:
        result = json.loads(out)
    except ValueError:
        result = {'failed': True, 'msg': 'no JSON result: %s %s' % (out, err)}
    return process.returncode, result, out + err


def lock_holders(directory):
    """PIDs holding a flock on ``directory`` (granted locks only, not waiters), read from /proc/locks."""
    stat = os.stat(str(directory))
    key = '%02x:%02x:%d' % (os.major(stat.st_dev), os.minor(stat.st_dev), stat.st_ino)
    with open('/proc/locks') as locks:
        return [int(fields[4]) for fields in (line.split() for line in locks)
                if len(fields) > 5 and fields[1] == 'FLOCK' and fields[5] == key]


def wait_for_lock(directory, process, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holders = lock_holders(directory)
        if holders:
            return holders
        assert process.poll() is None, 'the run ended before it was seen holding the lock: %s' % (process.communicate(),)
        time.sleep(0.01)
    raise AssertionError('nobody took the lock on %s' % directory)


def children(pid):
    with open('/proc/%d/task/%d/children' % (pid, pid)) as handle:
        return [int(child) for child in handle.read().split()]


def kill(process):
    if process.poll() is None:
        process.kill()
        process.wait()


def served(tmp_path):
    """Which run's config and documents are in place: ('A' or 'B' or '?') for each file."""
    config = (tmp_path / 'conf' / 'site.conf').read_text()
    wk = tmp_path / 'wk'
    server = json.loads((wk / 'server').read_text())['m.server']
    client = json.loads((wk / 'client').read_text())['m.homeserver']['base_url']
    state = {
        'config': [name for name, text in CONFIG.items() if text == config],
        'server': [name for name, docs in (('A', A), ('B', B)) if docs['server']['m.server'] == server],
        'client': [name for name, docs in (('A', A), ('B', B)) if docs['client']['m.homeserver']['base_url'] == client],
        'support': ['B'] if (wk / 'support').exists() else ['A'],
    }
    return dict((name, found[0] if found else '?') for name, found in state.items())


@pytest.fixture
def setup(tmp_path):
    (tmp_path / 'conf').mkdir()
    a_args = write_args(tmp_path, 'a', A, CONFIG['A'])
    b_args = write_args(tmp_path, 'b', B, CONFIG['B'])
    code, result, output = finish(start(module_argv(a_args)), 60)
    assert code == 0, output
    return a_args, b_args


def test_a_run_that_waited_decides_again_under_the_lock(tmp_path, setup):
    """B changes every document and the config; A (no change from what is in place) starts while B writes.
    A must re-read everything once it has the lock: both succeed, and the end state is one run's, whole."""
    a_args, b_args = setup
    runner_b = start(slowed_argv(b_args, 700000))
    runner_a = None
    try:
        wait_for_lock(tmp_path / 'wk', runner_b)
        holder = children(runner_b.pid)
        runner_a = start(module_argv(a_args))
        code_b, result_b, output_b = finish(runner_b, 120)
        code_a, result_a, output_a = finish(runner_a, 120)
    finally:
        kill(runner_b)
        if runner_a is not None:
            kill(runner_a)
    assert 'Errno' not in output_a + output_b
    assert (code_a, code_b) == (0, 0), output_a + output_b
    # A ran last, with the lock: everything is A's again (B's config included), and A said it changed it back.
    assert served(tmp_path) == {'config': 'A', 'server': 'A', 'client': 'A', 'support': 'A'}
    assert result_a['changed'] and result_a['webserver']['changed']
    assert result_a['states'] == {'client': 'updated', 'server': 'updated', 'support': 'removed'}
    assert sorted(os.listdir(str(tmp_path / 'wk'))) == ['client', 'server']
    # A says whom it waited for.
    # (ansible-core 2.19 gives each warning as a summary holding an event with its message)
    warnings = [warning if isinstance(warning, str) else warning.get('event', warning).get('msg', '')
                for warning in result_a.get('warnings', [])]
    waits = [warning for warning in warnings if warning.startswith('waited ')]
    assert len(waits) == 1 and waits[0].endswith('for the lock on %s held by PID %d' % (tmp_path / 'conf', holder[0])), \
        result_a.get('warnings')


def test_a_run_behind_a_stopped_holder_gives_up_naming_it(tmp_path, setup):
    """A holder stopped with SIGSTOP in the middle of its writes: the next run fails after lock_timeout, naming the
    holder's PID; once the holder is killed with SIGKILL the lock is free again."""
    a_args, b_args = setup
    waiting_args = write_args(tmp_path, 'a-waiting', A, CONFIG['A'], lock_timeout=3)
    tracer = start(slowed_argv(b_args, 2000000))
    try:
        holders = wait_for_lock(tmp_path / 'wk', tracer)
        holder = children(tracer.pid)
        assert holders == holder, (holders, holder)
        os.kill(holder[0], signal.SIGSTOP)
        started = time.monotonic()
        code, result, output = finish(start(module_argv(waiting_args)), 60)
        took = time.monotonic() - started
        assert code != 0 and result.get('failed'), output
        assert 3 <= took < 20, took
        assert 'lock on %s held by PID %d' % (tmp_path / 'conf', holder[0]) in result['msg'], result['msg']
        assert 'lock_timeout' in result['msg']
        os.kill(holder[0], signal.SIGKILL)
        tracer.wait(30)
    finally:
        kill(tracer)
    # The lock died with its holder: the run goes through, and puts A's state back whole.
    code, result, output = finish(start(module_argv(waiting_args)), 60)
    assert code == 0, output
    assert served(tmp_path) == {'config': 'A', 'server': 'A', 'client': 'A', 'support': 'A'}
