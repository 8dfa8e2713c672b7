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
    when their content or attributes differ. Output is stable JSON (sorted keys, 4-space indent,
    trailing newline, UTF-8).
author:
  - matrix.wellknown contributors (@matrix-wellknown)
options:
  path:
    description:
      - Directory the documents are written to. It is created, with missing parents, when absent.
      - Must be absolute; a relative path is refused.
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
      - Other documents to write in the same directory, as a mapping of file name to JSON object,
        for example C(mautrix) holding C(fi.mau.bridges).
      - They are checked to be JSON objects under 50 KiB; their content is not otherwise validated.
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
    description: Documents are written to a temporary file beside the target and renamed into place.
    support: full
  idempotent:
    description: When run twice with the same options, the second run reports no change.
    support: full
notes:
  - Owner, group and mode apply to the document files; O(owner), O(group) and O(directory_mode) also apply to O(path).
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
warnings_found:
  description: Non-fatal findings of the validation (also emitted as warnings).
  returned: always
  type: list
  elements: str
  sample: ["client: m.homeserver.base_url 'http://matrix.example.com' uses plain http: clients expect https"]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.matrix.wellknown.plugins.module_utils.documents import (
    OPTION_DOCUMENTS,
    check_document_name,
    serialize,
    validate_documents,
)
from ansible_collections.matrix.wellknown.plugins.module_utils import files


CHANGES = (files.CREATED, files.UPDATED, files.REMOVED)


def _content_diff(step):
    dummy, dest, dummy, before, after = step
    return dict(before_header='%s (content)' % dest, after_header='%s (content)' % dest,
                before=to_text(before or b''), after=to_text(after or b''))


def _collect(params):
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
    return documents, absent, errors


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
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    path = module.params['path'].rstrip('/') or '/'
    if not path.startswith('/'):
        message = ('path %r is relative: give an absolute path, such as /matrix/static-files/public/.well-known/matrix'
                   % module.params['path'])
        module.fail_json(msg=message, errors=[message])
    documents, absent, errors = _collect(module.params)
    more_errors, warnings = validate_documents(documents)
    errors.extend(more_errors)
    if errors:
        module.fail_json(msg='Invalid well-known documents: ' + '; '.join(errors), errors=errors)
    for warning in warnings:
        module.warn(warning)

    contents = dict((name, serialize(document)) for name, document in documents.items())
    file_args = module.load_file_common_arguments(module.params)
    dir_args = dict(file_args, path=path, mode=module.params['directory_mode'])
    changed = False
    diffs = []
    states = {}
    try:
        # Inspect every target before the first write: a bad path fails with nothing changed.
        exists, steps = files.plan(path, contents, absent)
        if exists:
            dir_diff = dict(before={}, after={})
            changed = module.set_fs_attributes_if_different(dir_args, changed, diff=dir_diff)
            if dir_diff['before']:
                diffs.append(dict(dir_diff, before_header=path, after_header=path))
        else:
            changed = True
            diffs.append(dict(before={'path': path, 'state': 'absent'}, after={'path': path, 'state': 'directory'}))
        if module.check_mode:
            states = dict((step[0], step[2]) for step in steps)
            diffs.extend(_content_diff(step) for step in steps if step[2] in CHANGES)
            changed = changed or bool(set(states.values()) & set(CHANGES))
        else:
            if not exists:
                for directory in files.make_directories(path):
                    module.set_fs_attributes_if_different(dict(dir_args, path=directory), False)
            with files.locked(path):
                # Plan again under the lock: another run may have changed the files meanwhile.
                dummy, steps = files.plan(path, contents, absent)
                for step in steps:
                    name, dest, state, dummy, after = step
                    # Recorded once done: a refused write (read-only or immutable directory) reports no change.
                    if state in CHANGES:
                        if state == files.REMOVED:
                            files.remove(dest)
                        else:
                            files.write_atomically(module, dest, after)
                        changed = True
                        diffs.append(_content_diff(step))
                    states[name] = state
        for name, dest, state, dummy, after in steps:
            # A file that check mode did not create has no attributes to compare.
            if after is not None and not (module.check_mode and state == files.CREATED):
                file_diff = dict(before={}, after={})
                if module.set_fs_attributes_if_different(dict(file_args, path=dest), False, diff=file_diff):
                    changed = True
                    if states[name] == files.UNCHANGED:
                        states[name] = files.UPDATED
                    diffs.append(dict(file_diff, before_header=dest, after_header=dest))
    except files.PlanError as exc:
        module.fail_json(msg=to_text(exc), states=states, changed=changed)

    result = dict(changed=changed, path=path, states=states, documents=documents, warnings_found=warnings)
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
