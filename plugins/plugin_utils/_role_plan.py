# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""What a role run does, planned and validated on the controller before anything is written.

``plan(role, values, matrix_values)`` takes the (templated) values of the variables ``relevant(role, names)``
selects and returns the documents to write, the web server site (checked, for the template) or the hosted service's
file, the configs of other servers to remove, and the reload command. Every problem names the user's
variable and raises ``PlanError``; nothing has been written then. No Ansible; the only file read is each role's
``meta/argument_specs.yml`` (``role_defaults``), once: a variable missing from ``values`` gets its default there,
which is where the roles' defaults are written (with ``defaults/main.yml``, which a unit test keeps in agreement).

The base domain serves the documents of the Matrix host: ``matrix_variables`` picks that host in the inventory
(``matrix_base_domain_matrix_host``, else the host of group ``matrix_servers`` with this ``matrix_domain``) and
reads its variables. ``unknown_variables`` finds the names with a role's prefix that nothing reads (typos).
"""

from __future__ import annotations

import copy
import difflib
import functools
import ipaddress
import os

from fractions import Fraction

import yaml

from ansible_collections.matrix.wellknown.plugins.plugin_utils import _cloudfront as cloudfront
from ansible_collections.matrix.wellknown.plugins.module_utils import _documents as documents
from ansible_collections.matrix.wellknown.plugins.plugin_utils import _mdad as mdad
from ansible_collections.matrix.wellknown.plugins.plugin_utils import _netlify as netlify
from ansible_collections.matrix.wellknown.plugins.plugin_utils._settings import (
    CACHE_MAX_AGE_MAX,
    Problems,
    SettingsError,
    check_cache_max_age,
    check_file_path,
    check_path,
    check_site_hostname,
)
from ansible_collections.matrix.wellknown.plugins.plugin_utils._site import (
    PROXY_SERVERS,
    SERVERS,
    STATIC_SERVERS,
    FORMS,
    build_site,
    check_traefik_method_form,
    default_config_path,
    default_reload_command,
)

STATIC_FILES = 'matrix_static_files'
BASE_DOMAIN = 'matrix_base_domain'
ROLES = (STATIC_FILES, BASE_DOMAIN)
HOSTED = ('netlify', 'cloudfront')
# The methods of the base domain that generate the documents on its host (from the same variables as the Matrix host).
GENERATING_METHODS = ('static', 'site')
# The inventory host whose variables give the documents the base domain serves, and the group searched for it
# when that variable is empty (MDAD's group of Matrix hosts).
MATRIX_HOST = 'matrix_base_domain_matrix_host'
MATRIX_GROUP = 'matrix_servers'
# Settings of the files the base domain writes that stay this host's own with the Matrix host's documents: the
# Matrix host's user may not exist here, and its web server is not this one.
LOCAL_DOCUMENT_VARIABLES = ('matrix_user_name', 'matrix_group_name', 'matrix_static_files_file_owner',
                            'matrix_static_files_file_group', 'matrix_static_files_file_mode',
                            'matrix_static_files_directory_mode')
# The variable prefixes the roles own: any other name with one of them is a typo (or a variable of MDAD).
OWN_PREFIXES = ('matrix_static_files_', 'matrix_base_domain_')
# The file names of the configs, by role (the role's name with "-").
CONFIG_NAMES = {STATIC_FILES: 'matrix-static-files', BASE_DOMAIN: 'matrix-base-domain'}
CACHE_HOURS = 'matrix_static_files_files_cache_time_hours'
# HAProxy answers with a served file from one buffer (tune.bufsize, 16384 bytes by default) that also holds
# the status line and headers: a larger document makes the whole configuration fail to load.
HAPROXY_BUFFER = 16384
HAPROXY_HEADROOM = 1024
# The roles, as shipped in the collection beside plugins/.
ROLES_DIRECTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'roles')


class PlanError(ValueError):
    """Settings that cannot be used; ``problems`` lists one message per variable."""

    def __init__(self, problems):
        self.problems = problems
        super(PlanError, self).__init__('; '.join(problems))


@functools.lru_cache(maxsize=None)
def argument_specs(role):
    """The options of ``role``'s main entry point, from its ``meta/argument_specs.yml``: every variable of the role."""
    with open(os.path.join(ROLES_DIRECTORY, role, 'meta', 'argument_specs.yml')) as handle:
        specs = yaml.load(handle, Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))
    return specs['argument_specs']['main']['options']


def role_defaults(role):
    """The defaults of the variables a run of ``role`` reads, from the argument specs (a default that Ansible
    templates is described there in words, not given, and is the role's to fill in). The base domain also reads
    variables of matrix_static_files (the documents' owner and modes, the cache time): that role's defaults too."""
    defaults = {}
    for owner in ((STATIC_FILES, BASE_DOMAIN) if role == BASE_DOMAIN else (role,)):
        defaults.update((name, spec['default']) for name, spec in argument_specs(owner).items() if 'default' in spec)
    return copy.deepcopy(defaults)


# The variables plan reads, besides the documents' (mdad.relevant) for the Matrix host: what the action templates.
READ = {
    STATIC_FILES: frozenset(('matrix_static_files_webserver', CACHE_HOURS) + tuple(
        'matrix_static_files_webserver_' + name for name in (
            'config_form', 'config_path', 'hostname', 'https_port', 'listen_addresses', 'tls_certificate',
            'tls_certificate_key', 'haproxy_backend_name', 'haproxy_tls_bundle_path', 'reload_command',
            'reload_timeout'))),
    # The base domain's documents are the Matrix host's (matrix_variables): only this host's own settings of them.
    BASE_DOMAIN: frozenset((CACHE_HOURS,) + LOCAL_DOCUMENT_VARIABLES + tuple(
        'matrix_base_domain_' + name for name in (
            'webserver', 'method', 'config_form', 'config_path', 'public_path', 'root', 'index_html',
            'root_redirect_url', 'hostname', 'https_port', 'listen_addresses', 'tls_certificate', 'tls_certificate_key',
            'haproxy_backend_name', 'haproxy_tls_bundle_path', 'upstream_hostname', 'upstream_address',
            'upstream_ca_file', 'traefik_entrypoint', 'traefik_priority', 'traefik_tls', 'traefik_certresolver',
            'cloudfront_origin_id', 'cloudfront_cache_policy_id', 'reload_command', 'reload_timeout'))),
}


def relevant(role, names):
    """The names, among ``names``, of the variables ``plan(role, ...)`` reads."""
    read = READ.get(role, frozenset())
    if role == STATIC_FILES:
        return [name for name in names if name in read or name in mdad.relevant([name])]
    return [name for name in names if name in read]


def pick_matrix_host(this_host, chosen, domain, inventory, matrix_servers):
    """The inventory name of the Matrix host: ``chosen`` (matrix_base_domain_matrix_host) when set, else the one
    host of ``matrix_servers`` ({name: its matrix_domain}) whose matrix_domain is ``domain``; ``inventory`` holds
    every inventory name. Raises PlanError naming matrix_base_domain_matrix_host when there is not exactly one."""
    if chosen:
        if chosen not in inventory:
            raise PlanError(['%s: %r is not a host of the inventory: name the inventory host of the Matrix server, '
                             'whose variables give the documents the base domain serves' % (MATRIX_HOST, chosen)])
        return chosen
    if not domain:
        raise PlanError(['matrix_domain is not set for %s: set it (the base domain, e.g. example.com) so that the Matrix '
                         'host with the same matrix_domain is found in group %s, or set %s'
                         % (this_host, MATRIX_GROUP, MATRIX_HOST)])
    found = sorted(name for name, theirs in matrix_servers.items() if theirs == domain)
    if not found:
        raise PlanError(['%s: no host of group %s has matrix_domain %r, and the base domain serves the documents of '
                         'the Matrix host (methods static and site, the self-check). Add the Matrix host to the '
                         'inventory in group %s (as MDAD has it), or set %s to its inventory name ("{{ '
                         'inventory_hostname }}" when this host holds the Matrix host\'s variables)'
                         % (MATRIX_HOST, MATRIX_GROUP, domain, MATRIX_GROUP, MATRIX_HOST)])
    if len(found) > 1:
        raise PlanError(['%s: hosts %s of group %s all have matrix_domain %r: set it to the one whose documents the '
                         'base domain serves' % (MATRIX_HOST, ', '.join(found), MATRIX_GROUP, domain)])
    return found[0]


def matrix_variables(variables, template):
    """``(host, values)``: the Matrix host whose documents the base domain serves, and the values of the variables
    mdad.plan reads, as that host has them. ``variables`` are this host's (with ``hostvars``, ``groups``,
    ``inventory_hostname``); ``template`` templates one of this host's values. Another host's variables come
    from ``hostvars``, which templates them in that host's context; this host's own from ``variables``, which
    also hold its play and role variables."""
    this_host = variables.get('inventory_hostname')
    hostvars = variables.get('hostvars') or {}
    chosen = template(variables[MATRIX_HOST]) if MATRIX_HOST in variables else ''
    domain = template(variables['matrix_domain']) if 'matrix_domain' in variables else None
    matrix_servers = {}
    if not chosen:
        for name in (variables.get('groups') or {}).get(MATRIX_GROUP, ()):
            if name == this_host:
                matrix_servers[name] = domain
            elif 'matrix_domain' in hostvars[name]:
                matrix_servers[name] = hostvars[name]['matrix_domain']
    host = pick_matrix_host(this_host, chosen, domain, set(hostvars) | {this_host}, matrix_servers)
    if host == this_host:
        return host, dict((name, template(variables[name])) for name in mdad.relevant(variables))
    theirs = hostvars[host]
    return host, dict((name, theirs[name]) for name in mdad.relevant(list(theirs)))


def unknown_variables(names, known):
    """A warning for each name with a prefix the roles own that is not in ``known`` (the roles' variables and
    MDAD's), naming the closest known one."""
    warnings = []
    for name in sorted(names):
        if not name.startswith(OWN_PREFIXES) or name in known:
            continue
        prefix = [own for own in OWN_PREFIXES if name.startswith(own)][0]
        close = difflib.get_close_matches(name, [other for other in known if other.startswith(prefix)], n=1, cutoff=0.8)
        warnings.append('%s is not a variable of the matrix.wellknown roles (nor of MDAD): it has no effect%s'
                        % (name, ('. Did you mean %s?' % close[0]) if close else ''))
    return warnings


def _site_names(prefix):
    """The user variable behind each field of a site, for messages."""
    fields = ('config_path', 'hostname', 'https_port', 'listen_addresses', 'tls_certificate',
              'tls_certificate_key', 'haproxy_backend_name', 'haproxy_tls_bundle_path')
    names = dict((field, prefix + field) for field in fields)
    names.update(form=prefix + 'config_form', cache_max_age=CACHE_HOURS)
    return names


def _cache_max_age(values):
    """Seconds of Cache-Control from the hours; text of a number too (ansible-core 2.18 templates numbers to text).

    Exact arithmetic: a float would overflow on a long number, and turn 0.1 hours into 360.00000000000006 seconds.
    """
    hours = values.get(CACHE_HOURS)
    seconds = None
    if isinstance(hours, (int, float, str)) and not isinstance(hours, bool):
        try:
            text = str(hours).strip()
            seconds = Fraction(text) * 3600 if '/' not in text else None
        except (ValueError, ZeroDivisionError, OverflowError):
            pass
    if seconds is None or seconds.denominator != 1 or check_cache_max_age(seconds.numerator):
        raise PlanError(['%s: %s is not a number of hours that makes a whole number of seconds (hours x 3600) from 0 '
                         'to %d' % (CACHE_HOURS, _short(hours), CACHE_MAX_AGE_MAX)])
    return seconds.numerator


def _short(value):
    """A value for a message, cut when long so that the rule stays readable."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return 'a number of more than 4300 digits'
    return text if len(text) <= 60 else '%s... (%d characters)' % (text[:40], len(text))


def _reload(result, values, prefix, server):
    """The reload command, its time bound, and the variables behind the module's options (for its messages)."""
    result['reload_command'] = values.get(prefix + 'reload_command') or default_reload_command(server)
    name = prefix + 'reload_timeout'
    timeout = values.get(name)
    if timeout is not None:
        try:
            timeout = int(str(timeout))
        except ValueError:
            timeout = 0
        if isinstance(values[name], bool) or timeout < 1:
            raise PlanError(['%s: %r is not a whole number of seconds, 1 or more' % (name, values[name])])
    result['reload_timeout'] = timeout
    result['reload_variables'] = {'webserver.reload_command': prefix + 'reload_command', 'webserver.reload_timeout': name}


def _choice(values, name, choices):
    value = values.get(name)
    if value not in choices:
        raise PlanError(['%s: %r is not one of %s' % (name, value, ', '.join(choices))])
    return value


def _stale_configs(role, current):
    """The configs this role would have written for another server or form: removed when they are ours."""
    servers = SERVERS if role == BASE_DOMAIN else STATIC_SERVERS
    paths = set(default_config_path(server, form, CONFIG_NAMES[role]) for server in servers for form in FORMS)
    paths.discard(current)
    paths.discard('')
    return sorted(paths)


def plan_documents(values, served=False, directory=None, matrix_values=None):
    """mdad.plan's documents, with matrix_static_files' defaults for what ``values`` lacks. ``served``: a web server
    config of the Matrix host will hold their directory. ``directory``: the base domain's own directory for them
    (MDAD's paths are then not read). ``matrix_values``: called for the Matrix host's values (the base domain).
    Raises PlanError."""
    values = dict(role_defaults(STATIC_FILES), **values)
    if matrix_values is not None:
        # The Matrix host's documents, with this host's owner and modes.
        local = dict((name, values[name]) for name in LOCAL_DOCUMENT_VARIABLES if name in values)
        values = dict(role_defaults(STATIC_FILES), **dict(
            (name, value) for name, value in matrix_values().items() if name not in LOCAL_DOCUMENT_VARIABLES))
        values.update(local)
    try:
        if served:
            mdad.check_served_path(values)
        return mdad.plan(values, directory)
    except mdad.VariableError as exc:
        raise PlanError([str(exc)])


def _check_haproxy_documents(served):
    contents, problems = documents.serialize_documents(served['documents'])
    for name, content in sorted(contents.items()):
        size = len(content)
        if size > HAPROXY_BUFFER - HAPROXY_HEADROOM:
            problems.append(
                '%s: serialises to %d bytes, but HAProxy answers with a served file from one buffer of %d bytes '
                '(tune.bufsize) that also holds the headers: keep it at %d bytes or less, or serve it with another web server'
                % (name, size, HAPROXY_BUFFER, HAPROXY_BUFFER - HAPROXY_HEADROOM))
    if problems:
        raise PlanError(problems)


def _build(site, server, names):
    try:
        return build_site(site, server, names)
    except SettingsError as exc:
        raise PlanError(exc.problems)


def _static_files(values):
    prefix = 'matrix_static_files_webserver_'
    if values.get('matrix_static_files_webserver') in PROXY_SERVERS:
        raise PlanError(['matrix_static_files_webserver: %r serves no files: use none and serve the documents with '
                         'another web server, or with Traefik through container labels as MDAD does'
                         % (values['matrix_static_files_webserver'],)])
    server = _choice(values, 'matrix_static_files_webserver', ('none',) + STATIC_SERVERS)
    served = plan_documents(values, served=server != 'none')
    result = {'documents': served, 'site': None, 'server': server, 'reload_command': '', 'config_path': None}
    if server == 'none':
        result['remove_configs'] = _stale_configs(STATIC_FILES, None)
        # The config written for the server used before, at the path the variable still names (removed when it is ours).
        old_path = values.get(prefix + 'config_path')
        if old_path and not check_file_path(old_path) and old_path not in result['remove_configs']:
            result['remove_configs'] = sorted(result['remove_configs'] + [old_path])
        return result
    form = _choice(values, prefix + 'config_form', FORMS)
    config_path = values.get(prefix + 'config_path') or default_config_path(server, form, CONFIG_NAMES[STATIC_FILES])
    hostname = values.get(prefix + 'hostname') or served['matrix_hostname']
    # The certificate paths derive from the hostname: a bad hostname is reported once, under its own name.
    certificate_name = hostname if not check_site_hostname(hostname) else 'invalid'
    names = _site_names(prefix)
    names.update(directory='matrix_static_files_public_well_known_matrix_path',
                 documents='matrix_static_files_file_matrix_*_enabled')
    site = {
        'name': STATIC_FILES,
        'form': form,
        'config_path': config_path,
        'hostname': hostname,
        'https_port': values.get(prefix + 'https_port'),
        'listen_addresses': values.get(prefix + 'listen_addresses'),
        'tls_certificate': (values.get(prefix + 'tls_certificate')
                            or '/etc/letsencrypt/live/%s/fullchain.pem' % certificate_name),
        'tls_certificate_key': (values.get(prefix + 'tls_certificate_key')
                                or '/etc/letsencrypt/live/%s/privkey.pem' % certificate_name),
        'haproxy_backend_name': values.get(prefix + 'haproxy_backend_name'),
        'haproxy_tls_bundle_path': (values.get(prefix + 'haproxy_tls_bundle_path')
                                    or _bundle_path(config_path)),
        'root_action': 'not_found',
        'wellknown': {'method': 'static', 'directory': served['path'], 'documents': sorted(served['documents']),
                      'cache_max_age': _cache_max_age(values)},
    }
    result['site'] = _build(site, server, names)
    result['config_path'] = config_path
    if server == 'haproxy':
        _check_haproxy_documents(served)
    _reload(result, values, prefix, server)
    result['remove_configs'] = _stale_configs(STATIC_FILES, config_path)
    return result


def _bundle_path(config_path):
    if isinstance(config_path, str) and config_path.endswith('.cfg'):
        return config_path[:-len('.cfg')] + '.pem'
    return '%s.pem' % (config_path,)


BASE_DOMAIN_NAMES = dict(
    _site_names('matrix_base_domain_'),
    method='matrix_base_domain_method',
    root_action='matrix_base_domain_root',
    index_file='matrix_base_domain_public_path',
    redirect_url='matrix_base_domain_root_redirect_url',
    directory='matrix_base_domain_public_path',
    upstream_hostname='matrix_base_domain_upstream_hostname',
    upstream_address='matrix_base_domain_upstream_address',
    upstream_ca_file='matrix_base_domain_upstream_ca_file',
    traefik_entrypoint='matrix_base_domain_traefik_entrypoint',
    traefik_priority='matrix_base_domain_traefik_priority',
    traefik_tls='matrix_base_domain_traefik_tls',
    traefik_certresolver='matrix_base_domain_traefik_certresolver',
    origin_id='matrix_base_domain_cloudfront_origin_id',
    cache_policy_id='matrix_base_domain_cloudfront_cache_policy_id',
)


def _reaches_itself(site, connect_host):
    """Whether a connection to connect_host (on the site's port) reaches this site: its own name, one of its listen
    addresses, or, when it listens on every address, a loopback or unspecified one."""
    host = connect_host.strip('[]').lower()
    if host == (site.get('hostname') or '').lower():
        return True
    listen = [entry['address'] for entry in site.get('listen') or []]
    if not listen and host == 'localhost':
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if listen:
        return any(ipaddress.ip_address(entry) == address for entry in listen)
    return address.is_loopback or address.is_unspecified


def _check_not_itself(site, https_port):
    """A proxy to the base domain itself loops until the server runs out of connections. ``https_port``:
    matrix_base_domain_https_port, the port of a snippet's site as far as the role knows it."""
    wellknown = site['wellknown']
    port = site.get('https_port')
    if port is None:
        port = int(https_port) if str(https_port).isdigit() else None
    if (wellknown['method'] != 'proxy' or wellknown.get('upstream_hostname') != site.get('hostname')
            or wellknown['connect_port'] != port or not _reaches_itself(site, wellknown['connect_host'])):
        return
    loop = ('the base domain would forward /.well-known/matrix/ to itself in a loop. Point '
            'matrix_base_domain_upstream_hostname (and matrix_base_domain_upstream_address) at the Matrix host, or use '
            'matrix_base_domain_method: static to serve the documents from this host')
    if wellknown['connect_host'] == site.get('hostname'):
        raise PlanError(['matrix_base_domain_upstream_hostname: %r is matrix_base_domain_hostname itself (port %d): %s'
                         % (wellknown['upstream_hostname'], port, loop)])
    raise PlanError(['matrix_base_domain_upstream_address: %r is where this site listens (matrix_base_domain_listen_addresses: '
                     '%s; matrix_base_domain_https_port: %d), and matrix_base_domain_upstream_hostname %r is '
                     'matrix_base_domain_hostname itself: %s'
                     % (wellknown['connect'], _listen_text(site), port, wellknown['upstream_hostname'], loop)])


def _listen_text(site):
    addresses = [entry['address'] for entry in site.get('listen') or []]
    return ', '.join(addresses) if addresses else 'empty: every address'


def _base_domain(values, matrix_values):
    prefix = 'matrix_base_domain_'
    server = _choice(values, prefix + 'webserver', SERVERS + HOSTED)
    method = _choice(values, prefix + 'method', ('proxy',) + GENERATING_METHODS)
    result = {'documents': None, 'site': None, 'server': server, 'reload_command': '', 'index': None,
              'remove_configs': []}
    form = _choice(values, prefix + 'config_form', FORMS)
    settings = {
        'method': method,
        'config_path': values.get(prefix + 'config_path') or default_config_path(server, form, CONFIG_NAMES[BASE_DOMAIN]),
        'upstream_hostname': values.get(prefix + 'upstream_hostname'),
        'upstream_address': values.get(prefix + 'upstream_address'),
        'origin_id': values.get(prefix + 'cloudfront_origin_id'),
        'cache_policy_id': values.get(prefix + 'cloudfront_cache_policy_id'),
    }
    result['config_path'] = settings['config_path']
    try:
        if server == 'netlify':
            result['netlify_block'] = netlify.redirects_block(settings, BASE_DOMAIN_NAMES)
            result['netlify_marker'] = netlify.MARKER
            return result
        if server == 'cloudfront':
            result['cloudfront'] = cloudfront.distribution_fragment(settings, BASE_DOMAIN_NAMES)
            return result
    except SettingsError as exc:
        raise PlanError(exc.problems)

    if server in PROXY_SERVERS:
        # Before the paths: a config path for a form Traefik does not have would only confuse.
        problems = Problems(BASE_DOMAIN_NAMES)
        check_traefik_method_form(problems, method, form)
        if problems.messages:
            raise PlanError(problems.messages)
    public_path = values.get(prefix + 'public_path')
    directory = None
    if method != 'proxy':
        # Checked once, under its own name: the documents' directory and the index page derive from it.
        if not isinstance(public_path, str):
            raise PlanError(['%spublic_path: %r is not a path' % (prefix, public_path)])
        problem = check_path(public_path)
        if problem:
            raise PlanError(['%spublic_path: %r %s' % (prefix, public_path, problem)])
        directory = public_path.rstrip('/') + '/.well-known/matrix'
    root_action = values.get(prefix + 'root') if method == 'site' else 'not_found'
    index_file = '%s/index.html' % (public_path.rstrip('/') if isinstance(public_path, str) else public_path)
    site = {
        'name': BASE_DOMAIN,
        'form': form,
        'config_path': settings['config_path'],
        'hostname': values.get(prefix + 'hostname'),
        'https_port': values.get(prefix + 'https_port'),
        'listen_addresses': values.get(prefix + 'listen_addresses'),
        'tls_certificate': values.get(prefix + 'tls_certificate'),
        'tls_certificate_key': values.get(prefix + 'tls_certificate_key'),
        'haproxy_backend_name': values.get(prefix + 'haproxy_backend_name'),
        'haproxy_tls_bundle_path': values.get(prefix + 'haproxy_tls_bundle_path') or _bundle_path(settings['config_path']),
        'root_action': root_action,
        'index_file': index_file,
        'redirect_url': values.get(prefix + 'root_redirect_url'),
        'traefik_entrypoint': values.get(prefix + 'traefik_entrypoint'),
        'traefik_priority': values.get(prefix + 'traefik_priority'),
        'traefik_tls': values.get(prefix + 'traefik_tls'),
        'traefik_certresolver': values.get(prefix + 'traefik_certresolver'),
    }
    served = None
    if method == 'proxy':
        site['wellknown'] = dict(settings, upstream_ca_file=values.get(prefix + 'upstream_ca_file'))
    else:
        served = plan_documents(values, directory=directory, matrix_values=matrix_values)
        site['wellknown'] = {'method': 'static', 'directory': directory, 'documents': sorted(served['documents']),
                             'cache_max_age': _cache_max_age(values)}
    result['site'] = _build(site, server, BASE_DOMAIN_NAMES)
    _check_not_itself(result['site'], values.get(prefix + 'https_port'))
    if served is not None and server == 'haproxy':
        _check_haproxy_documents(served)
    if root_action == 'page':
        result['index'] = {'path': index_file, 'content': values.get(prefix + 'index_html', '')}
    result['documents'] = served
    _reload(result, values, prefix, server)
    result['remove_configs'] = _stale_configs(BASE_DOMAIN, settings['config_path'])
    return result


def plan(role, values, matrix_values=None):
    """What a run of ``role`` writes: ``documents`` (mdad.plan's result, or None), ``site`` (the checked site
    the template renders, or None), ``server``, ``reload_command``, ``remove_configs``, and for the base
    domain ``index`` ({path, content} or None), ``netlify_block`` and ``netlify_marker``, or ``cloudfront``;
    with a web server, ``reload_timeout`` (None: the module's default) and ``reload_variables`` (the module's
    option names, for messages, mapped to the role's variables);
    ``config_path`` is the file of the web server or hosted service (None without one). ``matrix_values``, for
    the base domain, is called (only for methods static and site) for the values of the Matrix host's variables
    (``matrix_variables``); without it the documents come from ``values``.

    Raises PlanError listing the problems, each naming the user's variable.
    """
    if role not in ROLES:
        raise PlanError(['unknown role %r: one of %s' % (role, ', '.join(ROLES))])
    # The action gives the role's variables, which have their defaults; any other caller gets them here.
    values = dict(role_defaults(role), **values)
    if role == STATIC_FILES:
        return _static_files(values)
    return _base_domain(values, matrix_values)
