# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The web server configs, rendered on the controller from a site that ``site.build_site`` checked.

One template per server type, in ``templates/`` beside this file. They are plain Jinja2 (no Ansible
filters or lookups): every value in a site has passed a grammar that leaves no room for config syntax,
so rendering needs nothing of the play and costs no task.
"""

from __future__ import annotations

import os

import jinja2

from ansible_collections.matrix.wellknown.plugins.module_utils import _servers as servers
from ansible_collections.matrix.wellknown.plugins.plugin_utils._site import default_config_path, managed_line

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'templates')

# Ansible's template defaults: a newline after a block tag is dropped, the file ends with its newline.
_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    trim_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
    autoescape=False,
)


def render(site):
    """The config of ``site`` for its server, as text; its first line is the collection's managed marker."""
    template = _ENVIRONMENT.get_template('%s.j2' % site['server'])
    return template.render(site=site, managed=managed_line(site['name']))


def check_advice(role, site, problem):
    """What to change when the server's check of a role's config found ``problem`` (the module's result
    ``webserver.problem``): the role's variables and the exact line to add; '' for other problems."""
    prefix = 'matrix_base_domain_' if role == 'matrix_base_domain' else 'matrix_static_files_webserver_'
    server = site['server']
    if problem.get('kind') == 'unresolved':
        if role != 'matrix_base_domain':
            return ''
        return ('\nSet matrix_base_domain_upstream_address to the Matrix host\'s IP address and port (for example '
                '"203.0.113.10:443"; the name stays in matrix_base_domain_upstream_hostname for Host, SNI and the '
                'certificate), or make %s resolve on this host.' % ', '.join(problem.get('names') or []))
    if problem.get('kind') != 'conflict':
        return ''
    snippet = default_config_path(server, 'snippet', role.replace('_', '-'))
    sites = sorted(set(path for conflict in problem.get('conflicts') or [] for path in conflict.get('sites') or []))
    where = ' of %s in %s' % (problem['conflicts'][0]['name'], ', '.join(sites)) if sites else ''
    if server == 'haproxy':
        frontend = problem['conflicts'][0].get('frontend') or 'your HTTPS frontend'
        line = 'use_backend %s if { path_beg /.well-known/matrix/ }' % site.get('haproxy_backend_name', role)
        target = 'the frontend %s%s, before its default_backend' % (frontend, ' in %s' % ', '.join(sites) if sites else '')
    else:
        line = servers.include_line(server, snippet)
        target = {'nginx': 'the server block', 'apache': 'the <VirtualHost>', 'caddy': 'the site block'}[server] + where
    method = ''
    if site.get('root_action', 'not_found') != 'not_found':
        # Method site is a whole site for a domain without one; beside a website, the documents are a snippet of it.
        method = 'matrix_base_domain_method: static, '
    return ('\nSet %s%sconfig_form: snippet (the role then writes %s%s) and add this line to %s:\n    %s'
            % (method, prefix, snippet, ', unless %sconfig_path names another file' % prefix, target, line))
