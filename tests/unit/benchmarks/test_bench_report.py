# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Markdown report of the benchmark (wellknown_bench.report.markdown)."""

from __future__ import annotations

import pytest

from wellknown_bench import report, stats

VARIANTS = ['floor', 'baseline', 'role', 'role_webserver']


def meta(nginx='/usr/sbin/nginx'):
    return {
        'machine': {'cpus': 2, 'cpu_model': 'Test CPU', 'memory_gib': 4.0, 'os': 'Debian', 'python': '3.11.7',
                    'ansible_core': '2.19.14', 'git': 'abc1234'},
        'settings': {'forks': 8, 'pipelining': False, 'connection': 'local', 'nginx': nginx, 'hosts': [1, 30]},
        'load_before': [1.0, 1.0, 1.0], 'load_after': [2.0, 2.0, 2.0], 'duration_s': 100.0, 'harness_cpu_s': 3.0,
    }


def run(wall, cpu):
    return {'wall_s': wall, 'cpu_s': cpu, 'user_s': cpu, 'sys_s': 0.0, 'peak_tree_pss_mib': 300.0,
            'peak_tree_rss_mib': 900.0, 'max_process_rss_mib': 64.0, 'changed': 0}


def render(nginx='/usr/sbin/nginx', webserver_wall=7.0, variants=tuple(VARIANTS)):
    samples = {
        (30, 'floor_mitogen', 'first'): [run(2.0, 2.0)] * 3, (30, 'floor_mitogen', 'steady'): [run(2.0, 2.0)] * 3,
        (30, 'floor', 'first'): [run(5.0, 10.0)] * 3, (30, 'floor', 'steady'): [run(5.0, 10.0)] * 3,
        (30, 'baseline', 'first'): [run(50.0, 100.0)], (30, 'baseline', 'steady'): [run(50.0, 100.0)] * 3,
        (30, 'role', 'first'): [run(6.5, 13.0)] * 3, (30, 'role', 'steady'): [run(6.5, 13.0)] * 3,
        (30, 'role_webserver', 'steady'): [run(webserver_wall, 2 * webserver_wall)] * 3,
    }
    summary = stats.summarise(samples)
    targets = stats.evaluate_targets(summary, [30])
    return report.markdown(meta(nginx), summary, stats.ratios(summary), targets, ['a check'], list(variants))


def rows(text, first_cell):
    return [[c.strip() for c in line.strip('|').split('|')] for line in text.splitlines()
            if line.startswith('| %s |' % first_cell)]


def test_time_table_shows_medians_and_fewer_runs():
    time_row, ratio_row = rows(render(), '30')[1], rows(render(), '30')[3]
    assert time_row == ['30', 'steady', '3', '5.00 (10.00)', '50.00 (100.00)', '6.50 (13.00)', '7.00 (14.00)']
    first = rows(render(), '30')[0]
    assert first[4] == '50.00 (100.00) [1 run]'
    # A variant without first runs shows n/a rather than a number.
    assert first[6] == 'n/a'
    assert ratio_row == ['30', 'steady', '10.00 (10.00)', '1.30 (1.30)', '1.40 (1.40)', '0.13 (0.13)', '0.14 (0.14)']


def test_ratio_header_names_each_variant_against_floor_and_baseline():
    header = rows(render(), 'hosts')[1]
    assert header == ['hosts', 'run', 'baseline/floor', 'role/floor', 'role_webserver/floor', 'role/baseline',
                      'role_webserver/baseline']


def test_a_floor_under_another_strategy_is_compared_with_the_floor_not_with_the_baseline():
    header = rows(render(variants=VARIANTS + ['floor_mitogen']), 'hosts')[1]
    assert header == ['hosts', 'run', 'baseline/floor', 'role/floor', 'role_webserver/floor', 'floor_mitogen/floor',
                      'role/baseline', 'role_webserver/baseline']


@pytest.mark.parametrize('wall, verdict', [(7.0, 'met'), (8.0, 'NOT MET')])
def test_the_web_server_target_is_printed_met_or_not(wall, verdict):
    lines = [line for line in render(webserver_wall=wall).splitlines() if line.startswith('- role_webserver <= 1.5 x floor (steady state, 30 hosts, wall time')]
    assert lines == ['- role_webserver <= 1.5 x floor (steady state, 30 hosts, wall time; issue 13, with a web server '
                     'configured): %.2f, %s' % (wall / 5.0, verdict)]


@pytest.mark.parametrize('nginx, expected', [
    ('/usr/sbin/nginx', 'nginx is installed (/usr/sbin/nginx)'),
    (None, 'nginx is not installed: role_webserver\'s config module wrote each new config unchecked'),
])
def test_the_report_says_whether_nginx_checked_the_configs(nginx, expected):
    assert expected in render(nginx=nginx)


def test_checks_are_listed():
    assert '- a check' in render().splitlines()
