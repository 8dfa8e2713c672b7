# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The web server types this collection configures, each with its facts, stated once.

Pure data: no I/O and no imports, so that the controller (the site, the roles' plan) and the target (the
server's check, the modules) read the same facts. The modules' ``choices`` and the roles' argument specs
are YAML, which cannot import this: a unit test (tests/unit/plugins/module_utils/test_servers.py) fails when
they list other types than ``NAMES``.
"""

from __future__ import annotations

# Each type, in the order the docs list them:
#   title        how messages name the server
#   serves_files whether it serves the documents from a directory (the Matrix host, and every method of the base
#                domain); Traefik serves no files, it forwards the base domain's /.well-known/matrix/ (method proxy)
#   binaries     the programs that can check a config, in the order they are looked for
#   main_config  the main configuration of Debian's package, which the whole-configuration check stages
#   service      the systemd service the default reload command reloads (None: Traefik's file provider watches
#                its files and needs no reload)
#   directories  per form, where Debian's package picks up extra configuration, and the file suffix; a snippet
#                goes where nothing includes it automatically (it belongs inside an existing site, which
#                includes it by path). Traefik: the host directory of MDAD's Traefik container's /config, which
#                MDAD's docs load with the file provider.
#   include      how a site of the server loads a file (for HAProxy, the service option that loads it)
TYPES = {
    'nginx': {
        'title': 'nginx',
        'serves_files': True,
        'binaries': ('nginx',),
        'main_config': '/etc/nginx/nginx.conf',
        'service': 'nginx',
        'directories': {'server': ('/etc/nginx/conf.d', '.conf'), 'snippet': ('/etc/nginx/snippets', '.conf')},
        'include': 'include %s;',
    },
    'apache': {
        'title': 'Apache',
        'serves_files': True,
        'binaries': ('apache2', 'httpd'),
        'main_config': '/etc/apache2/apache2.conf',
        'service': 'apache2',
        'directories': {'server': ('/etc/apache2/sites-enabled', '.conf'),
                        'snippet': ('/etc/apache2/snippets', '.conf')},
        'include': 'Include %s',
    },
    'caddy': {
        'title': 'Caddy',
        'serves_files': True,
        'binaries': ('caddy',),
        'main_config': '/etc/caddy/Caddyfile',
        'service': 'caddy',
        'directories': {'server': ('/etc/caddy/Caddyfile.d', '.caddyfile'),
                        'snippet': ('/etc/caddy/snippets', '.caddyfile')},
        'include': 'import %s',
    },
    'haproxy': {
        'title': 'HAProxy',
        'serves_files': True,
        'binaries': ('haproxy',),
        'main_config': '/etc/haproxy/haproxy.cfg',
        'service': 'haproxy',
        'directories': {'server': ('/etc/haproxy/conf.d', '.cfg'), 'snippet': ('/etc/haproxy/conf.d', '.cfg')},
        'include': '-f %s',
    },
    'traefik': {
        'title': 'Traefik',
        'serves_files': False,
        'binaries': ('traefik',),
        'main_config': None,
        'service': None,
        'directories': {'server': ('/matrix/traefik/config', '.yml')},
        'include': None,
    },
}

# Every type, in the registry's order (dicts keep it on every Python ansible-core 2.18 runs on): the modules' choices.
NAMES = tuple(TYPES)
STATIC_SERVERS = tuple(name for name in NAMES if TYPES[name]['serves_files'])
PROXY_SERVERS = tuple(name for name in NAMES if not TYPES[name]['serves_files'])

# The first line of every web server config this collection writes: how it recognises its own files (the
# controller writes it, the target's writer looks for it before it removes a config of another type).
MANAGED_PREFIX = '# Ansible managed (matrix.wellknown, site '


def title(server):
    """How messages name ``server`` (nginx, Apache, ...)."""
    return TYPES[server]['title']


def include_line(server, path):
    """How a site of ``server`` loads the file ``path`` (for HAProxy, the service option that loads it)."""
    return TYPES[server]['include'] % path
