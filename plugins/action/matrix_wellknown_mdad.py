# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' one step: plan and validate on the controller, render the config, one module call per host."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.matrix.wellknown.plugins.plugin_utils import _mdad as mdad
from ansible_collections.matrix.wellknown.plugins.plugin_utils import _render as render
from ansible_collections.matrix.wellknown.plugins.plugin_utils import _role_plan as role_plan

# The roles' registered results, which are in the variables of later tasks.
_REGISTERED = ('matrix_static_files_result', 'matrix_static_files_self_check_result', 'matrix_base_domain_result',
               'matrix_base_domain_netlify_result', 'matrix_base_domain_cloudfront_result')


def known_variables():
    """The roles' variables (their argument specs, the one list of them), MDAD's own and the registered results."""
    known = set(_REGISTERED) | mdad.MDAD_VARIABLES | set(mdad.RULES)
    for role in role_plan.ROLES:
        known.update(role_plan.argument_specs(role))
    return frozenset(known)


# Read once, when the strategy loads this class in the controller's main process (before it forks the workers
# that run the task on each host), not once per host.
KNOWN_VARIABLES = known_variables()


def template_variables(templar, role, variables):
    """The values of the variables role_plan.plan reads, templated once each."""
    return dict((name, templar.template(variables[name])) for name in role_plan.relevant(role, variables))


def module_arguments(planned):
    """The arguments of matrix_wellknown for a plan: its documents (none for a proxy: the module then leaves the
    documents' directory alone), its web server config (the internal option ``_webserver``), stale configs."""
    arguments = {'remove_configs': planned['remove_configs']}
    documents = planned['documents']
    if documents is not None:
        arguments.update((key, documents[key]) for key in ('path', 'documents', 'absent', 'mode', 'directory_mode'))
        arguments.update((key, documents[key]) for key in ('owner', 'group') if documents[key] is not None)
    site = planned['site']
    if site is not None:
        arguments['_webserver'] = {
            'server': site['server'],
            'path': site['config_path'],
            'form': site['form'],
            'content': render.render(site),
            'tls_bundle': site.get('tls_bundle'),
            'files': [planned['index']] if planned.get('index') else [],
            'reload_command': planned['reload_command'] or None,
        }
        if planned.get('reload_timeout') is not None:
            arguments['_webserver']['reload_timeout'] = planned['reload_timeout']
    return arguments


class ActionModule(ActionBase):
    """Both roles' write step; argument ``role`` says whose variables to read."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(('role',))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # no longer has any effect
        role = self._task.args.get('role', role_plan.STATIC_FILES)
        task_vars = task_vars or {}
        warnings = role_plan.unknown_variables(task_vars, KNOWN_VARIABLES)
        if warnings:
            result['warnings'] = warnings
        try:
            planned = role_plan.plan(role, template_variables(self._templar, role, task_vars),
                                     lambda: role_plan.matrix_variables(task_vars, self._templar.template)[1])
        except role_plan.PlanError as exc:
            result.update(failed=True, msg='; '.join(exc.problems), problems=exc.problems)
            return result
        result.update(server=planned['server'], reload_command=planned['reload_command'], config_path=planned['config_path'])
        hosted = [key for key in ('netlify_block', 'netlify_marker', 'cloudfront') if key in planned]
        if hosted:
            # A hosted service: the role's next task writes its file; nothing of ours runs on the host, and there is
            # no document to validate (the service forwards to the Matrix host).
            result.update((key, planned[key]) for key in hosted)
            result.update(documents=(planned['documents'] or {}).get('documents', {}), warnings_found=[])
            return result
        written = self._execute_module(module_name='matrix.wellknown.matrix_wellknown',
                                       module_args=module_arguments(planned), task_vars=task_vars)
        result.update(written, warnings=warnings + list(written.get('warnings') or []))
        problem = (result.get('webserver') or {}).get('problem')
        if result.get('failed') and problem:
            result['msg'] = result.get('msg', '') + render.check_advice(role, planned['site'], problem)
        if result.get('failed') and isinstance(result.get('msg'), str):
            # The module names its options; the role's user set variables.
            for option, variable in planned.get('reload_variables', {}).items():
                result['msg'] = result['msg'].replace('_' + option, variable).replace(option, variable)
        self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
