# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The generated inventories, the throwaway certificate, and the check that two variants wrote the same files."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLE_VARS = REPO / 'examples' / 'host_vars' / 'matrix.example.com' / 'vars.yml'
WELL_KNOWN = Path('matrix', 'static-files', 'public', '.well-known', 'matrix')
# Where playbooks/role_webserver.yml writes each host's nginx config, in the run's output directory.
WEBSERVER_CONFIG = '%s-matrix-static-files.conf'


def host_names(size):
    return ['m%03d.example.com' % number for number in range(1, size + 1)]


def write_inventory(directory, size, host_vars=None, group_vars=None):
    """An inventory of ``size`` hosts m001.example.com...: local connection, own matrix_domain and output.

    The example vars of the README (examples/host_vars/matrix.example.com/vars.yml) apply to every host;
    each host's documents go to its own directory under the run's bench_output_dir. ``host_vars`` are
    added to every host (the SSH connection), ``group_vars`` to all (the certificate of role_webserver).
    Returns the path of the inventory file.
    """
    all_vars = directory / 'group_vars' / 'all'
    all_vars.mkdir(parents=True)
    shutil.copyfile(EXAMPLE_VARS, all_vars / 'example.yml')
    # JSON is YAML: no YAML library is needed to write the inventory.
    bench = {'matrix_base_data_path': '{{ bench_output_dir }}/{{ inventory_hostname }}/matrix'}
    bench.update(group_vars or {})
    (all_vars / 'bench.json').write_text(json.dumps(bench, indent=2, sort_keys=True) + '\n')
    hosts = {}
    for name in host_names(size):
        hosts[name] = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable, 'matrix_domain': name}
        hosts[name].update(host_vars or {})
    path = directory / 'hosts.yml'
    path.write_text(json.dumps({'all': {'hosts': hosts}}, indent=1, sort_keys=True) + '\n')
    return path


def make_certificate(directory):
    """A self-signed certificate and key for role_webserver's site (nginx -t loads them). Returns both paths."""
    directory.mkdir(parents=True)
    cert, key = directory / 'fullchain.pem', directory / 'privkey.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
                    '-nodes', '-days', '2', '-subj', '/CN=matrix.example.com', '-keyout', str(key), '-out', str(cert)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def compare_outputs(left, right, size):
    """Differences between the documents two output trees hold for every host (names, bytes, modes).

    Returns (names of the documents, list of problems); a host without documents is a problem.
    """
    problems, names = [], []
    for host in host_names(size):
        a, b = left / host / WELL_KNOWN, right / host / WELL_KNOWN
        names_a = sorted(p.name for p in a.iterdir()) if a.is_dir() else []
        names_b = sorted(p.name for p in b.iterdir()) if b.is_dir() else []
        if not names_a or names_a != names_b:
            problems.append('%s: documents %s vs %s' % (host, names_a, names_b))
            continue
        names = names_a
        for name in names_a:
            fa, fb = a / name, b / name
            if not filecmp.cmp(fa, fb, shallow=False):
                problems.append('%s: %s differs' % (host, name))
            elif fa.stat().st_mode != fb.stat().st_mode:
                problems.append('%s: %s mode %o vs %o' % (host, name, fa.stat().st_mode, fb.stat().st_mode))
    return names, problems


def missing_configs(output, size):
    """Hosts without a web server config (role_webserver) in ``output``."""
    return [host for host in host_names(size) if not (output / (WEBSERVER_CONFIG % host)).is_file()]
