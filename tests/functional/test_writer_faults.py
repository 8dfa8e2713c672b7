# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real faults for the matrix_wellknown module: a full filesystem, a read-only one, concurrent runs.

The module runs as Ansible runs it (a separate Python process reading its arguments from a file).
Full and read-only filesystems are real tmpfs mounts inside a private mount namespace (unshare -m),
so nothing outside the test's temporary directory is touched.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time

from helpers import NEW, OLD, WELLKNOWN_MODULE, collections_root, expected_bytes, state_of


def write_args(directory, name, target, documents):
    path = os.path.join(str(directory), name)
    with open(path, 'w') as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': dict(documents, path=target)}, handle)
    return path


def module_command(args_file):
    return '%s -m %s %s' % (sys.executable, WELLKNOWN_MODULE, args_file)


def run_in_namespace(tmp_path, script):
    """Run a shell script in a private mount namespace with a 64 KiB tmpfs mounted on $MNT.

    The documents live in $MNT/wk; the module's argument files name that directory.
    """
    mnt = tmp_path / 'mnt'
    out = tmp_path / 'out'
    mnt.mkdir()
    out.mkdir()
    env = dict(os.environ, PYTHONPATH=collections_root(), MNT=str(mnt), OUT=str(out))
    prologue = 'set -e\nmount -t tmpfs -o size=64k,mode=0755 tmpfs "$MNT"\n'
    # Copy what the mount holds to $OUT before the namespace (and the tmpfs) goes away.
    epilogue = '\nmkdir -p "$OUT/state"; cp -a "$MNT/wk/." "$OUT/state/"\n'
    proc = subprocess.run(['unshare', '-m', 'sh', '-c', prologue + script + epilogue], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return out


def old_and_new_args(tmp_path):
    target = str(tmp_path / 'mnt' / 'wk')
    return write_args(tmp_path, 'old.json', target, OLD), write_args(tmp_path, 'new.json', target, NEW)


def test_full_filesystem_fails_clearly_and_keeps_old_documents(tmp_path):
    old_args, new_args = old_and_new_args(tmp_path)
    script = '''
%(run_old)s > "$OUT/old-result.json"
dd if=/dev/zero of="$MNT/filler" bs=1024 2>/dev/null || true
%(run_new)s > "$OUT/new-result.json" || true
''' % dict(run_old=module_command(old_args), run_new=module_command(new_args))
    out = run_in_namespace(tmp_path, script)
    assert json.loads((out / 'old-result.json').read_text())['changed'] is True
    result = json.loads((out / 'new-result.json').read_text())
    assert result.get('failed') is True
    assert 'no space left on the device' in result['msg'], result['msg']
    # Whichever document hit the full disk first, both must still be the old ones, whole,
    # with no temporary file left behind.
    assert state_of(out / 'state') == {'client': expected_bytes(OLD['client']), 'server': expected_bytes(OLD['server'])}


def test_read_only_filesystem_fails_clearly_and_keeps_old_documents(tmp_path):
    old_args, new_args = old_and_new_args(tmp_path)
    script = '''
%(run_old)s > /dev/null
mount -o remount,ro "$MNT"
%(run_new)s > "$OUT/new-result.json" || true
%(run_old)s > "$OUT/same-result.json" || true
''' % dict(run_old=module_command(old_args), run_new=module_command(new_args))
    out = run_in_namespace(tmp_path, script)
    result = json.loads((out / 'new-result.json').read_text())
    assert result.get('failed') is True
    assert 'read-only' in result['msg'], result['msg']
    assert state_of(out / 'state') == {'client': expected_bytes(OLD['client']), 'server': expected_bytes(OLD['server'])}
    # Nothing to change: a read-only filesystem is no obstacle.
    same = json.loads((out / 'same-result.json').read_text())
    assert same.get('failed') is not True and same['changed'] is False


def test_concurrent_runs_never_leave_a_mixed_or_partial_state(tmp_path):
    target = str(tmp_path / 'wk')
    env = dict(os.environ, PYTHONPATH=collections_root())
    a_args = write_args(tmp_path, 'a.json', target, OLD)
    b_args = write_args(tmp_path, 'b.json', target, NEW)
    loop = 'for i in $(seq 15); do %s >/dev/null; done'
    runners = [subprocess.Popen(['sh', '-c', loop % module_command(args)], env=env) for args in (a_args, b_args)]
    seen = []
    try:
        while any(runner.poll() is None for runner in runners):
            # A reader in the meantime only ever sees whole documents.
            for name in ('server', 'client'):
                try:
                    with open(os.path.join(target, name), 'rb') as handle:
                        seen.append(json.loads(handle.read().decode()))
                except FileNotFoundError:
                    pass
    finally:
        for runner in runners:
            if runner.poll() is None:
                runner.kill()
    assert [runner.wait() for runner in runners] == [0, 0]
    assert seen and all(doc in (OLD['server'], OLD['client'], NEW['server'], NEW['client']) for doc in seen)
    final = state_of(tmp_path / 'wk')
    assert final in (
        {'client': expected_bytes(OLD['client']), 'server': expected_bytes(OLD['server'])},
        {'client': expected_bytes(NEW['client']), 'server': expected_bytes(NEW['server'])},
    ), final


def test_a_run_waits_for_another_run_on_the_same_directory(tmp_path):
    """Runs are serialised by a lock on the directory, so each applies its whole set of documents."""
    target = tmp_path / 'wk'
    target.mkdir()
    env = dict(os.environ, PYTHONPATH=collections_root())
    args = write_args(tmp_path, 'a.json', str(target), OLD)
    handle = os.open(str(target), os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a concurrent run holds it
        runner = subprocess.Popen(['sh', '-c', module_command(args) + ' >/dev/null'], env=env)
        try:
            time.sleep(3)
            assert runner.poll() is None, 'the run did not wait for the lock'
            assert os.listdir(str(target)) == []
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
        assert runner.wait(timeout=60) == 0
    finally:
        os.close(handle)
    assert state_of(target) == {'client': expected_bytes(OLD['client']), 'server': expected_bytes(OLD['server'])}
