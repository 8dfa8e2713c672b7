# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The Netlify ``_redirects`` rule that proxies /.well-known/matrix/ to the Matrix host.

Pure functions only, called by the role plan (``_role_plan``, method proxy on Netlify) and the unit tests.
"""

from __future__ import annotations

from ansible_collections.matrix.wellknown.plugins.plugin_utils._settings import Problems, SettingsError, hosted_service

# Marker lines of the managed block (ansible.builtin.blockinfile fills in {mark} with BEGIN and END).
MARKER = '# {mark} matrix.wellknown.matrix_base_domain: /.well-known/matrix/ from the Matrix host'


def redirects_block(settings, names=None):
    """The lines of the managed block in ``_redirects`` (text without the markers, no trailing newline).

    ``settings`` holds ``method`` (only ``proxy``), ``config_path`` (the ``_redirects`` file),
    ``upstream_hostname`` and ``upstream_address``; ``names`` maps them to variable names for messages.
    Raises SettingsError listing every problem.
    """
    if not isinstance(settings, dict):
        raise SettingsError(['the Netlify settings are not a mapping'])
    problems = Problems(names)
    target = hosted_service(problems, settings, 'netlify', 'the _redirects file in the publish directory of your Netlify site')
    problems.raise_any()
    origin = target['upstream_hostname']
    if target['connect_port'] != 443:
        origin = '%s:%d' % (origin, target['connect_port'])
    return '\n'.join([
        '# Rules apply first match first: this block stays at the top. 200! proxies even where a file of the site',
        '# has the same path, so a stale copy of a document is never served.',
        '/.well-known/matrix/*  https://%s/.well-known/matrix/:splat  200!' % origin,
    ])
