# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reload the matrix_wellknown module runs itself: owed until it succeeds, bounded, rolled back on failure.

Reload commands are small real programs (a shell script that appends to a log and exits with a code the test
chose), so what ran and how often is read from that log.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import _transaction as transaction
from ansible_collections.matrix.wellknown.plugins.modules import matrix_wellknown

from module_runner import real_module, run_module

SERVER = {'m.server': 'matrix.example.com:443'}
NEW_SERVER = {'m.server': 'matrix.example.org:443'}
# Exits with the code found in the file named by $2 (0 when absent), after appending a line to the log $1.
RELOAD = '''#!/bin/sh
echo reload >> "$1"
code=0
[ -f "$2" ] && code=$(cat "$2")
echo "reload said $code"
exit "$code"
'''


@pytest.fixture
def host(tmp_path):
    (tmp_path / 'conf').mkdir()
    script = tmp_path / 'reload.sh'
    script.write_text(RELOAD)
    script.chmod(0o755)
    return tmp_path


def arguments(host, config='# config 1\n', server=None, **webserver):
    options = dict({'server': 'nginx', 'path': str(host / 'conf' / 'site.conf'), 'content': config, 'validate': False,
                    'reload_command': '%s %s %s' % (host / 'reload.sh', host / 'reloads.log', host / 'exit-code')},
                   **webserver)
    return {'path': str(host / 'wk'), 'server': server or SERVER, '_webserver': options}


def reloads(host):
    log = host / 'reloads.log'
    return len(log.read_text().splitlines()) if log.exists() else 0


def marker(host):
    return host / 'conf' / '.site.conf.reload-owed'


def test_a_change_reloads_once_and_a_rerun_does_not(host):
    result, failed = run_module(matrix_wellknown.main, arguments(host))
    assert not failed, result
    assert result['changed'] and result['webserver']['reloaded'] and reloads(host) == 1
    assert result['webserver']['reload_output'] == 'reload said 0'
    assert not marker(host).exists()
    again, failed = run_module(matrix_wellknown.main, arguments(host))
    assert not failed and not again['changed'] and not again['webserver']['reload'] and reloads(host) == 1


def test_a_document_alone_needs_no_reload_of_nginx(host):
    run_module(matrix_wellknown.main, arguments(host))
    result, failed = run_module(matrix_wellknown.main, arguments(host, server=NEW_SERVER))
    assert not failed and result['changed'] and not result['webserver']['reload'] and reloads(host) == 1


def test_an_owed_reload_is_done_by_the_next_run_even_with_nothing_to_write(host):
    """A marker left by a run that never reloaded (killed, or its reload failed): the next run reloads."""
    run_module(matrix_wellknown.main, arguments(host))
    marker(host).write_bytes(transaction.MARKER_CONTENT)
    checked, failed = run_module(matrix_wellknown.main, arguments(host), check_mode=True)
    assert not failed and checked['changed'] and checked['webserver']['reload'] and reloads(host) == 1
    assert marker(host).exists()
    result, failed = run_module(matrix_wellknown.main, arguments(host))
    assert not failed and result['changed'] and result['webserver']['reloaded'] and reloads(host) == 2
    assert not marker(host).exists()


def test_a_failed_reload_puts_everything_back_and_reloads_with_it(host):
    run_module(matrix_wellknown.main, arguments(host))
    config = host / 'conf' / 'site.conf'
    document = host / 'wk' / 'server'
    os.chmod(str(document), 0o640)
    before = config.read_bytes(), document.read_bytes()
    (host / 'exit-code').write_text('3')
    result, failed = run_module(matrix_wellknown.main, arguments(host, '# config 2\n', server=NEW_SERVER))
    assert failed and result['changed']
    assert result['msg'].startswith('The reload of nginx failed: ')
    assert 'exited with 3' in result['msg'] and 'reload said 3' in result['msg']
    assert (config.read_bytes(), document.read_bytes()) == before
    assert oct(os.stat(str(document)).st_mode & 0o777) == oct(0o640)
    # The second reload (with the old files) failed too: still owed.
    assert reloads(host) == 3 and marker(host).exists()
    assert 'failed too' in result['msg'] and 'the next run reloads' in result['msg']
    (host / 'exit-code').write_text('0')
    result, failed = run_module(matrix_wellknown.main, arguments(host))
    assert not failed and result['changed'] and not result['webserver']['changed'] and reloads(host) == 4
    assert not marker(host).exists()


def test_a_failed_reload_of_a_new_config_removes_it(host):
    (host / 'exit-code').write_text('1')
    result, failed = run_module(matrix_wellknown.main, arguments(host))
    assert failed
    assert not (host / 'conf' / 'site.conf').exists() and os.listdir(str(host / 'wk')) == []


def test_a_reload_that_hangs_is_stopped_with_what_it_started(host):
    child_pid = host / 'child.pid'
    # The command starts a child in its process group, then waits: both must be gone after the bound.
    command = '%s -c %s' % (sys.executable, shlex.quote(
        'import subprocess, sys, time\n'
        'child = subprocess.Popen(["sleep", "3600"])\n'
        'open(%r, "w").write(str(child.pid))\n'
        'print("stuck"); sys.stdout.flush(); time.sleep(3600)' % str(child_pid)))
    result, failed = run_module(matrix_wellknown.main, arguments(host, reload_command=command, reload_timeout=1))
    assert failed
    assert 'did not finish' in result['msg'] and 'after 1 seconds (_webserver.reload_timeout)' in result['msg']
    assert 'It printed:\nstuck' in result['msg']
    assert not (host / 'conf' / 'site.conf').exists() and marker(host).exists()
    pid = int(child_pid.read_text())
    state = subprocess.run(['ps', '-o', 'stat=', '-p', str(pid)], capture_output=True, text=True, check=False).stdout
    # Gone, or a zombie (Z, with N under nice) that its parent has not reaped yet.
    assert state.strip()[:1] in ('', 'Z'), state


@pytest.mark.parametrize('options, message', [
    ({'lock_timeout': -1}, 'lock_timeout -1 is negative'),
    ({'webserver_reload_timeout': 0}, '_webserver.reload_timeout 0 is not a number of seconds'),
    ({'webserver_reload_command': "systemctl reload 'nginx"}, '_webserver.reload_command "systemctl reload \'nginx" cannot be split'),
])
def test_bad_reload_and_lock_options_are_refused_before_anything_is_written(host, options, message):
    args = arguments(host)
    for key, value in options.items():
        if key.startswith('webserver_'):
            args['_webserver'][key[len('webserver_'):]] = value
        else:
            args[key] = value
    result, failed = run_module(matrix_wellknown.main, args)
    assert failed and message in result['msg'], result['msg']
    assert os.listdir(str(host / 'conf')) == [] and not (host / 'wk').exists()


def test_holders_reads_proc_locks_for_the_directory(tmp_path):
    locks = tmp_path / 'locks'
    stat = os.stat(str(tmp_path))
    key = '%02x:%02x:%d' % (os.major(stat.st_dev), os.minor(stat.st_dev), stat.st_ino)
    locks.write_text('1: POSIX  ADVISORY  WRITE 11 %s 0 EOF\n'
                     '2: FLOCK  ADVISORY  WRITE 1234 %s 0 EOF\n'
                     '2: -> FLOCK  ADVISORY  WRITE 5678 %s 0 EOF\n'
                     '3: FLOCK  ADVISORY  WRITE 99 00:01:%d 0 EOF\n' % (key, key, key, stat.st_ino + 1))
    handle = os.open(str(tmp_path), os.O_RDONLY)
    try:
        assert transaction.holders(handle, str(locks)) == [1234]
        # Another device number for the same inode (an overlay): the inode alone, when only one process has it.
        locks.write_text('2: FLOCK  ADVISORY  WRITE 77 ff:ff:%d 0 EOF\n' % stat.st_ino)
        assert transaction.holders(handle, str(locks)) == [77]
        assert transaction.holders(handle, str(tmp_path / 'missing')) == []
    finally:
        os.close(handle)
    assert transaction.describe_holders([]) == 'another process'


def test_run_bounded_does_not_wait_for_a_daemon_holding_its_output(tmp_path):
    """A reload that starts a server in the background (which keeps stdout open) returns when the command ends."""
    pid_file = tmp_path / 'daemon.pid'
    script = 'import subprocess; p = subprocess.Popen(["sleep", "30"], start_new_session=True); ' \
             'open(%r, "w").write(str(p.pid)); print("started")' % str(pid_file)
    try:
        rc, output, finished = transaction.run_bounded(real_module(), [sys.executable, '-c', script], 10)
        assert (rc, output, finished) == (0, 'started', True)
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), 9)


def test_run_bounded_reports_a_command_that_cannot_start(tmp_path):
    rc, output, finished = transaction.run_bounded(real_module(), [str(tmp_path / 'missing')], 5)
    assert rc == 127 and finished and output.startswith('cannot run %s' % (tmp_path / 'missing'))


def test_a_rollback_that_cannot_put_everything_back_says_so_and_keeps_the_reload_owed(host):
    """The reload fails and, meanwhile, the documents' directory became immutable (chattr +i): what could not be
    put back is named, nothing is reloaded with a half-restored set, and the reload stays owed."""
    if os.geteuid() != 0 or not shutil.which('chattr'):
        pytest.skip('needs root and chattr')
    run_module(matrix_wellknown.main, arguments(host))
    wk = host / 'wk'
    failing = host / 'lock-and-fail.sh'
    failing.write_text('#!/bin/sh\nchattr +i "$1" || exit 99\necho "no"\nexit 1\n')
    failing.chmod(0o755)
    try:
        result, failed = run_module(matrix_wellknown.main, arguments(
            host, '# config 2\n', server=NEW_SERVER, reload_command='%s %s' % (failing, wk)))
    finally:
        subprocess.run(['chattr', '-i', str(wk)], check=False)
    if 'exited with 99' in result.get('msg', ''):
        pytest.skip('chattr +i is not supported here')
    assert failed, result
    assert 'Putting the previous files back failed for some of them (cannot put back %s' % (wk / 'server') in result['msg']
    assert 'put back: %s' % (host / 'conf' / 'site.conf') in result['msg']
    assert (host / 'conf' / 'site.conf').read_text() == '# config 1\n' and marker(host).exists()
