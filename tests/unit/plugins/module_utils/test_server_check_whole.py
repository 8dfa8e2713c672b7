# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole-configuration check: staging a configuration directory, reading what the servers report, the time
bound. The parsers get the servers' real output formats; the last tests run real servers on staged trees."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import _server_check as server_check
from ansible_collections.matrix.wellknown.plugins.module_utils import _site_files as site_files
from ansible_collections.matrix.wellknown.plugins.module_utils._server_check import (
    CheckTimeout,
    apache_conflicts,
    caddy_addresses,
    caddy_conflicts,
    haproxy_conflicts,
    haproxy_service_files,
    nginx_conflicts,
    rewrite_paths,
    stage_tree,
)

from module_runner import real_module

SBIN = os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin', '/sbin'])

# apache2 -t -D DUMP_VHOSTS, as Apache 2.4 prints it.
APACHE_DUMP = '''VirtualHost configuration:
*:80                   127.0.0.1 (/etc/apache2/sites-enabled/000-default.conf:1)
*:443                  is a NameVirtualHost
         default server example.com (/etc/apache2/sites-enabled/example.com.conf:1)
         port 443 namevhost example.com (/etc/apache2/sites-enabled/example.com.conf:1)
                 alias www.example.com
         port 443 namevhost www.example.com (/etc/apache2/sites-enabled/matrix-base-domain.conf:3)
         port 443 namevhost other.example.com (/etc/apache2/sites-enabled/other.conf:1)
127.0.0.1:8443         example.com (/etc/apache2/sites-enabled/matrix-static-files.conf:2)
'''


def test_nginx_conflicts_are_the_candidates_names_only():
    messages = ('nginx: [warn] conflicting server name "example.com" on 0.0.0.0:443, ignored\n'
                'nginx: [warn] conflicting server name "default.example" on 0.0.0.0:80, ignored\n')
    loaded = {'/etc/nginx/sites-enabled/site': 'server {listen 443 ssl; server_name example.com www.example.com;}',
              '/etc/nginx/conf.d/new.conf': 'server {\n    server_name example.com;\n}\n'}
    found = nginx_conflicts(messages, loaded['/etc/nginx/conf.d/new.conf'], loaded, '/etc/nginx/conf.d/new.conf')
    assert found == [{'name': 'example.com', 'address': '0.0.0.0:443', 'sites': ['/etc/nginx/sites-enabled/site']}]


def test_apache_conflicts_match_names_and_aliases_on_overlapping_addresses():
    found = apache_conflicts(APACHE_DUMP, '/etc/apache2/sites-enabled/matrix-base-domain.conf')
    assert found == [{'name': 'www.example.com', 'address': '*:443',
                      'sites': ['/etc/apache2/sites-enabled/example.com.conf']}]
    # Another port: no conflict.
    assert apache_conflicts(APACHE_DUMP, '/etc/apache2/sites-enabled/matrix-static-files.conf') == []


@pytest.mark.parametrize('head, addresses', [
    ('example.com', [('example.com', '443')]),
    ('https://example.com:8443', [('example.com', '8443')]),
    ('http://example.com', [('example.com', '80')]),
    ('example.com, www.example.com:8443', [('example.com', '443'), ('www.example.com', '8443')]),
    ('(snippet)', []),
    ('', []),
])
def test_caddy_addresses(head, addresses):
    assert caddy_addresses(head) == addresses


def test_caddy_conflicts_same_name_and_port_in_any_spelling():
    files = {'/etc/caddy/Caddyfile': '{\n\tadmin off\n}\nexample.com {\n\troot * /srv\n\tfile_server\n}\n'
                                     'http://example.com {\n\tredir https://example.com\n}\n',
             '/etc/caddy/Caddyfile.d/new.caddyfile': 'https://example.com:443 {\n\trespond 404\n}\n'}
    assert caddy_conflicts(files, '/etc/caddy/Caddyfile.d/new.caddyfile') == [
        {'name': 'example.com', 'address': '443', 'sites': ['/etc/caddy/Caddyfile']}]
    files['/etc/caddy/Caddyfile.d/new.caddyfile'] = 'https://example.com:8443 {\n\trespond 404\n}\n'
    assert caddy_conflicts(files, '/etc/caddy/Caddyfile.d/new.caddyfile') == []


def test_haproxy_conflicts_a_bind_on_a_port_already_bound():
    files = {'/etc/haproxy/haproxy.cfg': 'defaults\n\tmode http\nfrontend web\n\tbind :443 ssl crt /x.pem\n'
                                         '\tbind :80\nbackend b\n\tserver s 127.0.0.1:8080\n',
             '/c/new.cfg': 'frontend matrix\n    bind 127.0.0.1:443 ssl crt /y.pem\nbackend matrix\n'}
    assert haproxy_conflicts(files, '/c/new.cfg') == [
        {'name': 'matrix', 'address': '127.0.0.1:443', 'sites': ['/etc/haproxy/haproxy.cfg'], 'frontend': 'web'}]
    files['/c/new.cfg'] = 'frontend matrix\n    bind 127.0.0.1:8443 ssl crt /y.pem\n'
    assert haproxy_conflicts(files, '/c/new.cfg') == []


def test_haproxy_service_files_follow_debian_defaults():
    text = '# Defaults\nCONFIG="/etc/haproxy/haproxy.cfg"\nEXTRAOPTS="-f /etc/haproxy/conf.d -f /srv/x.cfg"\n'
    assert haproxy_service_files('/etc/haproxy/haproxy.cfg', text) == [
        '/etc/haproxy/haproxy.cfg', '/etc/haproxy/conf.d', '/srv/x.cfg']
    assert haproxy_service_files('/etc/haproxy/haproxy.cfg', None) == ['/etc/haproxy/haproxy.cfg']


def test_rewrite_paths_only_whole_paths():
    data = b'include /etc/nginx/conf.d/*.conf;\ninclude /etc/nginx-old/x;\nServerRoot "/etc/nginx"\n'
    assert rewrite_paths(data, {'/etc/nginx': '/tmp/s'}) == (
        b'include /tmp/s/conf.d/*.conf;\ninclude /etc/nginx-old/x;\nServerRoot "/tmp/s"\n')


def test_stage_tree_puts_the_candidate_where_a_link_points(tmp_path):
    source = tmp_path / 'etc'
    (source / 'sites-available').mkdir(parents=True)
    (source / 'sites-enabled').mkdir()
    (source / 'main.conf').write_text('include %s/sites-enabled/*;\n' % source)
    (source / 'sites-available' / 'new').write_text('old\n')
    (source / 'sites-enabled' / 'new').symlink_to(source / 'sites-available' / 'new')
    (source / 'sites-enabled' / 'gone').symlink_to(source / 'sites-available' / 'gone')
    target = tmp_path / 'stage'
    stage_tree(str(source), str(target), {str(source): str(target)}, str(source / 'sites-available' / 'new'), b'new\n')
    assert (target / 'main.conf').read_text() == 'include %s/sites-enabled/*;\n' % target
    assert (target / 'sites-enabled' / 'new').read_text() == 'new\n'
    assert (target / 'sites-available' / 'new').read_text() == 'new\n'
    # A dangling link stays one: the server fails on it as on the real one.
    assert os.readlink(str(target / 'sites-enabled' / 'gone')) == str(source / 'sites-available' / 'gone')
    assert (source / 'sites-available' / 'new').read_text() == 'old\n'


def test_a_check_that_does_not_finish_is_stopped_and_named(tmp_path):
    """A check command that hangs (a stand-in for a server binary stuck on a lock or a network name) is killed
    with the processes it started, and the failure names the command."""
    binary = tmp_path / 'nginx'
    binary.write_text('#!/bin/sh\nsleep 30 &\necho $! > "%s/child"\nsleep 30\n' % tmp_path)
    binary.chmod(0o755)
    config = tmp_path / 'site.conf'

    start = time.monotonic()
    webserver = {'server': 'nginx', 'path': str(config), 'content': 'server {}\n', 'check_timeout': 1,
                 'main_config': str(tmp_path / 'absent.conf')}
    check = site_files.check_site(real_module(), webserver, {'bundle': None, 'files': []}, str(binary))
    assert time.monotonic() - start < 10
    assert not check.ok
    assert check.problem['kind'] == 'timeout'
    assert '`%s -t -q' % binary in check.message and 'did not finish within 1 seconds' in check.message
    child = int((tmp_path / 'child').read_text())
    deadline = time.monotonic() + 5
    while os.path.exists('/proc/%d' % child) and time.monotonic() < deadline:
        with open('/proc/%d/status' % child) as handle:
            if any(line.split()[1] == 'Z' for line in handle if line.startswith('State:')):
                break
        time.sleep(0.05)
    else:
        assert not os.path.exists('/proc/%d' % child)
    assert not config.exists()


def test_bounded_run_raises_with_the_command():
    run = site_files.bounded_run(real_module(), 0.5)
    with pytest.raises(CheckTimeout) as raised:
        run(['sleep', '20'], '/', {})
    assert raised.value.argv == ['sleep', '20']
    assert run(['sh', '-c', 'echo out; echo err >&2; exit 3'], '/', {}) == (3, 'out\n', 'err\n')


def _nginx_tree(tmp_path):
    """A main config in a temporary directory that includes conf.d/*.conf and sites-enabled/*, with a site for
    example.com."""
    binary = shutil.which('nginx', path=SBIN)
    if binary is None:
        pytest.fail('nginx is not installed: run make system-deps')
    root = tmp_path / 'nginx'
    for name in ('conf.d', 'sites-enabled'):
        (root / name).mkdir(parents=True)
    (root / 'nginx.conf').write_text('''pid %(work)s/nginx.pid;
error_log stderr;
events {
}
http {
    access_log off;
    client_body_temp_path %(work)s/body;
    proxy_temp_path %(work)s/proxy;
    include %(root)s/conf.d/*.conf;
    include %(root)s/sites-enabled/*;
}
''' % dict(work=tmp_path, root=root))
    (root / 'sites-enabled' / 'example.com').write_text(
        'server {\n    listen 127.0.0.1:8443;\n    server_name example.com;\n    location / {\n        return 200;\n    }\n}\n')
    return binary, root


def test_nginx_whole_check_refuses_a_second_site_for_the_name(tmp_path):
    binary, root = _nginx_tree(tmp_path)
    content = 'server {\n    listen 127.0.0.1:8443;\n    server_name example.com;\n    location / {\n        return 404;\n    }\n}\n'
    target = root / 'conf.d' / 'matrix.conf'
    check = server_check.check_whole(site_files.bounded_run(real_module(), 30), 'nginx', content, binary, str(tmp_path),
                                     str(target), str(root / 'nginx.conf'))
    assert check.loaded and not check.ok
    assert check.conflicts == [{'name': 'example.com', 'address': '127.0.0.1:8443',
                                'sites': [str(root / 'sites-enabled' / 'example.com')]}]
    assert str(target) in check.output or 'conflicting server name' in check.output
    assert not target.exists()
    # Another name on the same port is fine.
    (tmp_path / 'again').mkdir()
    other = server_check.check_whole(site_files.bounded_run(real_module(), 30), 'nginx', content.replace('example.com', 'matrix.example.com'),
                                     binary, str(tmp_path / 'again'), str(target), str(root / 'nginx.conf'))
    assert other.ok and other.loaded, other.output


def test_nginx_whole_check_a_file_the_main_config_does_not_load(tmp_path):
    binary, root = _nginx_tree(tmp_path)
    elsewhere = tmp_path / 'elsewhere.conf'
    check = server_check.check_whole(site_files.bounded_run(real_module(), 30), 'nginx', 'server {\n    server_name example.com;\n}\n',
                                     binary, str(tmp_path), str(elsewhere), str(root / 'nginx.conf'))
    assert check.ok and not check.loaded


def test_without_the_main_config_the_file_is_checked_alone_with_a_warning(tmp_path):
    binary, root = _nginx_tree(tmp_path)
    webserver = {'server': 'nginx', 'path': str(root / 'conf.d' / 'matrix.conf'),
                 'content': 'server {\n    listen 127.0.0.1:8443;\n    server_name example.com;\n}\n',
                 'main_config': str(tmp_path / 'custom' / 'nginx.conf')}
    check = site_files.check_site(real_module(), webserver, {'bundle': None, 'files': []}, binary)
    assert check.ok
    assert check.warnings == [
        "nginx's main configuration %s was not found: %s was checked alone, not with the sites already there (a second "
        'site for the same name and port shows only when the server reloads); give its path in webserver.main_config'
        % (tmp_path / 'custom' / 'nginx.conf', root / 'conf.d' / 'matrix.conf')]


def test_haproxy_whole_check_loads_the_services_directory_with_the_candidate(tmp_path):
    binary = shutil.which('haproxy', path=SBIN)
    if binary is None:
        pytest.fail('haproxy is not installed: run make system-deps')
    main = tmp_path / 'haproxy.cfg'
    main.write_text('defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\n'
                    'frontend website\n    bind 127.0.0.1:8443\n    default_backend website\n'
                    'backend website\n    http-request return status 200\n')
    conf_d = tmp_path / 'conf.d'
    conf_d.mkdir()
    (conf_d / 'other.cfg').write_text('backend other\n    http-request return status 204\n')
    candidate = conf_d / 'matrix.cfg'
    defaults = 'EXTRAOPTS="-f %s"\n' % conf_d
    content = 'frontend matrix\n    bind 127.0.0.1:8443\n    use_backend other\n'
    (tmp_path / 'w1').mkdir()
    check = server_check.check_whole(site_files.bounded_run(real_module(), 30), 'haproxy', content, binary, str(tmp_path / 'w1'),
                                     str(candidate), str(main), defaults)
    assert check.loaded and not check.ok
    assert check.conflicts == [{'name': 'matrix', 'address': '127.0.0.1:8443', 'sites': [str(main)],
                                'frontend': 'website'}]
    assert check.argv == [binary, '-c', '-f', str(main), '-f', str(conf_d)]
    assert not candidate.exists()
    # The same frontend on another port: the service's files and the candidate load together.
    (tmp_path / 'w2').mkdir()
    check = server_check.check_whole(site_files.bounded_run(real_module(), 30), 'haproxy', content.replace('8443', '8444'), binary,
                                     str(tmp_path / 'w2'), str(candidate), str(main), defaults)
    assert check.ok and check.loaded, check.output
