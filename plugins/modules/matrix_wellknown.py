#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: matrix_wellknown
short_description: Write validated Matrix C(/.well-known/matrix/*) discovery documents
version_added: 0.1.0
description:
  - Takes the C(server), C(client) and C(support) documents of Matrix server discovery (and a room policy server's
    C(policy_server) document) as data,
    validates them against the Matrix specification and writes them as JSON files in one directory.
  - All documents are validated, and every target file is inspected, before any file is touched, so
    invalid input changes nothing on disk.
  - Files are written atomically (a temporary file in the same directory, then a rename) and only
    when their content or attributes differ. Output is stable JSON, byte for byte what MDAD's C(to_nice_json) writes (sorted keys,
    4-space indent, C(\\uXXXX) escapes beyond ASCII, no trailing newline).
author:
  - matrix.wellknown contributors (@matrix-wellknown)
options:
  path:
    description:
      - Directory the documents are written to. It is created, with missing parents, when absent.
      - Must be absolute; a relative path is refused.
      - A symbolic link on the way to O(path) (or to a web server file) is followed only when nobody but root
        could have made it (it sits in a directory only root can change); a link in a directory another user owns
        or may write, such as one that C(matrix_user_name) could plant, is refused with a message naming it.
    type: path
    default: /matrix/static-files/public/.well-known/matrix
  server:
    description:
      - The C(/.well-known/matrix/server) document, as served, for example with C(m.server) set to C(matrix.example.com:443).
      - C(m.server) is required and must be a server name (C(host[:port]), port 1-65535), without scheme or path.
      - Not written when omitted.
    type: dict
  client:
    description:
      - The C(/.well-known/matrix/client) document, as served.
      - C(m.homeserver.base_url) is required; it and C(m.identity_server.base_url) must be absolute http(s)
        URLs with a host (plain http gives a warning). Every other top-level key must be namespaced in
        Java package style, like C(io.element.e2ee).
      - Not written when omitted.
    type: dict
  support:
    description:
      - The C(/.well-known/matrix/support) document (MSC1929, Matrix v1.10), as served.
      - Needs a non-empty C(contacts) list or a C(support_page). Each contact has a C(role)
        (C(m.role.admin), C(m.role.security) or a namespaced identifier) and a C(matrix_id) or an C(email_address).
      - Not written when omitted.
    type: dict
  policy_server:
    description:
      - The C(/.well-known/matrix/policy_server) document, as served, announcing a room policy server's public key
        in C(public_keys.ed25519).
      - C(public_keys.ed25519) is required and must be unpadded standard base64 of a 32-byte ed25519 public key.
        Keys of other algorithms must be namespaced (like C(org.example.algorithm)) and hold a non-empty string.
      - Not written when omitted.
    type: dict
  documents:
    description:
      - Documents to write in the same directory, as a mapping of file name to JSON object, for example C(mautrix)
        holding C(fi.mau.bridges).
      - A document named like one of the options above (C(server), C(client), C(support), C(policy_server)) is
        validated as that option is, and must not be given both ways. Any other must have a plain file name and be
        a JSON object under 50 KiB; its content is not checked against the Matrix specification, which does not
        define it.
    type: dict
    default: {}
  absent:
    description:
      - Names of documents to delete from O(path), for example C([support]).
      - A document that is neither given nor listed here is left alone.
    type: list
    elements: str
    default: []
  mode:
    description:
      - Permissions of the document files. See O(ansible.builtin.file#module:mode).
    type: raw
    default: '0644'
  directory_mode:
    description:
      - Permissions of O(path) and of the parent directories this module creates.
      - The default lets a web server running as another user read the documents.
    type: raw
    default: '0755'
  _webserver:
    description:
      - Internal. The web server config the roles' step (M(matrix.wellknown.matrix_wellknown_mdad)) renders on the
        controller and hands over, written, checked by the server and reloaded in the same change as the documents.
        Not for direct use, it may change in any release. To check and write a config of your own, use
        M(matrix.wellknown.matrix_webserver_config).
    type: dict
  remove_configs:
    description:
      - Configs this collection wrote earlier for another web server or form (the roles give the default paths of
        every other server), removed when their first line is this collection's managed marker; any other file at
        those paths is left alone. Removed files are listed in C(removed_configs) and named in a warning, since the
        server that read them must be reloaded to stop serving them.
    type: list
    elements: path
    default: []
  lock_timeout:
    description:
      - Seconds to wait for another run that changes the same directories (the config's, then the documents').
        The whole change, from reading what is in place to the reload, happens while the module holds an exclusive
        lock on them, so a second run decides what to change only once the first one is done.
      - A run that gives up fails naming the directory and the PID that holds its lock (a run stopped or hung
        while holding it); a process that dies, even killed with SIGKILL, releases the lock.
      - The default leaves room for a holder's server check and two reloads at their default bound.
    type: int
    default: 120
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
  safe_file_operations:
    description:
      - Every file is written whole to a temporary file beside it (readable only by the user the module runs as
        until complete), then all are renamed into place; if one fails, those already replaced are put back and
        the task fails naming the file.
      - Files are reached through directory descriptors that never follow a link another user could have planted;
        only regular files are read as current content (up to 1 MiB, never blocking), anything else is replaced
        unread. Temporary files left by a killed run are removed by the next one. O(unsafe_writes) has no effect.
    support: full
  idempotent:
    description: When run twice with the same options, the second run reports no change.
    support: full
notes:
  - Owner, group and mode apply to the document files; O(owner), O(group) and O(directory_mode) also apply to O(path).
  - When no document is given and O(absent) is empty, O(path) is not created or changed (a web server config of the
    roles that forwards the documents to another host has none).
  - The result carries the documents once, in RV(documents); the echo of the arguments (C(invocation), which
    ansible-core 2.21 adds only when asked) leaves them out and gives a web server config's content as its
    SHA-256, so that a fleet's stored job events stay small. The config's content is in the diff, in diff mode.
seealso:
  - name: Matrix server-server API, resolving server names
    description: What C(/.well-known/matrix/server) must contain.
    link: https://spec.matrix.org/latest/server-server-api/#resolving-server-names
  - name: Matrix client-server API, server discovery
    description: What C(/.well-known/matrix/client) must contain.
    link: https://spec.matrix.org/latest/client-server-api/#server-discovery
  - module: matrix.wellknown.matrix_wellknown_info
"""

EXAMPLES = r"""
- name: Write the server and client documents
  matrix.wellknown.matrix_wellknown:
    path: /matrix/static-files/public/.well-known/matrix
    server:
      m.server: matrix.example.com:443
    client:
      m.homeserver:
        base_url: https://matrix.example.com
      io.element.e2ee:
        default: true

- name: Publish support contacts, and remove a document no longer wanted
  matrix.wellknown.matrix_wellknown:
    support:
      contacts:
        - matrix_id: "@admin:example.com"
          email_address: admin@example.com
          role: m.role.admin
      support_page: https://example.com/support
    absent:
      - mautrix

- name: Announce a room policy server's public key
  matrix.wellknown.matrix_wellknown:
    policy_server:
      public_keys:
        ed25519: l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ
"""

RETURN = r"""
path:
  description: The directory the documents are in.
  returned: always
  type: str
  sample: /matrix/static-files/public/.well-known/matrix
states:
  description:
    - What happened to each document named in the options.
    - One of V(created), V(updated), V(unchanged) (content already right), V(removed) or V(absent) (was already absent).
    - In check mode, what would happen.
  returned: always
  type: dict
  sample: {"client": "updated", "server": "unchanged", "support": "removed"}
documents:
  description: The documents that are now (or in check mode would be) in place, as data.
  returned: always
  type: dict
  sample: {"server": {"m.server": "matrix.example.com:443"}}
webserver:
  description: What happened to the web server config, when the roles' step hands one over.
  returned: when the roles' step hands over a web server config
  type: dict
  contains:
    path:
      description: The config file.
      type: str
    changed:
      description: Whether the config, the bundle or one of the files changed.
      type: bool
    reload:
      description:
        - Whether the server must reload to serve the change (HAProxy also for a changed document), or a reload
          is still owed from an earlier run.
      type: bool
    reloaded:
      description: Whether the module ran the reload command and it succeeded.
      type: bool
    reload_output:
      description: What the reload command printed.
      type: str
    validated:
      description: Whether the server checked the change.
      type: bool
    binary:
      description: The binary that checked it, or null.
      type: str
    check_output:
      description: What the check printed.
      type: str
    problem:
      description:
        - When the check failed for a reason the roles give advice on, its kind (V(conflict) with a site already
          there, with C(conflicts) listing name, address and the files of that site; V(unresolved) with the
          C(names) the server could not resolve; V(timeout) with the command C(argv) and the C(timeout)).
      type: dict
      returned: when the check failed for one of these reasons
removed_configs:
  description: The configs of O(remove_configs) that were (or in check mode would be) removed.
  returned: always
  type: list
  elements: str
warnings_found:
  description: Non-fatal findings of the validation (also emitted as warnings).
  returned: always
  type: list
  elements: str
  sample: ["client: m.homeserver.base_url 'http://matrix.example.com' uses plain http: clients expect https"]
"""

import hashlib
import os
import shlex

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.matrix.wellknown.plugins.module_utils._documents import (
    OPTION_DOCUMENTS,
    check_and_serialize,
    check_document_name,
)
from ansible_collections.matrix.wellknown.plugins.module_utils import _files as files
from ansible_collections.matrix.wellknown.plugins.module_utils import _servers as servers
from ansible_collections.matrix.wellknown.plugins.module_utils import _site_files as site_files
from ansible_collections.matrix.wellknown.plugins.module_utils import _transaction as transaction


CHANGES = (files.CREATED, files.UPDATED, files.REMOVED)
# The internal option _webserver: what the roles' step hands over. Validated here rather than as suboptions of the
# argument spec, so that the module's documentation (which must list every suboption of the spec) keeps it to one
# line marked internal.
WEBSERVER_OPTIONS = dict(
    server=dict(type='str', required=True, choices=list(servers.NAMES)),
    path=dict(type='path', required=True),
    content=dict(type='str', required=True),
    form=dict(type='str', default='server', choices=['server', 'snippet']),
    validate=dict(type='bool', default=True),
    binary=dict(type='path'),
    apache_modules_directory=dict(type='path'),
    main_config=dict(type='path'),
    check_timeout=dict(type='int', default=60),
    mode=dict(type='raw', default='0644'),
    tls_bundle=dict(type='dict', options=dict(
        path=dict(type='path', required=True),
        certificate=dict(type='path', required=True),
        key=dict(type='path', required=True),
    )),
    reload_command=dict(type='str'),
    reload_timeout=dict(type='int', default=30),
    files=dict(type='list', elements='dict', default=[], options=dict(
        path=dict(type='path', required=True),
        content=dict(type='str', required=True),
    )),
)


def _content_diff(dest, before, after):
    return dict(before_header='%s (content)' % dest, after_header='%s (content)' % dest,
                before=to_text(before or b''), after=to_text(after or b''))


def _webserver(params):
    """The internal option _webserver checked against WEBSERVER_OPTIONS; return (its value or None, errors)."""
    given = params['_webserver']
    if given is None:
        return None, []
    checked = ArgumentSpecValidator(WEBSERVER_OPTIONS).validate(given)
    return checked.validated_parameters, ['_webserver: %s%s' % ('unsupported ' if isinstance(error, UnsupportedError) else '', error.msg)
                                          for error in checked.errors]


def _invocation(params, webserver):
    """The arguments the result echoes: the documents are in the result's ``documents`` already, and a config's
    content (repeated on every host of a fleet, in every stored job event) is given as its SHA-256."""
    module_args = dict((key, value) for key, value in params.items() if key not in OPTION_DOCUMENTS + ('documents',))
    module_args['documents'] = sorted(set(params['documents']) | set(name for name in OPTION_DOCUMENTS if params[name] is not None))
    if webserver is not None:
        def digest(text):
            return 'sha256:' + hashlib.sha256(text.encode('utf-8')).hexdigest()
        module_args['_webserver'] = dict(webserver, content=digest(webserver['content']),
                                         files=[dict(item, content=digest(item['content'])) for item in webserver['files']])
    return {'module_args': module_args}


def _collect(params, webserver):
    """Gather the documents to write and the names to delete; return (documents, absent, errors)."""
    documents = dict((name, params[name]) for name in OPTION_DOCUMENTS if params[name] is not None)
    errors = []
    for name, document in params['documents'].items():
        if name in documents:
            errors.append('documents.%s duplicates the %s option: give it once' % (name, name))
        documents[name] = document
    absent = params['absent']
    for name in absent:
        problem = check_document_name(name)
        if problem:
            errors.append('absent: %r %s' % (name, problem))
        elif name in documents:
            errors.append('absent: %s is also given as a document: a document cannot be written and deleted' % name)
    for option in ('mode', 'directory_mode'):
        if files.is_world_writable(params[option]):
            errors.append('%s %r would let any local user rewrite what the web server publishes: '
                          'drop the write bit for others' % (option, params[option]))
    if webserver and files.is_world_writable(webserver['mode']):
        errors.append('_webserver.mode %r would let any local user rewrite the web server configuration %s: '
                      'drop the write bit for others' % (webserver['mode'], webserver['path']))
    if params['lock_timeout'] < 0:
        errors.append('lock_timeout %d is negative: give the seconds to wait for another run, 0 or more'
                      % params['lock_timeout'])
    if webserver and webserver['reload_timeout'] < 1:
        errors.append('_webserver.reload_timeout %d is not a number of seconds: give 1 or more' % webserver['reload_timeout'])
    if webserver and webserver['reload_command']:
        try:
            shlex.split(webserver['reload_command'])
        except ValueError as exc:
            errors.append('_webserver.reload_command %r cannot be split into arguments: %s' % (webserver['reload_command'], exc))
    return documents, absent, errors


class Change(object):
    """One run, under one lock: every target read and planned, the web server's check, the writes (all or nothing),
    the reload."""

    def __init__(self, module, path, contents, absent, lock, webserver):
        self.module = module
        self.path = path
        self.contents = contents
        self.absent = absent
        self.lock = lock
        self.webserver = webserver
        self.changed = False
        self.diffs = []
        self.states = {}
        self.file_args = module.load_file_common_arguments(module.params)
        self.dir_args = dict(self.file_args, path=path, mode=module.params['directory_mode'])
        # No document and nothing to delete: the directory is not this run's business.
        self.has_documents = bool(contents or absent)
        self.exists = True
        self.steps = []
        self.site = None
        self.stale = []
        self.transaction = None
        command = (self.webserver or {}).get('reload_command') or ''
        self.reload_command = command if command.strip() else None
        self.marker = transaction.marker_path(self.webserver['path']) if self.reload_command else None
        self.owed = False

    def _lock_documents(self):
        """Lock the documents' directory when it exists (a path that cannot be one fails here, naming it)."""
        directory = files.open_directory(self.path)
        if directory is None:
            return False
        directory.close()
        self.lock.acquire(self.path)
        return True

    def lock_and_plan(self):
        """Lock the config's directory, then the documents' (when it exists yet), and read what is in place."""
        if self.webserver and os.path.isdir(os.path.dirname(self.webserver['path'])):
            self.lock.acquire(os.path.dirname(self.webserver['path']))
        if self.has_documents:
            self._lock_documents()
            self.exists, self.steps = files.plan(self.path, self.contents, self.absent)
        if self.webserver:
            self.site = site_files.plan_site(self.webserver, self.path if self.has_documents else None)
        self.stale = files.managed_configs(self.module.params['remove_configs'])
        self.owed = self.marker is not None and os.path.lexists(self.marker)

    def documents_changed(self):
        return any(step.state in CHANGES for step in self.steps)

    def loaded_targets(self):
        """The files the config loads or serves (bundle, index page), which the change writes before the config."""
        if self.site is None:
            return []
        return [target for target in [self.site['bundle']] + self.site['files'] if target is not None]

    def site_targets(self):
        return [self.site['config']] + self.loaded_targets() if self.site is not None else []

    def check_webserver(self):
        """Have the server check the new config with what it loads; the result part for ``webserver``."""
        site = self.site
        config = site['config']
        loaded_changed = any(target.changed for target in self.loaded_targets())
        # HAProxy holds the documents and files it serves in memory: any change of them needs its check and a reload.
        haproxy = self.webserver['server'] == 'haproxy'
        needed = (config.changed or (site['bundle'] is not None and site['bundle'].changed)
                  or (haproxy and (loaded_changed or self.documents_changed())))
        result = dict(path=config.path, validated=False, binary=None, changed=config.changed or loaded_changed,
                      reload=bool(needed or self.owed), reloaded=False)
        if not (config.changed or (haproxy and needed)) or not self.webserver['validate']:
            return result
        documents = dict((step.name, step.after) for step in self.steps)
        result['binary'], check, refused = site_files.check_new_config(
            self.module, self.webserver, site, 'which was left unchanged with the documents and files it serves',
            self.path, documents)
        if check is None:
            return result
        result.update(validated=check.ok, check_command=check.argv, check_output=check.output)
        if refused:
            if check.problem:
                result['problem'] = check.problem
            self.module.fail_json(msg=refused, changed=False, webserver=result)
        return result

    def record_directory(self):
        if not self.has_documents:
            return
        if self.exists:
            dir_diff = dict(before={}, after={})
            self.changed = files.set_directory_attributes(self.module, self.dir_args, diff=dir_diff) or self.changed
            if dir_diff['before']:
                self.diffs.append(dict(dir_diff, before_header=self.path, after_header=self.path))
        else:
            self.changed = True
            self.diffs.append(dict(before={'path': self.path, 'state': 'absent'},
                                   after={'path': self.path, 'state': 'directory'}))

    def record_site(self):
        for target in self.site_targets():
            if not target.changed:
                continue
            self.changed = True
            if target.mode == site_files.BUNDLE_MODE:
                self.diffs.append(dict(before_header='%s (content)' % target.path, after_header='%s (content)' % target.path,
                                       before='' if target.before is None else '(a certificate and private key)\n',
                                       after='(the certificate of %s and its private key)\n'
                                             % self.webserver['tls_bundle']['certificate']))
            else:
                self.diffs.append(_content_diff(target.path, target.before, target.after))

    def write(self, reload_needed):
        """The reload-owed marker, then documents (their directory first), bundle and files, the config that loads
        them, and deletions: one transaction, all or nothing. The replaced files are kept until ``finish``, so that a
        failed reload can put them back."""
        if reload_needed and self.marker is not None:
            transaction.write_marker(self.marker)
        if self.has_documents and not self.exists:
            files.make_directories(self.path, lambda made: files.set_attributes(
                self.module, dict(self.dir_args, path=made.path), opened=made))
            self._lock_documents()
            # Nobody could lock the directory before it existed: read what another run may have put there since.
            dummy, self.steps = files.plan(self.path, self.contents, self.absent)
        self.transaction = change = files.Transaction()
        for step in self.steps:
            if step.state == files.REMOVED:
                change.remove(step.dest)
            elif step.state in CHANGES:
                change.write(step.dest, step.after)
        for target in self.loaded_targets():
            if target.changed:
                change.write(target.path, target.after, private=target.mode == site_files.BUNDLE_MODE)
        if self.site is not None and self.site['config'].changed:
            change.write(self.site['config'].path, self.site['config'].after)
        for path in self.stale:
            change.remove(path)
        change.commit()
        # Temporary files of a run killed half-way, beside every file of the change, and its check's copies.
        change.tidy([step.dest for step in self.steps] + [target.path for target in self.site_targets()])
        if self.site is not None:
            site_files.remove_stale_staging()
        # Recorded once done: a refused write (read-only or immutable file) reports no change.
        for step in self.steps:
            self.record(step)

    def roll_back(self):
        """Put back every file this change wrote or deleted (the very files, with their owner and mode); return
        (their paths, the paths that could not be put back, as errors)."""
        if self.transaction is None:
            return [], []
        restored, stuck = self.transaction.undo()
        return restored, ['cannot put back %s' % path for path in stuck]

    def finish(self):
        """Drop the copies of the replaced files: the change stands."""
        if self.transaction is not None:
            self.transaction.close()
            self.transaction = None

    def reload(self, result):
        """Run the reload command; on failure put the previous state back, reload with it, and fail saying so."""
        argv = shlex.split(self.reload_command)
        timeout = self.webserver['reload_timeout']
        server = servers.title(self.webserver['server'])
        rc, output, finished = transaction.run_bounded(self.module, argv, timeout)
        result['reload_command'] = argv
        result['reload_output'] = output
        if finished and rc == 0:
            transaction.clear_marker(self.marker)
            result['reloaded'] = True
            return
        if finished:
            message = 'The reload of %s failed: %r exited with %s:\n%s' % (server, self.reload_command, rc, output or '(no output)')
        else:
            message = ('The reload of %s did not finish: %r was still running after %d seconds (_webserver.reload_timeout) '
                       'and was stopped.%s' % (server, self.reload_command, timeout, ' It printed:\n%s' % output if output else ''))
        restored, errors = self.roll_back()
        if errors:
            # A half-restored set must not be reloaded: the marker stays, and the message says what is where.
            message += ('\nPutting the previous files back failed for some of them (%s); put back: %s. The reload stays '
                        'owed, and the next run reloads.' % ('; '.join(errors), ', '.join(restored) or 'none'))
        elif not restored:
            message += '\nNothing was changed in this run; the reload stays owed, and the next run tries it again.'
        elif not finished:
            message += ('\nThe previous config %s and the files this run changed were put back (%s); they were not '
                        'reloaded, since the reload command hangs: the reload stays owed, and the next run reloads.'
                        % (self.webserver['path'], ', '.join(restored)))
        else:
            rc, again, finished = transaction.run_bounded(self.module, argv, timeout)
            result['reload_output'] = again
            outcome = ('exited with %s: %s' % (rc, again or '(no output)')) if finished else 'it did not finish'
            if finished and rc == 0:
                transaction.clear_marker(self.marker)
                message += ('\nThe previous config %s and the files this run changed were put back (%s), and %s was '
                            'reloaded with them: it serves what it served before.'
                            % (self.webserver['path'], ', '.join(restored), server))
            else:
                message += ('\nThe previous config %s and the files this run changed were put back (%s), but reloading '
                            '%s with them failed too (%s): the reload stays owed, and the next run reloads.'
                            % (self.webserver['path'], ', '.join(restored), server,
                               outcome))
        self.module.fail_json(msg=message, changed=True, webserver=result, states={})

    def record(self, step):
        self.states[step.name] = step.state
        if step.state in CHANGES:
            self.changed = True
            self.diffs.append(_content_diff(step.dest, step.before, step.after))

    def _set_attributes(self, arguments, created, name=None):
        # A file that check mode did not create has no attributes to compare.
        if self.module.check_mode and created:
            return
        file_diff = dict(before={}, after={})
        if files.set_attributes(self.module, arguments, diff=file_diff):
            self.changed = True
            if name is not None and self.states.get(name) == files.UNCHANGED:
                self.states[name] = files.UPDATED
            self.diffs.append(dict(file_diff, before_header=arguments['path'], after_header=arguments['path']))

    def set_attributes(self):
        """The documents get the owner, group and mode given; the config, bundle and served files only a mode."""
        for step in self.steps:
            if step.after is not None:
                self._set_attributes(dict(self.file_args, path=step.dest), step.state == files.CREATED, step.name)
        if self.site is None:
            return
        plain = dict((key, None) for key in self.file_args)
        # The files the site serves (the index page) get the documents' mode, as they are published the same way.
        targets = [(self.site['config'], self.webserver['mode']), (self.site['bundle'], '0600')]
        targets += [(target, self.module.params['mode']) for target in self.site['files']]
        for target, mode in targets:
            if target is not None:
                self._set_attributes(dict(plain, path=target.path, mode=mode), target.before is None)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/matrix/static-files/public/.well-known/matrix'),
            server=dict(type='dict'),
            client=dict(type='dict'),
            support=dict(type='dict'),
            policy_server=dict(type='dict'),
            documents=dict(type='dict', default={}),
            absent=dict(type='list', elements='str', default=[]),
            mode=dict(type='raw', default='0644'),
            directory_mode=dict(type='raw', default='0755'),
            _webserver=dict(type='dict'),
            remove_configs=dict(type='list', elements='path', default=[]),
            lock_timeout=dict(type='int', default=120),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    path = module.params['path'].rstrip('/') or '/'
    if not path.startswith('/'):
        message = ('path %r is relative: give an absolute path, such as /matrix/static-files/public/.well-known/matrix'
                   % module.params['path'])
        module.fail_json(msg=message, errors=[message])
    webserver, errors = _webserver(module.params)
    if errors:
        module.fail_json(msg='; '.join(errors), errors=errors)
    documents, absent, errors = _collect(module.params, webserver)
    contents, more_errors, warnings = check_and_serialize(documents)
    errors.extend(more_errors)
    if errors:
        module.fail_json(msg='Invalid well-known documents: ' + '; '.join(errors), errors=errors)
    for warning in warnings:
        module.warn(warning)

    result = dict(path=path, documents=documents, warnings_found=warnings,
                  invocation=_invocation(module.params, webserver))
    change = None
    try:
        with transaction.Lock(module.params['lock_timeout'], module.log) as lock:
            # Inspect every target before the first write: a bad path fails with nothing changed.
            change = Change(module, path, contents, absent, lock, webserver)
            try:
                change.lock_and_plan()
                for wait in lock.waits:
                    module.warn(wait)
                if change.site is not None:
                    result['webserver'] = change.check_webserver()
                reload_needed = change.site is not None and result['webserver']['reload']
                change.record_directory()
                if module.check_mode:
                    for step in change.steps:
                        change.record(step)
                else:
                    change.write(reload_needed)
                change.record_site()
                for stale in change.stale:
                    change.changed = True
                    change.diffs.append(dict(before={'path': stale, 'state': 'file'},
                                             after={'path': stale, 'state': 'absent'}))
                    module.warn('%s %s, a config this collection wrote for another web server or form: reload the '
                                'server that read it, so it stops serving it'
                                % ('would remove' if module.check_mode else 'removed', stale))
                change.set_attributes()
                if reload_needed and change.reload_command:
                    # A reload this run owes, or an earlier run left owed, is a change.
                    change.changed = True
                    if not module.check_mode:
                        change.reload(result['webserver'])
            finally:
                change.finish()
    except files.PlanError as exc:
        module.fail_json(msg=to_text(exc), states=change.states if change else {},
                         changed=getattr(exc, 'changed', False) or (change.changed if change else False))

    result.update(changed=change.changed, states=change.states, removed_configs=sorted(change.stale))
    if module._diff:
        result['diff'] = change.diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
