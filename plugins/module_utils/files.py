# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""File operations of the matrix_wellknown module: plan first, then write atomically.

Private to this collection: no API stability is promised to other collections.
``plan`` only reads; ``write_atomically`` and ``remove`` write. The module validates everything and plans
every file before the first byte is written, so bad input changes nothing.
"""

from __future__ import annotations

import collections
import errno
import os
import re
import tempfile

from ansible.module_utils.common.text.converters import to_native

CREATED = 'created'
UPDATED = 'updated'
UNCHANGED = 'unchanged'
REMOVED = 'removed'
ALREADY_ABSENT = 'absent'


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


# The first line of every web server config this collection writes: how it recognises its own files.
MANAGED_PREFIX = '# Ansible managed (matrix.wellknown, site '

# What happens to one document: before and after are bytes, or None where there is no file.
Step = collections.namedtuple('Step', ['name', 'dest', 'state', 'before', 'after'])


class PlanError(Exception):
    """A target that cannot be written; the message names the path and the cause."""


def _describe(exc):
    reasons = {
        errno.ENOSPC: 'no space left on the device',
        errno.EDQUOT: 'disk quota exceeded',
        errno.EROFS: 'the filesystem is read-only',
        errno.EACCES: 'permission denied',
        errno.EPERM: 'operation not permitted',
    }
    return reasons.get(exc.errno, to_native(exc.strerror or exc))


def check_directory(path):
    """Return True when the directory exists, False when it must be created; raise PlanError otherwise."""
    if os.path.islink(path) and not os.path.exists(path):
        raise PlanError('%s is a dangling symbolic link: point it at a directory or remove it' % path)
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise PlanError('%s exists and is not a directory' % path)
        return True
    parent = path
    while parent and not os.path.exists(parent) and os.path.dirname(parent) != parent:
        parent = os.path.dirname(parent)
    if parent and not os.path.isdir(parent):
        raise PlanError('cannot create %s: %s is not a directory' % (path, parent))
    return False


def read_current(dest):
    """Return the bytes of an existing document, or None when it does not exist."""
    if os.path.isdir(dest):
        raise PlanError('%s is a directory, not a document file' % dest)
    try:
        with open(dest, 'rb') as handle:
            return handle.read()
    except IOError as exc:
        if exc.errno == errno.ENOENT:
            if os.path.islink(dest):
                raise PlanError('%s is a dangling symbolic link' % dest)
            return None
        raise PlanError('cannot read %s: %s' % (dest, _describe(exc)))


def plan(path, contents, absent):
    """Compare wanted contents with the disk.

    ``contents`` maps names to bytes, ``absent`` lists names to delete.
    Returns (whether the directory exists, a list of Step).
    """
    exists = check_directory(path)
    steps = []
    for name in sorted(contents):
        dest = os.path.join(path, name)
        before = read_current(dest) if exists else None
        after = contents[name]
        if before is None:
            state = CREATED
        elif before == after:
            state = UNCHANGED
        else:
            state = UPDATED
        steps.append(Step(name, dest, state, before, after))
    for name in sorted(set(absent)):
        dest = os.path.join(path, name)
        before = read_current(dest) if exists else None
        steps.append(Step(name, dest, REMOVED if before is not None else ALREADY_ABSENT, before, None))
    return exists, steps


def make_directories(path):
    """Create ``path`` and missing parents; return the list created, outermost first."""
    if not os.path.isabs(path):
        # dirname() of a relative name ends at '', which never exists: the walk up would never end.
        raise PlanError('cannot create %s: the path is relative, give an absolute one' % path)
    created = []
    current = path
    while not os.path.exists(current):
        created.insert(0, current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in created:
        try:
            os.mkdir(directory)
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise PlanError('cannot create directory %s: %s' % (directory, _describe(exc)))
    return created


def write_atomically(module, dest, data, private=False):
    """Write ``data`` to a temporary file beside ``dest``, then rename it into place.

    A ``private`` file (a private key) keeps the owner-only mode of the temporary file through the rename,
    where ``atomic_move`` would give a new file the default mode until its attributes are set.
    """
    directory = os.path.dirname(dest)
    try:
        handle, temp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(dest), suffix='.tmp', dir=directory)
    except OSError as exc:
        raise PlanError('cannot write %s: %s' % (dest, _describe(exc)))
    try:
        try:
            with os.fdopen(handle, 'wb') as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as exc:
            raise PlanError('cannot write %s: %s' % (dest, _describe(exc)))
        if private:
            try:
                os.rename(temp, dest)
            except OSError as exc:
                raise PlanError('cannot write %s: %s' % (dest, _describe(exc)))
        else:
            module.atomic_move(temp, dest, unsafe_writes=module.params.get('unsafe_writes', False))
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def remove(dest):
    """Delete a document."""
    try:
        os.unlink(dest)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise PlanError('cannot remove %s: %s' % (dest, _describe(exc)))


def managed_configs(paths):
    """Those of ``paths`` that hold a config this collection wrote (its first line is the managed marker)."""
    found = []
    for path in paths:
        if not os.path.isfile(path):
            continue
        try:
            with open(path, 'rb') as handle:
                first = handle.readline()
        except (IOError, OSError):
            continue
        if first.startswith(MANAGED_PREFIX.encode('utf-8')):
            found.append(path)
    return found
