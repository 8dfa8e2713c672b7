# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the documents from the host's MDAD variables on the controller, write them with one module call."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.matrix.wellknown.plugins.module_utils import mdad


def template_variables(templar, variables):
    """The values of the variables mdad.plan reads, templated once each."""
    return dict((name, templar.template(variables[name])) for name in mdad.relevant(variables))


class ActionModule(ActionBase):
    """The matrix_static_files role's write step: no Jinja chains, one round trip per host."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset()

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # no longer has any effect
        try:
            plan = mdad.plan(template_variables(self._templar, task_vars or {}))
        except mdad.VariableError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        module_args = dict(
            path=plan['path'],
            documents=plan['documents'],
            absent=plan['absent'],
            mode=plan['mode'],
            directory_mode=plan['directory_mode'],
        )
        for name in ('owner', 'group'):
            if plan[name] is not None:
                module_args[name] = plan[name]
        result.update(self._execute_module(
            module_name='matrix.wellknown.matrix_wellknown', module_args=module_args, task_vars=task_vars))
        self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
