#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: matrix_pem_bundle
short_description: Join a certificate chain and its private key into the one PEM file HAProxy loads
version_added: 0.1.0
description:
  - HAProxy's C(crt) wants the certificate chain and the private key in one file. This module reads
    O(certificate) and O(key) on the managed host and writes them, in that order, to O(path).
  - The private key never leaves the host and never appears in the output or the diff.
  - The bundle is created with its final mode (C(0600) by default) before it is renamed into place, so the
    key is never readable by others, not even for a moment.
  - The bundle is a copy. When the certificate is renewed, run this module again (or the role that
    calls it) and reload HAProxy.
author:
  - matrix.wellknown contributors (@matrix-wellknown)
options:
  path:
    description: The bundle to write. Its directory must exist.
    type: path
    required: true
  certificate:
    description: The certificate, followed by its intermediate certificates (for example C(fullchain.pem)).
    type: path
    required: true
  key:
    description: The private key of the certificate (for example C(privkey.pem)).
    type: path
    required: true
  mode:
    description:
      - Permissions of the bundle. See O(ansible.builtin.file#module:mode).
      - A mode that lets others write (for example V('0666') or V(o+w)) is refused before anything is written.
    type: raw
    default: '0600'
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    description: The diff shows the file attributes and whether the content changes, never the content.
    support: partial
  platform:
    platforms: posix
  safe_file_operations:
    description: The bundle is written to a temporary file beside O(path) and renamed into place.
    support: full
  idempotent:
    description: When run twice with the same options, the second run reports no change.
    support: full
seealso:
  - module: matrix.wellknown.matrix_webserver_config
"""

EXAMPLES = r"""
- name: Build the PEM HAProxy serves example.com with
  matrix.wellknown.matrix_pem_bundle:
    path: /etc/haproxy/conf.d/matrix-base-domain.pem
    certificate: /etc/letsencrypt/live/example.com/fullchain.pem
    key: /etc/letsencrypt/live/example.com/privkey.pem
"""

RETURN = r"""
path:
  description: The bundle.
  returned: always
  type: str
  sample: /etc/haproxy/conf.d/matrix-base-domain.pem
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.matrix.wellknown.plugins.module_utils import _files as files
from ansible_collections.matrix.wellknown.plugins.module_utils._site_files import pem_bundle


def _read(module, path, what):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        module.fail_json(msg='Cannot read the %s %s: %s' % (what, path, to_native(exc.strerror or exc)))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            certificate=dict(type='path', required=True),
            key=dict(type='path', required=True),
            mode=dict(type='raw', default='0600'),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    path = module.params['path']
    if files.is_world_writable(module.params['mode']):
        module.fail_json(msg='mode %r would let any local user replace the certificate and private key in %s: '
                             'drop the write bit for others' % (module.params['mode'], path))
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        module.fail_json(msg='Cannot write %s: the directory %s does not exist' % (path, directory))
    if os.path.isdir(path):
        module.fail_json(msg='Cannot write %s: it is a directory' % path)
    data = pem_bundle(_read(module, module.params['certificate'], 'certificate'),
                      _read(module, module.params['key'], 'private key'))
    try:
        before = files.read_current(path)
    except files.PlanError as exc:
        module.fail_json(msg=to_native(exc))

    result = dict(changed=False, path=path)
    diffs = []
    if before != data:
        result['changed'] = True
        diffs.append(dict(before_header='%s (content)' % path, after_header='%s (content)' % path,
                          before='' if before is None else '(a certificate and private key)\n',
                          after='(the certificate of %s and its private key)\n' % module.params['certificate']))
        if not module.check_mode:
            try:
                # Created owner-only; the mode asked for is applied below.
                files.write_atomically(path, data, private=True)
            except files.PlanError as exc:
                module.fail_json(msg=to_native(exc))
    if os.path.exists(path):
        file_diff = dict(before={}, after={})
        try:
            attributes_changed = files.set_attributes(module, module.load_file_common_arguments(module.params), diff=file_diff)
        except files.PlanError as exc:
            module.fail_json(msg=to_native(exc), **result)
        if attributes_changed:
            result['changed'] = True
            diffs.append(dict(file_diff, before_header=path, after_header=path))
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
