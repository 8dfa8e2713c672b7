# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Netlify ``_redirects`` rule that proxies /.well-known/matrix/ to the Matrix host.

Private to this collection: no API stability is promised to other collections.
Pure functions only, called by the ``netlify_redirects`` filter and the unit tests.
"""

from __future__ import annotations

import posixpath

from ansible_collections.matrix.wellknown.plugins.module_utils.webserver import Checker, SiteError, upstream

# Marker lines of the managed block (ansible.builtin.blockinfile fills in {mark} with BEGIN and END).
MARKER = '# {mark} matrix.wellknown.matrix_base_domain: /.well-known/matrix/ from the Matrix host'

# Netlify proxies to a URL: it connects to the name it verifies, so only the port can change.
SAME_NAME_RULE = ('Netlify connects to the host named in the rule and checks its certificate against that same name, '
                  'so it cannot connect to {host!r} while verifying {name!r}. Give {name}:<port> (only the port can change)')


def redirects_block(settings, names=None):
    """The lines of the managed block in ``_redirects`` (text without the markers, no trailing newline).

    ``settings`` holds ``method`` (only ``proxy``), ``config_path`` (the ``_redirects`` file),
    ``upstream_hostname`` and ``upstream_address``; ``names`` maps them to variable names for messages.
    Raises SiteError listing every problem.
    """
    checker = Checker(names)
    if not isinstance(settings, dict):
        raise SiteError(['the Netlify settings are not a mapping'])
    method = settings.get('method')
    if method != 'proxy':
        checker.fail('method', '%r: Netlify proxies /.well-known/matrix/ to the Matrix host; only method proxy applies' % (method,))
    path = settings.get('config_path')
    if not isinstance(path, str) or not posixpath.isabs(path):
        checker.fail('config_path', '%r is not an absolute path: give the _redirects file in the publish directory of '
                                    'your Netlify site' % (path,))
    target = upstream(checker, settings, SAME_NAME_RULE)
    if checker.problems:
        raise SiteError(checker.problems)
    origin = target['upstream_hostname']
    if target['connect_port'] != 443:
        origin = '%s:%d' % (origin, target['connect_port'])
    return '\n'.join([
        '# Rules apply first match first: this block stays at the top. 200! proxies even where a file of the site',
        '# has the same path, so a stale copy of a document is never served.',
        '/.well-known/matrix/*  https://%s/.well-known/matrix/:splat  200!' % origin,
    ])
