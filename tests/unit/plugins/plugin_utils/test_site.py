# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The site of a web server config (plugin_utils/_site.py, settings.py) and its check by the server (server_check.py)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import _server_check as server_check
from ansible_collections.matrix.wellknown.plugins.plugin_utils import _site as site_utils
from ansible_collections.matrix.wellknown.plugins.module_utils import _site_files as site_files
from ansible_collections.matrix.wellknown.plugins.plugin_utils._settings import SettingsError
from ansible_collections.matrix.wellknown.plugins.plugin_utils._site import build_site

NAMES = {
    'hostname': 'matrix_base_domain_hostname',
    'https_port': 'matrix_base_domain_https_port',
    'listen_addresses': 'matrix_base_domain_listen_addresses',
    'tls_certificate': 'matrix_base_domain_tls_certificate',
    'tls_certificate_key': 'matrix_base_domain_tls_certificate_key',
    'config_path': 'matrix_base_domain_config_path',
    'upstream_hostname': 'matrix_base_domain_upstream_hostname',
    'upstream_address': 'matrix_base_domain_upstream_address',
    'upstream_ca_file': 'matrix_base_domain_upstream_ca_file',
    'haproxy_backend_name': 'matrix_base_domain_haproxy_backend_name',
    'haproxy_tls_bundle_path': 'matrix_base_domain_haproxy_tls_bundle_path',
    'directory': 'matrix_static_files_public_well_known_matrix_path',
    'cache_max_age': 'matrix_static_files_files_cache_time_hours',
    'documents': 'documents',
    'form': 'matrix_base_domain_config_form',
    'root_action': 'matrix_base_domain_root',
    'index_file': 'matrix_base_domain_public_path',
    'redirect_url': 'matrix_base_domain_root_redirect_url',
}

PROXY = {
    'name': 'matrix_base_domain',
    'form': 'server',
    'config_path': '/etc/nginx/conf.d/matrix-base-domain.conf',
    'hostname': 'example.com',
    'https_port': 443,
    'listen_addresses': [],
    'tls_certificate': '/etc/letsencrypt/live/example.com/fullchain.pem',
    'tls_certificate_key': '/etc/letsencrypt/live/example.com/privkey.pem',
    'haproxy_backend_name': 'matrix_base_domain',
    'haproxy_tls_bundle_path': '/etc/haproxy/conf.d/matrix-base-domain.pem',
    'root_action': 'not_found',
    'wellknown': {'method': 'proxy', 'upstream_hostname': 'matrix.example.com', 'upstream_address': '', 'upstream_ca_file': ''},
}

TRAEFIK = dict(PROXY, config_path='/matrix/traefik/config/matrix-base-domain.yml', traefik_entrypoint='web-secure',
               traefik_priority=10000, traefik_tls='resolver', traefik_certresolver='default')
TRAEFIK_FILES = dict(TRAEFIK, traefik_tls='files')
NAMES.update((field, 'matrix_base_domain_' + field) for field in (
    'traefik_entrypoint', 'traefik_priority', 'traefik_tls', 'traefik_certresolver'))
TRAEFIK_NAMES = dict(NAMES, method='matrix_base_domain_method')

STATIC = dict(PROXY, name='matrix_static_files', hostname='matrix.example.com', wellknown={
    'method': 'static', 'directory': '/matrix/static-files/public/.well-known/matrix', 'documents': ['client', 'server'],
    'cache_max_age': 14400})


def site(base=None, **changes):
    result = copy.deepcopy(base or PROXY)
    wellknown = changes.pop('wellknown', None)
    result.update(changes)
    if wellknown:
        result['wellknown'].update(wellknown)
    return result


def problems(value, server='nginx'):
    with pytest.raises(SettingsError) as info:
        build_site(value, server, NAMES)
    return info.value.problems


@pytest.mark.parametrize('server', site_utils.STATIC_SERVERS)
def test_proxy_site_defaults(server):
    result = build_site(site(), server, NAMES)
    wellknown = result['wellknown']
    assert result['hostname'] == 'example.com'
    assert result['https_port'] == 443
    assert result['listen'] == []
    assert wellknown['connect'] == 'matrix.example.com:443'
    assert wellknown['upstream_hostname'] == 'matrix.example.com'
    assert result['cors_headers'] == [
        ['Access-Control-Allow-Origin', '*'],
        ['Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS'],
        ['Access-Control-Allow-Headers', 'X-Requested-With, Content-Type, Authorization'],
    ]
    assert wellknown['ca_file_effective'] == {
        'nginx': '/etc/ssl/certs/ca-certificates.crt', 'apache': '/etc/ssl/certs/ca-certificates.crt',
        'haproxy': '/etc/ssl/certs/ca-certificates.crt', 'caddy': ''}[server]


def test_static_site():
    result = build_site(site(STATIC, https_port='8443'), 'nginx', NAMES)
    assert result['https_port'] == 8443
    assert result['wellknown'] == {
        'method': 'static', 'directory': '/matrix/static-files/public/.well-known/matrix',
        'documents': ['client', 'server'], 'cache_max_age': 14400}


def test_static_directory_trailing_slash():
    result = build_site(site(STATIC, wellknown={'directory': '/srv/other/wk/'}), 'nginx', NAMES)
    assert result['wellknown']['directory'] == '/srv/other/wk'


def test_upstream_address_and_ca_file():
    result = build_site(site(wellknown={'upstream_address': '[2001:db8::5]:8443', 'upstream_ca_file': '/etc/ssl/ca.pem'}), 'nginx')
    assert result['wellknown']['connect'] == '[2001:db8::5]:8443'
    assert result['wellknown']['connect_port'] == 8443
    assert result['wellknown']['ca_file_effective'] == '/etc/ssl/ca.pem'


def test_listen_addresses():
    result = build_site(site(listen_addresses=['127.0.0.1', '2001:DB8::1'], https_port=8448), 'apache')
    assert result['listen'] == [
        {'address': '127.0.0.1', 'host': '127.0.0.1', 'host_port': '127.0.0.1:8448', 'id': '127_0_0_1_8448'},
        {'address': '2001:db8::1', 'host': '[2001:db8::1]', 'host_port': '[2001:db8::1]:8448',
         'id': '2001_0db8_0000_0000_0000_0000_0000_0001_8448'},
    ]


def test_snippet_needs_no_tls():
    result = build_site(site(form='snippet', hostname=None, https_port=None, tls_certificate=None, tls_certificate_key=None), 'nginx')
    assert result['form'] == 'snippet'
    assert 'hostname' not in result and 'listen' not in result


@pytest.mark.parametrize('key, expected_pem, expected_bundle', [
    ('/etc/ssl/example.com.key', '/etc/haproxy/conf.d/matrix-base-domain.pem', True),
    ('/etc/ssl/example.com.pem', '/etc/ssl/example.com.pem', False),
    ('', '/etc/ssl/example.com.pem', False),
])
def test_haproxy_bundle(key, expected_pem, expected_bundle):
    result = build_site(site(tls_certificate='/etc/ssl/example.com.pem', tls_certificate_key=key), 'haproxy')
    assert result['tls_pem'] == expected_pem
    assert (result['tls_bundle'] is not None) == expected_bundle
    if expected_bundle:
        assert result['tls_bundle'] == {'path': expected_pem, 'certificate': '/etc/ssl/example.com.pem', 'key': key}


def test_key_required_except_for_haproxy():
    assert problems(site(tls_certificate_key='')) == [
        'matrix_base_domain_tls_certificate_key: is empty: give the private key of the certificate']


# Values that would inject config syntax if they reached a template: each is refused, naming the variable.
INJECTIONS = [
    'example.com; include /etc/passwd',
    'example.com\nlocation / { return 200; }',
    'example.com{',
    'exa"mple.com',
    "exa'mple.com",
    'example.com }',
    'example .com',
    '',
]


@pytest.mark.parametrize('value', INJECTIONS)
@pytest.mark.parametrize('field, variable', [
    ('hostname', 'matrix_base_domain_hostname'),
    ('upstream_hostname', 'matrix_base_domain_upstream_hostname'),
    ('upstream_address', 'matrix_base_domain_upstream_address'),
    ('tls_certificate', 'matrix_base_domain_tls_certificate'),
    ('tls_certificate_key', 'matrix_base_domain_tls_certificate_key'),
    ('upstream_ca_file', 'matrix_base_domain_upstream_ca_file'),
    ('config_path', 'matrix_base_domain_config_path'),
])
@pytest.mark.parametrize('server', site_utils.SERVERS)
def test_injections_are_refused(server, field, variable, value):
    base = TRAEFIK_FILES if server == 'traefik' else None
    if field.startswith('upstream'):
        value_site = site(base, wellknown={field: value})
    elif field.startswith('tls') or field in ('config_path',):
        value_site = site(base, **{field: value.replace('example.com', '/etc/ssl/example.com')})
    else:
        value_site = site(base, **{field: value})
    if value == '' and field in ('upstream_address', 'upstream_ca_file'):
        build_site(value_site, server, NAMES)  # empty means: not set
        return
    if value == '' and field == 'tls_certificate_key' and server == 'haproxy':
        build_site(value_site, server, NAMES)  # HAProxy: the certificate file holds the key
        return
    found = problems(value_site, server)
    assert len(found) == 1
    assert found[0].startswith(variable + ': ')


@pytest.mark.parametrize('value', ['127.0.0.1 ssl', '[::1]', '127.0.0.1:443', 'localhost', '0.0.0.0;'])
def test_listen_address_rules(value):
    assert problems(site(listen_addresses=[value])) == [
        'matrix_base_domain_listen_addresses: %r is not an IPv4 or IPv6 address (like 203.0.113.10 or 2001:db8::10, '
        'without brackets or port)' % (value,)]


@pytest.mark.parametrize('value, rule', [
    (0, 'is outside 1-65535'),
    (65536, 'is outside 1-65535'),
    ('443 ssl', 'is not a port number (1 to 5 digits)'),
    (True, 'is not a port number (1 to 5 digits)'),
    (None, 'is not a port number (1 to 5 digits)'),
])
def test_port_rules(value, rule):
    assert problems(site(https_port=value)) == ['matrix_base_domain_https_port: %r %s' % (value, rule)]


@pytest.mark.parametrize('value', ['1.2.3.4', '[::1]', 'matrix.example.com', 'example.com:https'])
def test_upstream_address_needs_a_port(value):
    found = problems(site(wellknown={'upstream_address': value}))
    assert len(found) == 1 and found[0].startswith('matrix_base_domain_upstream_address: %r ' % value)


def test_upstream_hostname_must_be_a_name():
    assert problems(site(wellknown={'upstream_hostname': '10.0.0.5'})) == [
        "matrix_base_domain_upstream_hostname: '10.0.0.5' is an IP address: give the DNS name the certificate is issued for"]


def test_site_hostname_refuses_ipv6():
    assert problems(site(hostname='[::1]')) == ["matrix_base_domain_hostname: '[::1]' is an IPv6 literal: give a DNS name"]


def test_apache_can_only_change_the_upstream_port():
    result = build_site(site(wellknown={'upstream_address': 'matrix.example.com:8443'}), 'apache')
    assert result['wellknown']['connect_port'] == 8443
    found = problems(site(wellknown={'upstream_address': '127.0.0.1:8443'}), 'apache')
    assert len(found) == 1
    assert found[0].startswith("matrix_base_domain_upstream_address: '127.0.0.1:8443': Apache connects to the host")


@pytest.mark.parametrize('hostname, problem', [
    ('example.com.', "ends with a dot: give it without the dot ('example.com')"),
    ('bücher.example', "is an internationalised domain name: use its punycode form 'xn--bcher-kva.example'"),
    ('', 'is empty: give a hostname such as example.com'),
])
def test_a_site_hostname_gets_the_hostname_rule_of_every_variable(hostname, problem):
    # One rule for every hostname variable: the site's and the Matrix names MDAD derives (mdad.CHECKS).
    assert problems(site(hostname=hostname)) == ['matrix_base_domain_hostname: %r %s' % (hostname, problem)]


@pytest.mark.parametrize('value', ['matrix base', 'x' * 65, 'a;b', 'a{'])
def test_haproxy_backend_name(value):
    assert problems(site(haproxy_backend_name=value), 'haproxy') == [
        'matrix_base_domain_haproxy_backend_name: %r is not a HAProxy section name (1 to 64 letters, digits, "_", "." or "-")'
        % value]


def test_static_rules():
    found = problems(site(STATIC, wellknown={'directory': 'relative/path', 'documents': ['client', '../etc/passwd'],
                                             'cache_max_age': -1}))
    assert [problem.split(':')[0] for problem in found] == [
        'matrix_static_files_public_well_known_matrix_path', 'documents', 'matrix_static_files_files_cache_time_hours']


def test_every_problem_is_reported_at_once():
    found = problems(site(hostname='a b', https_port='x', tls_certificate='rel', wellknown={'upstream_hostname': 'x;y'}))
    assert [problem.split(':')[0] for problem in found] == [
        'matrix_base_domain_hostname', 'matrix_base_domain_https_port', 'matrix_base_domain_tls_certificate',
        'matrix_base_domain_upstream_hostname']


@pytest.mark.parametrize('changes, message', [
    ({'form': 'inline'}, "matrix_base_domain_config_form: 'inline' is not one of server, snippet"),
    ({'root_action': 'index'}, "matrix_base_domain_root: 'index' is not one of not_found, page, redirect"),
    ({'name': 'Bad-Name'}, "name: 'Bad-Name' is not an identifier (lower case letters, digits and \"_\")"),
    ({'wellknown': {'method': 'copy'}}, "method: 'copy' is not one of static, proxy"),
])
def test_enums(changes, message):
    assert problems(site(**changes)) == [message]


def test_unknown_server_and_shapes():
    with pytest.raises(SettingsError):
        build_site(site(), 'lighttpd')
    with pytest.raises(SettingsError):
        build_site(['not', 'a', 'mapping'], 'nginx')
    assert problems(dict(site(), wellknown='proxy')) == ['wellknown: is not a mapping']


@pytest.mark.parametrize('server, form, expected', [
    ('nginx', 'server', '/etc/nginx/conf.d/matrix-base-domain.conf'),
    ('nginx', 'snippet', '/etc/nginx/snippets/matrix-base-domain.conf'),
    ('apache', 'server', '/etc/apache2/sites-enabled/matrix-base-domain.conf'),
    ('apache', 'snippet', '/etc/apache2/snippets/matrix-base-domain.conf'),
    ('caddy', 'server', '/etc/caddy/Caddyfile.d/matrix-base-domain.caddyfile'),
    ('caddy', 'snippet', '/etc/caddy/snippets/matrix-base-domain.caddyfile'),
    ('haproxy', 'server', '/etc/haproxy/conf.d/matrix-base-domain.cfg'),
    ('haproxy', 'snippet', '/etc/haproxy/conf.d/matrix-base-domain.cfg'),
    ('traefik', 'server', '/matrix/traefik/config/matrix-base-domain.yml'),
    ('traefik', 'snippet', ''),
    ('none', 'server', ''),
])
def test_default_config_path(server, form, expected):
    assert site_utils.default_config_path(server, form, 'matrix-base-domain') == expected


@pytest.mark.parametrize('server, expected', [
    ('nginx', 'systemctl reload nginx'),
    ('apache', 'systemctl reload apache2'),
    ('caddy', 'systemctl reload caddy'),
    ('haproxy', 'systemctl reload haproxy'),
    ('traefik', ''),
    ('none', ''),
])
def test_default_reload_command(server, expected):
    assert site_utils.default_reload_command(server) == expected


@pytest.mark.parametrize('form', site_utils.FORMS)
def test_nginx_wrapper(form):
    text = server_check.validation_wrapper('nginx', form, '/tmp/w/candidate.conf', '/tmp/w')
    assert 'pid /tmp/w/nginx.pid;' in text
    assert 'proxy_temp_path /tmp/w/proxy;' in text
    if form == 'server':
        assert '    include /tmp/w/candidate.conf;\n}' in text
    else:
        assert 'server {' in text and '        include /tmp/w/candidate.conf;' in text


def test_apache_wrapper_loads_only_modules_that_exist():
    present = {'/mods/mod_mpm_event.so', '/mods/mod_ssl.so', '/mods/mod_headers.so'}
    text = server_check.validation_wrapper('apache', 'snippet', '/tmp/w/candidate.conf', '/tmp/w', '/mods', present.__contains__)
    assert '<IfModule !mpm_event_module>\n    LoadModule mpm_event_module /mods/mod_mpm_event.so\n</IfModule>' in text
    assert 'LoadModule ssl_module /mods/mod_ssl.so' in text
    assert 'mod_proxy' not in text
    assert '<VirtualHost 127.0.0.1:9>' in text and '    Include /tmp/w/candidate.conf' in text


def test_apache_modules_directory():
    assert server_check.find_apache_modules_directory({'/usr/lib64/httpd/modules/mod_ssl.so'}.__contains__) == '/usr/lib64/httpd/modules'
    assert server_check.find_apache_modules_directory(lambda path: False) is None


def test_caddy_and_haproxy_wrappers():
    assert server_check.validation_wrapper('caddy', 'server', '/w/c', '/w') == '{\n\tadmin off\n}\nimport /w/c\n'
    assert 'http://localhost:9 {\n\timport /w/c\n}' in server_check.validation_wrapper('caddy', 'snippet', '/w/c', '/w')
    assert server_check.validation_wrapper('haproxy', 'server', '/w/c', '/w').startswith('global\n')
    with pytest.raises(ValueError):
        server_check.validation_wrapper('lighttpd', 'server', '/w/c', '/w')


def test_check_commands():
    assert server_check.check_command('nginx', '/usr/sbin/nginx', '/w/main.conf', '/w/c', '/w') == (
        ['/usr/sbin/nginx', '-t', '-q', '-p', '/w/', '-c', '/w/main.conf'], {})
    assert server_check.check_command('apache', 'apache2', '/w/main.conf', '/w/c', '/w')[0] == ['apache2', '-t', '-f', '/w/main.conf']
    argv, environment = server_check.check_command('caddy', 'caddy', '/w/main.conf', '/w/c', '/w')
    assert argv == ['caddy', 'validate', '--config', '/w/main.conf', '--adapter', 'caddyfile']
    assert environment == {'HOME': '/w', 'XDG_DATA_HOME': '/w/data', 'XDG_CONFIG_HOME': '/w/config'}
    assert server_check.check_command('haproxy', 'haproxy', '/w/main.conf', '/w/c', '/w')[0] == [
        'haproxy', '-c', '-f', '/w/main.conf', '-f', '/w/c']
    with pytest.raises(ValueError):
        server_check.check_command('lighttpd', 'x', 'y', 'z', 'w')


def test_clean_check_output_drops_caddy_info_logs():
    text = '{"level":"info","msg":"using provided configuration"}\n{"level":"warn","msg":"careful"}\nError: bad thing'
    assert server_check.clean_check_output('caddy', text) == '{"level":"warn","msg":"careful"}\nError: bad thing'
    assert server_check.clean_check_output('nginx', text) == text


@pytest.mark.parametrize('certificate, key', [(b'CERT\n', b'KEY\n'), (b'CERT', b'KEY')])
def test_pem_bundle(certificate, key):
    assert site_files.pem_bundle(certificate, key) == b'CERT\nKEY\n'


# The base domain's method site: an index page or a redirect at /.

@pytest.mark.parametrize('server', site_utils.STATIC_SERVERS)
def test_root_page(server):
    result = build_site(site(STATIC, root_action='page', index_file='/matrix/base-domain/public/index.html'), server, NAMES)
    assert result['root_action'] == 'page'
    assert result['index_file'] == '/matrix/base-domain/public/index.html'
    assert result['index_directory'] == '/matrix/base-domain/public'
    assert result['index_name'] == 'index.html'
    assert 'redirect_url' not in result


@pytest.mark.parametrize('url', [
    'https://matrix.example.com/',
    'https://matrix.example.com',
    'http://matrix.example.com:8080/welcome',
    'https://[2001:db8::1]/',
    'https://element.example.com/#/login',
])
def test_root_redirect(url):
    value = site(STATIC, root_action='redirect', redirect_url=url)
    if '#' in url:
        assert problems(value)[0].startswith('matrix_base_domain_root_redirect_url: ')
        return
    result = build_site(value, 'nginx', NAMES)
    assert result['redirect_url'] == url
    assert 'index_file' not in result


@pytest.mark.parametrize('url', [
    'https://matrix.example.com/"; return 200 "x',
    'https://matrix.example.com/ code 301',
    'https://matrix.example.com/$host',
    'https://matrix.example.com/%[req.hdr(host)]',
    'https://matrix.example.com/{path}',
    'https://matrix.example.com/a;b',
    'https://matrix.example.com/\nlocation',
    'https://matrix.example.com/\n',
    'ftp://matrix.example.com/',
    '/relative',
    '',
    None,
])
def test_redirect_url_injections_are_refused(url):
    found = problems(site(STATIC, root_action='redirect', redirect_url=url))
    assert len(found) == 1
    assert found[0].startswith('matrix_base_domain_root_redirect_url: %r ' % (url,))


@pytest.mark.parametrize('path', ['relative/index.html', '/srv/public/', '/srv/my site/index.html', '/srv//index.html', None])
def test_index_file_rules(path):
    found = problems(site(STATIC, root_action='page', index_file=path))
    assert len(found) == 1
    assert found[0].startswith('matrix_base_domain_public_path: %r ' % (path,))


@pytest.mark.parametrize('root_action', ['page', 'redirect'])
def test_a_site_at_root_needs_form_server(root_action):
    found = problems(site(STATIC, form='snippet', root_action=root_action, index_file='/srv/index.html',
                          redirect_url='https://matrix.example.com/'))
    assert found == ["matrix_base_domain_config_form: 'snippet': a site that answers at / (matrix_base_domain_root %r) is "
                     "a complete site: use form server" % root_action]


@pytest.mark.parametrize('field, variable', [
    ('config_path', 'matrix_base_domain_config_path'),
    ('tls_certificate', 'matrix_base_domain_tls_certificate'),
    ('tls_certificate_key', 'matrix_base_domain_tls_certificate_key'),
])
@pytest.mark.parametrize('value', ['/etc/ssl/', '/etc/ssl//example.com.pem', '/etc/ssl/./example.com.pem'])
def test_file_paths_name_a_file(field, variable, value):
    assert problems(site(**{field: value})) == [
        '%s: %r is not the path of a file (it ends with "/" or has empty or "." components)' % (variable, value)]


def test_ca_file_and_bundle_name_a_file():
    found = problems(site(tls_certificate='/etc/ssl/example.com.pem', tls_certificate_key='/etc/ssl/example.com.key',
                          haproxy_tls_bundle_path='/etc/haproxy/', wellknown={'upstream_ca_file': '/etc/ssl/certs/'}), 'haproxy')
    assert [problem.split(':')[0] for problem in found] == [
        'matrix_base_domain_haproxy_tls_bundle_path', 'matrix_base_domain_upstream_ca_file']


# Traefik: a router, a middleware and a service in a file of its file provider (method proxy only).

@pytest.mark.parametrize('tls, expected', [
    ('resolver', {'entrypoint': 'web-secure', 'priority': 10000, 'tls': 'resolver', 'certresolver': 'default'}),
    ('files', {'entrypoint': 'web-secure', 'priority': 10000, 'tls': 'files'}),
    ('loaded', {'entrypoint': 'web-secure', 'priority': 10000, 'tls': 'loaded'}),
])
def test_traefik_site(tls, expected):
    result = build_site(site(TRAEFIK, traefik_tls=tls, https_port=None, listen_addresses=None), 'traefik', NAMES)
    assert result['traefik'] == expected
    assert result['hostname'] == 'example.com'
    # Entry points listen for Traefik: no port or address of ours.
    assert 'https_port' not in result and 'listen' not in result
    assert ('tls_certificate' in result) == (tls == 'files')
    assert result['wellknown']['ca_file_effective'] == ''
    assert result['wellknown']['connect'] == 'matrix.example.com:443'


def test_traefik_upstream_may_be_any_address():
    result = build_site(site(TRAEFIK, wellknown={'upstream_address': '[2001:db8::5]:8448', 'upstream_ca_file': '/ca.pem'}),
                        'traefik', NAMES)
    assert result['wellknown']['connect'] == '[2001:db8::5]:8448'
    assert result['wellknown']['ca_file_effective'] == '/ca.pem'


@pytest.mark.parametrize('field', ['traefik_entrypoint', 'traefik_certresolver'])
@pytest.mark.parametrize('value', ['web secure', 'web-secure@docker', 'web.secure', '-web', 'a' * 65, '', None, 443,
                                   'web"secure', 'web\nsecure', '{{ .Env }}'])
def test_traefik_names_are_refused(field, value):
    assert problems(site(TRAEFIK, **{field: value}), 'traefik') == [
        'matrix_base_domain_%s: %r is not a Traefik entry point or resolver name (1 to 64 letters, digits, "_" or "-", '
        'starting with a letter or digit)' % (field, value)]


@pytest.mark.parametrize('value', [0, -1, '1e3', 2 ** 31, True, None, '10 ', 'high'])
def test_traefik_priority_rule(value):
    assert problems(site(TRAEFIK, traefik_priority=value), 'traefik') == [
        'matrix_base_domain_traefik_priority: %r is not a router priority (a whole number from 1 to 2147483647)' % (value,)]


def test_traefik_priority_as_text():
    assert build_site(site(TRAEFIK, traefik_priority='2147483647'), 'traefik')['traefik']['priority'] == 2 ** 31 - 1


def test_traefik_resolver_is_not_needed_with_files():
    result = build_site(site(TRAEFIK_FILES, traefik_certresolver='not a name'), 'traefik', NAMES)
    assert result['traefik']['tls'] == 'files' and 'certresolver' not in result['traefik']


@pytest.mark.parametrize('changes, message', [
    ({'traefik_tls': 'acme'}, "matrix_base_domain_traefik_tls: 'acme' is not one of resolver, files, loaded"),
    ({'form': 'snippet'}, "matrix_base_domain_config_form: 'snippet': Traefik's file provider loads whole files, each a "
                          "part of one configuration: use form server"),
    ({'wellknown': {'method': 'static', 'directory': '/srv/.well-known/matrix', 'documents': [], 'cache_max_age': 0}},
     "matrix_base_domain_method: 'static': Traefik serves no files, it forwards /.well-known/matrix/ to the Matrix host: "
     "use method proxy"),
])
def test_traefik_refusals(changes, message):
    with pytest.raises(SettingsError) as info:
        build_site(site(TRAEFIK, **changes), 'traefik', TRAEFIK_NAMES)
    assert info.value.problems == [message]


CANDIDATE = """http:
  routers:
    a:
      entryPoints:
        - "web-secure"   # comment
        - websecure2
      tls:
        certResolver: "default"
    b:
      entryPoints: [ web, 'other' ]
      tls:
        certresolver: le
    c:
      entryPoints:
      - traefik
      service: x
"""


def test_traefik_names_in_a_candidate():
    assert server_check.traefik_names(CANDIDATE) == (['other', 'web', 'web-secure', 'websecure2'], ['default', 'le'])
    assert server_check.traefik_names('http: {}\n') == ([], [])


def test_traefik_command():
    argv = server_check.traefik_command('/bin/traefik', '/w/candidate.yml', '/w', 8081, ['web-secure'], ['default'])
    assert argv[0] == '/bin/traefik'
    assert '--entryPoints.traefik.address=127.0.0.1:8081' in argv
    assert '--providers.file.filename=/w/candidate.yml' in argv
    assert '--entryPoints.web-secure.address=127.0.0.1:0' in argv
    assert '--certificatesResolvers.default.acme.caServer=https://127.0.0.1:1/directory' in argv
    assert '--certificatesResolvers.default.acme.storage=/w/acme-default.json' in argv
    # Nothing of the check listens beyond loopback.
    assert not [arg for arg in argv if '.address=' in arg and '=127.0.0.1:' not in arg]


def test_traefik_findings():
    api = {
        'routers': [
            {'name': 'api@internal', 'provider': 'internal', 'status': 'enabled'},
            {'name': 'r@file', 'provider': 'file', 'status': 'disabled', 'error': ['middleware "m@file" does not exist']},
        ],
        'services': [{'name': 's@file', 'provider': 'file', 'status': 'enabled'}],
        'middlewares': None,
    }
    log = '\n'.join([
        '{"level":"error","routerName":"r@file","error":"middleware \\"m@file\\" does not exist"}',
        '{"level":"error","providerName":"default.acme","message":"Unable to obtain ACME certificate for domains"}',
        '{"level":"error","routerName":"r@file","certificateResolver":"x","message":"Router uses a nonexistent certificate resolver"}',
        '{"level":"warn","message":"a warning"}',
        'flag provided but not defined: -bad',
    ])
    problems_found, loaded = server_check.traefik_findings(api, log)
    assert loaded
    assert problems_found == [
        'router r@file (disabled): middleware "m@file" does not exist',
        'Router uses a nonexistent certificate resolver (routerName r@file, certificateResolver x)',
        'flag provided but not defined: -bad',
    ]
    assert server_check.traefik_findings({'routers': [api['routers'][0]]}, '') == ([], False)
    assert server_check.traefik_findings({'services': api['services']}, '') == ([], True)


def test_traefik_candidate_path():
    assert server_check.candidate_path('traefik', '/w') == '/w/candidate.yml'
    assert server_check.candidate_path('nginx', '/w') == '/w/candidate.conf'
