# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role and MDAD's own write step on the same directory, through ansible-playbook: neither changes anything.

MDAD's matrix-static-files role writes each document with `ansible.builtin.copy` and
`content: "{{ <document> | to_nice_json }}"`, mode 0644, in a directory it keeps at 0750. The play below does
the same with the documents MDAD wrote for a real vars.yml (tests/unit/plugins/plugin_utils/mdad/everything),
so that the test needs no MDAD code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible.release import __version__ as ansible_version

from helpers import REPO

CASE = REPO / 'tests' / 'unit' / 'plugins' / 'plugin_utils' / 'mdad' / 'everything'

ROLE = '''- name: This collection
  hosts: localhost
  gather_facts: false
  roles:
    - role: matrix.wellknown.matrix_static_files
'''

MDAD_STEP = '''- name: What MDAD's tasks/install.yml does with the documents
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Ensure the directory exists
      ansible.builtin.file:
        path: "{{ directory }}"
        state: directory
        mode: '0750'

    - name: Ensure the files are installed
      ansible.builtin.copy:
        content: "{{ lookup('ansible.builtin.file', case ~ '/' ~ item ~ '.json') | from_json | to_nice_json }}"
        dest: "{{ directory }}/{{ item }}"
        mode: '0644'
      loop: "{{ documents }}"
'''


def recap_changed(output):
    line = [line for line in output.splitlines() if line.startswith('localhost')][-1]
    return int(line.split('changed=')[1].split()[0])


# ansible-core 2.18 and older turn the JSON text of a template back into data when it parses as a Python literal,
# and copy then writes it compact: MDAD run by them writes some documents differently (see README).
@pytest.mark.skipif(tuple(int(part) for part in ansible_version.split('.')[:2]) < (2, 19),
                    reason='MDAD writes to_nice_json text as it is only with ansible-core 2.19 or later')
def test_the_role_and_mdad_on_the_same_files_change_nothing(tmp_path, collections):
    variables = yaml.safe_load((CASE / 'vars.yml').read_text())
    variables.update(
        matrix_base_data_path=str(tmp_path / 'matrix'),
        # MDAD's mode for its directories (the role's default, 0755, lets a web server of the host read them).
        matrix_static_files_directory_mode='0750',
        ansible_python_interpreter=sys.executable,
        case=str(CASE),
        directory=str(tmp_path / 'matrix' / 'static-files' / 'public' / '.well-known' / 'matrix'),
        documents=sorted(path.stem for path in CASE.glob('*.json')),
    )
    (tmp_path / 'vars.json').write_text(json.dumps(variables))
    (tmp_path / 'collection.yml').write_text(ROLE)
    (tmp_path / 'mdad.yml').write_text(MDAD_STEP)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR='1')

    def play(name):
        argv = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                str(tmp_path / (name + '.yml')), '-e', '@%s' % (tmp_path / 'vars.json'), '--diff']
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return recap_changed(result.stdout), result.stdout

    assert play('collection')[0] > 0
    # MDAD after the collection, the collection after MDAD.
    for name in ('mdad', 'collection'):
        changed, output = play(name)
        assert changed == 0, '%s rewrote:\n%s' % (name, output)
