# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's inventories and output comparison (wellknown_bench.inventory)."""

from __future__ import annotations

import json

import pytest

from wellknown_bench import main
from wellknown_bench.inventory import EXAMPLE_VARS, WEBSERVER_CONFIG, WELL_KNOWN, compare_outputs, missing_configs, write_inventory
from wellknown_bench.runner import RunFailed


def test_inventory_has_one_local_host_per_size_with_its_own_domain_and_output(tmp_path):
    path = write_inventory(tmp_path / 'inv', 3, group_vars={'bench_tls_certificate': '/tmp/x/cert.pem'})
    hosts = json.loads(path.read_text())['all']['hosts']
    assert sorted(hosts) == ['m001.example.com', 'm002.example.com', 'm003.example.com']
    assert all(h['ansible_connection'] == 'local' and h['matrix_domain'] == name for name, h in hosts.items())
    group = json.loads((tmp_path / 'inv' / 'group_vars' / 'all' / 'bench.json').read_text())
    assert group == {'bench_tls_certificate': '/tmp/x/cert.pem',
                     'matrix_base_data_path': '{{ bench_output_dir }}/{{ inventory_hostname }}/matrix'}
    assert (tmp_path / 'inv' / 'group_vars' / 'all' / 'example.yml').read_bytes() == EXAMPLE_VARS.read_bytes()


def test_host_vars_are_added_to_every_host(tmp_path):
    path = write_inventory(tmp_path / 'inv', 2, host_vars={'ansible_connection': 'ssh', 'ansible_port': 2222})
    hosts = json.loads(path.read_text())['all']['hosts']
    assert [(h['ansible_connection'], h['ansible_port']) for h in hosts.values()] == [('ssh', 2222)] * 2


def write_documents(root, host, documents, mode=0o644):
    directory = root / host / WELL_KNOWN
    directory.mkdir(parents=True)
    for name, content in documents.items():
        (directory / name).write_text(content)
        (directory / name).chmod(mode)


def test_same_documents_compare_equal(tmp_path):
    for side in ('a', 'b'):
        for host in ('m001.example.com', 'm002.example.com'):
            write_documents(tmp_path / side, host, {'client': '{}\n', 'server': '{"m.server": "x:443"}\n'})
    assert compare_outputs(tmp_path / 'a', tmp_path / 'b', 2) == (['client', 'server'], [])


def test_differences_in_bytes_modes_and_names_are_problems(tmp_path):
    write_documents(tmp_path / 'a', 'm001.example.com', {'client': '{}\n'})
    write_documents(tmp_path / 'b', 'm001.example.com', {'client': '{ }\n'})
    write_documents(tmp_path / 'a', 'm002.example.com', {'client': '{}\n'})
    write_documents(tmp_path / 'b', 'm002.example.com', {'client': '{}\n'}, mode=0o600)
    write_documents(tmp_path / 'a', 'm003.example.com', {'client': '{}\n', 'support': '{}\n'})
    write_documents(tmp_path / 'b', 'm003.example.com', {'client': '{}\n'})
    # m004 wrote nothing on either side: also a problem, not an agreement.
    names, problems = compare_outputs(tmp_path / 'a', tmp_path / 'b', 4)
    assert problems == [
        'm001.example.com: client differs',
        'm002.example.com: client mode 100644 vs 100600',
        "m003.example.com: documents ['client', 'support'] vs ['client']",
        'm004.example.com: documents [] vs []',
    ]
    assert names == ['client']


def test_missing_configs_names_the_hosts_without_one(tmp_path):
    (tmp_path / 'm001.example.com-matrix-static-files.conf').write_text('server {}\n')
    assert missing_configs(tmp_path, 2) == ['m002.example.com']


def test_the_floors_write_nothing_and_every_other_variant_the_roles_documents(tmp_path):
    for variant in ('role', 'role_webserver_unvalidated_mitogen'):
        write_documents(tmp_path / variant, 'm001.example.com', {'client': '{}\n'})
    (tmp_path / 'role_webserver_unvalidated_mitogen' / (WEBSERVER_CONFIG % 'm001.example.com')).write_text('server {}\n')
    for floor in ('floor', 'floor_mitogen'):
        (tmp_path / floor).mkdir()
    variants = ['floor', 'floor_mitogen', 'role', 'role_webserver_unvalidated_mitogen']
    assert main.compare_variants(tmp_path, 1, variants) == [
        '1 hosts: role_webserver_unvalidated_mitogen and role wrote the same documents (client) with the same modes',
        '1 hosts: role_webserver_unvalidated_mitogen wrote an nginx config for every host',
    ]
    (tmp_path / 'role_unvalidated').mkdir()
    with pytest.raises(RunFailed, match='role_unvalidated and role wrote different documents'):
        main.compare_variants(tmp_path, 1, variants + ['role_unvalidated'])
