# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The documents of the MDAD variables: MDAD's defaults, and a variable the user sets wins at every level.

The tables at the end compare with documents MDAD itself rendered (mdad/README.md says how); the tests above
them check single rules, most of them without Ketesa's entry (``bare``), which they do not concern.
"""

from __future__ import annotations

import pytest

from ansible_collections.matrix.wellknown.plugins.plugin_utils import _mdad as mdad

F = 'matrix_static_files_file_matrix_'
C = F + 'client_property_'
HOMESERVER = {'m.homeserver': {'base_url': 'https://matrix.example.com'}}
KETESA = {'asManagedUsers': [], 'corsCredentials': 'same-origin', 'externalAuthProvider': False, 'menu': [],
          'restrictBaseUrl': 'https://matrix.example.com', 'wellKnownDiscovery': True}
NOT_WRITTEN = ['support', 'mautrix', 'policy_server']


def plan(**variables):
    return mdad.plan(dict({'matrix_domain': 'example.com'}, **variables))


def bare(**variables):
    """The plan without Ketesa's entry (on Synapse, MDAD writes it into every client document)."""
    return plan(**dict({C + 'cc_etke_ketesa_auto': {}}, **variables))


def test_only_the_domain():
    result = plan()
    assert result['path'] == '/matrix/static-files/public/.well-known/matrix'
    assert result['public_path'] == '/matrix/static-files/public'
    assert result['matrix_hostname'] == 'matrix.example.com'
    assert result['documents'] == {'client': dict(HOMESERVER, **{'cc.etke.ketesa': KETESA}),
                                   'server': {'m.server': 'matrix.example.com:8448'}}
    assert result['absent'] == NOT_WRITTEN
    # The modes' defaults are the role's (its argument spec), which role_plan gives; MDAD has no rule for them.
    assert (result['owner'], result['group'], result['mode'], result['directory_mode']) == (None, None, None, None)


def test_mdad_globals():
    result = bare(matrix_base_data_path='/srv/matrix', matrix_server_fqn_matrix='m.example.org',
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
    result = bare(matrix_homeserver_url='https://hs.example.com', matrix_server_fqn_matrix_federation='fed.example.com')
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
        C + 'org_matrix_msc4143_rtc_foci_enabled': True,
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
    assert result['absent'] == ['server', 'mautrix', 'policy_server']


def test_mautrix_follows_its_bridges():
    bridges = [{'network': 'telegram'}]
    result = plan(**{F + 'mautrix_property_fi_mau_bridges_custom': bridges})
    assert result['documents']['mautrix'] == {'fi.mau.bridges': bridges}
    assert plan(**{F + 'mautrix_property_fi_mau_bridges_custom': bridges, F + 'mautrix_enabled': False})['absent'] == [
        'support', 'mautrix', 'policy_server']


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
    assert mdad.plan({'matrix_server_fqn_matrix': 'matrix.example.org'})['documents']['server'] == {
        'm.server': 'matrix.example.org:8448'}


def test_relevant_variables():
    names = ['matrix_domain', 'matrix_static_files_webserver', 'matrix_static_files_self_check_timeout',
             F + 'client_configuration', 'matrix_static_files_public_path', 'matrix_synapse_enabled', 'hostvars',
             'jitsi_enabled', 'matrix_bridge_mautrix_telegram_enabled', 'matrix_bridge_mautrix_telegram_container_image']
    # The web server is the role plan's: the documents do not depend on it.
    assert mdad.relevant(names) == ['matrix_domain', F + 'client_configuration',
                                    'matrix_static_files_public_path', 'jitsi_enabled',
                                    'matrix_bridge_mautrix_telegram_enabled']


@pytest.mark.parametrize('value, expected', [
    (True, True), ('yes', True), ('On', True), ('1', True), (1, True), ('true', True), (' Y ', True), ('t', True),
    (False, False), ('no', False), ('', False), (0, False), (None, False), ('false', False), ('OFF', False),
    ('n', False), ('F', False),
])
def test_bool_like_ansible(value, expected):
    assert mdad.to_bool(value, 'x_enabled') is expected


@pytest.mark.parametrize('value', ['ture', 'maybe', 'enabled', 2, -1, 0.5, [], {}, ['yes']])
def test_anything_else_is_not_a_boolean_and_names_the_variable(value):
    with pytest.raises(mdad.VariableError) as raised:
        mdad.to_bool(value, 'x_enabled')
    assert str(raised.value) == 'x_enabled %r is not a boolean: give true or false (or yes/no, on/off, 1/0)' % (value,)


@pytest.mark.parametrize('name', ['matrix_static_files_file_matrix_support_enabled', 'jitsi_enabled',
                                  'matrix_static_files_file_matrix_client_property_io_element_e2ee_entries_enabled'])
def test_a_misspelt_flag_fails_the_plan_instead_of_leaving_something_out(name):
    with pytest.raises(mdad.VariableError, match='^%s \'ture\' is not a boolean' % name):
        mdad.plan({'matrix_domain': 'example.com', name: 'ture'})


def test_the_role_defaults_change_nothing():
    # The role's literal defaults and the ones plan() applies to a missing variable must agree, or a
    # variable would mean one thing through the role and another through the module or the lookup.
    import os
    import yaml
    path = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'matrix_static_files',
                        'defaults', 'main.yml')
    with open(path) as handle:
        defaults = yaml.safe_load(handle)
    used = dict((name, value) for name, value in defaults.items()
                if name in mdad.relevant(defaults) and name not in mdad.OWN_VARIABLES)
    assert len(used) > 15
    assert plan(**used) == plan()
    for name, value in used.items():
        assert plan(**{name: value}) == plan(), name


# --- Documents MDAD itself wrote for real vars.yml files (mdad/<case>/, see mdad/README.md).

import json  # noqa: E402
import os  # noqa: E402

import yaml  # noqa: E402

from ansible_collections.matrix.wellknown.plugins.module_utils import _documents as documents  # noqa: E402

CASES_DIR = os.path.join(os.path.dirname(__file__), 'mdad')
CASES = sorted(name for name in os.listdir(CASES_DIR) if os.path.isdir(os.path.join(CASES_DIR, name)))


def mdad_case(case):
    """The case's vars.yml, the documents MDAD wrote for it, and its path."""
    folder = os.path.join(CASES_DIR, case)
    with open(os.path.join(folder, 'vars.yml')) as handle:
        variables = yaml.safe_load(handle)
    written = {}
    for name in os.listdir(folder):
        if name.endswith('.json'):
            with open(os.path.join(folder, name)) as handle:
                written[name[:-len('.json')]] = json.load(handle)
    with open(os.path.join(folder, 'path.txt')) as handle:
        return variables, written, handle.read().strip()


def test_there_are_mdad_cases():
    assert len(CASES) >= 19


@pytest.mark.parametrize('case', CASES)
def test_same_documents_and_path_as_mdad(case):
    variables, written, path = mdad_case(case)
    result = mdad.plan(variables)
    assert result['documents'] == written
    assert result['path'] == path
    assert result['absent'] == [name for name in mdad.DOCUMENTS if name not in written]


@pytest.mark.parametrize('case', CASES)
def test_same_bytes_as_mdad(case):
    # MDAD and this collection may write the same directory: the same bytes (no trailing newline, escapes
    # beyond ASCII, key order, indent) mean neither rewrites the other's files.
    variables, written, dummy = mdad_case(case)
    for name, document in mdad.plan(variables)['documents'].items():
        with open(os.path.join(CASES_DIR, case, name + '.json'), 'rb') as handle:
            assert documents.serialize(document) == handle.read(), name


@pytest.mark.parametrize('case', CASES)
def test_mdad_documents_pass_the_module_validation(case):
    variables, dummy, dummy = mdad_case(case)
    errors, dummy = documents.validate_documents(mdad.plan(variables)['documents'])
    assert errors == []


class Recorder(dict):
    """Variables that remember every name plan() asks for."""

    def __init__(self, values):
        super().__init__(values)
        self.asked = set()

    def __contains__(self, name):
        self.asked.add(name)
        return super().__contains__(name)


@pytest.mark.parametrize('case', CASES)
def test_relevant_selects_every_variable_the_rules_read(case):
    # The action templates only what relevant() selects: a variable a rule reads but relevant() drops would be
    # silently ignored when the user sets it.
    variables, dummy, dummy = mdad_case(case)
    values = Recorder(variables)
    mdad.plan(values)
    assert len(values.asked) > 30
    assert sorted(values.asked - set(mdad.relevant(values.asked))) == []
    assert sorted(set(variables) - set(mdad.relevant(variables))) == []


def test_every_rule_names_its_mdad_file():
    assert set(mdad.SOURCES) == set(mdad.RULES)
    assert all(source.startswith(('group_vars/', 'roles/custom/', 'this collection')) for source in mdad.SOURCES.values())


@pytest.mark.parametrize('variables, expected', [
    # Toggles alone, each with the user's value winning one level up.
    ({'jitsi_enabled': True, 'matrix_server_fqn_jitsi': 'meet.example.com'}, {
        'io.element.jitsi': {'preferredDomain': 'meet.example.com'},
        'im.vector.riot.jitsi': {'preferredDomain': 'meet.example.com'}}),
    ({'jitsi_enabled': False, C + 'io_element_jitsi_preferred_domain': 'meet.example.com'}, {
        'io.element.jitsi': {'preferredDomain': 'meet.example.com'},
        'im.vector.riot.jitsi': {'preferredDomain': 'meet.example.com'}}),
    ({'matrix_authentication_service_enabled': True, 'matrix_authentication_service_path_prefix': '/'}, {
        'org.matrix.msc2965.authentication': {'issuer': 'https://matrix.example.com/',
                                              'account': 'https://matrix.example.com/account'}}),
    ({'matrix_authentication_service_enabled': True,
      'matrix_authentication_service_account_management_url': 'https://id.example.com/me'}, {
        'org.matrix.msc2965.authentication': {'issuer': 'https://matrix.example.com/auth/',
                                              'account': 'https://id.example.com/me'}}),
    ({'matrix_rtc_enabled': True, 'livekit_server_enabled': False}, {}),
    ({'matrix_rtc_enabled': True, 'matrix_livekit_jwt_service_public_url': 'https://rtc.example.com/jwt'}, {
        'org.matrix.msc4143.rtc_foci': [{'type': 'livekit', 'livekit_service_url': 'https://rtc.example.com/jwt'}]}),
    ({'matrix_element_call_enabled': True, 'matrix_rtc_enabled': False}, {}),
    ({'matrix_client_element_location_sharing_enabled': True, 'matrix_playbook_ssl_enabled': False,
      'matrix_homeserver_url': 'https://matrix.example.com'}, {
        'm.tile_server': {'map_style_url': 'http://element.example.com/map_style.json'}}),
])
def test_toggles_with_overrides(variables, expected):
    client = bare(**variables)['documents']['client']
    assert client == dict(HOMESERVER, **expected)


def test_bridges_user_values_win():
    result = plan(matrix_playbook_reverse_proxy_type='playbook-managed-traefik', matrix_bridge_mautrix_signal_enabled=True,
                  matrix_bridge_mautrix_signal_bridge_public_address='https://signal.example.com',
                  matrix_bridge_mautrix_telegram_enabled=True, matrix_bridge_mautrix_telegram_exposure_enabled=False,
                  matrix_bridge_mautrix_telegram_appservice_bot_username='tg')
    assert result['documents']['mautrix'] == {'fi.mau.bridges': ['https://signal.example.com']}
    assert result['documents']['client']['cc.etke.ketesa']['asManagedUsers'] == [
        '^@signalbot:example\\.com$', '^@signal_[a-zA-Z0-9]+:example\\.com$',
        '^@tg:example\\.com$', '^@telegram_(channel-)?[0-9]+:example\\.com$']


def test_ketesa_configuration_extension_and_unusable_values():
    client = plan(matrix_ketesa_configuration_extension_json='{"menu": [{"label": "x", "url": "https://x.example.com"}]}',
                  matrix_ketesa_config_corsCredentials='include')['documents']['client']
    assert client['cc.etke.ketesa']['menu'] == [{'label': 'x', 'url': 'https://x.example.com'}]
    assert client['cc.etke.ketesa']['corsCredentials'] == 'include'
    with pytest.raises(mdad.VariableError, match='matrix_ketesa_configuration_extension_json is not valid JSON'):
        plan(matrix_ketesa_configuration_extension_json='{')
    with pytest.raises(mdad.VariableError, match='matrix_ketesa_config_asManagedUsers_custom must be a list'):
        plan(matrix_ketesa_config_asManagedUsers_custom='^@x:example.com$')
    with pytest.raises(mdad.VariableError, match='matrix_bridge_mautrix_meta_messenger_meta_mode .* is not one of'):
        plan(matrix_bridge_mautrix_meta_messenger_enabled=True, matrix_bridge_mautrix_meta_messenger_meta_mode='x')


# --- Messages name the variable the user set (issue #12, items 2 and 11).

@pytest.mark.parametrize('variables, message', [
    ({'matrix_domain': 'bücher.example'},
     "matrix_domain 'bücher.example' is an internationalised domain name: use its punycode form 'xn--bcher-kva.example'"),
    ({'matrix_domain': 'example.com.'}, r"matrix_domain 'example.com.' ends with a dot: give it without the dot \('example.com'\)"),
    ({'matrix_domain': ['example.com']}, r'matrix_domain must be a hostname \(a string\), not a list'),
    ({'matrix_domain': 'https://example.com'}, "matrix_domain 'https://example.com' is not a valid DNS name"),
    ({'matrix_server_fqn_matrix': ''}, "matrix_server_fqn_matrix '' is empty"),
    ({'matrix_server_fqn_matrix_federation': 'fed.example.com.'}, 'matrix_server_fqn_matrix_federation .* ends with a dot'),
    ({'matrix_federation_public_port': 70000}, 'matrix_federation_public_port has a port outside 1-65535'),
    ({F + 'server_property_m_server': ''}, "matrix_static_files_file_matrix_server_property_m_server '' is empty"),
    ({F + 'server_property_m_server': 'https://fed.example.com'}, 'server_property_m_server .* must not include a scheme'),
    ({'matrix_homeserver_url': 'matrix.example.com'}, "matrix_homeserver_url 'matrix.example.com' is not an absolute"),
    ({C + 'm_homeserver_base_url': ''}, 'client_property_m_homeserver_base_url .* is not an absolute'),
    ({'matrix_identity_server_url': 'vector.im'}, "matrix_identity_server_url 'vector.im' is not an absolute"),
    ({'matrix_static_files_base_path': 'matrix/static'}, "matrix_static_files_base_path 'matrix/static' is relative"),
    ({'matrix_base_data_path': 'srv/matrix'}, "matrix_base_data_path 'srv/matrix' is relative"),
    ({'matrix_static_files_public_well_known_matrix_path': './wk'}, 'public_well_known_matrix_path .* is relative'),
    ({'matrix_static_files_identifier': '../x'}, "matrix_static_files_identifier '../x' must be a plain name"),
    ({F + 'support_enabled': True},
     'support_enabled is true, but neither matrix_static_files_file_matrix_support_property_m_contacts nor'),
    ({C + 'org_matrix_msc2965_authentication_enabled': True},
     'msc2965_authentication_enabled is on, but matrix_static_files_file_matrix_client_property_org_matrix_msc2965_'
     'authentication_issuer is empty: set it to the URL, or turn the entry off'),
    ({C + 'org_matrix_msc2965_authentication_enabled': True, C + 'org_matrix_msc2965_authentication_issuer': 'https://a.example.com/'},
     'org_matrix_msc2965_authentication_account is empty'),
    ({C + 'm_tile_server_entries_enabled': True, C + 'm_tile_server_map_style_url': ''},
     'm_tile_server_map_style_url is empty: .* when matrix_client_element_location_sharing_enabled is true'),
])
def test_messages_name_the_variable_set(variables, message):
    with pytest.raises(mdad.VariableError, match=message):
        plan(**variables)


@pytest.mark.parametrize('variables, message', [
    ({'matrix_static_files_base_path': '/srv/my files'},
     "matrix_static_files_base_path '/srv/my files' is not an absolute path made only of"),
    ({'matrix_base_data_path': '/srv/a;b'}, "matrix_base_data_path '/srv/a;b'"),
    ({'matrix_static_files_identifier': 'a%b;c'}, "matrix_static_files_identifier 'a%b;c' must be a plain name"),
    ({'matrix_static_files_public_well_known_matrix_path': '/srv/wk{'}, "public_well_known_matrix_path '/srv/wk{'"),
])
def test_a_served_path_names_the_variable_set(variables, message):
    # A web server config will hold the documents' directory (role_plan checks it when one serves them).
    with pytest.raises(mdad.VariableError, match=message):
        mdad.check_served_path(dict({'matrix_domain': 'example.com'}, **variables))


def test_a_public_path_outside_the_served_directory_is_not_a_served_path():
    mdad.check_served_path({'matrix_static_files_public_path': '/srv/my files',
                            'matrix_static_files_public_well_known_matrix_path': '/srv/wk'})


def test_rules_shared_with_the_documents_and_the_sites_have_one_wording():
    from ansible_collections.matrix.wellknown.plugins.plugin_utils import _settings as settings
    assert set(mdad.CHECKS[name] for name in ('matrix_domain', 'matrix_server_fqn_matrix',
                                              'matrix_static_files_matrix_hostname')) == {settings.check_hostname_value}
    with pytest.raises(mdad.VariableError) as info:
        plan(**{F + 'support_enabled': True})
    assert str(info.value).endswith(': the support document ' + documents.check_support_contents({}))


def test_a_path_with_a_space_is_fine_without_a_web_server():
    assert plan(matrix_static_files_base_path='/srv/my files')['path'] == '/srv/my files/public/.well-known/matrix'


def test_the_path_a_user_set_wins_over_a_bad_one_below_it():
    assert plan(matrix_base_data_path='relative', matrix_static_files_base_path='/srv/sf')['path'] == (
        '/srv/sf/public/.well-known/matrix')


def test_a_support_page_alone_keeps_mdad_empty_contacts():
    result = plan(**{F + 'support_enabled': True, F + 'support_property_m_support_page': 'https://example.com/help'})
    assert result['documents']['support'] == {'contacts': [], 'support_page': 'https://example.com/help'}


# --- /.well-known/matrix/policy_server (issue #16).

KEY = 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ'


def test_policy_server_document():
    result = plan(**{F + 'policy_server_enabled': True, F + 'policy_server_property_public_keys_ed25519': KEY,
                     F + 'policy_server_configuration_extension_json': '{"public_keys": {"org.example.algo": "abc"}}'})
    assert result['documents']['policy_server'] == {'public_keys': {'ed25519': KEY, 'org.example.algo': 'abc'}}
    assert 'policy_server' not in result['absent']
    assert documents.validate_documents(result['documents'])[0] == []


def test_policy_server_disabled_means_deleted():
    result = plan(**{F + 'policy_server_property_public_keys_ed25519': KEY})
    assert 'policy_server' in result['absent'] and 'policy_server' not in result['documents']


def test_policy_server_configuration_wins():
    document = {'public_keys': {'ed25519': KEY}}
    result = plan(**{F + 'policy_server_enabled': 'yes', F + 'policy_server_configuration': document})
    assert result['documents']['policy_server'] == document


@pytest.mark.parametrize('key, message', [
    ('', 'must be the unpadded base64 of a 32-byte ed25519 public key'),
    (KEY + '=', 'must be unpadded base64'),
    (KEY.replace('+', '-'), 'is not standard base64'),
    (KEY[:-4], 'decodes to 29 bytes: an ed25519 public key has 32'),
])
def test_policy_server_key_is_checked_naming_the_variable(key, message):
    with pytest.raises(mdad.VariableError, match='policy_server_property_public_keys_ed25519 ' + message):
        plan(**{F + 'policy_server_enabled': True, F + 'policy_server_property_public_keys_ed25519': key})
