# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The matrix_wellknown module killed half-way, and files that would block or exhaust a reader.

The module runs as Ansible runs it (a separate Python process reading its arguments from a file). The kill
comes at a point the test controls: inside the first fsync of a write, held there by strace (``inject=fsync:
delay_enter``), or while the web server's check runs (a wrapper around the real nginx that waits to be let go).
"""

from __future__ import annotations

import glob
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time

import pytest

from helpers import NEW, OLD, WELLKNOWN_MODULE, collections_root, expected_bytes, program, state_of


def args_file(tmp_path, label, **args):
    path = tmp_path / ('%s.json' % label)
    path.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    return str(path)


def environment(tmp_path, **extra):
    temp = tmp_path / 'tmp'
    temp.mkdir(exist_ok=True)
    # The check's staging directories go to TMPDIR: the test's own, so only its runs are counted.
    return dict(os.environ, PYTHONPATH=collections_root(), TMPDIR=str(temp), **extra)


def start(args, env, prefix=(), **kwargs):
    return subprocess.Popen(list(prefix) + [sys.executable, '-m', WELLKNOWN_MODULE, args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kwargs)


def finish(process, timeout=60):
    """The module's JSON result; a module that does not end in time is killed and fails the test."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError('the module still ran after %d seconds: it blocked' % timeout)
    try:
        return json.loads(out)
    except ValueError:
        raise AssertionError('rc %d, no result:\n%s\n%s' % (process.returncode, out, err))


def wait_for(condition, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError('%s did not happen within %d seconds' % (what, timeout))


def temporaries(directory):
    return sorted(name for name in os.listdir(str(directory)) if name.startswith('.'))


def is_running(pid):
    """Whether the process exists and is not a zombie."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def traced_child(strace):
    """The PID of the module strace runs (strace also forks short-lived helpers of its own first)."""
    def child():
        try:
            with open('/proc/%d/task/%d/children' % (strace.pid, strace.pid)) as handle:
                pids = handle.read().split()
        except OSError:
            return None
        for pid in pids:
            try:
                with open('/proc/%s/cmdline' % pid, 'rb') as handle:
                    argv = handle.read().split(b'\0')
                # Once exec'd: strace's own forks carry strace's command line.
                if argv[0] == sys.executable.encode() and WELLKNOWN_MODULE.encode() in argv:
                    return int(pid)
            except OSError:
                continue
        return None
    return wait_for(child, 'strace starting the module')


@pytest.mark.parametrize('next_run', ['unchanged', 'changed'])
def test_a_run_killed_inside_a_write_leaves_nothing_half_served_and_the_next_run_tidies(tmp_path, next_run):
    target = tmp_path / 'wk'
    env = environment(tmp_path)
    old = args_file(tmp_path, 'old', path=str(target), **OLD)
    new = args_file(tmp_path, 'new', path=str(target), **NEW)
    assert finish(start(old, env))['changed'] is True
    # Every fsync of the run is held for a minute: the first is that of the first temporary file, fully written.
    strace = start(new, env, prefix=[program('strace'), '-f', '-qq', '-o', '/dev/null', '-e', 'trace=fsync',
                                     '-e', 'inject=fsync:delay_enter=60s'])
    try:
        module = traced_child(strace)
        [temp] = wait_for(lambda: temporaries(target), 'a temporary file')
        # The SIGKILL is pending while strace holds the module in the syscall; ending strace lets it act, before
        # the module runs another instruction.
        os.kill(module, signal.SIGKILL)
        strace.kill()
        strace.communicate(timeout=30)
        wait_for(lambda: not is_running(module), 'the kill')
    finally:
        if strace.poll() is None:
            strace.kill()
            strace.communicate()
    info = os.stat(str(target / temp))
    # What a kill leaves is readable by its owner (root) alone: a web server never serves half a document.
    assert stat.S_IMODE(info.st_mode) & 0o077 == 0 and info.st_uid == os.geteuid()
    assert state_of(target) == dict({'client': expected_bytes(OLD['client']), 'server': expected_bytes(OLD['server'])},
                                    **{temp: (target / temp).read_bytes()})
    result = finish(start(old if next_run == 'unchanged' else new, env))
    assert result.get('failed') is not True, result
    assert result['changed'] is (next_run == 'changed')
    final = OLD if next_run == 'unchanged' else NEW
    assert state_of(target) == {'client': expected_bytes(final['client']), 'server': expected_bytes(final['server'])}


def staging_directories(tmp_path):
    return sorted(os.path.basename(path) for path in glob.glob(str(tmp_path / 'tmp' / 'matrix-wellknown-check-*')))


def held_check(tmp_path, label):
    """A stand-in for nginx that says it runs, waits until its go file appears, then runs the real nginx."""
    script = tmp_path / ('nginx-%s' % label)
    script.write_text('#!/bin/sh\necho $$ > %s\nwhile [ ! -e %s ]; do sleep 0.05; done\nexec %s "$@"\n'
                      % (tmp_path / ('%s.pid' % label), tmp_path / ('%s.go' % label), program('nginx')))
    script.chmod(0o755)
    return str(script)


def site_args(tmp_path, label, binary):
    """A change of documents and an nginx config, checked with ``binary``."""
    (tmp_path / label).mkdir(exist_ok=True)
    root = tmp_path / label / 'public'
    return args_file(tmp_path, label, path=str(root / '.well-known' / 'matrix'), **dict(NEW, _webserver=dict(
        server='nginx', path=str(tmp_path / label / 'matrix.conf'), binary=binary,
        content='server {\n    listen 127.0.0.1:8448;\n    root %s;\n}\n' % root)))


def test_a_run_killed_during_the_check_leaves_a_staging_directory_the_next_run_removes(tmp_path):
    env = environment(tmp_path)
    killed = start(site_args(tmp_path, 'killed', held_check(tmp_path, 'killed')), env)
    holder = None
    try:
        holder = int(wait_for(lambda: (tmp_path / 'killed.pid').exists() and (tmp_path / 'killed.pid').read_text(),
                              'the check of the killed run'))
        os.kill(killed.pid, signal.SIGKILL)
        killed.communicate(timeout=30)
    finally:
        if killed.poll() is None:
            killed.kill()
            killed.communicate()
        if holder:
            os.kill(holder, signal.SIGKILL)
    [left] = staging_directories(tmp_path)
    assert stat.S_IMODE(os.stat(str(tmp_path / 'tmp' / left)).st_mode) == 0o700
    # A run whose check is under way while the next run tidies: its directory is kept.
    live = start(site_args(tmp_path, 'live', held_check(tmp_path, 'live')), env)
    try:
        wait_for(lambda: (tmp_path / 'live.pid').exists() and (tmp_path / 'live.pid').read_text(), 'the live check')
        [live_directory] = [name for name in staging_directories(tmp_path) if name != left]
        result = finish(start(site_args(tmp_path, 'next', program('nginx')), env))
        assert result.get('failed') is not True and result['webserver']['validated'] is True, result
        assert staging_directories(tmp_path) == [live_directory]
    finally:
        (tmp_path / 'live.go').write_text('')
    result = finish(live)
    assert result.get('failed') is not True and result['webserver']['validated'] is True, result
    assert staging_directories(tmp_path) == []


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_a_link_to_dev_zero_at_a_document_path_is_replaced_without_reading_it(tmp_path):
    target = tmp_path / 'wk'
    target.mkdir()
    os.symlink('/dev/zero', str(target / 'client'))
    result = finish(start(args_file(tmp_path, 'new', path=str(target), **NEW), environment(tmp_path),
                          preexec_fn=limit_memory))
    assert result.get('failed') is not True, result
    assert result['states'] == {'client': 'updated', 'server': 'created'}
    assert state_of(target) == {'client': expected_bytes(NEW['client']), 'server': expected_bytes(NEW['server'])}


def test_a_fifo_at_a_document_path_never_blocks_the_run(tmp_path):
    target = tmp_path / 'wk'
    target.mkdir()
    os.mkfifo(str(target / 'server'))
    result = finish(start(args_file(tmp_path, 'new', path=str(target), **NEW), environment(tmp_path)), timeout=30)
    assert result.get('failed') is not True, result
    assert result['states'] == {'client': 'created', 'server': 'updated'}
    assert state_of(target) == {'client': expected_bytes(NEW['client']), 'server': expected_bytes(NEW['server'])}


def test_strace_can_hold_a_syscall_here():
    """The kill tests need strace's fault injection (make system-deps installs strace)."""
    assert shutil.which('strace'), 'strace is not installed: run make system-deps'
