# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""One change at a time, and a reload that is never lost: the lock, the reload-owed marker, the bounded reload.

The module plans, checks, writes and reloads while it holds ``Lock`` on the directories it changes, so a
second run decides what changed only once the first one is done. Before a change that needs a reload replaces
anything, ``write_marker`` records that a reload is owed, beside the config; only a reload that succeeded
removes it (``clear_marker``), so a run that was killed, or whose reload failed, leaves it for the next run.
``run_command_bounded`` runs a command with a time limit: the server's checks, and the reload (``run_bounded``).
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
import time

from ansible.module_utils.common.text.converters import to_native, to_text

from ansible_collections.matrix.wellknown.plugins.module_utils._files import PlanError

POLL_SECONDS = 0.2
OUTPUT_LIMIT = 65536
# Seconds between the TERM a bounded command gets at its bound and the KILL, for a command that ignores TERM.
KILL_AFTER = 5
# A comment in the syntax of every server this collection configures: a server that includes every file of the
# directory (Caddy's "import dir/*" also reads dot files) still loads the marker as an empty config.
MARKER_CONTENT = (b'# matrix.wellknown: the web server must reload to serve the config beside this file. Written\n'
                  b'# before the config was replaced; removed once a reload succeeded. The next run reloads.\n')


def _lock_key(stat):
    return '%02x:%02x:%d' % (os.major(stat.st_dev), os.minor(stat.st_dev), stat.st_ino)


def holders(handle, locks_file='/proc/locks'):
    """The PIDs holding a flock on the file open as ``handle`` (Linux's /proc/locks), or [] when unknown."""
    stat = os.fstat(handle)
    key = _lock_key(stat)
    exact, same_inode = [], []
    try:
        with open(locks_file) as stream:
            lines = stream.readlines()
    except (IOError, OSError):
        return []
    for line in lines:
        # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiting requests have "->" after the number.
        fields = line.split()
        if len(fields) < 6 or fields[1] != 'FLOCK' or not fields[4].isdigit():
            continue
        if fields[5] == key:
            exact.append(int(fields[4]))
        elif fields[5].rsplit(':', 1)[-1] == str(stat.st_ino):
            same_inode.append(int(fields[4]))
    # Some filesystems (overlays) report another device than stat() does: the inode alone, when it is unambiguous.
    found = exact or (same_inode if len(set(same_inode)) == 1 else [])
    return sorted(set(pid for pid in found if pid > 0))


def describe_holders(pids):
    if not pids:
        return 'another process'
    return 'PID %s' % ' and '.join(str(pid) for pid in pids)


class Lock(object):
    """Exclusive flocks on directories, taken one by one, with one deadline for all of them.

    Callers take the web server config's directory before the documents' directory, never the other way round,
    so two runs never wait for each other in a circle. A lock dies with the process that holds it (even on kill -9).
    """

    def __init__(self, timeout, log=None):
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.log = log
        self.handles = []
        self.keys = set()
        self.waits = []

    def acquire(self, directory):
        """Lock ``directory``; a directory already locked (under another name) is not locked twice."""
        try:
            handle = os.open(directory, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
        except OSError as exc:
            raise PlanError('cannot lock %s: %s' % (directory, to_native(exc.strerror or exc)))
        key = _lock_key(os.fstat(handle))
        if key in self.keys:
            os.close(handle)
            return
        started = None
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except (IOError, OSError) as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                        raise PlanError('cannot lock %s: %s' % (directory, to_native(exc.strerror or exc)))
                holder = describe_holders(holders(handle))
                now = time.monotonic()
                if started is None:
                    started = now
                    if self.log is not None:
                        self.log('waiting for the lock on %s held by %s' % (directory, holder))
                if now >= self.deadline:
                    raise PlanError(
                        'gave up after %d seconds waiting for the lock on %s held by %s (lock_timeout): another run '
                        'is changing these files, or a process stopped or hung while it held the lock. Find out what '
                        '%s is doing; the lock is released when it ends' % (self.timeout, directory, holder, holder))
                time.sleep(min(POLL_SECONDS, self.deadline - now))
        except BaseException:
            os.close(handle)
            raise
        self.handles.append(handle)
        self.keys.add(key)
        if started is not None:
            self.waits.append('waited %.1f seconds for the lock on %s held by %s'
                              % (time.monotonic() - started, directory, holder))

    def release(self):
        while self.handles:
            os.close(self.handles.pop())
        self.keys.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.release()


def marker_path(config_path):
    """The reload-owed marker of a config: a dot file beside it."""
    directory, name = os.path.split(config_path)
    return os.path.join(directory, '.%s.reload-owed' % name)


def _sync_directory(directory):
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def write_marker(path):
    """Record, durably, that a reload is owed (before the config is replaced)."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, 'O_NOFOLLOW', 0), 0o600)
        try:
            os.write(handle, MARKER_CONTENT)
            os.fsync(handle)
        finally:
            os.close(handle)
    except OSError as exc:
        raise PlanError('cannot write %s, which records that a reload is owed: %s'
                        % (path, to_native(exc.strerror or exc)))
    _sync_directory(os.path.dirname(path))


def clear_marker(path):
    try:
        os.unlink(path)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise PlanError('cannot remove %s after the reload: %s' % (path, to_native(exc.strerror or exc)))
    _sync_directory(os.path.dirname(path))


def run_command_bounded(module, argv, timeout, cwd=None, environment=None, output_file=False):
    """Run ``argv`` (no shell) through ``module.run_command`` for at most ``timeout`` seconds; return (rc, out, err)
    as text, rc None when the command was stopped at the bound.

    The command runs under coreutils' ``timeout``, which stops it with every process it started (its process group):
    TERM at the bound, KILL ``KILL_AFTER`` seconds later. With ``output_file``, standard output and error go together
    to a temporary file (read back as ``out``, at most ``OUTPUT_LIMIT`` bytes) instead of a pipe: a daemon the command
    starts (a reload) may keep a pipe open, and must not hold the run.
    """
    bound = ['timeout', '--kill-after=%d' % KILL_AFTER, str(timeout)]
    environment = environment or {}
    if not output_file:
        rc, out, err = module.run_command(bound + list(argv), cwd=cwd, environ_update=environment, check_rc=False)
        out = to_text(out, errors='surrogate_or_replace')
    else:
        handle, path = tempfile.mkstemp(prefix='matrix-wellknown-reload-')
        os.close(handle)
        try:
            # sh only redirects and execs the command: its arguments are never parsed by the shell.
            rc, dummy, err = module.run_command(
                bound + ['sh', '-c', 'exec "$@" >"$0" 2>&1 </dev/null', path] + [to_text(arg) for arg in argv],
                cwd=cwd, environ_update=environment, check_rc=False)
            with open(path, 'rb') as output:
                out = to_text(output.read(OUTPUT_LIMIT), errors='surrogate_or_replace')
        finally:
            os.unlink(path)
    # 124: stopped at the bound; 137: killed after it (128 + KILL).
    return (None if rc in (124, 137) else rc), out, to_text(err, errors='surrogate_or_replace')


def run_bounded(module, argv, timeout):
    """Run the reload command ``argv`` for at most ``timeout`` seconds; return (rc, output, finished).

    Its output goes to a file, not a pipe (``run_command_bounded``'s ``output_file``).
    """
    rc, text, err = run_command_bounded(module, argv, timeout, output_file=True)
    text = text.strip()
    if rc is None:
        return None, text, False
    if rc == 127:
        # As a shell reports a command it cannot run (sh's own message, or timeout's when it cannot start sh).
        text = 'cannot run %s: %s' % (argv[0], text or err.strip() or 'not found')
    return rc, text, True
