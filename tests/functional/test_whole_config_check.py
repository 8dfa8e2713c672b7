# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole-configuration check with the real nginx and HAProxy on staged trees: a second site for the same name
and port is refused, a file the main configuration does not load is checked alone.

`make test` installs the servers (make system-deps); a missing one fails the test, it is not skipped. The parsers
and the staging alone: tests/unit/plugins/module_utils/test_server_check_whole.py.
"""

from __future__ import annotations

import os
import shutil

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import _server_check as server_check
from ansible_collections.matrix.wellknown.plugins.module_utils import _site_files as site_files

from module_runner import real_module

SBIN = os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin', '/sbin'])


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
