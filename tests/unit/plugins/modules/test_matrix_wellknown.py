# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The matrix_wellknown module, run in-process against a temporary directory."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import subprocess

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import _files as files
from ansible_collections.matrix.wellknown.plugins.modules import matrix_wellknown

from module_runner import run_module, time_limit

SERVER = {'m.server': 'matrix.example.com:443'}
CLIENT = {'m.homeserver': {'base_url': 'https://matrix.example.com'}}
SUPPORT = {'contacts': [{'role': 'm.role.admin', 'email_address': 'admin@example.com'}]}


def run(args, check_mode=False, diff=False):
    return run_module(matrix_wellknown.main, args, check_mode=check_mode, diff=diff)


def expected_bytes(document):
    # What MDAD's to_nice_json writes.
    return json.dumps(document, sort_keys=True, indent=4, separators=(',', ': ')).encode('ascii')


def snapshot(directory):
    """Names, contents and inodes of every file under a directory."""
    found = {}
    for root, dummy, names in os.walk(str(directory)):
        for name in names:
            path = os.path.join(root, name)
            with open(path, 'rb') as handle:
                found[os.path.relpath(path, str(directory))] = (handle.read(), os.stat(path).st_ino)
    return found


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_creates_directory_and_documents(tmp_path):
    target = tmp_path / 'public' / '.well-known' / 'matrix'
    result, failed = run(dict(path=str(target), server=SERVER, client=CLIENT, support=SUPPORT))
    assert not failed and result['changed']
    assert result['states'] == {'server': 'created', 'client': 'created', 'support': 'created'}
    for name, document in (('server', SERVER), ('client', CLIENT), ('support', SUPPORT)):
        assert (target / name).read_bytes() == expected_bytes(document)
        assert mode_of(target / name) == 0o644
    assert mode_of(target) == 0o755
    assert mode_of(tmp_path / 'public') == 0o755


def test_rerun_changes_nothing_and_does_not_rewrite(tmp_path):
    args = dict(path=str(tmp_path), server=SERVER, client=CLIENT)
    run(args)
    before = snapshot(tmp_path)
    result, failed = run(args)
    assert not failed and not result['changed']
    assert result['states'] == {'server': 'unchanged', 'client': 'unchanged'}
    assert snapshot(tmp_path) == before


def test_check_mode_writes_nothing(tmp_path):
    target = tmp_path / 'new'
    result, failed = run(dict(path=str(target), server=SERVER, client=CLIENT), check_mode=True)
    assert not failed and result['changed']
    assert result['states'] == {'server': 'created', 'client': 'created'}
    assert not target.exists()


def test_check_mode_reports_update_without_writing(tmp_path):
    run(dict(path=str(tmp_path), server=SERVER))
    before = snapshot(tmp_path)
    result, dummy = run(dict(path=str(tmp_path), server={'m.server': 'other.example.com:443'}), check_mode=True)
    assert result['changed'] and result['states'] == {'server': 'updated'}
    assert snapshot(tmp_path) == before
    result, dummy = run(dict(path=str(tmp_path), server=SERVER), check_mode=True)
    assert not result['changed']


def test_update_replaces_the_file_by_rename(tmp_path):
    run(dict(path=str(tmp_path), server=SERVER))
    old_inode = os.stat(str(tmp_path / 'server')).st_ino
    new = {'m.server': 'matrix.example.com:8448'}
    result, dummy = run(dict(path=str(tmp_path), server=new))
    assert result['changed'] and result['states'] == {'server': 'updated'}
    assert (tmp_path / 'server').read_bytes() == expected_bytes(new)
    assert os.stat(str(tmp_path / 'server')).st_ino != old_inode
    assert sorted(os.listdir(str(tmp_path))) == ['server']


def test_diff_mode_shows_content(tmp_path):
    run(dict(path=str(tmp_path), server=SERVER))
    new = {'m.server': 'matrix.example.com:8448'}
    result, dummy = run(dict(path=str(tmp_path), server=new, client=CLIENT), diff=True)
    diffs = {d['after_header']: d for d in result['diff'] if 'after_header' in d}
    server_diff = diffs['%s/server (content)' % tmp_path]
    assert server_diff['before'] == expected_bytes(SERVER).decode()
    assert server_diff['after'] == expected_bytes(new).decode()
    assert diffs['%s/client (content)' % tmp_path]['before'] == ''
    result, dummy = run(dict(path=str(tmp_path), server=new), diff=False)
    assert 'diff' not in result


def test_absent_removes_and_leaves_others_alone(tmp_path):
    run(dict(path=str(tmp_path), server=SERVER, client=CLIENT, support=SUPPORT))
    result, dummy = run(dict(path=str(tmp_path), client=CLIENT, absent=['support', 'mautrix']))
    assert result['changed']
    assert result['states'] == {'client': 'unchanged', 'support': 'removed', 'mautrix': 'absent'}
    assert sorted(os.listdir(str(tmp_path))) == ['client', 'server']
    result, dummy = run(dict(path=str(tmp_path), client=CLIENT, absent=['support']))
    assert not result['changed'] and result['states']['support'] == 'absent'


def test_other_documents_are_written(tmp_path):
    mautrix = {'fi.mau.bridges': [{'name': 'whatsapp'}]}
    result, failed = run(dict(path=str(tmp_path), documents={'mautrix': mautrix}))
    assert not failed and result['states'] == {'mautrix': 'created'}
    assert (tmp_path / 'mautrix').read_bytes() == expected_bytes(mautrix)


def test_mode_change_alone_is_a_change(tmp_path):
    run(dict(path=str(tmp_path), server=SERVER))
    os.chmod(str(tmp_path / 'server'), 0o600)
    os.chmod(str(tmp_path), 0o700)
    result, dummy = run(dict(path=str(tmp_path), server=SERVER))
    assert result['changed'] and result['states'] == {'server': 'updated'}
    assert mode_of(tmp_path / 'server') == 0o644 and mode_of(tmp_path) == 0o755
    result, dummy = run(dict(path=str(tmp_path), server=SERVER, mode='0640', directory_mode='0750'))
    assert mode_of(tmp_path / 'server') == 0o640 and mode_of(tmp_path) == 0o750


@pytest.mark.parametrize('args, message', [
    (dict(server={'m.server': 'https://matrix.example.com'}), "server: m.server 'https://matrix.example.com' must not include a scheme"),
    (dict(client={'m.homeserver': {'base_url': 'matrix.example.com'}}),
     "client: m.homeserver.base_url 'matrix.example.com' is not an absolute http(s) URL"),
    (dict(support={}), 'support: needs a non-empty "contacts" list'),
    (dict(client=CLIENT, documents={'client': CLIENT}), 'documents.client duplicates the client option'),
    (dict(client=CLIENT, absent=['client']), 'absent: client is also given as a document'),
    (dict(absent=['../../etc/passwd']), "absent: '../../etc/passwd' is not a plain file name"),
    (dict(documents={'.htaccess': {}}), "'.htaccess' is not a plain file name"),
])
def test_invalid_input_fails_and_changes_nothing(tmp_path, args, message):
    run(dict(path=str(tmp_path), server=SERVER, client=CLIENT))
    before = snapshot(tmp_path)
    # A valid server document alongside the invalid one must not be written either.
    result, failed = run(dict({'path': str(tmp_path), 'server': {'m.server': 'new.example.com'}}, **args))
    assert failed
    assert message in result['msg']
    assert snapshot(tmp_path) == before


def test_every_error_is_reported_at_once(tmp_path):
    result, failed = run(dict(path=str(tmp_path), server={}, client={}, support={'contacts': [{}]}))
    assert failed
    assert len(result['errors']) == 4, result['errors']
    assert os.listdir(str(tmp_path)) == []


def test_warnings_are_emitted(tmp_path):
    result, failed = run(dict(path=str(tmp_path), client={'m.homeserver': {'base_url': 'http://matrix.example.com'}}))
    assert not failed
    assert result['warnings_found'] == ["client: m.homeserver.base_url 'http://matrix.example.com' uses plain http: clients expect https"]


def test_path_is_a_file(tmp_path):
    target = tmp_path / 'file'
    target.write_text('x')
    result, failed = run(dict(path=str(target), server=SERVER))
    assert failed and result['msg'] == '%s exists and is not a directory' % target


def test_path_below_a_file(tmp_path):
    (tmp_path / 'file').write_text('x')
    result, failed = run(dict(path=str(tmp_path / 'file' / 'matrix'), server=SERVER))
    assert failed and 'is not a directory' in result['msg']


def test_path_is_a_dangling_symlink(tmp_path):
    os.symlink(str(tmp_path / 'missing'), str(tmp_path / 'link'))
    result, failed = run(dict(path=str(tmp_path / 'link'), server=SERVER))
    assert failed and 'dangling symbolic link' in result['msg']
    assert not (tmp_path / 'missing').exists()


def test_document_path_is_a_directory(tmp_path):
    (tmp_path / 'client').mkdir()
    result, failed = run(dict(path=str(tmp_path), server=SERVER, client=CLIENT))
    assert failed and result['msg'] == '%s/client is a directory, not a document file' % tmp_path
    assert not (tmp_path / 'server').exists()


def test_failed_write_keeps_the_old_file_and_says_why(tmp_path, monkeypatch):
    run(dict(path=str(tmp_path), server=SERVER))
    before = snapshot(tmp_path)

    def no_space(fd):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', no_space)
    result, failed = run(dict(path=str(tmp_path), server={'m.server': 'other.example.com'}))
    assert failed
    assert result['msg'] == 'cannot write %s/server: no space left on the device' % tmp_path
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize('args, message', [
    (dict(mode='0666'), "mode '0666' would let any local user rewrite"),
    (dict(mode='0777'), "mode '0777' would let any local user rewrite"),
    (dict(mode='a+w'), "mode 'a+w' would let any local user rewrite"),
    (dict(mode='u=rw,o=rw'), "mode 'u=rw,o=rw' would let any local user rewrite"),
    (dict(directory_mode='1777'), "directory_mode '1777' would let any local user rewrite"),
    (dict(directory_mode='+w'), "directory_mode '+w' would let any local user rewrite"),
])
def test_world_writable_modes_are_refused(tmp_path, args, message):
    result, failed = run(dict(path=str(tmp_path / 'wk'), server=SERVER, **args))
    assert failed and message in result['msg']
    assert not (tmp_path / 'wk').exists()


@pytest.mark.parametrize('mode', ['0644', '0640', '0600', 'u=rw,g=r,o=r', 'o-w', 'g+w'])
def test_other_modes_are_accepted(tmp_path, mode):
    result, failed = run(dict(path=str(tmp_path), server=SERVER, mode=mode))
    assert not failed, result


@pytest.fixture
def deadline():
    """Fail a test that spins instead of hanging the suite (the relative path used to loop forever)."""
    with time_limit(10, 'spinning'):
        yield


@pytest.mark.parametrize('path', ['rel/.well-known/matrix', 'matrix', './wk'])
def test_a_relative_path_is_refused(tmp_path, monkeypatch, deadline, path):
    monkeypatch.chdir(tmp_path)
    result, failed = run(dict(path=path, server=SERVER))
    assert failed and result['msg'].startswith('path %r is relative: give an absolute path' % path)
    assert os.listdir(str(tmp_path)) == []


def test_directory_creation_cannot_spin_on_a_relative_path(tmp_path, monkeypatch, deadline):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(files.PlanError, match='is relative'):
        files.make_directories('rel/.well-known/matrix')
    assert os.listdir(str(tmp_path)) == []


@pytest.fixture
def immutable(tmp_path):
    """A directory nobody, root included, may change (chattr +i), or a skip where that is not possible."""
    if os.geteuid() != 0 or not shutil.which('chattr'):
        pytest.skip('needs root and chattr')
    directory = tmp_path / 'wk'
    directory.mkdir()
    if subprocess.run(['chattr', '+i', str(directory)], capture_output=True, check=False).returncode != 0:
        pytest.skip('this filesystem has no immutable attribute')
    yield directory
    subprocess.run(['chattr', '-i', str(directory)], check=True)


def test_a_write_refused_on_an_immutable_directory_reports_no_change(immutable):
    subprocess.run(['chattr', '-i', str(immutable)], check=True)
    run(dict(path=str(immutable), server=SERVER))
    subprocess.run(['chattr', '+i', str(immutable)], check=True)
    before = snapshot(immutable)
    result, failed = run(dict(path=str(immutable), server={'m.server': 'other.example.com'}, client=CLIENT))
    assert failed and 'operation not permitted' in result['msg']
    assert result['changed'] is False
    assert files.UPDATED not in result['states'].values() and files.CREATED not in result['states'].values()
    assert snapshot(immutable) == before


POLICY_KEY = 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ'


def test_policy_server_is_written_and_removed(tmp_path):
    document = {'public_keys': {'ed25519': POLICY_KEY}}
    result, failed = run(dict(path=str(tmp_path), policy_server=document))
    assert not failed and result['states'] == {'policy_server': 'created'}
    assert (tmp_path / 'policy_server').read_bytes() == expected_bytes(document)
    result, failed = run(dict(path=str(tmp_path), policy_server=document))
    assert not failed and not result['changed']
    result, failed = run(dict(path=str(tmp_path), absent=['policy_server']))
    assert not failed and result['states'] == {'policy_server': 'removed'}
    assert not (tmp_path / 'policy_server').exists()


def test_an_invalid_policy_server_changes_nothing(tmp_path):
    result, failed = run(dict(path=str(tmp_path / 'wk'), server=SERVER,
                              policy_server={'public_keys': {'ed25519': POLICY_KEY + '='}}))
    assert failed and 'policy_server: public_keys.ed25519' in result['msg'] and 'unpadded' in result['msg']
    assert not (tmp_path / 'wk').exists()


def internal_webserver(tmp_path, content='# the config\n'):
    """The internal option the roles' step hands over, unchecked by a server (none needs to be installed)."""
    (tmp_path / 'conf').mkdir(exist_ok=True)
    return {'server': 'nginx', 'path': str(tmp_path / 'conf' / 'site.conf'), 'content': content, 'validate': False,
            'files': [{'path': str(tmp_path / 'conf' / 'index.html'), 'content': '<h1>the page</h1>\n'}]}


@pytest.mark.parametrize('diff', [False, True])
def test_the_result_carries_the_documents_once_and_the_config_only_in_diff_mode(tmp_path, diff):
    args = dict(path=str(tmp_path / 'wk'), server=SERVER, documents={'client': CLIENT},
                _webserver=internal_webserver(tmp_path))
    result, failed = run(args, diff=diff)
    assert not failed and result['changed'] and result['documents'] == {'server': SERVER, 'client': CLIENT}
    echoed = result['invocation']['module_args']
    assert not {'server', 'client', 'support', 'policy_server'} & set(echoed)
    assert echoed['documents'] == ['client', 'server']
    assert echoed['_webserver']['content'] == 'sha256:' + hashlib.sha256(b'# the config\n').hexdigest()
    assert echoed['_webserver']['files'][0]['content'].startswith('sha256:')
    without_diff = json.dumps(dict((key, value) for key, value in result.items() if key != 'diff'))
    assert 'the config' not in without_diff and 'the page' not in without_diff
    assert without_diff.count('matrix.example.com:443') == 1
    assert ('# the config' in json.dumps(result.get('diff'))) is diff
    assert (tmp_path / 'conf' / 'site.conf').read_text() == '# the config\n'


@pytest.mark.parametrize('webserver, message', [
    ({'server': 'nginx', 'path': '/tmp/x.conf'}, '_webserver: missing required arguments: content'),
    ({'server': 'lighttpd', 'path': '/tmp/x.conf', 'content': ''}, '_webserver: value of server must be one of'),
    ({'server': 'nginx', 'path': '/tmp/x.conf', 'content': '', 'colour': 'red'}, '_webserver: unsupported colour'),
])
def test_the_internal_webserver_option_is_checked_naming_it(tmp_path, webserver, message):
    result, failed = run(dict(path=str(tmp_path / 'wk'), server=SERVER, _webserver=webserver))
    assert failed and message in result['msg'], result['msg']
    assert not (tmp_path / 'wk').exists()


def test_webserver_is_no_user_option(tmp_path):
    result, failed = run(dict(path=str(tmp_path / 'wk'), server=SERVER,
                              webserver={'server': 'nginx', 'path': str(tmp_path / 'x.conf'), 'content': ''}))
    assert failed and 'webserver' in result['msg'] and not (tmp_path / 'wk').exists()
