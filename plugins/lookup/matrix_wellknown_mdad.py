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
options:
  role:
    description:
      - V(matrix_static_files) reads the current host's variables.
      - V(matrix_base_domain) reads the variables of the Matrix host whose documents the base domain serves, the
        inventory host named by C(matrix_base_domain_matrix_host), else the one host of group C(matrix_servers) whose
        C(matrix_domain) is the current host's (the current host's own variables when it is that host). No such host,
        or several, is an error naming C(matrix_base_domain_matrix_host).
    type: str
    default: matrix_static_files
    choices:
      - matrix_static_files
      - matrix_base_domain
"""

EXAMPLES = r"""
- name: Show the client document the role would write
  ansible.builtin.debug:
    msg: "{{ lookup('matrix.wellknown.matrix_wellknown_mdad').documents.client }}"

- name: Show the documents the base domain serves (the Matrix host's, from the inventory)
  ansible.builtin.debug:
    msg: "{{ lookup('matrix.wellknown.matrix_wellknown_mdad', role='matrix_base_domain').documents }}"
"""

RETURN = r"""
_raw:
  description: One mapping.
  type: list
  elements: dict
  contains:
    matrix_host:
      description: The inventory host whose variables gave the documents.
      type: str
    path:
      description: The directory of the documents.
      type: str
    public_path:
      description: The public directory of the static files (C(matrix_static_files_public_path)).
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

from ansible_collections.matrix.wellknown.plugins.plugin_utils import _mdad as mdad
from ansible_collections.matrix.wellknown.plugins.plugin_utils import _role_plan as role_plan


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError('matrix_wellknown_mdad takes no terms: it reads the host variables')
        variables = variables or {}
        self.set_options(var_options=variables, direct=kwargs)
        try:
            if self.get_option('role') == role_plan.BASE_DOMAIN:
                host, values = role_plan.matrix_variables(variables, self._templar.template)
            else:
                host = variables.get('inventory_hostname')
                values = dict((name, self._templar.template(variables[name])) for name in mdad.relevant(variables))
            # The role's defaults (its argument spec) for what the variables lack: outside the role, they are not set.
            return [dict(role_plan.plan_documents(values), matrix_host=host)]
        except role_plan.PlanError as exc:
            raise AnsibleLookupError('; '.join(exc.problems))
