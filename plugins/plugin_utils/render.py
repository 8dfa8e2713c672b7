# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The web server configs, rendered on the controller from a site that ``site.build_site`` checked.

Private to this collection: no API stability is promised to other collections.
One template per server type, in ``templates/`` beside this file. They are plain Jinja2 (no Ansible
filters or lookups): every value in a site has passed a grammar that leaves no room for config syntax,
so rendering needs nothing of the play and costs no task.
"""

from __future__ import annotations

import os

import jinja2

from ansible_collections.matrix.wellknown.plugins.module_utils.site import managed_line

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
