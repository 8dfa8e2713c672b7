# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role with nginx on 30 hosts under Mitogen's strategy (mitogen_linear), against the default strategy.

The fleet of the benchmark (benchmarks/wellknown_bench/inventory.py): 30 inventory hosts with local connections,
each with its own documents and nginx config in the test's directory. Mitogen must write what the default strategy
writes, byte for byte and mode for mode, and either strategy's rerun over the other's files must change nothing.
When nginx is installed (make test installs it), every first run has nginx check each new config.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import ansible_mitogen  # in every leg's lock: a missing Mitogen fails this test rather than skipping it
import pytest

HOSTS = 30
STRATEGY_PLUGINS = Path(ansible_mitogen.__file__).resolve().parent / 'plugins' / 'strategy'
REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / 'benchmarks' / 'playbooks' / 'role_webserver.yml'
EXAMPLE_VARS = REPO / 'examples' / 'host_vars' / 'matrix.example.com' / 'vars.yml'
RECAP = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


@pytest.fixture(scope='module')
def fleet(tmp_path_factory, ca, collections):
    """The 30-host inventory, its certificate and the environment of ansible-playbook."""
    work = tmp_path_factory.mktemp('mitogen')
    cert = ca.issue('fleet', ['matrix.example.com'])
    group_vars = work / 'inventory' / 'group_vars' / 'all'
    group_vars.mkdir(parents=True)
    group_vars.joinpath('example.yml').write_text(EXAMPLE_VARS.read_text())
    group_vars.joinpath('fleet.json').write_text(json.dumps({
        'matrix_base_data_path': '{{ bench_output_dir }}/{{ inventory_hostname }}/matrix',
        'bench_tls_certificate': str(cert[0]), 'bench_tls_certificate_key': str(cert[1])}))
    hosts = dict(('m%03d.example.com' % n, {'ansible_connection': 'local', 'matrix_domain': 'm%03d.example.com' % n,
                                            'ansible_python_interpreter': sys.executable})
                 for n in range(1, HOSTS + 1))
    inventory = work / 'inventory' / 'hosts.yml'
    inventory.write_text(json.dumps({'all': {'hosts': hosts}}))
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith('ANSIBLE_'))
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_HOME=str(work / 'home'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_STRATEGY_PLUGINS=str(STRATEGY_PLUGINS), ANSIBLE_FORKS='8', ANSIBLE_GATHERING='explicit',
               ANSIBLE_LOCAL_TEMP=str(work / 'home' / 'tmp'), ANSIBLE_REMOTE_TEMP=str(work / 'remote-tmp'))
    return work, inventory, env


def play(fleet, output, strategy):
    """Run the role with nginx on every host with ``strategy``; return the changed count of each host.

    ansible-playbook refuses a strategy it cannot load, so a run that passes ran under ``strategy``."""
    work, inventory, env = fleet
    output.mkdir(exist_ok=True)
    env = dict(env, ANSIBLE_STRATEGY=strategy)
    done = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory), str(PLAYBOOK),
                           '-e', 'bench_output_dir=%s' % output], capture_output=True, text=True, env=env,
                          cwd=str(work), timeout=900, check=False)
    recap = dict((host, (int(changed), int(unreachable) + int(failed)))
                 for host, dummy, changed, unreachable, failed in RECAP.findall(done.stdout))
    assert done.returncode == 0 and len(recap) == HOSTS and not any(bad for dummy, bad in recap.values()), \
        '%s failed (rc %d):\n%s\n%s' % (strategy, done.returncode, done.stdout[-3000:], done.stderr[-3000:])
    return dict((host, changed) for host, (changed, dummy) in recap.items())


def files_of(output):
    """Every file under ``output``: path relative to it -> (content with ``output`` replaced, mode)."""
    found = {}
    for path in sorted(output.rglob('*')):
        if path.is_file():
            text = path.read_bytes().replace(str(output).encode(), b'<out>')
            found[str(path.relative_to(output))] = (text, path.stat().st_mode)
    return found


def test_the_role_with_nginx_under_mitogen_writes_what_the_default_strategy_writes(fleet):
    work = fleet[0]
    mitogen, default = work / 'out-mitogen', work / 'out-default'
    assert set(play(fleet, mitogen, 'mitogen_linear').values()) == {1}
    assert set(play(fleet, default, 'linear').values()) == {1}
    written = files_of(mitogen)
    assert len([name for name in written if name.endswith('-matrix-static-files.conf')]) == HOSTS
    assert len([name for name in written if '/.well-known/matrix/' in name]) >= 2 * HOSTS
    assert written == files_of(default)
    # Reruns change nothing, whichever strategy wrote the files.
    assert set(play(fleet, mitogen, 'mitogen_linear').values()) == {0}
    assert set(play(fleet, mitogen, 'linear').values()) == {0}
    assert set(play(fleet, default, 'mitogen_linear').values()) == {0}
