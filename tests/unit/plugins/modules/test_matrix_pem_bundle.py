# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The matrix_pem_bundle module, run in-process against a temporary directory."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.matrix.wellknown.plugins.modules import matrix_pem_bundle

from module_runner import run_module

CERTIFICATE = b'-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
KEY = b'-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----'


@pytest.fixture
def files(tmp_path):
    (tmp_path / 'fullchain.pem').write_bytes(CERTIFICATE)
    (tmp_path / 'privkey.pem').write_bytes(KEY)
    return tmp_path


def run(tmp_path, check_mode=False, diff=False, **args):
    args = dict(dict(path=str(tmp_path / 'bundle.pem'), certificate=str(tmp_path / 'fullchain.pem'),
                     key=str(tmp_path / 'privkey.pem')), **args)
    return run_module(matrix_pem_bundle.main, args, check_mode=check_mode, diff=diff)


def test_writes_certificate_then_key_with_mode_0600(files):
    result, failed = run(files)
    assert not failed and result['changed']
    bundle = files / 'bundle.pem'
    assert bundle.read_bytes() == CERTIFICATE + KEY + b'\n'
    assert stat.S_IMODE(os.stat(str(bundle)).st_mode) == 0o600
    assert [name for name in os.listdir(str(files)) if name.endswith('.tmp')] == []


def test_second_run_changes_nothing(files):
    run(files)
    result, failed = run(files)
    assert not failed and not result['changed']


def test_renewed_certificate_updates_the_bundle(files):
    run(files)
    (files / 'fullchain.pem').write_bytes(CERTIFICATE.replace(b'MIIB', b'MIIC'))
    result, failed = run(files)
    assert result['changed'] and b'MIIC' in (files / 'bundle.pem').read_bytes()


def test_check_mode_writes_nothing(files):
    result, failed = run(files, check_mode=True)
    assert not failed and result['changed']
    assert not (files / 'bundle.pem').exists()


def test_diff_never_shows_the_key(files):
    result, failed = run(files, diff=True)
    assert result['diff']
    assert b'SECRETKEYMATERIAL' not in json.dumps(result).encode()


def test_mode_is_applied_to_an_existing_bundle(files):
    run(files)
    os.chmod(str(files / 'bundle.pem'), 0o644)
    result, failed = run(files)
    assert result['changed']
    assert stat.S_IMODE(os.stat(str(files / 'bundle.pem')).st_mode) == 0o600


def test_missing_key_fails_naming_it(files):
    result, failed = run(files, key=str(files / 'missing.key'))
    assert failed
    assert result['msg'] == 'Cannot read the private key %s: No such file or directory' % (files / 'missing.key')
    assert not (files / 'bundle.pem').exists()


def test_missing_directory_fails(files):
    result, failed = run(files, path=str(files / 'nowhere' / 'bundle.pem'))
    assert failed and 'does not exist' in result['msg']


def tree(directory):
    """Every file under a directory with its content and permission bits."""
    return {name: ((directory / name).read_bytes(), stat.S_IMODE(os.stat(str(directory / name)).st_mode))
            for name in sorted(os.listdir(str(directory)))}


@pytest.mark.parametrize('mode', ['0666', '0602', '0777', 438, 'o+w', 'a+w', 'u=rw,o=rw', '+w'])
@pytest.mark.parametrize('existing', [False, True])
def test_world_writable_modes_are_refused_before_anything_is_written(files, mode, existing):
    if existing:
        run(files)
    before = tree(files)
    result, failed = run(files, mode=mode)
    assert failed
    assert result['msg'] == ('mode %r would let any local user replace the certificate and private key in %s: '
                             'drop the write bit for others' % (mode, files / 'bundle.pem'))
    assert tree(files) == before


@pytest.mark.parametrize('mode', ['0600', '0640', '0644', 'u=rw,g=r', 'o-w', 'g+w'])
def test_other_modes_are_accepted(files, mode):
    result, failed = run(files, mode=mode)
    assert not failed and result['changed'], result
    assert not os.stat(str(files / 'bundle.pem')).st_mode & 0o002
