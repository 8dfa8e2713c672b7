# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one writer against a hostile owner of the documents' directories, and against failures half-way.

MDAD gives the documents' directories to ``matrix_user_name``; here that user is the real ``nobody``, acting with
``runuser`` while the module runs as root: links planted at a document path or in place of a directory, FIFOs,
hard links. A failure half-way is a real immutable file (``chattr +i``). These tests need root (they are functional
tests for that reason: ``make test`` runs them as root, ``make units`` runs as any user).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import _files as files
from ansible_collections.matrix.wellknown.plugins.module_utils import _site_files as site_files
from ansible_collections.matrix.wellknown.plugins.modules import matrix_wellknown

from helpers import expected_bytes
from module_runner import run_module, time_limit

SERVER = {'m.server': 'matrix.example.com:443'}
CLIENT = {'m.homeserver': {'base_url': 'https://matrix.example.com'}}
NEW_SERVER = {'m.server': 'other.example.com:443'}
NEW_CLIENT = {'m.homeserver': {'base_url': 'https://other.example.com'}}
# Older than any leftover a live run could own (an hour).
TWO_HOURS = 7200
SECRET = b'root:$6$only-root-may-read-this:19000:0:99999:7:::\n'

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='acts as root against another user (runuser)')


def as_nobody(script, cwd):
    """Run a shell script as the user nobody, as the documents' owner would."""
    subprocess.run(['runuser', '-u', 'nobody', '--', 'sh', '-ec', script], cwd=str(cwd), check=True, timeout=30)


@pytest.fixture
def deadline():
    """Fail a test that blocks instead of hanging the suite."""
    with time_limit(15, 'blocked'):
        yield


@pytest.fixture
def host():
    """A root-owned 0755 directory that nobody can traverse (pytest's own tmp dirs are 0700), with a
    ``secret`` only root may read, a root directory ``etc`` holding root's file ``support``, and
    ``public/.well-known/matrix`` created by the module with owner nobody, as MDAD lays it out."""
    base = tempfile.mkdtemp(prefix='files-test-')
    os.chmod(base, 0o755)
    secret = os.path.join(base, 'secret')
    with open(secret, 'wb') as handle:
        handle.write(SECRET)
    os.chmod(secret, 0o600)
    os.mkdir(os.path.join(base, 'etc'))
    with open(os.path.join(base, 'etc', 'support'), 'wb') as handle:
        handle.write(b'root owns this\n')
    yield base
    subprocess.run(['chattr', '-R', '-i', base], capture_output=True, check=False)
    shutil.rmtree(base)


def documents_path(base):
    return os.path.join(base, 'public', '.well-known', 'matrix')


def run(base, check_mode=False, **documents):
    args = dict(path=documents_path(base), owner='nobody', group='nogroup', directory_mode='0755')
    args.update(documents)
    return run_module(matrix_wellknown.main, args, check_mode=check_mode, diff=True)


def listing(directory):
    return sorted(os.listdir(directory))


# --- links, FIFOs and hard links planted at a document path (issue 20, items 1 and 3) ---

def test_a_link_planted_at_a_document_path_is_replaced_never_read(host):
    run(host, server=SERVER, client=CLIENT)
    as_nobody('rm client && ln -s %s/secret client' % host, documents_path(host))
    result, failed = run(host, server=SERVER, client=NEW_CLIENT)
    assert not failed, result
    assert b'only-root' not in json.dumps(result).encode()
    assert result['states'] == {'client': 'updated', 'server': 'unchanged'}
    [diff] = [d for d in result['diff'] if d.get('before_header', '').endswith('/client (content)')]
    assert diff['before'] == '(a symbolic link, not read: it is replaced)\n'
    client = os.path.join(documents_path(host), 'client')
    assert stat.S_ISREG(os.lstat(client).st_mode)
    with open(client, 'rb') as handle:
        assert handle.read() == expected_bytes(NEW_CLIENT)
    with open(os.path.join(host, 'secret'), 'rb') as handle:
        assert handle.read() == SECRET
    assert stat.S_IMODE(os.stat(os.path.join(host, 'secret')).st_mode) == 0o600


def test_check_mode_does_not_read_a_planted_link_either(host):
    run(host, server=SERVER, client=CLIENT)
    as_nobody('rm server && ln -s %s/secret server' % host, documents_path(host))
    result, failed = run(host, check_mode=True, server=SERVER, client=CLIENT)
    assert not failed and result['changed'] and result['states']['server'] == 'updated'
    assert b'only-root' not in json.dumps(result).encode()
    assert os.path.islink(os.path.join(documents_path(host), 'server'))


def test_a_hard_link_to_another_file_is_not_read(host):
    # With fs.protected_hardlinks off, the owner of the directory may link any file of the disk into it.
    run(host, server=SERVER)
    os.unlink(os.path.join(documents_path(host), 'server'))
    os.link(os.path.join(host, 'secret'), os.path.join(documents_path(host), 'server'))
    result, failed = run(host, server=SERVER)
    assert not failed and result['states'] == {'server': 'updated'}
    assert b'only-root' not in json.dumps(result).encode()
    with open(os.path.join(host, 'secret'), 'rb') as handle:
        assert handle.read() == SECRET
    assert os.stat(os.path.join(host, 'secret')).st_nlink == 1


def test_a_fifo_at_a_document_path_is_replaced_without_blocking(host, deadline):
    run(host, server=SERVER)
    as_nobody('mkfifo client', documents_path(host))
    result, failed = run(host, server=SERVER, client=CLIENT)
    assert not failed, result
    assert result['states'] == {'client': 'updated', 'server': 'unchanged'}
    [diff] = [d for d in result['diff'] if d.get('before_header', '').endswith('/client (content)')]
    assert diff['before'] == '(a FIFO, not read: it is replaced)\n'
    assert stat.S_ISREG(os.lstat(os.path.join(documents_path(host), 'client')).st_mode)


def test_a_fifo_named_as_an_absent_document_is_removed_without_blocking(host, deadline):
    run(host, server=SERVER)
    as_nobody('mkfifo support', documents_path(host))
    result, failed = run(host, server=SERVER, absent=['support'])
    assert not failed and result['states'] == {'server': 'unchanged', 'support': 'removed'}
    assert listing(documents_path(host)) == ['server']


def test_a_file_over_the_read_limit_is_replaced_unread(host, tmp_path):
    run(host, server=SERVER)
    with open(os.path.join(documents_path(host), 'client'), 'wb') as handle:
        handle.write(b'x' * (files.READ_LIMIT + 1))
    result, failed = run(host, server=SERVER, client=CLIENT)
    assert not failed and result['states']['client'] == 'updated'
    [diff] = [d for d in result['diff'] if d.get('before_header', '').endswith('/client (content)')]
    assert diff['before'] == '(a file of %d bytes, over the %d bytes read here, not read: it is replaced)\n' % (
        files.READ_LIMIT + 1, files.READ_LIMIT)


# --- a directory swapped for a link (issue 20, item 2) ---

def test_a_document_directory_swapped_for_a_link_is_refused(host):
    run(host, server=SERVER, client=CLIENT)
    as_nobody('mv matrix matrix.old && ln -s %s/etc matrix' % host, os.path.dirname(documents_path(host)))
    result, failed = run(host, server=NEW_SERVER, client=NEW_CLIENT, absent=['support'])
    assert failed
    assert result['msg'].startswith('refusing the symbolic link %s in %s: nobody can write the directory it is in'
                                    % (documents_path(host), documents_path(host))), result['msg']
    assert result['changed'] is False
    # Root's directory, which the link points to, is untouched: nothing written, support not deleted.
    assert listing(os.path.join(host, 'etc')) == ['support']
    assert pwd.getpwuid(os.stat(os.path.join(host, 'etc')).st_uid).pw_name == 'root'


def test_a_parent_swapped_for_a_link_is_refused(host):
    run(host, server=SERVER)
    os.mkdir(os.path.join(host, 'etc', 'matrix'))
    as_nobody('mv .well-known .well-known.old && ln -s %s/etc .well-known' % host, os.path.join(host, 'public'))
    result, failed = run(host, server=NEW_SERVER)
    assert failed and 'refusing the symbolic link %s/public/.well-known' % host in result['msg']
    assert listing(os.path.join(host, 'etc', 'matrix')) == []


def test_a_directory_swapped_while_the_change_is_staged_is_never_written_through(host):
    """The swap comes after the directory was opened: the files land in the directory opened, the link's target
    gets nothing."""
    run(host, server=SERVER, client=CLIENT)
    target = documents_path(host)
    with files.Transaction() as transaction:
        transaction.write(os.path.join(target, 'server'), expected_bytes(NEW_SERVER))
        transaction.remove(os.path.join(target, 'client'))
        as_nobody('mv matrix matrix.old && ln -s %s/etc matrix && touch %s/etc/client 2>/dev/null || true'
                  % (host, host), os.path.dirname(target))
        transaction.commit()
    assert listing(os.path.join(host, 'etc')) == ['support']
    moved = target + '.old'
    assert listing(moved) == ['server']
    with open(os.path.join(moved, 'server'), 'rb') as handle:
        assert handle.read() == expected_bytes(NEW_SERVER)


def test_attributes_are_never_set_through_a_planted_link(host):
    run(host, server=SERVER)
    as_nobody('rm server && ln -s %s/secret server' % host, documents_path(host))
    module = type('Module', (), {'check_mode': False})()
    with pytest.raises(files.PlanError, match='is a symbolic link: refusing to change the attributes'):
        files.set_attributes(module, dict(path=os.path.join(documents_path(host), 'server'), owner='nobody',
                                          group=None, mode='0644'))
    secret = os.stat(os.path.join(host, 'secret'))
    assert (secret.st_uid, stat.S_IMODE(secret.st_mode)) == (0, 0o600)


def test_a_link_only_root_could_make_is_followed(host):
    real = os.path.join(host, 'srv')
    os.mkdir(real)
    os.symlink(real, os.path.join(host, 'link'))
    result, failed = run_module(matrix_wellknown.main, dict(path=os.path.join(host, 'link', 'wk'), server=SERVER))
    assert not failed, result
    assert listing(os.path.join(real, 'wk')) == ['server']


def test_created_directories_get_their_owner_before_the_next_is_made_inside(host):
    result, failed = run(host, server=SERVER)
    assert not failed, result
    for path in (os.path.join(host, 'public'), os.path.dirname(documents_path(host)), documents_path(host)):
        info = os.lstat(path)
        assert stat.S_ISDIR(info.st_mode) and pwd.getpwuid(info.st_uid).pw_name == 'nobody'
        assert stat.S_IMODE(info.st_mode) == 0o755


# --- all or nothing (issue 20, item 8) ---

@pytest.fixture
def chattr():
    if not shutil.which('chattr'):
        pytest.fail('chattr is not installed (e2fsprogs)')

    def immutable(path, on=True):
        done = subprocess.run(['chattr', '+i' if on else '-i', path], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip('this filesystem has no immutable attribute: %s' % done.stderr)
    return immutable


def test_a_set_with_one_immutable_file_is_put_back_whole(host, chattr):
    run(host, server=SERVER, client=CLIENT)
    target = documents_path(host)
    before = dict((name, open(os.path.join(target, name), 'rb').read()) for name in ('client', 'server'))
    chattr(os.path.join(target, 'server'))
    result, failed = run(host, server=NEW_SERVER, client=NEW_CLIENT)
    chattr(os.path.join(target, 'server'), on=False)
    assert failed
    assert result['msg'] == ('cannot write %s/server: operation not permitted; nothing of the change was kept: '
                             '%s/client put back as before' % (target, target))
    assert result['changed'] is False
    assert files.UPDATED not in result['states'].values()
    assert dict((name, open(os.path.join(target, name), 'rb').read()) for name in ('client', 'server')) == before
    assert listing(target) == ['client', 'server']


def test_documents_are_put_back_when_the_config_cannot_be_written(host, chattr):
    config = os.path.join(host, 'etc', 'matrix.conf')
    webserver = dict(server='nginx', path=config, content='# first\n', validate=False)
    run(host, server=SERVER, _webserver=webserver)
    chattr(config)
    result, failed = run(host, server=NEW_SERVER, _webserver=dict(webserver, content='# second\n'))
    chattr(config, on=False)
    assert failed and result['msg'].startswith('cannot write %s: operation not permitted' % config)
    assert 'server put back as before' in result['msg']
    with open(os.path.join(documents_path(host), 'server'), 'rb') as handle:
        assert handle.read() == expected_bytes(SERVER)
    with open(config) as handle:
        assert handle.read() == '# first\n'
    assert listing(documents_path(host)) == ['server']
    assert listing(os.path.join(host, 'etc')) == ['matrix.conf', 'support']


def test_a_removal_refused_puts_the_written_files_back(host, chattr):
    run(host, server=SERVER, client=CLIENT)
    target = documents_path(host)
    chattr(os.path.join(target, 'client'))
    result, failed = run(host, server=NEW_SERVER, absent=['client'])
    chattr(os.path.join(target, 'client'), on=False)
    assert failed and result['msg'].startswith('cannot remove %s/client: operation not permitted' % target)
    with open(os.path.join(target, 'server'), 'rb') as handle:
        assert handle.read() == expected_bytes(SERVER)
    assert listing(target) == ['client', 'server']


# --- temporary files (issue 25, item 1) ---

def test_a_staged_file_is_readable_by_nobody_until_it_is_whole(host):
    target = documents_path(host)
    run(host, server=SERVER)
    with files.Transaction() as transaction:
        transaction.write(os.path.join(target, 'client'), expected_bytes(CLIENT))
        [temp] = [name for name in os.listdir(target) if name.endswith('.tmp')]
        assert temp.startswith('.client.matrix-wellknown.%d.' % os.getpid())
        # Staged whole before anything is renamed; the document served is unchanged until the commit.
        assert listing(target) == sorted(['server', temp])
        transaction.commit()
    assert listing(target) == ['client', 'server']


def spent_pid():
    process = subprocess.Popen(['true'])
    process.wait()
    return process.pid


def test_leftovers_of_dead_runs_are_removed_those_of_live_runs_kept(host):
    target = documents_path(host)
    run(host, server=SERVER)
    dead, live = spent_pid(), os.getppid()
    names = {
        '.server.matrix-wellknown.%d.0123456789ab.tmp' % dead: True,
        '.server.matrix-wellknown.%d.0123456789ab.old' % dead: True,
        '.support.matrix-wellknown.%d.0123456789ab.tmp' % dead: True,
        '.server.matrix-wellknown.%d.0123456789ab.tmp' % live: False,
        '.server.abcd1234.tmp': False,  # an older release's temporary file, still young
        '.server.matrix-wellknown.tmp': False,  # not our exact shape
        'notes.txt': False,
    }
    for name in names:
        with open(os.path.join(target, name), 'wb') as handle:
            handle.write(b'{"m.server": "half')
    old = os.path.join(target, '.client.zz99yy88.tmp')
    with open(old, 'wb') as handle:
        handle.write(b'{')
    os.utime(old, (time.time() - TWO_HOURS,) * 2)
    names[os.path.basename(old)] = True
    # Nothing changes in this run: it still tidies.
    result, failed = run(host, server=SERVER, client=CLIENT)
    assert not failed, result
    kept = set(os.listdir(target))
    assert kept == set(['server', 'client'] + [name for name, gone in names.items() if not gone])


def test_stale_staging_directories_are_removed_live_ones_kept(tmp_path):
    dead, live = spent_pid(), os.getppid()
    made = {}
    for name, gone in (('matrix-wellknown-check-%d-abcd_123' % dead, True),
                       ('matrix-wellknown-check-%d-abcd_456' % live, False),
                       ('matrix-wellknown-check-q1w2e3r4', False),  # an older release's, still young
                       ('matrix-wellknown-check-z9x8c7v6', True),  # an older release's, two hours old
                       ('matrix-wellknown-check-other', False)):
        path = tmp_path / name
        path.mkdir()
        (path / 'server.conf').write_text('listen 443;')
        made[name] = gone
    old = tmp_path / 'matrix-wellknown-check-z9x8c7v6'
    os.utime(str(old), (time.time() - TWO_HOURS,) * 2)
    # A link with the name of a dead run's directory is not followed, nor removed.
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    (elsewhere / 'keep').write_text('keep')
    os.symlink(str(elsewhere), str(tmp_path / ('matrix-wellknown-check-%d-link0000' % dead)))
    # Another user's directory is not ours to remove.
    foreign = tmp_path / ('matrix-wellknown-check-%d-nobody00' % dead)
    foreign.mkdir()
    os.chown(str(foreign), pwd.getpwnam('nobody').pw_uid, -1)
    removed = site_files.remove_stale_staging(str(tmp_path))
    assert sorted(os.path.basename(path) for path in removed) == sorted(name for name, gone in made.items() if gone)
    left = set(os.listdir(str(tmp_path)))
    assert left == set([name for name, gone in made.items() if not gone]
                       + ['elsewhere', 'matrix-wellknown-check-%d-link0000' % dead, foreign.name])
    assert (elsewhere / 'keep').read_text() == 'keep'


@pytest.mark.parametrize('holder_mode, link_owner, refused', [
    (0o755, 'root', None),
    (0o775, 'root', 'the group root can write the directory it is in'),
    (0o777, 'root', 'every local user can write the directory it is in'),
    (0o1777, 'root', None),  # sticky, like /tmp: only root could have made root's link
    (0o1777, 'nobody', 'every local user can write the directory it is in'),
])
def test_which_links_are_followed(host, holder_mode, link_owner, refused):
    holder = os.path.join(host, 'holder')
    os.mkdir(holder)
    os.chmod(holder, holder_mode)
    link = os.path.join(holder, 'link')
    os.symlink(os.path.join(host, 'etc'), link)
    os.lchown(link, pwd.getpwnam(link_owner).pw_uid, -1)
    if refused is None:
        with files.open_directory(link) as directory:
            assert sorted(os.listdir(directory.fd)) == ['support']
    else:
        with pytest.raises(files.PlanError) as error:
            files.open_directory(link)
        assert str(error.value).startswith('refusing the symbolic link %s in %s: %s' % (link, link, refused))


def test_file_attributes_are_set_through_the_open_directory(host, chattr):
    result, failed = run(host, server=SERVER, attributes='+A')
    assert not failed, result
    for path in (os.path.join(documents_path(host), 'server'), documents_path(host)):
        flags = subprocess.run(['lsattr', '-d', path], capture_output=True, text=True, check=True).stdout.split()[0]
        assert 'A' in flags, (path, flags)


def test_walks_leave_no_descriptor_open(host):
    before = sorted(os.listdir('/proc/self/fd'))
    assert files.open_directory(os.path.join(host, 'missing', 'deeper')) is None
    assert files.read_current(os.path.join(host, 'missing', 'client')) is None
    with pytest.raises(files.PlanError):
        files.open_directory(os.path.join(host, 'secret', 'below'))
    assert sorted(os.listdir('/proc/self/fd')) == before


@pytest.mark.parametrize('call', [
    lambda: files.read_current('server'),
    lambda: files.write_atomically('server', b'{}'),
])
def test_a_relative_file_path_is_refused_not_taken_from_the_root(host, call, monkeypatch):
    monkeypatch.chdir(host)
    with pytest.raises(files.PlanError, match='is relative'):
        call()
    assert not os.path.exists('/server')


@pytest.mark.parametrize('check_mode', [True, False])
def test_stale_staging_directories_are_removed_by_real_runs_only(host, tmp_path, monkeypatch, check_mode):
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))
    stale = tmp_path / ('matrix-wellknown-check-%d-abcd1234' % spent_pid())
    stale.mkdir()
    binary = tmp_path / 'nginx'
    binary.write_text('#!/bin/sh\nexit 0\n')
    binary.chmod(0o755)
    webserver = dict(server='nginx', path=os.path.join(host, 'etc', 'matrix.conf'), content='server {}\n',
                     binary=str(binary))
    result, failed = run(host, check_mode=check_mode, server=SERVER, _webserver=webserver)
    assert not failed and result['webserver']['validated'] is True, result
    assert stale.exists() is check_mode
    assert [name for name in os.listdir(str(tmp_path)) if name.startswith('matrix-wellknown-check-')] == (
        [stale.name] if check_mode else [])


def test_a_rollback_that_fails_too_names_what_was_left_changed(host, chattr, monkeypatch):
    """Putting back cannot be made to fail for real at that instant: the rename of the backup is refused by a stub."""
    run(host, server=SERVER, client=CLIENT)
    target = documents_path(host)
    chattr(os.path.join(target, 'server'))
    real_rename = os.rename

    def refuse_putting_back(source, *args, **kwargs):
        if source.endswith('.old'):
            raise OSError(5, 'Input/output error')
        return real_rename(source, *args, **kwargs)

    monkeypatch.setattr(os, 'rename', refuse_putting_back)
    result, failed = run(host, server=NEW_SERVER, client=NEW_CLIENT)
    monkeypatch.setattr(os, 'rename', real_rename)
    chattr(os.path.join(target, 'server'), on=False)
    assert failed and result['changed'] is True
    assert result['msg'] == ('cannot write %s/server: operation not permitted; %s/client could not be put back: '
                             'left as the change made them' % (target, target))
    with open(os.path.join(target, 'client'), 'rb') as handle:
        assert handle.read() == expected_bytes(NEW_CLIENT)
