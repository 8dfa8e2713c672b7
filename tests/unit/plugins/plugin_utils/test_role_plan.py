# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a role run plans on the controller from its variables (plugin_utils/_role_plan.py)."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.matrix.wellknown.plugins.module_utils._documents import serialize
from ansible_collections.matrix.wellknown.plugins.plugin_utils import _role_plan as role_plan
from ansible_collections.matrix.wellknown.plugins.plugin_utils._render import render

DEFAULT_CONFIGS = sorted(
    '/etc/%s' % path for path in (
        'nginx/conf.d/matrix-static-files.conf', 'nginx/snippets/matrix-static-files.conf',
        'apache2/sites-enabled/matrix-static-files.conf', 'apache2/snippets/matrix-static-files.conf',
        'caddy/Caddyfile.d/matrix-static-files.caddyfile', 'caddy/snippets/matrix-static-files.caddyfile',
        'haproxy/conf.d/matrix-static-files.cfg'))


def static_files(**values):
    return role_plan.plan('matrix_static_files', dict({'matrix_domain': 'example.com'}, **values))


def base_domain(**values):
    return role_plan.plan('matrix_base_domain', base_domain_variables(**values))


def base_domain_variables(**values):
    variables = {
        'matrix_domain': 'example.com',
        'matrix_base_domain_webserver': 'nginx',
        'matrix_base_domain_method': 'proxy',
        'matrix_base_domain_hostname': 'example.com',
        'matrix_base_domain_upstream_hostname': 'matrix.example.com',
        'matrix_base_domain_upstream_address': '',
        'matrix_base_domain_upstream_ca_file': '',
        'matrix_base_domain_public_path': '/srv/base-domain',
        'matrix_base_domain_tls_certificate': '/etc/ssl/example.com.pem',
        'matrix_base_domain_tls_certificate_key': '/etc/ssl/example.com.key',
        'matrix_base_domain_https_port': 443,
        'matrix_base_domain_root_redirect_url': 'https://matrix.example.com/',
        'matrix_base_domain_index_html': '<h1>Hello</h1>\n',
        'matrix_base_domain_cloudfront_origin_id': 'matrix-wellknown',
        'matrix_base_domain_cloudfront_cache_policy_id': '658327ea-f89d-4fab-a63d-7e88639e58f6',
    }
    variables.update(values)
    return variables


def problems(function, **values):
    with pytest.raises(role_plan.PlanError) as info:
        function(**values)
    return info.value.problems


def test_without_a_web_server_only_documents_and_every_default_config_to_remove():
    planned = static_files(matrix_static_files_webserver='none')
    assert planned['site'] is None
    assert sorted(planned['documents']['documents']) == ['client', 'server']
    assert planned['remove_configs'] == DEFAULT_CONFIGS
    assert planned['reload_command'] == ''


@pytest.mark.parametrize('server,path,service', [
    ('nginx', '/etc/nginx/conf.d/matrix-static-files.conf', 'nginx'),
    ('apache', '/etc/apache2/sites-enabled/matrix-static-files.conf', 'apache2'),
    ('caddy', '/etc/caddy/Caddyfile.d/matrix-static-files.caddyfile', 'caddy'),
    ('haproxy', '/etc/haproxy/conf.d/matrix-static-files.cfg', 'haproxy'),
])
def test_a_web_server_gets_its_usual_paths_and_the_other_configs_are_removed(server, path, service):
    planned = static_files(matrix_static_files_webserver=server)
    site = planned['site']
    assert site['config_path'] == path == planned['config_path']
    assert planned['reload_command'] == 'systemctl reload %s' % service
    assert path not in planned['remove_configs'] and len(planned['remove_configs']) == len(DEFAULT_CONFIGS) - 1
    assert site['hostname'] == 'matrix.example.com'
    assert site['tls_certificate'] == '/etc/letsencrypt/live/matrix.example.com/fullchain.pem'
    assert site['wellknown'] == dict(site['wellknown'], method='static', directory='/matrix/static-files/public/.well-known/matrix',
                                     documents=['client', 'server'], cache_max_age=14400)
    # The config names its site on its first line: how a later run recognises it as the collection's.
    assert render(site).splitlines()[0] == '# Ansible managed (matrix.wellknown, site matrix_static_files): ' \
                                           'local changes are overwritten'


@pytest.mark.parametrize('server', ['nginx', 'apache', 'caddy', 'haproxy'])
def test_every_server_serves_the_documents_from_where_they_are_written(server):
    """matrix_static_files_public_well_known_matrix_path moves the documents: the config serves them from there,
    not from a directory derived again from matrix_static_files_public_path (issue #22)."""
    planned = static_files(matrix_static_files_webserver=server,
                           matrix_static_files_public_well_known_matrix_path='/srv/other/wk')
    assert planned['documents']['path'] == '/srv/other/wk'
    assert planned['site']['wellknown']['directory'] == '/srv/other/wk'
    config = render(planned['site'])
    assert '/srv/other/wk' in config
    assert '/matrix/static-files' not in config


def test_the_served_documents_follow_the_enabled_ones():
    planned = static_files(matrix_static_files_webserver='haproxy', matrix_static_files_file_matrix_server_enabled=False,
                           matrix_static_files_file_matrix_support_enabled=True,
                           matrix_static_files_file_matrix_support_property_m_support_page='https://example.com/help')
    assert planned['site']['wellknown']['documents'] == ['client', 'support']
    assert 'server' in planned['documents']['absent']


@pytest.mark.parametrize('hours,seconds', [(4, 14400), ('4', 14400), (0.5, 1800), ('0', 0)])
def test_cache_hours_as_numbers_or_text(hours, seconds):
    """ansible-core 2.18 templates a number to text; the hours are read the same either way."""
    planned = static_files(matrix_static_files_webserver='nginx', matrix_static_files_files_cache_time_hours=hours)
    assert planned['site']['wellknown']['cache_max_age'] == seconds


@pytest.mark.parametrize('hours', ['four', -1, True, [4], 1.0001, '1/2', None])
def test_bad_cache_hours_name_the_variable(hours):
    found = problems(static_files, matrix_static_files_webserver='nginx', matrix_static_files_files_cache_time_hours=hours)
    assert len(found) == 1 and found[0].startswith('matrix_static_files_files_cache_time_hours: ')


@pytest.mark.parametrize('hours', [int('9' * 400), '9' * 400, 1e300, float('inf'), float('nan'), '1e400', 596524])
def test_huge_cache_hours_name_the_variable_and_the_bound(hours):
    """A number of hours a float cannot hold, or more seconds than caches understand, is a problem, not a crash."""
    found = problems(static_files, matrix_static_files_webserver='nginx', matrix_static_files_files_cache_time_hours=hours)
    assert len(found) == 1 and found[0].startswith('matrix_static_files_files_cache_time_hours: ')
    assert found[0].endswith('is not a number of hours that makes a whole number of seconds (hours x 3600) from 0 to '
                             '2147483647')
    assert len(found[0]) < 250


@pytest.mark.parametrize('hours,seconds', [(596523, 596523 * 3600), ('0.1', 360), (0.1, 360)])
def test_cache_hours_up_to_the_bound_are_exact(hours, seconds):
    planned = static_files(matrix_static_files_webserver='nginx', matrix_static_files_files_cache_time_hours=hours)
    assert planned['site']['wellknown']['cache_max_age'] == seconds


@pytest.mark.parametrize('role, prefix', [(static_files, 'matrix_static_files_webserver_'),
                                          (base_domain, 'matrix_base_domain_')])
@pytest.mark.parametrize('address', ['fe80::1%eth0', 'fe80::1%lo#x;{}', '::1%1'])
def test_a_listen_address_with_a_zone_id_names_the_variable(role, prefix, address):
    found = problems(role, **{prefix + 'webserver' if role is base_domain else 'matrix_static_files_webserver': 'nginx',
                              prefix + 'listen_addresses': [address]})
    assert found == ['%slisten_addresses: %r has an IPv6 zone id (after "%%"): give an address without one (a global '
                     'or unique local address)' % (prefix, address)]


@pytest.mark.parametrize('server', ['nginx', 'apache', 'caddy', 'haproxy', 'traefik'])
def test_an_upstream_zone_id_with_config_syntax_is_refused_for_every_server(server):
    found = problems(base_domain, matrix_base_domain_webserver=server, matrix_base_domain_upstream_address='[::1%lo#x;{}]:443')
    assert found == ["matrix_base_domain_upstream_address: '[::1%lo#x;{}]:443' has an IPv6 zone id (after \"%\") that is "
                     'not made only of letters, digits, "_", "." and "-"']


def test_settings_problems_name_the_variables_all_at_once():
    found = problems(static_files, matrix_static_files_webserver='nginx',
                     matrix_static_files_webserver_hostname='matrix.example.com; include /etc/passwd',
                     matrix_static_files_webserver_https_port=70000)
    # The certificate paths derived from the bad hostname are not reported again.
    assert [problem.split(':')[0] for problem in found] == [
        'matrix_static_files_webserver_hostname', 'matrix_static_files_webserver_https_port']


def test_a_path_problem_names_the_variable_set():
    found = problems(static_files, matrix_static_files_webserver='nginx', matrix_static_files_base_path='/srv/with space')
    assert len(found) == 1 and found[0].startswith("matrix_static_files_base_path '/srv/with space' ")


def test_an_unknown_web_server_names_the_variable():
    assert problems(static_files, matrix_static_files_webserver='iis') == [
        "matrix_static_files_webserver: 'iis' is not one of none, nginx, apache, caddy, haproxy"]
    assert problems(base_domain, matrix_base_domain_webserver='iis')[0].startswith("matrix_base_domain_webserver: 'iis'")


def test_a_document_variable_problem_is_reported_before_anything_is_written():
    found = problems(static_files, matrix_static_files_webserver='nginx',
                     matrix_static_files_file_matrix_client_configuration_extension_json='{not json')
    assert found[0].startswith('matrix_static_files_file_matrix_client_configuration_extension_json is not valid JSON')


def big_client(size):
    """A client document extension that makes the client document serialise to exactly ``size`` bytes."""
    plain = static_files(matrix_static_files_webserver='nginx')['documents']['documents']['client']
    base = len(serialize(dict(plain, **{'com.example.pad': ''})))
    return {'com.example.pad': 'x' * (size - base)}


def test_haproxy_refuses_documents_over_its_buffer_naming_the_limit():
    limit = role_plan.HAPROXY_BUFFER - role_plan.HAPROXY_HEADROOM
    name = 'matrix_static_files_file_matrix_client_configuration_extension_json'
    fits = static_files(matrix_static_files_webserver='haproxy', **{name: big_client(limit)})
    assert len(serialize(fits['documents']['documents']['client'])) == limit
    found = problems(static_files, matrix_static_files_webserver='haproxy', **{name: big_client(limit + 1)})
    assert found == ['client: serialises to %d bytes, but HAProxy answers with a served file from one buffer of 16384 '
                     'bytes (tune.bufsize) that also holds the headers: keep it at %d bytes or less, or serve it with '
                     'another web server' % (limit + 1, limit)]
    # The other servers read the documents from disk at each request.
    assert static_files(matrix_static_files_webserver='nginx', **{name: big_client(limit + 1)})['site']


def test_base_domain_proxy_to_itself_is_refused_naming_both_variables():
    found = problems(base_domain, matrix_base_domain_upstream_hostname='example.com')
    assert len(found) == 1
    assert found[0].startswith("matrix_base_domain_upstream_hostname: 'example.com' is matrix_base_domain_hostname itself")
    assert 'matrix_base_domain_method: static' in found[0]
    # Another address or port is another server: no loop.
    assert base_domain(matrix_base_domain_upstream_hostname='example.com',
                       matrix_base_domain_upstream_address='10.0.0.5:443')['site']
    assert base_domain(matrix_base_domain_upstream_hostname='example.com',
                       matrix_base_domain_upstream_address='example.com:8443')['site']


@pytest.mark.parametrize('listen, address', [
    (['127.0.0.1'], '127.0.0.1:443'),
    (['203.0.113.10', '2001:db8::10'], '[2001:db8::10]:443'),
    (['2001:db8::10'], '[2001:db8:0::10]:443'),
    ([], '127.0.0.1:443'),
    ([], '[::1]:443'),
    ([], 'localhost:443'),
    ([], '0.0.0.0:443'),
])
def test_base_domain_proxy_to_its_own_listen_address_is_refused_naming_both_variables(listen, address):
    """The base domain serves the Matrix name and forwards to its own address and port: the same loop."""
    found = problems(base_domain, matrix_base_domain_hostname='matrix.example.com',
                     matrix_base_domain_listen_addresses=listen, matrix_base_domain_upstream_address=address)
    assert len(found) == 1
    assert found[0].startswith('matrix_base_domain_upstream_address: %r is where this site listens '
                               '(matrix_base_domain_listen_addresses: ' % address)
    assert "matrix_base_domain_upstream_hostname 'matrix.example.com' is matrix_base_domain_hostname itself" in found[0]
    assert 'to itself in a loop' in found[0]


@pytest.mark.parametrize('listen, address, port', [
    (['127.0.0.1'], '127.0.0.2:443', 443),     # another address
    (['127.0.0.1'], '127.0.0.1:8443', 443),    # another port
    ([], '127.0.0.1:443', 8443),               # the site listens on another port
    ([], '203.0.113.5:443', 443),              # not known to be this host
])
def test_base_domain_proxy_elsewhere_is_no_loop(listen, address, port):
    assert base_domain(matrix_base_domain_hostname='matrix.example.com', matrix_base_domain_https_port=port,
                       matrix_base_domain_listen_addresses=listen, matrix_base_domain_upstream_address=address)['site']
    # Another name sent to the own address is another site of the same server (the Matrix host's, say): no loop.
    assert base_domain(matrix_base_domain_listen_addresses=listen, matrix_base_domain_upstream_address=address)['site']


def test_switching_to_none_removes_the_config_at_the_path_still_named():
    """From nginx to none with the config path still set: that file is among the configs to remove (when ours)."""
    planned = static_files(matrix_static_files_webserver='none',
                           matrix_static_files_webserver_config_path='/srv/nginx/matrix.conf')
    assert planned['remove_configs'] == sorted(DEFAULT_CONFIGS + ['/srv/nginx/matrix.conf'])
    # A value that could not have been a config path of ours is not a path to remove.
    for path in ('relative.conf', '/srv/my conf', ''):
        assert static_files(matrix_static_files_webserver='none',
                            matrix_static_files_webserver_config_path=path)['remove_configs'] == DEFAULT_CONFIGS


def test_base_domain_proxy_has_no_documents():
    planned = base_domain()
    assert planned['documents'] is None and planned['index'] is None
    assert planned['site']['wellknown']['connect'] == 'matrix.example.com:443'
    assert planned['config_path'] == '/etc/nginx/conf.d/matrix-base-domain.conf'


def test_base_domain_site_generates_the_documents_and_the_index_page_under_its_path():
    planned = base_domain(matrix_base_domain_method='site', matrix_base_domain_root='page',
                          matrix_static_files_public_well_known_matrix_path='/elsewhere')
    assert planned['documents']['path'] == '/srv/base-domain/.well-known/matrix'
    assert planned['index'] == {'path': '/srv/base-domain/index.html', 'content': '<h1>Hello</h1>\n'}
    assert planned['site']['wellknown']['directory'] == '/srv/base-domain/.well-known/matrix'


def test_base_domain_hosted_services_return_their_file_content():
    netlify = base_domain(matrix_base_domain_webserver='netlify', matrix_base_domain_config_path='/srv/site/_redirects')
    assert netlify['site'] is None and netlify['documents'] is None
    assert netlify['netlify_block'].endswith('/.well-known/matrix/*  https://matrix.example.com/.well-known/matrix/:splat  200!')
    assert '{mark}' in netlify['netlify_marker']
    cloudfront = base_domain(matrix_base_domain_webserver='cloudfront', matrix_base_domain_config_path='/srv/cf.json')
    assert cloudfront['cloudfront']['Origins']['Items'][0]['DomainName'] == 'matrix.example.com'
    assert problems(base_domain, matrix_base_domain_webserver='netlify')[0].startswith(
        "matrix_base_domain_config_path: '' is not an absolute path")


def test_relevant_selects_each_role_variables():
    names = ['matrix_domain', 'matrix_static_files_webserver', 'matrix_static_files_webserver_hostname',
             'matrix_base_domain_method', 'matrix_static_files_files_cache_time_hours', 'unrelated', 'inventory_hostname']
    assert set(role_plan.relevant('matrix_static_files', names)) == {
        'matrix_domain', 'matrix_static_files_webserver', 'matrix_static_files_webserver_hostname',
        'matrix_static_files_files_cache_time_hours'}
    # The base domain's documents come from the Matrix host's variables (matrix_variables): of this host's, only
    # the cache time and the documents' owner and modes.
    assert set(role_plan.relevant('matrix_base_domain', names)) == {
        'matrix_base_domain_method', 'matrix_static_files_files_cache_time_hours'}


NOT_READ_BY_PLAN = {
    # The self-check's settings are its task's; the Matrix host is picked by matrix_variables, before plan.
    'matrix_static_files': {'matrix_static_files_self_check_' + name for name in (
        'enabled', 'server_name', 'connect_to', 'ca_path', 'validate_certs', 'nameservers', 'timeout', 'delegate_to')},
    # MDAD's variables feed the base domain's templated defaults (Ansible templates them) and matrix_variables.
    'matrix_base_domain': {'matrix_base_domain_self_check_enabled', 'matrix_base_domain_matrix_host', 'matrix_domain',
                           'matrix_base_data_path', 'matrix_server_fqn_matrix'},
}


@pytest.mark.parametrize('role', role_plan.ROLES)
def test_the_action_templates_every_variable_of_the_role_plan_reads_and_no_other(role):
    """The action templates relevant(): a variable left out would reach plan as its default, one too many costs a
    template per host (the self-check's were templated for nothing)."""
    options = set(role_plan.argument_specs(role))
    assert options - set(role_plan.relevant(role, options)) == NOT_READ_BY_PLAN[role]
    assert set(role_plan.relevant(role, options)) - options <= {'matrix_static_files_files_cache_time_hours'} | set(
        role_plan.LOCAL_DOCUMENT_VARIABLES)


def test_the_documents_outside_the_role_get_the_role_defaults_from_its_argument_spec():
    """The lookup (and any caller without the role's variables) gets the same modes as the role, from the one place
    they are written."""
    specs = role_plan.argument_specs('matrix_static_files')
    planned = role_plan.plan_documents({'matrix_domain': 'example.com'})
    assert (planned['mode'], planned['directory_mode']) == (
        specs['matrix_static_files_file_mode']['default'], specs['matrix_static_files_directory_mode']['default'])
    assert role_plan.plan_documents({'matrix_domain': 'example.com', 'matrix_static_files_file_mode': '0600'})['mode'] == '0600'


def test_an_unknown_role():
    with pytest.raises(role_plan.PlanError):
        role_plan.plan('matrix_something', {})


def test_a_base_domain_path_problem_names_the_base_domain_variable():
    found = problems(base_domain, matrix_base_domain_method='static', matrix_base_domain_public_path='/srv/with space',
                     matrix_static_files_webserver='nginx')
    assert len(found) == 1 and found[0].startswith("matrix_base_domain_public_path: '/srv/with space' ")


@pytest.mark.parametrize('method', ['static', 'site'])
def test_a_relative_base_domain_public_path_names_the_base_domain_variable(method):
    # It was reported as matrix_static_files_public_well_known_matrix_path, derived from it for the documents.
    assert problems(base_domain, matrix_base_domain_method=method, matrix_base_domain_public_path='relative') == [
        "matrix_base_domain_public_path: 'relative' is not an absolute path made only of letters, digits and "
        '"/._-+@%=," (no spaces, quotes, ";", braces or newlines)']


# Traefik on the base domain: the file for its file provider, rendered from the checked site.

def traefik(**values):
    return base_domain(matrix_base_domain_webserver='traefik', **values)


def traefik_config(**values):
    planned = traefik(**values)
    text = render(planned['site'])
    assert text.startswith('# Ansible managed (matrix.wellknown, site matrix_base_domain)')
    return planned, yaml.safe_load(text)


def test_traefik_defaults_follow_mdad():
    planned, config = traefik_config()
    assert planned['config_path'] == '/matrix/traefik/config/matrix-base-domain.yml'
    # The file provider watches the file: nothing to reload unless the user says so.
    assert planned['reload_command'] == ''
    assert traefik(matrix_base_domain_reload_command='docker kill -s HUP traefik')['reload_command'] == \
        'docker kill -s HUP traefik'
    assert '/etc/nginx/conf.d/matrix-base-domain.conf' in planned['remove_configs']
    assert planned['config_path'] not in planned['remove_configs']
    router = config['http']['routers']['matrix_base_domain']
    assert router == {
        'rule': 'Host(`example.com`) && PathPrefix(`/.well-known/matrix/`)',
        'entryPoints': ['web-secure'],
        'priority': 10000,
        'middlewares': ['matrix_base_domain'],
        'service': 'matrix_base_domain',
        'tls': {'certResolver': 'default'},
    }
    assert config['http']['middlewares']['matrix_base_domain'] == {'headers': {
        'customRequestHeaders': {'Host': 'matrix.example.com'},
        'customResponseHeaders': {
            'Access-Control-Allow-Origin': '*',
            'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
            'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization',
        }}}
    assert config['http']['services']['matrix_base_domain'] == {'loadBalancer': {
        'servers': [{'url': 'https://matrix.example.com:443'}], 'serversTransport': 'matrix_base_domain'}}
    # Verified against the Matrix hostname, with the system's CAs.
    assert config['http']['serversTransports']['matrix_base_domain'] == {'serverName': 'matrix.example.com'}
    assert 'tls' not in config


def test_traefik_settings():
    dummy, config = traefik_config(
        matrix_base_domain_traefik_entrypoint='websecure', matrix_base_domain_traefik_priority='42',
        matrix_base_domain_traefik_tls='files', matrix_base_domain_upstream_address='[2001:db8::5]:8448',
        matrix_base_domain_upstream_ca_file='/etc/ssl/matrix-ca.pem')
    router = config['http']['routers']['matrix_base_domain']
    assert router['entryPoints'] == ['websecure'] and router['priority'] == 42 and router['tls'] == {}
    assert config['tls'] == {'certificates': [{'certFile': '/etc/ssl/example.com.pem', 'keyFile': '/etc/ssl/example.com.key'}]}
    assert config['http']['services']['matrix_base_domain']['loadBalancer']['servers'] == [{'url': 'https://[2001:db8::5]:8448'}]
    assert config['http']['serversTransports']['matrix_base_domain'] == {
        'serverName': 'matrix.example.com', 'rootCAs': ['/etc/ssl/matrix-ca.pem']}
    dummy, config = traefik_config(matrix_base_domain_traefik_tls='loaded')
    assert config['http']['routers']['matrix_base_domain']['tls'] == {} and 'tls' not in config


@pytest.mark.parametrize('values, message', [
    ({'matrix_base_domain_method': 'static'},
     "matrix_base_domain_method: 'static': Traefik serves no files, it forwards /.well-known/matrix/ to the Matrix host: "
     "use method proxy"),
    ({'matrix_base_domain_method': 'site'},
     "matrix_base_domain_method: 'site': Traefik serves no files, it forwards /.well-known/matrix/ to the Matrix host: "
     "use method proxy"),
    ({'matrix_base_domain_config_form': 'snippet'},
     "matrix_base_domain_config_form: 'snippet': Traefik's file provider loads whole files, each a part of one "
     "configuration: use form server"),
    ({'matrix_base_domain_traefik_entrypoint': 'web-secure`) || Host(`evil'},
     "matrix_base_domain_traefik_entrypoint: 'web-secure`) || Host(`evil' is not a Traefik entry point or resolver name "
     "(1 to 64 letters, digits, \"_\" or \"-\", starting with a letter or digit)"),
    ({'matrix_base_domain_traefik_certresolver': 'le\ncertificates:'},
     "matrix_base_domain_traefik_certresolver: 'le\\ncertificates:' is not a Traefik entry point or resolver name "
     "(1 to 64 letters, digits, \"_\" or \"-\", starting with a letter or digit)"),
    ({'matrix_base_domain_traefik_tls': 'acme'}, "matrix_base_domain_traefik_tls: 'acme' is not one of resolver, files, loaded"),
    ({'matrix_base_domain_traefik_priority': 0},
     "matrix_base_domain_traefik_priority: 0 is not a router priority (a whole number from 1 to 2147483647)"),
    ({'matrix_base_domain_hostname': 'example.com`) || PathPrefix(`/'},
     "matrix_base_domain_hostname: 'example.com`) || PathPrefix(`/' is not a valid DNS name"),
])
def test_traefik_problems_name_the_variable(values, message):
    found = problems(traefik, **values)
    assert len(found) == 1
    assert found[0].startswith(message), found[0]


def test_traefik_serves_no_files_on_the_matrix_host():
    assert problems(static_files, matrix_static_files_webserver='traefik') == [
        "matrix_static_files_webserver: 'traefik' serves no files: use none and serve the documents with another web "
        "server, or with Traefik through container labels as MDAD does"]
    # Nor does the Matrix host's role remove a file of Traefik's directory.
    assert not [path for path in static_files(matrix_static_files_webserver='none')['remove_configs'] if 'traefik' in path]


POLICY_SERVER = {'matrix_static_files_file_matrix_policy_server_enabled': True,
                 'matrix_static_files_file_matrix_policy_server_property_public_keys_ed25519':
                     'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'}


def test_haproxy_serves_the_policy_server_document_when_enabled():
    # HAProxy serves the list of documents the plan gives it; the other servers serve the whole directory.
    planned = static_files(matrix_static_files_webserver='haproxy', **POLICY_SERVER)
    assert 'policy_server' in planned['site']['wellknown']['documents']
    text = render(planned['site'])
    assert ('file /matrix/static-files/public/.well-known/matrix/policy_server if { path /.well-known/matrix/policy_server }'
            in text)
    disabled = static_files(matrix_static_files_webserver='haproxy')
    assert 'policy_server' not in disabled['site']['wellknown']['documents']
    assert 'policy_server' not in render(disabled['site'])
    # Disabled means deleted: the module is told to remove it.
    assert 'policy_server' in disabled['documents']['absent']


def test_base_domain_static_serves_the_policy_server_document_with_haproxy():
    planned = base_domain(matrix_base_domain_webserver='haproxy', matrix_base_domain_method='static', **POLICY_SERVER)
    assert 'policy_server' in planned['documents']['documents']
    assert 'policy_server' in planned['site']['wellknown']['documents']


def test_a_form_problem_names_the_form_variable():
    found = problems(base_domain, matrix_base_domain_method='site', matrix_base_domain_config_form='snippet')
    assert found == ["matrix_base_domain_config_form: 'snippet': a site that answers at / (matrix_base_domain_root 'page') "
                     "is a complete site: use form server"]
    found = problems(static_files, matrix_static_files_webserver='nginx', matrix_static_files_webserver_config_form='inline')
    assert "matrix_static_files_webserver_config_form: 'inline' is not one of server, snippet" in found


@pytest.mark.parametrize('path', [1.5, 10 ** 400, ['/srv'], {'a': 1}])
@pytest.mark.parametrize('method', ['static', 'site'])
def test_a_public_path_that_is_not_text_names_the_variable(method, path):
    """The argument spec converts a number to a path for its check only: the value that arrives is still a number."""
    found = problems(base_domain, matrix_base_domain_method=method, matrix_base_domain_public_path=path)
    assert len(found) == 1 and found[0].startswith('matrix_base_domain_public_path: ') and found[0].endswith('is not a path')


@pytest.mark.parametrize('value, text', [(float('nan'), 'nan'), (float('inf'), 'inf')])
def test_a_document_value_json_cannot_hold_is_a_problem_with_haproxy_too(value, text):
    name = 'matrix_static_files_file_matrix_client_property_io_element_jitsi_preferred_domain'
    found = problems(static_files, matrix_static_files_webserver='haproxy', **{name: value})
    assert found == ['client: cannot be serialised as JSON: Out of range float values are not JSON compliant: ' + text]


@pytest.mark.parametrize('role, name, server', [
    (static_files, 'matrix_static_files_webserver_config_form', {'matrix_static_files_webserver': 'nginx'}),
    (base_domain, 'matrix_base_domain_config_form', {})])
@pytest.mark.parametrize('form', [['server'], {'a': 1}, 'site'])
def test_a_form_that_is_not_one_names_the_variable(role, name, server, form):
    """Before the default path is looked up with it (a list or mapping there was a TypeError)."""
    assert problems(role, **dict(server, **{name: form})) == ['%s: %r is not one of server, snippet' % (name, form)]


# Unset: the role's default (its argument spec's), 30 seconds.
@pytest.mark.parametrize('value, seconds', [(None, 30), (5, 5), ('45', 45)])
def test_the_reload_timeout_goes_to_the_module_and_its_messages_name_the_variable(value, seconds):
    values = {} if value is None else {'matrix_static_files_webserver_reload_timeout': value}
    planned = static_files(matrix_static_files_webserver='nginx', **values)
    assert planned['reload_timeout'] == seconds
    assert planned['reload_variables'] == {'webserver.reload_command': 'matrix_static_files_webserver_reload_command',
                                           'webserver.reload_timeout': 'matrix_static_files_webserver_reload_timeout'}
    assert base_domain(matrix_base_domain_reload_timeout=7)['reload_variables']['webserver.reload_timeout'] == \
        'matrix_base_domain_reload_timeout'


@pytest.mark.parametrize('value', [0, -3, 'soon', True, '1.5'])
def test_a_bad_reload_timeout_names_the_variable(value):
    assert problems(static_files, matrix_static_files_webserver='nginx',
                    matrix_static_files_webserver_reload_timeout=value) == [
        'matrix_static_files_webserver_reload_timeout: %r is not a whole number of seconds, 1 or more' % (value,)]
    assert problems(base_domain, matrix_base_domain_reload_timeout=value)[0].startswith('matrix_base_domain_reload_timeout: ')


# --- Two hosts: the base domain serves the Matrix host's documents, found in the inventory.

MATRIX_HOST_VARS = {
    # host_vars/matrix.example.com/vars.yml: an MDAD vars.yml
    'matrix_domain': 'example.com',
    'matrix_authentication_service_enabled': True,
    'jitsi_enabled': True,
    'matrix_user_name': 'matrix',
    'matrix_static_files_file_matrix_support_enabled': True,
    'matrix_static_files_file_matrix_support_property_m_support_page': 'https://example.com/support',
}


def inventory(base_vars=None, **hosts):
    """This host's variables (example.com) with hostvars and groups, as Ansible gives them to the action."""
    hostvars = {'example.com': dict({'matrix_domain': 'example.com'}, **(base_vars or {}))}
    groups = {'all': ['example.com'], 'matrix_servers': []}
    for name, host_vars in (hosts or {'matrix.example.com': MATRIX_HOST_VARS}).items():
        hostvars[name] = host_vars
        groups['all'].append(name)
        groups['matrix_servers'].append(name)
    return dict(hostvars['example.com'], inventory_hostname='example.com', hostvars=hostvars, groups=groups)


def matrix_host(variables):
    return role_plan.matrix_variables(variables, lambda value: value)


def test_the_matrix_host_is_the_one_of_matrix_servers_with_this_matrix_domain():
    host, values = matrix_host(inventory(**{'matrix.example.com': MATRIX_HOST_VARS,
                                            'matrix.example.org': dict(MATRIX_HOST_VARS, matrix_domain='example.org')}))
    assert host == 'matrix.example.com'
    assert values == MATRIX_HOST_VARS


def test_the_base_domain_static_serves_the_matrix_host_documents_with_its_own_owner():
    variables = inventory({'matrix_static_files_file_mode': '0640'})
    own = base_domain_variables(matrix_base_domain_method='static', matrix_static_files_file_mode='0640')
    assert sorted(base_domain(**own)['documents']['documents']) == ['client', 'server']  # without the Matrix host
    planned = role_plan.plan('matrix_base_domain', own, lambda: matrix_host(variables)[1])
    served = planned['documents']
    assert sorted(served['documents']) == ['client', 'server', 'support']
    assert served['documents']['client']['org.matrix.msc2965.authentication']['issuer'] == 'https://matrix.example.com/auth/'
    assert served['documents']['client']['io.element.jitsi'] == {'preferredDomain': 'jitsi.example.com'}
    # The Matrix host's user may not exist on the base domain host; the paths are the base domain's.
    assert (served['owner'], served['mode']) == (None, '0640')
    assert served['path'] == '/srv/base-domain/.well-known/matrix'


def test_the_matrix_host_is_only_read_for_methods_that_generate_the_documents():
    def fail():
        raise AssertionError('read the Matrix host')
    assert role_plan.plan('matrix_base_domain', base_domain_variables(), fail)['documents'] is None
    netlify = base_domain_variables(matrix_base_domain_webserver='netlify', matrix_base_domain_config_path='/srv/_redirects')
    assert 'netlify_block' in role_plan.plan('matrix_base_domain', netlify, fail)


@pytest.mark.parametrize('variables, message', [
    (inventory(**{'web.example.com': {'matrix_domain': 'example.org'}}),
     "matrix_base_domain_matrix_host: no host of group matrix_servers has matrix_domain 'example.com'"),
    (inventory(**{'one': MATRIX_HOST_VARS, 'two': MATRIX_HOST_VARS}),
     "matrix_base_domain_matrix_host: hosts one, two of group matrix_servers all have matrix_domain 'example.com': "
     "set it to the one"),
    (inventory({'matrix_base_domain_matrix_host': 'matrix.example.net'}),
     "matrix_base_domain_matrix_host: 'matrix.example.net' is not a host of the inventory"),
    (dict(inventory(), matrix_domain=None), 'matrix_domain is not set for example.com'),
])
def test_no_matrix_host_or_several_name_the_variable(variables, message):
    with pytest.raises(role_plan.PlanError) as info:
        matrix_host(variables)
    assert message in info.value.problems[0]


def test_the_variable_picks_among_several_and_this_host_reads_its_own_variables():
    variables = inventory({'matrix_base_domain_matrix_host': 'two'}, one=MATRIX_HOST_VARS,
                          two=dict(MATRIX_HOST_VARS, jitsi_enabled=False))
    assert matrix_host(variables) == ('two', dict(MATRIX_HOST_VARS, jitsi_enabled=False))
    # This host's own variables come from the task's (play and role variables too), not from hostvars.
    variables = dict(inventory({'matrix_base_domain_matrix_host': 'example.com'}), jitsi_enabled=True)
    host, values = matrix_host(variables)
    assert (host, values['jitsi_enabled']) == ('example.com', True)
    # This host in group matrix_servers is found like any other.
    variables = inventory(**{'example.com': dict(MATRIX_HOST_VARS)})
    assert matrix_host(variables)[0] == 'example.com'


# --- Typos: names with the roles' prefixes that nothing reads.

@pytest.mark.parametrize('name, closest', [
    ('matrix_static_files_file_matrix_suport_enabled', 'matrix_static_files_file_matrix_support_enabled'),
    ('matrix_static_files_file_matrix_support_property_m_contact', 'matrix_static_files_file_matrix_support_property_m_contacts'),
    ('matrix_base_domain_webservr', 'matrix_base_domain_webserver'),
    ('matrix_base_domain_upstream_hostnme', 'matrix_base_domain_upstream_hostname'),
])
def test_a_typo_warns_with_the_closest_known_name(name, closest):
    known = frozenset(('matrix_static_files_file_matrix_support_enabled', 'matrix_static_files_file_matrix_server_enabled',
                       'matrix_static_files_file_matrix_support_property_m_contacts', 'matrix_base_domain_webserver',
                       'matrix_base_domain_upstream_hostname', 'matrix_base_domain_upstream_address'))
    assert role_plan.unknown_variables({name: True, 'matrix_domain': 'example.com'} | dict.fromkeys(known), known) == [
        '%s is not a variable of the matrix.wellknown roles (nor of MDAD): it has no effect. Did you mean %s?'
        % (name, closest)]


def test_a_name_far_from_any_known_one_warns_without_a_guess():
    assert role_plan.unknown_variables(['matrix_base_domain_zzz'], frozenset(['matrix_base_domain_webserver'])) == [
        'matrix_base_domain_zzz is not a variable of the matrix.wellknown roles (nor of MDAD): it has no effect']
