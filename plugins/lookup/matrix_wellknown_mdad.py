# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: matrix_wellknown_mdad
short_description: The C(/.well-known/matrix/*) documents that matrix-docker-ansible-deploy variables describe
version_added: 0.1.0
author:
  - matrix.wellknown contributors (@matrix-wellknown)
description:
  - Returns what M(matrix.wellknown.matrix_wellknown_mdad) (the P(matrix.wellknown.matrix_static_files#role)
    role's write step) writes for the current host, without writing anything. It reads the same variables
    (C(matrix_static_files_*) and the MDAD C(matrix_*) variables they default to) and takes no terms.
  - The self-check uses it for the documents the base domain must serve.
options: {}
"""

EXAMPLES = r"""
- name: Show the client document the role would write
  ansible.builtin.debug:
    msg: "{{ lookup('matrix.wellknown.matrix_wellknown_mdad').documents.client }}"
"""

RETURN = r"""
_raw:
  description: One mapping.
  type: list
  elements: dict
  contains:
    path:
      description: The directory of the documents.
      type: str
    public_path:
      description: The directory served as the web root (C(matrix_static_files_public_path)).
      type: str
    matrix_hostname:
      description: The hostname of the Matrix services.
      type: str
    documents:
      description: Each enabled document (C(client), C(server), C(support), C(mautrix), C(policy_server)), as data.
      type: dict
    absent:
      description: The disabled documents, which the role deletes.
      type: list
      elements: str
    owner:
      description: Owner of the files, or null.
      type: str
    group:
      description: Group of the files, or null.
      type: str
    mode:
      description: Mode of the files.
      type: raw
    directory_mode:
      description: Mode of the directory.
      type: raw
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.matrix.wellknown.plugins.module_utils import mdad


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError('matrix_wellknown_mdad takes no terms: it reads the host variables')
        variables = variables or {}
        values = dict((name, self._templar.template(variables[name])) for name in mdad.relevant(variables))
        try:
            return [mdad.plan(values)]
        except mdad.VariableError as exc:
            raise AnsibleLookupError(str(exc))
