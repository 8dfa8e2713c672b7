# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""File operations of the matrix_wellknown module: plan first, then write atomically, all or nothing.

``plan`` only reads; a ``Transaction`` writes. The module validates everything and plans every file before the
first byte is written, so bad input changes nothing.

The documents' directories usually belong to another user (MDAD gives them to ``matrix_user_name``), who can
rename, replace or link anything in them while this module runs as root. So every path is opened from ``/``
down, one component at a time, through directory file descriptors that never follow a symbolic link unless
only root (or the user running this) could have made it; names are then read, written, renamed and unlinked
relative to those descriptors. Only regular files, read without blocking and up to ``READ_LIMIT`` bytes, count
as current content: anything else at a file's path (a link, a FIFO, a device, a hard link to a file elsewhere)
is never read or shown, only replaced.
"""

from __future__ import annotations

import binascii
import collections
import errno
import grp
import os
import pwd
import re
import stat
import time

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.matrix.wellknown.plugins.module_utils._servers import MANAGED_PREFIX

CREATED = 'created'
UPDATED = 'updated'
UNCHANGED = 'unchanged'
REMOVED = 'removed'
ALREADY_ABSENT = 'absent'

# The most this module reads of a file it may replace; a document is at most 50 KiB, a config or bundle far less.
READ_LIMIT = 1024 * 1024
# Temporary files and rollback copies beside a target: ``.<name>.matrix-wellknown.<pid>.<token>.tmp|.old``.
# The next run removes those of a run that is gone (killed half-way), recognised by exactly this shape.
TEMP_TAG = 'matrix-wellknown'
_LEFTOVER = re.compile(r'^\.(?P<name>.+)\.%s\.(?P<pid>[0-9]+)\.[0-9a-f]{12}\.(?:tmp|old)\Z' % TEMP_TAG)
# What tempfile.mkstemp made before (``.<name>.XXXXXXXX.tmp``): removed when an hour old, for the names we write.
_LEGACY_LEFTOVER = '^\\.%s\\.[a-z0-9_]{8}\\.tmp\\Z'
LEFTOVER_AGE = 3600

_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0)
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, 'O_CLOEXEC', 0)
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0)
_MAX_LINKS = 40


def is_world_writable(mode):
    """Whether a file mode (octal string or int, or symbolic like u=rw,o+w) grants write to others."""
    if mode is None:
        return False
    if isinstance(mode, int):
        return bool(mode & 0o002)
    text = str(mode)
    if re.match(r'^[0-7]{1,4}\Z', text):
        return bool(int(text, 8) & 0o002)
    for clause in text.split(','):
        match = re.match(r'^([ugoa]*)([-+=])([rwxXst]*)\Z', clause)
        if match and match.group(2) in '+=' and 'w' in match.group(3) and (not match.group(1) or set(match.group(1)) & set('oa')):
            return True
    return False


# What happens to one document: before and after are bytes, or None where there is no file.
Step = collections.namedtuple('Step', ['name', 'dest', 'state', 'before', 'after'])


class PlanError(Exception):
    """A target that cannot be written; the message names the path and the cause.

    ``changed`` is True when a failed write left some files changed (a rollback that failed too).
    """

    changed = False


class Unreadable(object):
    """What is at a file's path but is not a file this collection could have written: never read, only replaced.

    Shown in a diff by its kind alone, so a link to /etc/shadow or a FIFO planted at a document path shows nothing.
    """

    def __init__(self, kind):
        self.kind = kind

    def __str__(self):
        return '(%s, not read: it is replaced)\n' % self.kind

    def __repr__(self):
        return 'Unreadable(%r)' % self.kind


def _describe(exc):
    reasons = {
        errno.ENOSPC: 'no space left on the device',
        errno.EDQUOT: 'disk quota exceeded',
        errno.EROFS: 'the filesystem is read-only',
        errno.EACCES: 'permission denied',
        errno.EPERM: 'operation not permitted',
    }
    return reasons.get(exc.errno, to_native(exc.strerror or exc))


def _user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return 'UID %d' % uid


def _who_can_write(directory_stat):
    if directory_stat.st_uid not in (0, os.geteuid()):
        return _user_name(directory_stat.st_uid)
    if directory_stat.st_mode & 0o002:
        return 'every local user'
    try:
        return 'the group %s' % grp.getgrgid(directory_stat.st_gid).gr_name
    except KeyError:
        return 'the group GID %d' % directory_stat.st_gid


def _trusted_link(directory_stat, link_stat):
    """Whether a symbolic link can only have been made by root or by us: the directory holding it lets nobody else
    add or replace entries (or it is sticky, like /tmp, and the link is root's or ours)."""
    ours = (0, os.geteuid())
    if directory_stat.st_uid not in ours:
        return False
    if not directory_stat.st_mode & 0o022:
        return True
    return bool(directory_stat.st_mode & stat.S_ISVTX) and link_stat.st_uid in ours


class Directory(object):
    """An open directory, reached from / without following a symbolic link anyone but root could have planted."""

    def __init__(self, path, fd):
        self.path = path
        self.fd = fd

    def join(self, name):
        return os.path.join(self.path, name)

    def proc_path(self, name):
        """A path to ``name`` in this very directory, for tools that take paths (chattr, SELinux): it goes through
        the open descriptor, so no component can be swapped meanwhile."""
        return '/proc/%d/fd/%d/%s' % (os.getpid(), self.fd, name)

    def lstat(self, name):
        """The entry's own stat (a link is not followed), or None when there is none."""
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise PlanError('cannot read %s: %s' % (self.join(name), _describe(exc)))

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _components(path):
    return [part for part in path.split('/') if part and part != '.']


def open_directory(path, create=None):
    """Open the directory ``path``; return a Directory, or None when it does not exist (and ``create`` is None).

    Every component is opened with O_NOFOLLOW. A symbolic link is followed only when ``_trusted_link`` says only
    root could have made it; any other link is refused with a message naming it. ``create(directory)`` is called
    for each directory made (outermost first), while it is open, to give it its owner and mode before the next
    one is made inside it.
    """
    if not path.startswith('/'):
        # Every walk starts at /: a relative path would depend on the module's working directory.
        raise PlanError('cannot create %s: the path is relative, give an absolute one' % path)
    fd = os.open('/', _DIRECTORY_FLAGS)
    reached = '/'
    # (component, the link it comes from or None)
    pending = [(part, None) for part in _components(path)]
    links = 0
    try:
        while pending:
            name, link = pending.pop(0)
            if name == '..':
                parent = os.open('..', _DIRECTORY_FLAGS, dir_fd=fd)
                os.close(fd)
                fd, reached = parent, os.path.dirname(reached) or '/'
                continue
            here = os.path.join(reached, name)
            try:
                entry = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except OSError as exc:
                if exc.errno != errno.ENOENT:
                    raise
                if link is not None:
                    raise PlanError('%s is a dangling symbolic link: point it at a directory or remove it' % link)
                if create is None:
                    os.close(fd)
                    return None
                try:
                    os.mkdir(name, 0o777, dir_fd=fd)
                except OSError as exc:
                    if exc.errno != errno.EEXIST:
                        raise PlanError('cannot create directory %s: %s' % (here, _describe(exc)))
                else:
                    child = os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
                    os.close(fd)
                    fd, reached = child, here
                    create(Directory(here, fd))
                    continue
                entry = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISLNK(entry.st_mode):
                holder = os.fstat(fd)
                if not _trusted_link(holder, entry):
                    raise PlanError(
                        'refusing the symbolic link %s in %s: %s can write the directory it is in and could point it '
                        'anywhere (root would then write there); make %s a real directory, or give the resolved path'
                        % (here, path, _who_can_write(holder), here))
                links += 1
                if links > _MAX_LINKS:
                    raise PlanError('cannot open %s: too many levels of symbolic links' % path)
                target = os.readlink(name, dir_fd=fd)
                pending = [(part, here) for part in _components(target)] + pending
                if target.startswith('/'):
                    os.close(fd)
                    fd = None
                    fd, reached = os.open('/', _DIRECTORY_FLAGS), '/'
                continue
            if not stat.S_ISDIR(entry.st_mode):
                raise PlanError('%s exists and is not a directory' % here if here == path.rstrip('/')
                                else 'cannot use %s: %s is not a directory' % (path, here))
            child = os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
            os.close(fd)
            fd, reached = child, here
    except OSError as exc:
        if fd is not None:
            os.close(fd)
        if exc.errno == errno.ELOOP:
            raise PlanError('cannot open %s: a component was replaced by a symbolic link while it was opened' % path)
        raise PlanError('cannot open %s: %s' % (path, _describe(exc)))
    except BaseException:
        if fd is not None:
            os.close(fd)
        raise
    return Directory(path, fd)


def _kind(mode):
    for test, kind in ((stat.S_ISLNK, 'a symbolic link'), (stat.S_ISFIFO, 'a FIFO'), (stat.S_ISSOCK, 'a socket'),
                       (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device')):
        if test(mode):
            return kind
    return 'not a regular file'


def _unreadable(entry, limit):
    """Why a file we could not have written is not read, or None for a regular file we may read."""
    if not stat.S_ISREG(entry.st_mode):
        return Unreadable(_kind(entry.st_mode))
    if entry.st_nlink != 1:
        # This module never makes a hard link that outlives a run: one planted here may be any file of the disk.
        return Unreadable('a file with %d hard links' % entry.st_nlink)
    if entry.st_size > limit:
        return Unreadable('a file of %d bytes, over the %d bytes read here' % (entry.st_size, limit))
    return None


def read_in(directory, name, limit=READ_LIMIT):
    """The bytes of the regular file ``name`` in ``directory``; None when there is none; Unreadable for anything
    else (it is replaced, never read: a FIFO would block, a link could show any file)."""
    dest = directory.join(name)
    entry = directory.lstat(name)
    if entry is None:
        return None
    if stat.S_ISDIR(entry.st_mode):
        raise PlanError('%s is a directory, not a document file' % dest)
    unreadable = _unreadable(entry, limit)
    if unreadable is not None:
        return unreadable
    try:
        handle = os.open(name, _READ_FLAGS, dir_fd=directory.fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Unreadable('a symbolic link')
        if exc.errno == errno.ENOENT:
            return None
        raise PlanError('cannot read %s: %s' % (dest, _describe(exc)))
    try:
        # Checked again on what was opened: the name may have been replaced since the lstat.
        unreadable = _unreadable(os.fstat(handle), limit)
        if unreadable is not None:
            return unreadable
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(handle, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            return Unreadable('a file of more than %d bytes' % limit)
        return b''.join(chunks)
    except OSError as exc:
        raise PlanError('cannot read %s: %s' % (dest, _describe(exc)))
    finally:
        os.close(handle)


def _split(dest, what):
    if not dest.startswith('/'):
        raise PlanError('cannot %s %s: the path is relative, give an absolute one' % (what, dest))
    return os.path.split(dest)


def read_current(dest):
    """The bytes of an existing file, None when it (or its directory) does not exist, or Unreadable."""
    parent, name = _split(dest, 'read')
    directory = open_directory(parent)
    if directory is None:
        return None
    with directory:
        return read_in(directory, name)


def plan(path, contents, absent):
    """Compare wanted contents with the disk.

    ``contents`` maps names to bytes, ``absent`` lists names to delete.
    Returns (whether the directory exists, a list of Step).
    """
    directory = open_directory(path)
    steps = []
    try:
        for name in sorted(contents):
            before = read_in(directory, name) if directory else None
            after = contents[name]
            if before is None:
                state = CREATED
            elif before == after:
                state = UNCHANGED
            else:
                state = UPDATED
            steps.append(Step(name, os.path.join(path, name), state, before, after))
        for name in sorted(set(absent)):
            before = read_in(directory, name) if directory else None
            steps.append(Step(name, os.path.join(path, name), REMOVED if before is not None else ALREADY_ABSENT,
                              before, None))
    finally:
        if directory:
            directory.close()
    return directory is not None, steps


def process_is_gone(pid):
    """Whether no process has this PID any more (on this host)."""
    if pid == os.getpid():
        return False
    try:
        # A zombie (killed, not yet reaped by its parent) runs no more.
        with open('/proc/%d/stat' % pid, 'rb') as handle:
            return handle.read().rsplit(b')', 1)[1].split()[0] == b'Z'
    except (IOError, OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.ESRCH
    return False


def remove_leftovers(directory, names=()):
    """Remove the temporary files and rollback copies of runs killed half-way (their PID is gone, or they are an
    hour old), and for ``names`` the temporary files of older releases once an hour old. Return the names removed."""
    removed = []
    now = time.time()
    legacy = [re.compile(_LEGACY_LEFTOVER % re.escape(name)) for name in names]
    try:
        entries = os.listdir(directory.fd)
    except OSError:
        return removed
    for entry_name in entries:
        match = _LEFTOVER.match(entry_name)
        if not match and not any(pattern.match(entry_name) for pattern in legacy):
            continue
        entry = directory.lstat(entry_name)
        if entry is None or not stat.S_ISREG(entry.st_mode) or entry.st_uid != os.geteuid():
            continue
        if now - entry.st_mtime <= LEFTOVER_AGE and not (match and process_is_gone(int(match.group('pid')))):
            continue
        try:
            os.unlink(entry_name, dir_fd=directory.fd)
            removed.append(entry_name)
        except OSError:
            pass
    return removed


def _leftover_name(name, suffix):
    return '.%s.%s.%d.%s.%s' % (name, TEMP_TAG, os.getpid(), binascii.hexlify(os.urandom(6)).decode('ascii'), suffix)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Transaction(object):
    """Files written and removed as one change, all or nothing.

    ``write`` puts each new file whole beside its target first (a temporary file named like ``_LEFTOVER``,
    owner-only until complete, synced, then given the owner and mode of the file it replaces); ``commit`` then
    renames them into place in order, each replaced or removed file kept as a hidden hard link until the whole
    set is in place. If one step fails, the files already in place are put back and the error names the file
    that failed: nothing of the change stays. Everything goes through ``open_directory`` descriptors.
    """

    def __init__(self):
        self._directories = {}
        self._writes = []
        self._removals = []
        self._leftovers = []
        self._done = []

    def _open(self, path):
        if path not in self._directories:
            self._directories[path] = open_directory(path)
        return self._directories[path]

    def tidy(self, paths):
        """Remove what killed runs left beside the files ``paths`` (see ``remove_leftovers``), even when none of
        them changes now."""
        for path in paths:
            parent, name = _split(path, 'write')
            directory = self._open(parent)
            if directory is not None:
                remove_leftovers(directory, [name])

    def _directory(self, path, name):
        directory = self._open(path)
        if directory is None:
            raise PlanError('cannot write %s: the directory %s does not exist' % (os.path.join(path, name), path))
        remove_leftovers(directory, [name])
        entry = directory.lstat(name)
        if entry is not None and stat.S_ISDIR(entry.st_mode):
            raise PlanError('cannot write %s: it is a directory' % directory.join(name))
        return directory, entry

    def write(self, dest, data, private=False):
        """Stage ``data`` for ``dest``; a ``private`` file (a private key) stays owner-only and ours."""
        parent, name = _split(dest, 'write')
        directory, entry = self._directory(parent, name)
        temp = _leftover_name(name, 'tmp')
        try:
            handle = os.open(temp, _CREATE_FLAGS, 0o600, dir_fd=directory.fd)
        except OSError as exc:
            raise PlanError('cannot write %s: %s' % (dest, _describe(exc)))
        self._leftovers.append((directory, temp))
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view):]
            os.fsync(handle)
            # Only now readable by others: a reader never sees half a file, even at the temporary name.
            if private:
                pass
            elif entry is not None and stat.S_ISREG(entry.st_mode):
                # As Ansible's atomic_move: the new file keeps the owner and mode of the one it replaces.
                try:
                    os.fchown(handle, entry.st_uid, entry.st_gid)
                except OSError as exc:
                    if exc.errno != errno.EPERM:
                        raise
                os.fchmod(handle, stat.S_IMODE(entry.st_mode))
            else:
                os.fchmod(handle, 0o666 & ~_umask())
        except OSError as exc:
            raise PlanError('cannot write %s: %s' % (dest, _describe(exc)))
        finally:
            os.close(handle)
        self._writes.append((directory, name, temp))

    def remove(self, dest):
        """Stage the removal of ``dest`` (nothing happens when it does not exist)."""
        parent, name = _split(dest, 'remove')
        directory, entry = self._directory(parent, name)
        if entry is not None:
            self._removals.append((directory, name))

    def _keep(self, directory, name):
        """A hidden hard link to the file at ``name``, to put it back if the change fails; None if there is none."""
        if directory.lstat(name) is None:
            return None
        backup = _leftover_name(name, 'old')
        os.link(name, backup, src_dir_fd=directory.fd, dst_dir_fd=directory.fd, follow_symlinks=False)
        self._leftovers.append((directory, backup))
        return backup

    def commit(self):
        """Put every staged file in place and remove the staged removals; raise PlanError with nothing changed."""
        done = []
        action, current = 'write', None
        try:
            for directory, name, temp in self._writes:
                current = directory.join(name)
                backup = self._keep(directory, name)
                os.rename(temp, name, src_dir_fd=directory.fd, dst_dir_fd=directory.fd)
                done.append((directory, name, backup))
            action = 'remove'
            for directory, name in self._removals:
                current = directory.join(name)
                backup = _leftover_name(name, 'old')
                self._leftovers.append((directory, backup))
                os.rename(name, backup, src_dir_fd=directory.fd, dst_dir_fd=directory.fd)
                done.append((directory, name, backup))
        except OSError as exc:
            message = 'cannot %s %s: %s' % (action, current, _describe(exc))
            if done:
                stuck = self._roll_back(done)
                put_back = [directory.join(name) for directory, name, dummy in done
                            if directory.join(name) not in stuck]
                if not stuck:
                    message += '; nothing of the change was kept: %s put back as before' % ', '.join(put_back)
                else:
                    if put_back:
                        message += '; %s put back as before' % ', '.join(put_back)
                    message += '; %s could not be put back: left as the change made them' % ', '.join(stuck)
                error = PlanError(message)
                error.changed = bool(stuck)
                raise error
            raise PlanError(message)
        self._done = done
        self._sync()

    def _sync(self):
        for directory in self._directories.values():
            try:
                if directory is not None:
                    os.fsync(directory.fd)
            except OSError:
                pass

    def undo(self):
        """After ``commit``, until ``close``: put back the very files the change replaced or removed (their inodes,
        with owner and mode), remove those it created. Return (the paths put back, the paths that could not be)."""
        stuck = self._roll_back(self._done)
        restored = [directory.join(name) for directory, name, dummy in self._done if directory.join(name) not in stuck]
        self._done = []
        self._sync()
        return restored, stuck

    @staticmethod
    def _roll_back(done):
        stuck = []
        for directory, name, backup in reversed(done):
            try:
                if backup is None:
                    os.unlink(name, dir_fd=directory.fd)
                else:
                    os.rename(backup, name, src_dir_fd=directory.fd, dst_dir_fd=directory.fd)
            except OSError:
                stuck.append(directory.join(name))
        return stuck

    def close(self):
        """Remove temporary files and rollback copies still there, close the directories."""
        for directory, name in self._leftovers:
            try:
                os.unlink(name, dir_fd=directory.fd)
            except OSError:
                pass
        self._leftovers = []
        for directory in self._directories.values():
            if directory is not None:
                directory.close()
        self._directories = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def write_atomically(dest, data, private=False):
    """Write one file as a Transaction of its own."""
    with Transaction() as transaction:
        transaction.write(dest, data, private)
        transaction.commit()


def make_directories(path, created=None):
    """Create ``path`` and missing parents, through ``open_directory``; ``created(Directory)`` is called for each
    one made, outermost first, while it is open (to set its owner and mode before the next is made inside it)."""
    directory = open_directory(path, create=created or (lambda made: None))
    directory.close()


def _owner(owner, database, what):
    if owner is None:
        return None
    try:
        return int(owner)
    except ValueError:
        pass
    try:
        return getattr(database, 'getpwnam' if database is pwd else 'getgrnam')(owner)[2]
    except KeyError:
        raise PlanError('%s %r: no such %s on the target' % (what, owner, what))


def _mode(module, mode, entry):
    if mode is None or isinstance(mode, int):
        return mode
    try:
        return int(mode, 8)
    except ValueError:
        pass
    try:
        value = module._symbolic_mode_to_octal(entry, mode)  # pylint: disable=protected-access
    except Exception as exc:  # pylint: disable=broad-except
        raise PlanError('mode %r must be in octal or symbolic form: %s' % (mode, to_native(exc)))
    if value != stat.S_IMODE(value):
        raise PlanError('mode %r: only permission bits are allowed' % mode)
    return value


def _note(diff, key, before, after):
    if diff is not None:
        diff.setdefault('before', {})[key] = before
        diff.setdefault('after', {})[key] = after


def set_attributes(module, arguments, diff=None, opened=None):
    """``module.set_fs_attributes_if_different(arguments, False, diff)`` without following any link.

    Owner, group and mode are set on a descriptor of the file (opened without following a link, through
    ``open_directory``) or of the directory ``opened``; SELinux context and file attributes through that
    descriptor's /proc path. Returns whether anything differs (in check mode, would differ).
    """
    path = arguments['path']
    parent = None
    try:
        if opened is not None:
            handle, proc = os.dup(opened.fd), '/proc/%d/fd/%d/.' % (os.getpid(), opened.fd)
        else:
            parent_path, name = _split(path, 'set the attributes of')
            parent = open_directory(parent_path)
            if parent is None or parent.lstat(name) is None:
                if module.check_mode:
                    return True
                raise PlanError('cannot set the attributes of %s: it does not exist' % path)
            try:
                handle = os.open(name, _READ_FLAGS, dir_fd=parent.fd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    if module.check_mode:
                        # What the change replaces; the real run sets the attributes of the file it puts there.
                        return True
                    raise PlanError('%s is a symbolic link: refusing to change the attributes of what it points to'
                                    % path)
                raise PlanError('cannot open %s: %s' % (path, _describe(exc)))
            proc = parent.proc_path(name)
        try:
            entry = os.fstat(handle)
            if not (stat.S_ISREG(entry.st_mode) or stat.S_ISDIR(entry.st_mode)):
                if module.check_mode:
                    return True
                raise PlanError('%s is %s, not a file this collection writes' % (path, _kind(entry.st_mode)))
            changed = False
            uid = _owner(arguments.get('owner'), pwd, 'owner')
            gid = _owner(arguments.get('group'), grp, 'group')
            mode = _mode(module, arguments.get('mode'), entry)
            if uid is not None and uid != entry.st_uid:
                _note(diff, 'owner', entry.st_uid, uid)
                changed = True
                if not module.check_mode:
                    os.fchown(handle, uid, -1)
            if gid is not None and gid != entry.st_gid:
                _note(diff, 'group', entry.st_gid, gid)
                changed = True
                if not module.check_mode:
                    os.fchown(handle, -1, gid)
            if mode is not None and mode != stat.S_IMODE(entry.st_mode):
                _note(diff, 'mode', '0%03o' % stat.S_IMODE(entry.st_mode), '0%03o' % mode)
                changed = True
                if not module.check_mode:
                    os.fchmod(handle, mode)
            if arguments.get('secontext') is not None:
                changed = module.set_context_if_different(proc, arguments['secontext'], changed, diff)
            return module.set_attributes_if_different(proc, arguments.get('attributes'), changed, diff)
        except OSError as exc:
            raise PlanError('cannot set the attributes of %s: %s' % (path, _describe(exc)))
        finally:
            os.close(handle)
    finally:
        if parent is not None:
            parent.close()


def set_directory_attributes(module, arguments, diff=None):
    """``set_attributes`` for a directory, reached as ``open_directory`` reaches it."""
    directory = open_directory(arguments['path'])
    if directory is None:
        return True
    with directory:
        return set_attributes(module, arguments, diff, opened=directory)


def managed_configs(paths):
    """Those of ``paths`` that hold a config this collection wrote (its first line is the managed marker)."""
    found = []
    for path in paths:
        try:
            content = read_current(path)
        except PlanError:
            continue
        if isinstance(content, bytes) and content.startswith(MANAGED_PREFIX.encode('utf-8')):
            found.append(path)
    return found
