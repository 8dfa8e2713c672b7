# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The documents of the matrix_static_files role, built from its variables the way MDAD builds them.

matrix-docker-ansible-deploy (MDAD) derives each document through chains of defaults: its
``group_vars/matrix_servers`` feeds ``matrix_static_files_*`` from the services a user turns on (Jitsi, MAS,
Element Call, the bridges, ...), and the matrix-static-files role layers ``*_property_*`` ->
``*_configuration_json`` + ``*_configuration_extension`` -> ``*_configuration``. A user may override any link.
Templating such chains costs Ansible a template compilation per link, per host and per task; this module does
the same derivation once, in Python, from ``RULES``: a variable the user defined wins, and a missing one gets
MDAD's default, computed from the variables it depends on.

``plan(variables)`` takes the values (already templated) of the variables ``relevant()`` selects and
returns the path, the documents to write and the ones to delete. Pure: no Ansible, no I/O.

The rules follow MDAD at commit c0681e4 (tests/unit/plugins/plugin_utils/mdad/ holds documents MDAD itself
rendered for the same vars.yml files).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.matrix.wellknown.plugins.module_utils._documents import check_support_contents
from ansible_collections.matrix.wellknown.plugins.module_utils._grammar import (
    check_ed25519_key,
    check_http_url,
    check_invisible,
    check_port,
    check_safe_path,
    check_server_name,
)
from ansible_collections.matrix.wellknown.plugins.plugin_utils._settings import check_hostname_value

PREFIX = 'matrix_static_files_'
FILE = PREFIX + 'file_matrix_'
CLIENT = FILE + 'client_property_'
DOCUMENTS = ('client', 'server', 'support', 'mautrix', 'policy_server')
# Ansible's booleans (type bool of the roles' argument specs, and what MDAD's `| bool` reads as true or false), in
# any case; True and False, 1 and 0; None and "" (a variable left empty) are false, as with `| bool`.
TRUE_STRINGS = frozenset(('y', 'yes', 'on', '1', 'true', 't'))
FALSE_STRINGS = frozenset(('n', 'no', 'off', '0', 'false', 'f', ''))
TRAEFIK_TYPES = ('playbook-managed-traefik', 'other-traefik-container')


class VariableError(ValueError):
    """A variable whose value cannot be used; the message names it."""


def to_bool(value, name):
    """``value`` of the variable ``name`` as a boolean; anything but a boolean raises VariableError naming it (Ansible's
    ``bool`` filter reads "ture" or "maybe" as false, which would silently leave a document out)."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)) and value in (0, 1):
        return value == 1
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE_STRINGS or text in FALSE_STRINGS:
            return text in TRUE_STRINGS
    raise VariableError('%s %r is not a boolean: give true or false (or yes/no, on/off, 1/0)' % (name, value))


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


def regex_escape(text):
    """Ansible's ``regex_escape`` filter (Python flavour)."""
    return re.escape('' if text is None else str(text))


def _scheme(v):
    return 'https' if v.flag('matrix_playbook_ssl_enabled') else 'http'


# --- The rules: each variable MDAD derives, with MDAD's default (a literal, or a function of the lookup ``v``).
# A variable the user sets is used as it is; only a missing one gets the default here.

RULES = {}
SOURCES = {}


def _rules(source, **defaults):
    for name, default in defaults.items():
        RULES[name] = default
        SOURCES[name] = source


# The mautrix bridges MDAD announces: (name, the variable holding its public address, the path below
# matrix_bridges_exposure_path_prefix). group_vars/matrix_servers lists them, in this order, when the bridge is
# enabled, has Traefik labels and its exposure labels on; roles/custom/matrix-bridge-<name>/defaults/main.yml
# builds the address.
EXPOSED_BRIDGES = (
    ('beeper_line', 'bridge_public_address', 'line'),
    ('mautrix_bluesky', 'appservice_public_address', 'bluesky'),
    ('mautrix_gmessages', 'bridge_public_address', 'gmessages'),
    ('mautrix_gvoice', 'bridge_public_address', 'gvoice'),
    ('mautrix_linkedin', 'bridge_public_address', 'linkedin'),
    ('mautrix_meta_instagram', 'bridge_public_address', 'meta-instagram'),
    ('mautrix_meta_messenger', 'bridge_public_address', 'meta-messenger'),
    ('mautrix_signal', 'bridge_public_address', 'signal'),
    ('mautrix_slack', 'bridge_public_address', 'slack'),
    ('mautrix_telegram', 'bridge_public_address', 'telegram'),
    ('mautrix_twitter', 'appservice_public_address', 'twitter'),
    ('mautrix_whatsapp', 'bridge_public_address', 'whatsapp'),
)


def _bridge_rules(name, address, path):
    prefix = 'matrix_bridge_%s_' % name
    # group_vars/matrix_servers: every bridge is off unless the user turns it on; the rest of its wiring.
    _rules(
        'group_vars/matrix_servers',
        **{
            prefix + 'enabled': False,
            prefix + 'container_labels_traefik_enabled': lambda v: v('matrix_playbook_reverse_proxy_type') in TRAEFIK_TYPES,
            prefix + 'scheme': _scheme,
            prefix + 'exposure_enabled': lambda v: v('matrix_bridges_exposure_enabled'),
            prefix + 'exposure_hostname': lambda v: v('matrix_bridges_exposure_hostname'),
            prefix + 'exposure_path_prefix': lambda v: v('matrix_bridges_exposure_path_prefix') + '/' + path,
        })
    # roles/custom/matrix-bridge-<name>/defaults/main.yml
    _rules(
        'roles/custom/matrix-bridge-%s/defaults/main.yml' % name.replace('_', '-'),
        **{
            prefix + 'container_labels_exposure_enabled': lambda v: v(prefix + 'exposure_enabled'),
            prefix + address: lambda v: (v(prefix + 'scheme') + '://' + v(prefix + 'exposure_hostname') + v(
                prefix + 'exposure_path_prefix')) if v.flag(prefix + 'exposure_enabled') else '',
        })


for _bridge in EXPOSED_BRIDGES:
    _bridge_rules(*_bridge)


def _exposed_bridges(v):
    addresses = []
    for name, address, dummy in EXPOSED_BRIDGES:
        prefix = 'matrix_bridge_%s_' % name
        if (v.flag(prefix + 'enabled') and v.flag(prefix + 'container_labels_traefik_enabled')
                and v.flag(prefix + 'container_labels_exposure_enabled')):
            addresses.append(v(prefix + address))
    return [address for address in addresses if address]


# Ketesa's asManagedUsers: (the variable that turns the service on, the user ID patterns). In a pattern,
# {name} is the regex-escaped value of that variable, {domain} the escaped matrix_domain, {{ and }} braces.
# Follows group_vars/matrix_servers (matrix_ketesa_config_asManagedUsers_auto), in its order.
MANAGED_USERS = (
    ('matrix_alertmanager_receiver_enabled', ('^@{matrix_alertmanager_receiver_config_matrix_user_id_localpart}:{domain}$',)),
    ('matrix_appservice_draupnir_for_all_enabled', ('^@{matrix_appservice_draupnir_for_all_user_prefix}_[a-zA-Z0-9]+:{domain}$',)),
    ('matrix_bot_meowlnir_enabled', (None, None)),
    ('matrix_bot_baibot_enabled', ('^@{matrix_bot_baibot_config_user_mxid_localpart}:{domain}$',)),
    ('matrix_bot_buscarron_enabled', ('^@{matrix_bot_buscarron_login}:{domain}$',)),
    ('matrix_bot_draupnir_enabled', ('^@{matrix_bot_draupnir_login}:{domain}$',)),
    ('matrix_bot_honoroit_enabled', ('^@{matrix_bot_honoroit_login}:{domain}$',)),
    ('matrix_bot_matrix_reminder_bot_enabled', ('^@{matrix_bot_matrix_reminder_bot_matrix_user_id_localpart}:{domain}$',)),
    ('matrix_bot_maubot_enabled', ('^@{matrix_bot_maubot_login}:{domain}$',)),
    ('matrix_bridge_postmoogle_enabled', ('^@{matrix_bridge_postmoogle_login}:{domain}$',)),
    ('matrix_bridge_appservice_discord_enabled', ('^@_discord_[a-zA-Z0-9]+:{domain}$',)),
    ('matrix_bridge_beeper_linkedin_enabled', ('^@{matrix_bridge_beeper_linkedin_appservice_bot_username}:{domain}$',
                                               '^@linkedin_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_beeper_line_enabled', ('^@{matrix_bridge_beeper_line_appservice_bot_username}:{domain}$',
                                           '^@line_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_heisenbridge_enabled', ('^@heisenbridge:{domain}$', '^@hbirc_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_hookshot_enabled', ('^@hookshot:{domain}$', '^@_github_[a-zA-Z0-9]+:{domain}$',
                                        '^@_gitlab_[a-zA-Z0-9]+:{domain}$', '^@_jira_[a-zA-Z0-9]+:{domain}$',
                                        '^@{matrix_bridge_hookshot_generic_userIdPrefix}[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_mautrix_bluesky_enabled', ('^@{matrix_bridge_mautrix_bluesky_appservice_bot_username}:{domain}$',
                                               '^@bluesky_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_rustpush_enabled', ('^@{matrix_bridge_rustpush_appservice_bot_username}:{domain}$',
                                        '^@rustpush_[a-zA-Z0-9_.+-]+:{domain}$')),
    ('matrix_bridge_mautrix_discord_enabled', ('^@{matrix_bridge_mautrix_discord_appservice_bot_username}:{domain}$',
                                               '^@discord_[0-9]+:{domain}$')),
    ('matrix_bridge_mautrix_gmessages_enabled', ('^@{matrix_bridge_mautrix_gmessages_appservice_bot_username}:{domain}$',
                                                 '^@gmessages_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_mautrix_gvoice_enabled', ('^@{matrix_bridge_mautrix_gvoice_appservice_bot_username}:{domain}$',
                                              '^@gvoice_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_mautrix_linkedin_enabled', ('^@{matrix_bridge_mautrix_linkedin_appservice_bot_username}:{domain}$',
                                                '^@linkedin_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_mautrix_googlechat_enabled', ('^@{matrix_bridge_mautrix_googlechat_appservice_bot_username}:{domain}$',
                                                  '^@googlechat_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_mautrix_meta_instagram_enabled', (
        '^@{matrix_bridge_mautrix_meta_instagram_appservice_username}:{domain}$',
        '^@{matrix_bridge_mautrix_meta_instagram_bridge_username_prefix}[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_mautrix_meta_messenger_enabled', (
        '^@{matrix_bridge_mautrix_meta_messenger_appservice_username}:{domain}$',
        '^@{matrix_bridge_mautrix_meta_messenger_bridge_username_prefix}[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_mautrix_signal_enabled', ('^@{matrix_bridge_mautrix_signal_appservice_bot_username}:{domain}$',
                                              '^@signal_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_mautrix_slack_enabled', ('^@{matrix_bridge_mautrix_slack_appservice_bot_username}:{domain}$',
                                             '^@slack_[a-zA-Z0-9\\-]+:{domain}$')),
    ('matrix_bridge_mautrix_telegram_enabled', ('^@{matrix_bridge_mautrix_telegram_appservice_bot_username}:{domain}$',
                                                '^@telegram_(channel-)?[0-9]+:{domain}$')),
    ('matrix_bridge_mautrix_twitter_enabled', ('^@{matrix_bridge_mautrix_twitter_appservice_bot_username}:{domain}$',
                                               '^@twitter_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_mautrix_whatsapp_enabled', ('^@{matrix_bridge_mautrix_whatsapp_appservice_bot_username}:{domain}$',
                                                '^@whatsapp_[0-9]+:{domain}$')),
    ('matrix_bridge_mautrix_wsproxy_enabled', (
        '^@{matrix_bridge_mautrix_wsproxy_imessage_appservice_bot_username}:{domain}$', '^@imessage_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_mx_puppet_groupme_enabled', ('^@_groupmepuppet_[a-zA-Z0-9]+:{domain}$',)),
    ('matrix_bridge_mx_puppet_steam_enabled', ('^@_steampuppet_[a-zA-Z0-9]+:{domain}$',)),
    ('matrix_bridge_sms_enabled', ('^@smsbot:{domain}$', '^@sms_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_wechat_enabled', ('^@{matrix_bridge_wechat_appservice_bot_username}:{domain}$',
                                      '^@_wechat_[a-zA-Z0-9]+:{domain}$')),
    ('matrix_bridge_steam_enabled', ('^@{matrix_bridge_steam_appservice_bot_username}:{domain}$',
                                     '^@steam_[a-zA-Z0-9]+:{domain}$')),
)
_PLACEHOLDER = re.compile(r'\{([a-zA-Z_]+)\}')


MESSENGER_PREFIXES = {'facebook': 'facebook_', 'facebook-tor': 'facebook_', 'messenger': 'messenger_'}


def _messenger_prefix(v):
    mode = v('matrix_bridge_mautrix_meta_messenger_meta_mode')
    if mode not in MESSENGER_PREFIXES:
        raise VariableError('matrix_bridge_mautrix_meta_messenger_meta_mode %r is not one of %s'
                            % (mode, ', '.join(sorted(MESSENGER_PREFIXES))))
    return MESSENGER_PREFIXES[mode]


def _managed_users(v):
    patterns = []
    for enabled, templates in MANAGED_USERS:
        if not v.flag(enabled):
            continue
        if enabled == 'matrix_bot_meowlnir_enabled':
            patterns.extend((v('matrix_bot_meowlnir_user_regex'), v('matrix_bot_meowlnir_appservice_sender_regex')))
            continue
        for template in templates:
            patterns.append(_PLACEHOLDER.sub(
                lambda match: regex_escape(v('matrix_domain' if match.group(1) == 'domain' else match.group(1))), template))
    return patterns


# roles/custom/matrix-base/defaults/main.yml
_rules(
    'roles/custom/matrix-base/defaults/main.yml',
    matrix_domain=None,
    matrix_base_data_path='/matrix',
    matrix_user_name=None,
    matrix_group_name=None,
    matrix_server_fqn_matrix=lambda v: 'matrix.' + v('matrix_domain'),
    matrix_server_fqn_matrix_federation=lambda v: v('matrix_server_fqn_matrix'),
    matrix_server_fqn_element=lambda v: 'element.' + v('matrix_domain'),
    matrix_server_fqn_jitsi=lambda v: 'jitsi.' + v('matrix_domain'),
    matrix_federation_public_port=8448,
    matrix_playbook_ssl_enabled=True,
    matrix_playbook_reverse_proxy_type='',
    matrix_homeserver_implementation='synapse',
    matrix_homeserver_url=lambda v: '%s://%s' % (_scheme(v), v('matrix_server_fqn_matrix')),
    matrix_identity_server_url=None,
    matrix_bridges_exposure_enabled=True,
    matrix_bridges_exposure_hostname=lambda v: v('matrix_server_fqn_matrix'),
    matrix_bridges_exposure_path_prefix='/bridges',
)

# group_vars/matrix_servers (the playbook's wiring of the services into matrix-static-files)
_rules(
    'group_vars/matrix_servers',
    matrix_integration_manager_rest_url='',
    matrix_integration_manager_ui_url='',
    jitsi_enabled=False,
    matrix_authentication_service_enabled=False,
    matrix_authentication_service_hostname=lambda v: v('matrix_server_fqn_matrix'),
    matrix_authentication_service_path_prefix='/auth',
    matrix_element_call_enabled=False,
    livekit_server_enabled=lambda v: v('matrix_rtc_enabled'),
    matrix_livekit_jwt_service_enabled=lambda v: v.flag('matrix_rtc_enabled') and v.flag('livekit_server_enabled'),
    matrix_livekit_jwt_service_scheme=_scheme,
    matrix_livekit_jwt_service_hostname=lambda v: v('matrix_server_fqn_matrix'),
    matrix_ketesa_config_externalAuthProvider=lambda v: (
        v.flag('matrix_authentication_service_enabled') or v.flag('matrix_synapse_ext_password_provider_ldap_enabled')),
    matrix_ketesa_config_asManagedUsers_auto=_managed_users,
    matrix_bot_meowlnir_config_homeserver_domain=lambda v: v('matrix_domain'),
    matrix_static_files_file_matrix_client_property_io_element_jitsi_preferred_domain=lambda v: (
        v('matrix_server_fqn_jitsi') if v.flag('jitsi_enabled') else ''),
    matrix_static_files_file_matrix_client_property_org_matrix_msc2965_authentication_enabled=lambda v: v(
        'matrix_authentication_service_enabled'),
    matrix_static_files_file_matrix_client_property_org_matrix_msc2965_authentication_issuer=lambda v: (
        v('matrix_authentication_service_config_http_issuer') if v.flag('matrix_authentication_service_enabled') else ''),
    matrix_static_files_file_matrix_client_property_org_matrix_msc2965_authentication_account=lambda v: (
        v('matrix_authentication_service_account_management_url')
        if v.flag('matrix_authentication_service_enabled') else ''),
    matrix_static_files_file_matrix_client_property_m_tile_server_entries_enabled=lambda v: v(
        'matrix_client_element_location_sharing_enabled'),
    matrix_static_files_file_matrix_client_property_m_tile_server_map_style_url=lambda v: '%s://%s/map_style.json' % (
        _scheme(v), v('matrix_server_fqn_element')),
    # Set whatever Ketesa's own state: a hosted Ketesa reads it too. Only Synapse has the API it manages.
    matrix_static_files_file_matrix_client_property_cc_etke_ketesa_auto=lambda v: (
        v('matrix_ketesa_configuration') if v('matrix_homeserver_implementation') == 'synapse' else {}),
    matrix_static_files_file_matrix_client_property_org_matrix_msc4143_rtc_foci_enabled=lambda v: v(
        'matrix_livekit_jwt_service_enabled'),
    matrix_static_files_file_matrix_client_property_org_matrix_msc4143_rtc_foci_auto=lambda v: (
        [{'type': 'livekit', 'livekit_service_url': v('matrix_livekit_jwt_service_public_url')}]
        if v.flag('matrix_livekit_jwt_service_enabled') else []),
    matrix_static_files_file_matrix_mautrix_property_fi_mau_bridges_auto=_exposed_bridges,
    matrix_static_files_file_matrix_server_property_m_server=lambda v: '%s:%s' % (
        v('matrix_server_fqn_matrix_federation'), v('matrix_federation_public_port')),
)

# roles/custom/matrix-authentication-service/defaults/main.yml and vars/main.yml
_rules(
    'roles/custom/matrix-authentication-service/defaults/main.yml',
    matrix_authentication_service_config_http_public_base=lambda v: 'https://%s%s' % (
        v('matrix_authentication_service_hostname'),
        '/' if v('matrix_authentication_service_path_prefix') == '/' else v('matrix_authentication_service_path_prefix') + '/'),
    matrix_authentication_service_config_http_issuer=lambda v: v('matrix_authentication_service_config_http_public_base'),
    matrix_authentication_service_account_management_url=lambda v: v(
        'matrix_authentication_service_config_http_public_base') + 'account',
)

# roles/custom/matrix-element-call/defaults/main.yml, matrix-client-element/defaults/main.yml,
# matrix-synapse/defaults/main.yml
_rules(
    'roles/custom/matrix-element-call/defaults/main.yml',
    matrix_rtc_enabled=lambda v: v('matrix_element_call_enabled'),
)
_rules('roles/custom/matrix-client-element/defaults/main.yml', matrix_client_element_location_sharing_enabled=False)
_rules('roles/custom/matrix-synapse/defaults/main.yml', matrix_synapse_ext_password_provider_ldap_enabled=False)

# roles/custom/matrix-livekit-jwt-service/defaults/main.yml and vars/main.yml
_rules(
    'roles/custom/matrix-livekit-jwt-service/defaults/main.yml',
    matrix_livekit_jwt_service_path_prefix='/livekit-jwt-service',
    matrix_livekit_jwt_service_public_url=lambda v: '%s://%s%s' % (
        v('matrix_livekit_jwt_service_scheme'), v('matrix_livekit_jwt_service_hostname'),
        v('matrix_livekit_jwt_service_path_prefix')),
)

# roles/custom/matrix-ketesa/defaults/main.yml
_rules(
    'roles/custom/matrix-ketesa/defaults/main.yml',
    matrix_ketesa_config_restrictBaseUrl=lambda v: v('matrix_homeserver_url'),
    matrix_ketesa_config_wellKnownDiscovery=True,
    matrix_ketesa_config_corsCredentials='same-origin',
    matrix_ketesa_config_menu=[],
    matrix_ketesa_config_asManagedUsers_custom=[],
    matrix_ketesa_config_asManagedUsers=lambda v: _list(v, 'matrix_ketesa_config_asManagedUsers_auto') + _list(
        v, 'matrix_ketesa_config_asManagedUsers_custom'),
    matrix_ketesa_configuration_default=lambda v: {
        'restrictBaseUrl': v('matrix_ketesa_config_restrictBaseUrl'),
        'externalAuthProvider': v('matrix_ketesa_config_externalAuthProvider'),
        'wellKnownDiscovery': v('matrix_ketesa_config_wellKnownDiscovery'),
        'corsCredentials': v('matrix_ketesa_config_corsCredentials'),
        'asManagedUsers': v('matrix_ketesa_config_asManagedUsers'),
        'menu': v('matrix_ketesa_config_menu'),
    },
    matrix_ketesa_configuration_extension_json='{}',
    matrix_ketesa_configuration_extension_json_auto='{}',
    matrix_ketesa_configuration_extension=lambda v: merge(
        json_object(v('matrix_ketesa_configuration_extension_json_auto'), 'matrix_ketesa_configuration_extension_json_auto'),
        json_object(v('matrix_ketesa_configuration_extension_json'), 'matrix_ketesa_configuration_extension_json')),
    matrix_ketesa_configuration=lambda v: merge(
        json_object(v('matrix_ketesa_configuration_default'), 'matrix_ketesa_configuration_default'),
        json_object(v('matrix_ketesa_configuration_extension'), 'matrix_ketesa_configuration_extension')),
)

# roles/custom/matrix-static-files/defaults/main.yml (the role itself)
_rules(
    'roles/custom/matrix-static-files/defaults/main.yml',
    matrix_static_files_identifier='matrix-static-files',
    matrix_static_files_base_path=lambda v: '%s/%s' % (v('matrix_base_data_path'), (
        'static-files' if v(PREFIX + 'identifier') == 'matrix-static-files' else v(PREFIX + 'identifier'))),
    matrix_static_files_public_path=lambda v: v(PREFIX + 'base_path') + '/public',
    matrix_static_files_public_well_known_path=lambda v: v(PREFIX + 'public_path') + '/.well-known',
    matrix_static_files_public_well_known_matrix_path=lambda v: v(PREFIX + 'public_well_known_path') + '/matrix',
    matrix_static_files_file_matrix_client_property_m_homeserver_base_url=lambda v: v('matrix_homeserver_url'),
    matrix_static_files_file_matrix_client_property_m_identity_server_base_url=lambda v: v('matrix_identity_server_url'),
    matrix_static_files_file_matrix_client_property_m_integrations_managers_api_url=lambda v: v(
        'matrix_integration_manager_rest_url'),
    matrix_static_files_file_matrix_client_property_m_integrations_managers_ui_url=lambda v: v(
        'matrix_integration_manager_ui_url'),
    matrix_static_files_file_matrix_client_property_org_matrix_msc3575_proxy_url='',
    matrix_static_files_file_matrix_client_property_io_element_e2ee_default=True,
    matrix_static_files_file_matrix_client_property_io_element_e2ee_force_disable=False,
    matrix_static_files_file_matrix_client_property_io_element_e2ee_entries_enabled=lambda v: (
        not v.flag(CLIENT + 'io_element_e2ee_default') or v.flag(CLIENT + 'io_element_e2ee_force_disable')),
    matrix_static_files_file_matrix_client_property_cc_etke_ketesa_custom={},
    matrix_static_files_file_matrix_client_property_cc_etke_ketesa=lambda v: merge(
        _dict(v, CLIENT + 'cc_etke_ketesa_auto'), _dict(v, CLIENT + 'cc_etke_ketesa_custom')),
    matrix_static_files_file_matrix_client_property_cc_etke_ketesa_enabled=lambda v: len(
        _dict(v, CLIENT + 'cc_etke_ketesa')) > 0,
    matrix_static_files_file_matrix_client_property_org_matrix_msc4143_rtc_foci_custom=[],
    matrix_static_files_file_matrix_client_property_org_matrix_msc4143_rtc_foci=lambda v: _list(
        v, CLIENT + 'org_matrix_msc4143_rtc_foci_auto') + _list(v, CLIENT + 'org_matrix_msc4143_rtc_foci_custom'),
    matrix_static_files_file_matrix_server_enabled=True,
    matrix_static_files_file_matrix_support_enabled=False,
    matrix_static_files_file_matrix_support_property_m_contacts=[],
    matrix_static_files_file_matrix_support_property_m_support_page='',
    matrix_static_files_file_matrix_mautrix_property_fi_mau_bridges_custom=[],
    matrix_static_files_file_matrix_mautrix_property_fi_mau_bridges=lambda v: _list(
        v, FILE + 'mautrix_property_fi_mau_bridges_auto') + _list(v, FILE + 'mautrix_property_fi_mau_bridges_custom'),
    matrix_static_files_file_matrix_mautrix_enabled=lambda v: len(_list(v, FILE + 'mautrix_property_fi_mau_bridges')) > 0,
)

# This collection's own variables that derive from MDAD's: the Matrix hostname, the files' owner and group. Its
# literal defaults (the modes, the policy_server document's, which MDAD has not) are the role's, in its argument
# spec: a caller without the role's variables gives them (role_plan.role_defaults); missing, they are None.
_rules(
    'this collection (roles/matrix_static_files/meta/argument_specs.yml)',
    matrix_static_files_matrix_hostname=lambda v: v('matrix_server_fqn_matrix'),
    matrix_static_files_file_owner=lambda v: v('matrix_user_name'),
    matrix_static_files_file_group=lambda v: v('matrix_group_name'),
)
# Read by plan without a rule here (the policy_server document's variables have the documents' prefix).
OWN_VARIABLES = frozenset((PREFIX + 'file_mode', PREFIX + 'directory_mode'))


# The names and patterns these services use, from each one's roles/custom/<role>/defaults/main.yml (every
# service is off in group_vars/matrix_servers unless the user turns it on).
_rules('group_vars/matrix_servers', **dict((enabled, False) for enabled, dummy in MANAGED_USERS))
_rules(
    'roles/custom/<the service>/defaults/main.yml',
    matrix_alertmanager_receiver_config_matrix_user_id_localpart='bot.alertmanager.receiver',
    matrix_appservice_draupnir_for_all_user_prefix='draupnir_',
    matrix_bot_meowlnir_user_prefix='meowlnir_',
    matrix_bot_meowlnir_appservice_sender_localpart='meowlnir',
    matrix_bot_meowlnir_user_regex=lambda v: '^@%s[a-zA-Z0-9._=/+-]+:%s$' % (
        regex_escape(v('matrix_bot_meowlnir_user_prefix')), regex_escape(v('matrix_bot_meowlnir_config_homeserver_domain'))),
    matrix_bot_meowlnir_appservice_sender_regex=lambda v: '^@%s:%s$' % (
        regex_escape(v('matrix_bot_meowlnir_appservice_sender_localpart')),
        regex_escape(v('matrix_bot_meowlnir_config_homeserver_domain'))),
    matrix_bot_baibot_config_user_mxid_localpart='baibot',
    matrix_bot_buscarron_login='bot.buscarron',
    # MDAD compares with the string 'true' (a YAML true does not match).
    matrix_bot_draupnir_login=lambda v: (v('matrix_bot_draupnir_pantalaimon_username')
                                         if v('matrix_bot_draupnir_pantalaimon_use') == 'true' else 'bot.draupnir'),
    matrix_bot_draupnir_pantalaimon_use=False,
    matrix_bot_draupnir_pantalaimon_username='',
    matrix_bot_honoroit_login='honoroit',
    matrix_bot_matrix_reminder_bot_matrix_user_id_localpart='bot.matrix-reminder-bot',
    matrix_bot_maubot_login='bot.maubot',
    matrix_bridge_postmoogle_login='postmoogle',
    matrix_bridge_beeper_linkedin_appservice_bot_username='linkedinbot',
    matrix_bridge_beeper_line_appservice_bot_username='linebot',
    matrix_bridge_hookshot_generic_userIdPrefix='_webhooks_',
    matrix_bridge_mautrix_bluesky_appservice_bot_username='blueskybot',
    matrix_bridge_rustpush_appservice_bot_username='rustpushbot',
    matrix_bridge_mautrix_discord_appservice_bot_username='discordbot',
    matrix_bridge_mautrix_gmessages_appservice_bot_username='gmessagesbot',
    matrix_bridge_mautrix_gvoice_appservice_bot_username='gvoicebot',
    matrix_bridge_mautrix_linkedin_appservice_bot_username='linkedinbot',
    matrix_bridge_mautrix_googlechat_appservice_bot_username='googlechatbot',
    matrix_bridge_mautrix_meta_instagram_appservice_username='instagrambot',
    matrix_bridge_mautrix_meta_instagram_bridge_username_prefix='instagram_',
    matrix_bridge_mautrix_meta_messenger_appservice_username='messengerbot',
    matrix_bridge_mautrix_meta_messenger_meta_mode='messenger',
    matrix_bridge_mautrix_meta_messenger_bridge_username_prefix=_messenger_prefix,
    matrix_bridge_mautrix_signal_appservice_bot_username='signalbot',
    matrix_bridge_mautrix_slack_appservice_bot_username='slackbot',
    matrix_bridge_mautrix_telegram_appservice_bot_username='telegrambot',
    matrix_bridge_mautrix_twitter_appservice_bot_username='twitterbot',
    matrix_bridge_mautrix_whatsapp_appservice_bot_username='whatsappbot',
    matrix_bridge_mautrix_wsproxy_imessage_appservice_bot_username='imessagebot',
    matrix_bridge_wechat_appservice_bot_username='wechatbot',
    matrix_bridge_steam_appservice_bot_username='steambot',
)


# --- Checks of the values a user sets, naming the variable: a derived value is only as good as its source.

def _check_port(value):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return 'must be a port number, not a %s' % type(value).__name__
    return check_port(str(value))


def _check_url(value):
    problem, dummy = check_http_url(value)
    return problem


def _check_optional_url(value):
    return None if value in (None, '') else _check_url(value)


def _check_server_name(value):
    return check_server_name(value)


def _check_absolute_path(value):
    if not isinstance(value, str):
        return 'must be a path (a string), not a %s' % type(value).__name__
    if not value.startswith('/'):
        return 'is relative: give an absolute path, such as /matrix'
    return check_invisible(value)


def _check_identifier(value):
    if not isinstance(value, str) or not re.match(r'^[A-Za-z0-9._-]+\Z', value) or value in ('.', '..'):
        return 'must be a plain name (letters, digits, ".", "_", "-"): it names a directory'
    return None


CHECKS = {
    'matrix_domain': check_hostname_value,
    'matrix_server_fqn_matrix': check_hostname_value,
    'matrix_server_fqn_matrix_federation': check_hostname_value,
    'matrix_server_fqn_element': check_hostname_value,
    'matrix_server_fqn_jitsi': check_hostname_value,
    'matrix_static_files_matrix_hostname': check_hostname_value,
    'matrix_federation_public_port': _check_port,
    'matrix_homeserver_url': _check_url,
    'matrix_identity_server_url': _check_optional_url,
    CLIENT + 'm_homeserver_base_url': _check_url,
    CLIENT + 'm_identity_server_base_url': _check_optional_url,
    FILE + 'server_property_m_server': _check_server_name,
    'matrix_base_data_path': _check_absolute_path,
    PREFIX + 'base_path': _check_absolute_path,
    PREFIX + 'public_path': _check_absolute_path,
    PREFIX + 'public_well_known_path': _check_absolute_path,
    PREFIX + 'public_well_known_matrix_path': _check_absolute_path,
    PREFIX + 'identifier': _check_identifier,
}


# Every matrix_static_files_* variable of MDAD (at commit c0681e4): the ones its
# roles/custom/matrix-static-files/defaults/main.yml and group_vars/matrix_servers define, and the two optional
# e2ee properties its client template reads. Most are its container's and Traefik labels' (no effect here); a
# vars.yml sets them, so the typo check (role_plan.unknown_variables) must not warn about them. Refresh it from
# those two files when MDAD adds one (names only, suffixes after matrix_static_files_).
MDAD_VARIABLES = frozenset(PREFIX + suffix for suffix in (
    'base_path',
    'config_path',
    'container_additional_networks',
    'container_http_host_bind_port',
    'container_image',
    'container_image_registry_prefix',
    'container_image_registry_prefix_upstream',
    'container_image_registry_prefix_upstream_default',
    'container_image_tag',
    'container_labels_additional_labels',
    'container_labels_base_domain_enabled',
    'container_labels_base_domain_root_path_redirection_enabled',
    'container_labels_base_domain_root_path_redirection_regex',
    'container_labels_base_domain_root_path_redirection_url',
    'container_labels_base_domain_traefik_entrypoints',
    'container_labels_base_domain_traefik_hostname',
    'container_labels_base_domain_traefik_path_prefix',
    'container_labels_base_domain_traefik_priority',
    'container_labels_base_domain_traefik_rule',
    'container_labels_base_domain_traefik_tls',
    'container_labels_base_domain_traefik_tls_cert',
    'container_labels_traefik_docker_network',
    'container_labels_traefik_enabled',
    'container_labels_traefik_entrypoints',
    'container_labels_traefik_tls_cert',
    'container_labels_well_known_matrix_endpoint_enabled',
    'container_labels_well_known_matrix_endpoint_middleware_compress_enabled',
    'container_labels_well_known_matrix_endpoint_middleware_compress_min',
    'container_labels_well_known_matrix_endpoint_traefik_entrypoints',
    'container_labels_well_known_matrix_endpoint_traefik_hostname',
    'container_labels_well_known_matrix_endpoint_traefik_path_prefix',
    'container_labels_well_known_matrix_endpoint_traefik_priority',
    'container_labels_well_known_matrix_endpoint_traefik_rule',
    'container_labels_well_known_matrix_endpoint_traefik_tls',
    'container_labels_well_known_matrix_endpoint_traefik_tls_cert',
    'container_network',
    'enabled',
    'environment_variable_server_config_file',
    'environment_variable_server_ignore_hidden_files',
    'environment_variable_server_log_level',
    'environment_variable_server_log_remote_address',
    'environment_variable_server_port',
    'environment_variables_additional_variables',
    'file_index_html_enabled',
    'file_index_html_template',
    'file_matrix_client_configuration',
    'file_matrix_client_configuration_extension',
    'file_matrix_client_configuration_extension_json',
    'file_matrix_client_configuration_json',
    'file_matrix_client_property_cc_etke_ketesa',
    'file_matrix_client_property_cc_etke_ketesa_auto',
    'file_matrix_client_property_cc_etke_ketesa_custom',
    'file_matrix_client_property_cc_etke_ketesa_enabled',
    'file_matrix_client_property_io_element_e2ee_default',
    'file_matrix_client_property_io_element_e2ee_entries_enabled',
    'file_matrix_client_property_io_element_e2ee_force_disable',
    'file_matrix_client_property_io_element_e2ee_secure_backup_required',
    'file_matrix_client_property_io_element_e2ee_secure_backup_setup_methods',
    'file_matrix_client_property_io_element_jitsi_preferred_domain',
    'file_matrix_client_property_m_homeserver_base_url',
    'file_matrix_client_property_m_identity_server_base_url',
    'file_matrix_client_property_m_integrations_managers_api_url',
    'file_matrix_client_property_m_integrations_managers_ui_url',
    'file_matrix_client_property_m_tile_server_entries_enabled',
    'file_matrix_client_property_m_tile_server_map_style_url',
    'file_matrix_client_property_org_matrix_msc2965_authentication_account',
    'file_matrix_client_property_org_matrix_msc2965_authentication_enabled',
    'file_matrix_client_property_org_matrix_msc2965_authentication_issuer',
    'file_matrix_client_property_org_matrix_msc3575_proxy_url',
    'file_matrix_client_property_org_matrix_msc4143_rtc_foci',
    'file_matrix_client_property_org_matrix_msc4143_rtc_foci_auto',
    'file_matrix_client_property_org_matrix_msc4143_rtc_foci_custom',
    'file_matrix_client_property_org_matrix_msc4143_rtc_foci_enabled',
    'file_matrix_mautrix_configuration',
    'file_matrix_mautrix_configuration_extension',
    'file_matrix_mautrix_configuration_extension_json',
    'file_matrix_mautrix_configuration_json',
    'file_matrix_mautrix_enabled',
    'file_matrix_mautrix_property_fi_mau_bridges',
    'file_matrix_mautrix_property_fi_mau_bridges_auto',
    'file_matrix_mautrix_property_fi_mau_bridges_custom',
    'file_matrix_server_configuration',
    'file_matrix_server_configuration_extension',
    'file_matrix_server_configuration_extension_json',
    'file_matrix_server_configuration_json',
    'file_matrix_server_enabled',
    'file_matrix_server_property_m_server',
    'file_matrix_support_configuration',
    'file_matrix_support_configuration_extension',
    'file_matrix_support_configuration_extension_json',
    'file_matrix_support_configuration_json',
    'file_matrix_support_enabled',
    'file_matrix_support_property_m_contacts',
    'file_matrix_support_property_m_support_page',
    'files_cache_time_hours',
    'identifier',
    'public_path',
    'public_well_known_element_path',
    'public_well_known_matrix_path',
    'public_well_known_path',
    'restart_necessary',
    'scheme',
    'self_check_hostname_identity',
    'self_check_hostname_matrix',
    'self_check_validate_certificates',
    'self_check_well_known_matrix_client_follow_redirects',
    'systemd_required_services_list',
    'systemd_wanted_services_list',
    'systemd_wanted_services_list_auto',
    'systemd_wanted_services_list_custom',
    'version',
))


def relevant(names):
    """The names, among ``names``, of the variables ``plan`` reads."""
    return [name for name in names if name in RULES or name in OWN_VARIABLES or name.startswith(FILE)]


class _Variables:
    """Lookups with MDAD's precedence: a variable the user defined wins, even when empty; else the rule's default."""

    def __init__(self, values):
        self.values = values
        self.cache = {}

    def __call__(self, name):
        if name in self.cache:
            return self.cache[name]
        if name in self.values:
            value = self.values[name]
            check = CHECKS.get(name)
            problem = check and check(value)
            if problem:
                raise VariableError('%s %r %s' % (name, value, problem) if isinstance(value, str)
                                    else '%s %s' % (name, problem))
        elif name == 'matrix_domain':
            raise VariableError('matrix_domain is required: the base domain of the Matrix server, e.g. example.com')
        else:
            default = RULES.get(name)
            value = default(self) if callable(default) else default
        self.cache[name] = value
        return value

    def defined(self, name):
        return name in self.values

    def typed(self, name, kind, default=None):
        value = self(name)
        if value is None and default is not None:
            value = default
        if not isinstance(value, kind):
            raise VariableError('%s must be a %s, not a %s' % (name, kind.__name__, type(value).__name__))
        return value

    def text(self, name):
        value = self(name)
        return '' if value is None else value

    def flag(self, name):
        return to_bool(self(name), name)


def _list(v, name):
    return v.typed(name, list, [])


def _dict(v, name):
    return v.typed(name, dict, {})


def _required(v, name, switch, toggle):
    """The URL of an entry that is on: MDAD writes an empty one as "", which no client can use."""
    value = v.text(name)
    if value == '':
        raise VariableError('%s is on, but %s is empty: set it to the URL, or turn the entry off (MDAD fills it in '
                            'when %s is true)' % (switch, name, toggle))
    return value


def _client(v):
    document = {'m.homeserver': {'base_url': v(CLIENT + 'm_homeserver_base_url')}}
    identity = v(CLIENT + 'm_identity_server_base_url')
    api_url = v(CLIENT + 'm_integrations_managers_api_url')
    ui_url = v(CLIENT + 'm_integrations_managers_ui_url')
    jitsi = v.text(CLIENT + 'io_element_jitsi_preferred_domain')
    sliding_sync = v.text(CLIENT + 'org_matrix_msc3575_proxy_url')
    if identity:
        document['m.identity_server'] = {'base_url': identity}
    if api_url and ui_url:
        document['m.integrations'] = {'managers': [{'api_url': api_url, 'ui_url': ui_url}]}
    if jitsi:
        document['io.element.jitsi'] = {'preferredDomain': jitsi}
        document['im.vector.riot.jitsi'] = {'preferredDomain': jitsi}
    if sliding_sync:
        document['org.matrix.msc3575.proxy'] = {'url': sliding_sync}
    if v.flag(CLIENT + 'org_matrix_msc2965_authentication_enabled'):
        document['org.matrix.msc2965.authentication'] = {
            'issuer': _required(v, CLIENT + 'org_matrix_msc2965_authentication_issuer',
                                CLIENT + 'org_matrix_msc2965_authentication_enabled', 'matrix_authentication_service_enabled'),
            'account': _required(v, CLIENT + 'org_matrix_msc2965_authentication_account',
                                 CLIENT + 'org_matrix_msc2965_authentication_enabled', 'matrix_authentication_service_enabled'),
        }
    if v.flag(CLIENT + 'm_tile_server_entries_enabled'):
        document['m.tile_server'] = {'map_style_url': _required(
            v, CLIENT + 'm_tile_server_map_style_url', CLIENT + 'm_tile_server_entries_enabled',
            'matrix_client_element_location_sharing_enabled')}
    if v.flag(CLIENT + 'io_element_e2ee_entries_enabled'):
        e2ee_default = v.flag(CLIENT + 'io_element_e2ee_default')
        document['io.element.e2ee'] = {'default': e2ee_default, 'force_disable': v.flag(CLIENT + 'io_element_e2ee_force_disable')}
        document['im.vector.riot.e2ee'] = {'default': e2ee_default}
    if v.flag(CLIENT + 'cc_etke_ketesa_enabled'):
        document['cc.etke.ketesa'] = _dict(v, CLIENT + 'cc_etke_ketesa')
    if v.flag(CLIENT + 'org_matrix_msc4143_rtc_foci_enabled'):
        document['org.matrix.msc4143.rtc_foci'] = _list(v, CLIENT + 'org_matrix_msc4143_rtc_foci')
    return document


def _server(v):
    return {'m.server': v(FILE + 'server_property_m_server')}


def _support(v):
    # As MDAD: "contacts" is always written, the page only when set.
    document = {'contacts': _list(v, FILE + 'support_property_m_contacts')}
    page = v.text(FILE + 'support_property_m_support_page')
    if page:
        document['support_page'] = page
    return document


def _mautrix(v):
    return {'fi.mau.bridges': _list(v, FILE + 'mautrix_property_fi_mau_bridges')}


def _policy_server(v):
    name = FILE + 'policy_server_property_public_keys_ed25519'
    key = v(name)
    problem = check_ed25519_key(key)
    if problem:
        raise VariableError('%s %s' % (name, problem))
    return {'public_keys': {'ed25519': key}}


BUILDERS = {'client': _client, 'server': _server, 'support': _support, 'mautrix': _mautrix,
            'policy_server': _policy_server}


def _enabled(v, name):
    return name == 'client' or v.flag(FILE + name + '_enabled')


def _document(v, name):
    prefix = FILE + name + '_configuration'
    if v.defined(prefix):
        return json_object(v(prefix), prefix)
    base = json_object(v(prefix + '_json'), prefix + '_json') if v.defined(prefix + '_json') else BUILDERS[name](v)
    if v.defined(prefix + '_extension'):
        extension = json_object(v(prefix + '_extension'), prefix + '_extension')
    else:
        extension = json_object(v(prefix + '_extension_json') if v.defined(prefix + '_extension_json') else '{}',
                                prefix + '_extension_json')
    return merge(base, extension)


def _check_support(document):
    """The support document's rule (documents.check_support_contents), named by the variables that feed it."""
    problem = check_support_contents(document)
    if problem:
        raise VariableError('%ssupport_enabled is true, but neither %ssupport_property_m_contacts nor '
                            '%ssupport_property_m_support_page is set: the support document %s' % (FILE, FILE, FILE, problem))


# Each path and what it is derived from, when the user does not set it (roles/custom/matrix-static-files/defaults).
PATH_PARENTS = {
    PREFIX + 'public_well_known_matrix_path': (PREFIX + 'public_well_known_path',),
    PREFIX + 'public_well_known_path': (PREFIX + 'public_path',),
    PREFIX + 'public_path': (PREFIX + 'base_path',),
    PREFIX + 'base_path': ('matrix_base_data_path', PREFIX + 'identifier'),
}


def _check_safe_paths(v, name):
    """Refuse a path a web server config cannot hold, naming the variable the user set that it came from."""
    if v.defined(name):
        value = v(name)
        problem = check_safe_path('/' + value if name.endswith('identifier') else value)
        if problem:
            raise VariableError('%s %r %s' % (name, value, problem))
        return
    for parent in PATH_PARENTS.get(name, ()):
        _check_safe_paths(v, parent)


def check_served_path(variables):
    """Refuse a documents' directory that a web server config cannot hold, naming the variable the user set that it
    comes from (the directory itself, or the path or name it is derived from). Raises VariableError."""
    _check_safe_paths(_Variables(variables), PREFIX + 'public_well_known_matrix_path')


def plan(variables, path=None):
    """What the role writes: ``{path, public_path, matrix_hostname, owner, group, mode, directory_mode, documents,
    absent}``.

    ``documents`` maps each enabled document's name to its content; ``absent`` lists the disabled ones,
    which are deleted. ``owner`` and ``group`` are None when neither the role's nor MDAD's variable is set.
    ``path``, when given, is the documents' directory (the base domain's own), and MDAD's paths are not read
    (``public_path`` is then None). Raises VariableError naming the variable whose value cannot be used.
    """
    v = _Variables(variables)
    documents = {}
    absent = []
    for name in DOCUMENTS:
        if _enabled(v, name):
            documents[name] = _document(v, name)
        else:
            absent.append(name)
    if 'support' in documents and not v.defined(FILE + 'support_configuration'):
        _check_support(documents['support'])
    return {
        'path': v(PREFIX + 'public_well_known_matrix_path') if path is None else path,
        'public_path': v(PREFIX + 'public_path') if path is None else None,
        'matrix_hostname': v(PREFIX + 'matrix_hostname'),
        'owner': v(PREFIX + 'file_owner'),
        'group': v(PREFIX + 'file_group'),
        'mode': v(PREFIX + 'file_mode'),
        'directory_mode': v(PREFIX + 'directory_mode'),
        'documents': documents,
        'absent': absent,
    }
