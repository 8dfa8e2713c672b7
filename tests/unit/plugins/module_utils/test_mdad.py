# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The documents of the MDAD variables: MDAD's defaults, and a variable the user sets wins at every level.

Expected documents are written out by hand from MDAD's matrix-static-files defaults and templates.
"""

from __future__ import annotations

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import mdad

F = 'matrix_static_files_file_matrix_'
C = F + 'client_property_'
HOMESERVER = {'m.homeserver': {'base_url': 'https://matrix.example.com'}}


def plan(**variables):
    return mdad.plan(dict({'matrix_domain': 'example.com'}, **variables))


def test_only_the_domain():
    result = plan()
    assert result['path'] == '/matrix/static-files/public/.well-known/matrix'
    assert result['public_path'] == '/matrix/static-files/public'
    assert result['matrix_hostname'] == 'matrix.example.com'
    assert result['documents'] == {'client': HOMESERVER, 'server': {'m.server': 'matrix.example.com:8448'}}
    assert result['absent'] == ['support', 'mautrix']
    assert (result['owner'], result['group'], result['mode'], result['directory_mode']) == (None, None, '0644', '0755')


def test_mdad_globals():
    result = plan(matrix_base_data_path='/srv/matrix', matrix_server_fqn_matrix='m.example.org',
                  matrix_federation_public_port=443, matrix_user_name='matrix', matrix_group_name='matrix',
                  matrix_identity_server_url='https://id.example.com',
                  matrix_integration_manager_rest_url='https://im.example.com/api',
                  matrix_integration_manager_ui_url='https://im.example.com/ui')
    assert result['path'] == '/srv/matrix/static-files/public/.well-known/matrix'
    assert result['documents']['server'] == {'m.server': 'm.example.org:443'}
    assert result['documents']['client'] == {
        'm.homeserver': {'base_url': 'https://m.example.org'},
        'm.identity_server': {'base_url': 'https://id.example.com'},
        'm.integrations': {'managers': [{'api_url': 'https://im.example.com/api', 'ui_url': 'https://im.example.com/ui'}]},
    }
    assert (result['owner'], result['group']) == ('matrix', 'matrix')


def test_homeserver_url_and_federation_host():
    result = plan(matrix_homeserver_url='https://hs.example.com', matrix_server_fqn_matrix_federation='fed.example.com')
    assert result['documents']['client'] == {'m.homeserver': {'base_url': 'https://hs.example.com'}}
    assert result['documents']['server'] == {'m.server': 'fed.example.com:8448'}


@pytest.mark.parametrize('variables, path', [
    ({'matrix_static_files_base_path': '/a'}, '/a/public/.well-known/matrix'),
    ({'matrix_static_files_public_path': '/b'}, '/b/.well-known/matrix'),
    ({'matrix_static_files_public_well_known_path': '/c'}, '/c/matrix'),
    ({'matrix_static_files_public_well_known_matrix_path': '/d'}, '/d'),
    ({'matrix_base_data_path': '/e', 'matrix_static_files_public_well_known_path': '/c'}, '/c/matrix'),
])
def test_each_path_level_wins(variables, path):
    assert plan(**variables)['path'] == path


def test_role_owner_wins_over_mdad_user():
    result = plan(matrix_user_name='matrix', matrix_static_files_file_owner='www-data')
    assert result['owner'] == 'www-data'


def test_every_client_property():
    result = plan(**{
        C + 'io_element_jitsi_preferred_domain': 'jitsi.example.com',
        C + 'org_matrix_msc3575_proxy_url': 'https://sync.example.com',
        C + 'org_matrix_msc2965_authentication_enabled': 'yes',
        C + 'org_matrix_msc2965_authentication_issuer': 'https://auth.example.com/',
        C + 'org_matrix_msc2965_authentication_account': 'https://auth.example.com/account',
        C + 'm_tile_server_entries_enabled': True,
        C + 'm_tile_server_map_style_url': 'https://tiles.example.com/style.json',
        C + 'io_element_e2ee_default': False,
        C + 'cc_etke_ketesa_auto': {'a': {'x': 1, 'y': 1}},
        C + 'cc_etke_ketesa_custom': {'a': {'y': 2}, 'b': 3},
        C + 'org_matrix_msc4143_rtc_foci_auto': [{'type': 'livekit', 'livekit_service_url': 'https://a.example.com'}],
        C + 'org_matrix_msc4143_rtc_foci_custom': [{'type': 'livekit', 'livekit_service_url': 'https://b.example.com'}],
    })
    assert result['documents']['client'] == dict(HOMESERVER, **{
        'io.element.jitsi': {'preferredDomain': 'jitsi.example.com'},
        'im.vector.riot.jitsi': {'preferredDomain': 'jitsi.example.com'},
        'org.matrix.msc3575.proxy': {'url': 'https://sync.example.com'},
        'org.matrix.msc2965.authentication': {'issuer': 'https://auth.example.com/',
                                              'account': 'https://auth.example.com/account'},
        'm.tile_server': {'map_style_url': 'https://tiles.example.com/style.json'},
        'io.element.e2ee': {'default': False, 'force_disable': False},
        'im.vector.riot.e2ee': {'default': False},
        'cc.etke.ketesa': {'a': {'x': 1, 'y': 2}, 'b': 3},
        'org.matrix.msc4143.rtc_foci': [{'type': 'livekit', 'livekit_service_url': 'https://a.example.com'},
                                        {'type': 'livekit', 'livekit_service_url': 'https://b.example.com'}],
    })


@pytest.mark.parametrize('variables, present', [
    ({}, False),
    ({C + 'io_element_e2ee_force_disable': True}, True),
    ({C + 'io_element_e2ee_default': 'false'}, True),
    ({C + 'io_element_e2ee_entries_enabled': True}, True),
    ({C + 'io_element_e2ee_force_disable': True, C + 'io_element_e2ee_entries_enabled': False}, False),
])
def test_e2ee_entries(variables, present):
    assert ('io.element.e2ee' in plan(**variables)['documents']['client']) is present


def test_derived_lists_and_flags_can_be_set_directly():
    client = plan(**{C + 'cc_etke_ketesa_auto': {'a': 1}, C + 'cc_etke_ketesa': {'b': 2},
                     C + 'org_matrix_msc4143_rtc_foci': [{'type': 'x'}], C + 'org_matrix_msc4143_rtc_foci_enabled': False,
                     })['documents']['client']
    assert client['cc.etke.ketesa'] == {'b': 2}
    assert 'org.matrix.msc4143.rtc_foci' not in client


def test_each_document_level_wins():
    result = plan(**{
        F + 'client_configuration_json': {'m.homeserver': {'base_url': 'https://x.example.com'}, 'com.example.a': 1},
        F + 'client_configuration_extension_json': '{"com.example.a": {"deep": true}, "m.homeserver": {"extra": 1}}',
        F + 'server_property_m_server': 'fed.example.com:443',
        F + 'server_configuration_extension': {'com.example.b': 2},
        F + 'support_enabled': True,
        F + 'support_configuration': {'support_page': 'https://example.com/help'},
    })
    assert result['documents']['client'] == {
        'm.homeserver': {'base_url': 'https://x.example.com', 'extra': 1}, 'com.example.a': {'deep': True}}
    assert result['documents']['server'] == {'m.server': 'fed.example.com:443', 'com.example.b': 2}
    assert result['documents']['support'] == {'support_page': 'https://example.com/help'}


def test_configuration_json_as_text():
    result = plan(**{F + 'server_configuration_json': '{"m.server": "a.example.com:443"}'})
    assert result['documents']['server'] == {'m.server': 'a.example.com:443'}


def test_support_and_disabled_server():
    contacts = [{'matrix_id': '@admin:example.com', 'role': 'm.role.admin'}]
    result = plan(**{F + 'support_enabled': 'true', F + 'support_property_m_contacts': contacts,
                     F + 'support_property_m_support_page': 'https://example.com/support',
                     F + 'server_enabled': False})
    assert result['documents']['support'] == {'contacts': contacts, 'support_page': 'https://example.com/support'}
    assert 'server' not in result['documents']
    assert result['absent'] == ['server', 'mautrix']


def test_mautrix_follows_its_bridges():
    bridges = [{'network': 'telegram'}]
    result = plan(**{F + 'mautrix_property_fi_mau_bridges_custom': bridges})
    assert result['documents']['mautrix'] == {'fi.mau.bridges': bridges}
    assert plan(**{F + 'mautrix_property_fi_mau_bridges_custom': bridges, F + 'mautrix_enabled': False})['absent'] == [
        'support', 'mautrix']


@pytest.mark.parametrize('variables, message', [
    ({F + 'client_configuration_extension_json': '{"a": '}, 'client_configuration_extension_json is not valid JSON'),
    ({F + 'server_configuration_extension_json': '[1]'}, 'server_configuration_extension_json must be a JSON object'),
    ({F + 'support_enabled': True, F + 'support_configuration_extension_json': 7}, 'support_configuration_extension_json must be'),
    ({F + 'client_configuration': ['x']}, 'client_configuration must be'),
    ({C + 'cc_etke_ketesa_custom': ['x']}, 'cc_etke_ketesa_custom must be a dict'),
    ({F + 'mautrix_property_fi_mau_bridges_auto': 'telegram'}, 'fi_mau_bridges_auto must be a list'),
    ({F + 'support_enabled': True, F + 'support_property_m_contacts': {'role': 'm.role.admin'}}, 'm_contacts must be a list'),
])
def test_unusable_values_name_the_variable(variables, message):
    with pytest.raises(mdad.VariableError, match=message):
        plan(**variables)


def test_the_domain_is_required():
    with pytest.raises(mdad.VariableError, match='matrix_domain is required'):
        mdad.plan({})
    # Not needed when every value derived from it is set.
    assert mdad.plan({'matrix_static_files_matrix_hostname': 'matrix.example.org'})['documents']['server'] == {
        'm.server': 'matrix.example.org:8448'}


def test_relevant_variables():
    names = ['matrix_domain', 'matrix_static_files_webserver', 'matrix_static_files_self_check_timeout',
             F + 'client_configuration', 'matrix_static_files_public_path', 'matrix_synapse_enabled', 'hostvars']
    assert mdad.relevant(names) == ['matrix_domain', F + 'client_configuration', 'matrix_static_files_public_path']


@pytest.mark.parametrize('value, expected', [
    (True, True), ('yes', True), ('On', True), ('1', True), (1, True), ('true', True),
    (False, False), ('no', False), ('', False), (0, False), (None, False), ('false', False),
])
def test_bool_like_ansible(value, expected):
    assert mdad.to_bool(value) is expected


def test_the_role_defaults_change_nothing():
    # The role's literal defaults and the ones plan() applies to a missing variable must agree, or a
    # variable would mean one thing through the role and another through the module or the lookup.
    import os
    import yaml
    path = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'matrix_static_files',
                        'defaults', 'main.yml')
    with open(path) as handle:
        defaults = yaml.safe_load(handle)
    used = dict((name, value) for name, value in defaults.items() if name in mdad.relevant(defaults))
    assert len(used) > 20
    assert plan(**used) == plan()
    for name, value in used.items():
        assert plan(**{name: value}) == plan(), name
