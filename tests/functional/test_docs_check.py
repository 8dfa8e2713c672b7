# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/utils/ansible_doc_check.py (make docs-check) fails on what ansible-doc says about this collection, and
only on that: a warning that a library prints while ansible-doc imports it is not the collection's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

CHECK = REPO / 'tests' / 'utils' / 'ansible_doc_check.py'
THIRD_PARTY_WARNING = 'CryptographyDeprecationWarning: DSA is deprecated (test)'
# What cryptography 51 did to ansible-core's import: a warning from a library file, printed on stderr.
SITECUSTOMIZE = '''
import warnings
class CryptographyDeprecationWarning(UserWarning):
    pass
warnings.warn_explicit("DSA is deprecated (test)", CryptographyDeprecationWarning,
                       "/opt/venv/lib/site-packages/cryptography/hazmat/dsa.py", 18)
'''


def copy_collection(root: Path) -> Path:
    """A copy of this checkout's collection files under root/ansible_collections/matrix/wellknown."""
    target = root / 'ansible_collections' / 'matrix' / 'wellknown'
    for name in ('plugins', 'roles', 'meta', 'playbooks'):
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copy(REPO / 'galaxy.yml', target / 'galaxy.yml')
    return target


def environment(collections: Path, pythonpath: Path | None = None) -> dict:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR='1')
    env['PATH'] = '%s:%s' % (Path(sys.executable).parent, env.get('PATH', ''))
    if pythonpath:
        env['PYTHONPATH'] = str(pythonpath)
    return env


def run_check(target: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), 'matrix.wellknown', str(target)], env=env,
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope='module')
def clean_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp('docs-check-clean')
    return root, copy_collection(root)


def test_a_library_warning_on_stderr_is_not_the_collections(clean_copy, tmp_path):
    root, target = clean_copy
    (tmp_path / 'sitecustomize.py').write_text(SITECUSTOMIZE)
    env = environment(root, pythonpath=tmp_path)
    # The warning really reaches ansible-doc's stderr (else this test would prove nothing).
    doc = subprocess.run(['ansible-doc', '-t', 'module', 'matrix.wellknown.matrix_wellknown'], env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    assert doc.returncode == 0
    assert THIRD_PARTY_WARNING in doc.stderr
    result = run_check(target, env)
    assert result.returncode == 0, result.stderr


def test_a_deprecation_of_ours_fails(tmp_path):
    target = copy_collection(tmp_path)
    runtime = target / 'meta' / 'runtime.yml'
    runtime.write_text(runtime.read_text() + (
        'plugin_routing:\n  modules:\n    matrix_pem_bundle:\n      deprecation:\n'
        '        removal_version: 9.0.0\n        warning_text: going away (test)\n'))
    result = run_check(target, environment(tmp_path))
    assert result.returncode == 1
    assert 'ansible-doc -t module matrix.wellknown.matrix_pem_bundle fails or warns' in result.stderr
