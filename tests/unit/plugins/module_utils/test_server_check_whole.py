# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole-configuration check: staging a configuration directory, reading what the servers report, the time
bound. The parsers get the servers' real output formats; real nginx and HAProxy on staged trees are in
tests/functional/test_whole_config_check.py."""

from __future__ import annotations

import os
import time

import pytest

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
