# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's Quick start, its code blocks taken from README.md and run as they are written.

Once from a clone (a copy of this checkout's tracked files) and once from the tarball alone, each with a
fresh HOME, so that `ansible-galaxy collection install` puts the collection where a new user's
`ansible-playbook` looks, and nothing of this machine's ~/.ansible is read or written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import REPO

BLOCK = re.compile(r'^```(\w+)\n(.*?)^```\n', re.M | re.S)


def quick_start():
    """The Quick start's code blocks: [(language, text, file name from the paragraph before, or None)]."""
    readme = (REPO / 'README.md').read_text()
    section = readme.split('\n## Quick start\n', 1)[1].split('\n## ', 1)[0]
    blocks = []
    for match in BLOCK.finditer(section):
        before = section[:match.start()].rstrip('\n').rsplit('\n\n', 1)[-1]
        names = re.findall(r'`([^`\s]+)`', before)
        blocks.append((match.group(1), match.group(2), names[0] if names else None))
    return blocks


def environment(home):
    """A new user's environment: this interpreter's ansible first on PATH, no collections path of ours."""
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith('ANSIBLE_'))
    env.update(HOME=str(home), PATH='%s:/usr/bin:/bin' % Path(sys.executable).parent, ANSIBLE_NOCOLOR='1')
    return env


def shell(text, cwd, env):
    result = subprocess.run(['bash', '-e', '-c', text], cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, '%s\n%s%s' % (text, result.stdout, result.stderr)
    return result


def run_quick_start(install_dir, home, play_dir, only=lambda line: True):
    env = environment(home)
    commands = [text for language, text, dummy in quick_start() if language == 'sh']
    assert len(commands) == 2, commands
    install, play = commands
    shell('\n'.join(line for line in install.splitlines() if only(line)), install_dir, env)
    play_dir.mkdir()
    for language, text, name in quick_start():
        if language in ('ini', 'yaml'):
            assert name, text
            path = play_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    result = shell(play, play_dir, env)
    written = play_dir / 'try' / 'static-files' / 'public' / '.well-known' / 'matrix'
    documents = dict((path.name, json.loads(path.read_text())) for path in written.iterdir())
    assert sorted(documents) == ['client', 'server', 'support'], result.stdout
    assert documents['server'] == {'m.server': 'matrix.example.com:8448'}
    assert documents['client']['m.homeserver'] == {'base_url': 'https://matrix.example.com'}
    assert documents['support']['support_page'] == 'https://example.com/support'
    assert documents['support']['contacts'][0]['matrix_id'] == '@admin1:example.com'
    assert (home / '.ansible' / 'collections' / 'ansible_collections' / 'matrix' / 'wellknown').is_dir()


def test_the_quick_start_works_as_written_from_a_clone_and_from_the_tarball(tmp_path):
    clone = tmp_path / 'clone'
    tracked = subprocess.run(['git', 'ls-files', '-z'], cwd=REPO, capture_output=True, check=True).stdout
    for name in tracked.decode().split('\0'):
        if name and (REPO / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, clone / name)
    run_quick_start(clone, tmp_path / 'home-clone', tmp_path / 'play-clone')

    # A release tarball alone: the lines for a clone do not apply.
    tarballs = list(clone.glob('matrix-wellknown-*.tar.gz'))
    assert len(tarballs) == 1, tarballs
    release = tmp_path / 'release'
    release.mkdir()
    shutil.copy2(tarballs[0], release)
    run_quick_start(release, tmp_path / 'home-tarball', tmp_path / 'play-tarball',
                    only=lambda line: 'in a clone' not in line)
