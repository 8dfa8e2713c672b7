# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The names the typo check knows (plugins/action/matrix_wellknown_mdad.py): the roles', MDAD's, the results."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.matrix.wellknown.plugins.action.matrix_wellknown_mdad import KNOWN_VARIABLES
from ansible_collections.matrix.wellknown.plugins.plugin_utils import _role_plan as role_plan

ROLES_DIR = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles')


@pytest.mark.parametrize('role', role_plan.ROLES)
def test_every_variable_of_a_role_is_known(role):
    with open(os.path.join(ROLES_DIR, role, 'meta', 'argument_specs.yml')) as handle:
        options = yaml.safe_load(handle)['argument_specs']['main']['options']
    with open(os.path.join(ROLES_DIR, role, 'defaults', 'main.yml')) as handle:
        defaults = yaml.safe_load(handle)
    assert sorted(set(options) | set(defaults)) and sorted(set(options) - KNOWN_VARIABLES) == []
    assert sorted(set(defaults) - KNOWN_VARIABLES) == []


def test_mdad_variables_and_results_are_known_and_typos_are_not():
    # A vars.yml of MDAD sets its container's and labels' variables; the roles register their results.
    for name in ('matrix_static_files_container_labels_base_domain_enabled', 'matrix_static_files_enabled',
                 'matrix_static_files_file_index_html_template', 'matrix_static_files_result',
                 'matrix_base_domain_result', 'matrix_static_files_file_matrix_client_configuration_extension_json'):
        assert name in KNOWN_VARIABLES
    for name in ('matrix_static_files_file_matrix_suport_enabled', 'matrix_base_domain_webservr'):
        assert name not in KNOWN_VARIABLES
    assert role_plan.unknown_variables(['matrix_static_files_file_matrix_support_property_m_contact'], KNOWN_VARIABLES) == [
        'matrix_static_files_file_matrix_support_property_m_contact is not a variable of the matrix.wellknown roles (nor '
        'of MDAD): it has no effect. Did you mean matrix_static_files_file_matrix_support_property_m_contacts?']
