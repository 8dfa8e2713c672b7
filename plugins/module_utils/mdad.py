# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The documents of the matrix_static_files role, built from its variables the way MDAD builds them.

matrix-docker-ansible-deploy (MDAD) derives each document through a chain of role defaults
(``*_property_*`` -> ``*_configuration_json`` + ``*_configuration_extension`` -> ``*_configuration``)
that a user may override at any level. Templating such chains costs Ansible a template compilation per
link, per host and per task; this module does the same derivation once, in Python: a variable the user
defined wins, and a missing one gets MDAD's default, computed from the variables below it.

``plan(variables)`` takes the values (already templated) of the variables ``relevant()`` selects and
returns the path, the documents to write and the ones to delete. Pure: no Ansible, no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

PREFIX = 'matrix_static_files_'
FILE = PREFIX + 'file_matrix_'
CLIENT = FILE + 'client_property_'

# The wider MDAD variables the defaults are computed from.
GLOBALS = frozenset((
    'matrix_domain', 'matrix_base_data_path', 'matrix_user_name', 'matrix_group_name',
    'matrix_server_fqn_matrix', 'matrix_server_fqn_matrix_federation', 'matrix_federation_public_port',
    'matrix_homeserver_url', 'matrix_identity_server_url',
    'matrix_integration_manager_rest_url', 'matrix_integration_manager_ui_url',
))
OWN = frozenset(PREFIX + name for name in (
    'base_path', 'public_path', 'public_well_known_path', 'public_well_known_matrix_path',
    'file_owner', 'file_group', 'file_mode', 'directory_mode', 'matrix_hostname',
))
DOCUMENTS = ('client', 'server', 'support', 'mautrix')
TRUE_STRINGS = frozenset(('y', 'yes', 'on', '1', 'true', 't'))


class VariableError(ValueError):
    """A variable whose value cannot be used; the message names it."""


def relevant(names):
    """The names, among ``names``, of the variables ``plan`` reads."""
    return [name for name in names if name in GLOBALS or name in OWN or name.startswith(FILE)]


def to_bool(value):
    """Ansible's ``bool`` filter."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == 1
    return str(value).strip().lower() in TRUE_STRINGS


def merge(base, extension):
    """Ansible's ``combine(recursive=True)`` of two mappings: nested mappings merge, anything else is replaced."""
    result = dict(base)
    for key, value in extension.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


def json_object(value, name):
    """The mapping a variable holds, as a mapping or as the text of a JSON object."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise VariableError('%s must be a JSON object ({...}) or a mapping, not a %s' % (name, type(value).__name__))
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise VariableError('%s is not valid JSON: %s' % (name, exc))
    if not isinstance(parsed, dict):
        raise VariableError('%s must be a JSON object ({...}), not a JSON %s' % (name, type(parsed).__name__))
    return parsed


class _Variables:
    """Lookups with MDAD's ``default()`` semantics: a defined variable wins, even when empty."""

    def __init__(self, values):
        self.values = values

    def get(self, name, default=None):
        return self.values[name] if name in self.values else default

    def derived(self, name, compute):
        return self.values[name] if name in self.values else compute()

    def typed(self, name, kind, default):
        value = self.get(name, default)
        if value is None:
            value = default
        if not isinstance(value, kind):
            raise VariableError('%s must be a %s, not a %s' % (name, kind.__name__, type(value).__name__))
        return value

    def text(self, name, default=''):
        value = self.get(name, default)
        return '' if value is None else value

    def flag(self, name, default=False):
        return to_bool(self.get(name, default))


def _domain(var):
    if 'matrix_domain' not in var.values or not var.values['matrix_domain']:
        raise VariableError('matrix_domain is required: the base domain of the Matrix server, e.g. example.com')
    return var.values['matrix_domain']


def _hostname(var):
    return var.derived(PREFIX + 'matrix_hostname',
                       lambda: var.get('matrix_server_fqn_matrix') or 'matrix.%s' % _domain(var))


def _public_path(var):
    return var.derived(PREFIX + 'public_path', lambda: var.derived(
        PREFIX + 'base_path', lambda: '%s/static-files' % var.get('matrix_base_data_path', '/matrix')) + '/public')


def _path(var):
    return var.derived(PREFIX + 'public_well_known_matrix_path', lambda: var.derived(
        PREFIX + 'public_well_known_path', lambda: _public_path(var) + '/.well-known') + '/matrix')


def _merged_list(var, name):
    return var.derived(name, lambda: var.typed(name + '_auto', list, []) + var.typed(name + '_custom', list, []))


def _client(var):
    homeserver = var.derived(CLIENT + 'm_homeserver_base_url',
                             lambda: var.get('matrix_homeserver_url') or 'https://' + _hostname(var))
    identity = var.derived(CLIENT + 'm_identity_server_base_url', lambda: var.get('matrix_identity_server_url'))
    api_url = var.derived(CLIENT + 'm_integrations_managers_api_url',
                          lambda: var.get('matrix_integration_manager_rest_url'))
    ui_url = var.derived(CLIENT + 'm_integrations_managers_ui_url',
                         lambda: var.get('matrix_integration_manager_ui_url'))
    jitsi = var.text(CLIENT + 'io_element_jitsi_preferred_domain')
    sliding_sync = var.text(CLIENT + 'org_matrix_msc3575_proxy_url')
    e2ee_default = var.flag(CLIENT + 'io_element_e2ee_default', True)
    e2ee_force_disable = var.flag(CLIENT + 'io_element_e2ee_force_disable')
    ketesa = var.derived(CLIENT + 'cc_etke_ketesa', lambda: merge(
        var.typed(CLIENT + 'cc_etke_ketesa_auto', dict, {}), var.typed(CLIENT + 'cc_etke_ketesa_custom', dict, {})))
    rtc_foci = _merged_list(var, CLIENT + 'org_matrix_msc4143_rtc_foci')

    document = {'m.homeserver': {'base_url': homeserver}}
    if identity:
        document['m.identity_server'] = {'base_url': identity}
    if api_url and ui_url:
        document['m.integrations'] = {'managers': [{'api_url': api_url, 'ui_url': ui_url}]}
    if jitsi:
        document['io.element.jitsi'] = {'preferredDomain': jitsi}
        document['im.vector.riot.jitsi'] = {'preferredDomain': jitsi}
    if sliding_sync:
        document['org.matrix.msc3575.proxy'] = {'url': sliding_sync}
    if var.flag(CLIENT + 'org_matrix_msc2965_authentication_enabled'):
        document['org.matrix.msc2965.authentication'] = {
            'issuer': var.text(CLIENT + 'org_matrix_msc2965_authentication_issuer'),
            'account': var.text(CLIENT + 'org_matrix_msc2965_authentication_account'),
        }
    if var.flag(CLIENT + 'm_tile_server_entries_enabled'):
        document['m.tile_server'] = {'map_style_url': var.text(CLIENT + 'm_tile_server_map_style_url')}
    if var.flag(CLIENT + 'io_element_e2ee_entries_enabled', not e2ee_default or e2ee_force_disable):
        document['io.element.e2ee'] = {'default': e2ee_default, 'force_disable': e2ee_force_disable}
        document['im.vector.riot.e2ee'] = {'default': e2ee_default}
    if var.flag(CLIENT + 'cc_etke_ketesa_enabled', len(ketesa) > 0):
        document['cc.etke.ketesa'] = ketesa
    if var.flag(CLIENT + 'org_matrix_msc4143_rtc_foci_enabled', len(rtc_foci) > 0):
        document['org.matrix.msc4143.rtc_foci'] = rtc_foci
    return document


def _server(var):
    def m_server():
        host = var.get('matrix_server_fqn_matrix_federation') or _hostname(var)
        return '%s:%s' % (host, var.get('matrix_federation_public_port', 8448))

    return {'m.server': var.derived(FILE + 'server_property_m_server', m_server)}


def _support(var):
    document = {}
    contacts = var.typed(FILE + 'support_property_m_contacts', list, [])
    page = var.text(FILE + 'support_property_m_support_page')
    if contacts:
        document['contacts'] = contacts
    if page:
        document['support_page'] = page
    return document


def _mautrix(var):
    return {'fi.mau.bridges': _merged_list(var, FILE + 'mautrix_property_fi_mau_bridges')}


BUILDERS = {'client': _client, 'server': _server, 'support': _support, 'mautrix': _mautrix}


def _enabled(var, name):
    if name == 'client':
        return True
    if name == 'mautrix':
        return var.flag(FILE + 'mautrix_enabled', len(_merged_list(var, FILE + 'mautrix_property_fi_mau_bridges')) > 0)
    return var.flag(FILE + name + '_enabled', name == 'server')


def _document(var, name):
    prefix = FILE + name + '_configuration'

    def built():
        base = json_object(var.derived(prefix + '_json', lambda: BUILDERS[name](var)), prefix + '_json')
        extension = var.derived(prefix + '_extension', lambda: json_object(
            var.get(prefix + '_extension_json', '{}'), prefix + '_extension_json'))
        return merge(base, json_object(extension, prefix + '_extension'))

    return json_object(var.derived(prefix, built), prefix)


def plan(variables):
    """What the role writes: ``{path, public_path, matrix_hostname, owner, group, mode, directory_mode, documents,
    absent}``.

    ``documents`` maps each enabled document's name to its content; ``absent`` lists the disabled ones,
    which are deleted. ``owner`` and ``group`` are None when neither the role's nor MDAD's variable is set.
    Raises VariableError naming the variable whose value cannot be used.
    """
    var = _Variables(variables)
    documents = {}
    absent = []
    for name in DOCUMENTS:
        if _enabled(var, name):
            documents[name] = _document(var, name)
        else:
            absent.append(name)
    return {
        'path': _path(var),
        'public_path': _public_path(var),
        'matrix_hostname': _hostname(var),
        'owner': var.get(PREFIX + 'file_owner', var.get('matrix_user_name')),
        'group': var.get(PREFIX + 'file_group', var.get('matrix_group_name')),
        'mode': var.get(PREFIX + 'file_mode', '0644'),
        'directory_mode': var.get(PREFIX + 'directory_mode', '0755'),
        'documents': documents,
        'absent': absent,
    }
