# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The order of the benchmark's runs (wellknown_bench.variants.plan) and the variants' playbooks."""

from __future__ import annotations

import pytest

from wellknown_bench.variants import DEFAULT_VARIANTS, available, plan, playbook

VARIANTS = ['floor', 'baseline', 'role', 'role_webserver']


def three(size):
    return 3


def test_every_default_variant_has_a_playbook():
    assert set(DEFAULT_VARIANTS) <= set(available())
    assert all(playbook(name).is_file() for name in DEFAULT_VARIANTS)


def test_first_runs_then_reruns_in_every_repeat_rotating_who_goes_first():
    steps = plan([1], VARIANTS, three)
    for repeat in range(3):
        mine = [s for s in steps if s.repeat == repeat]
        fresh = [s.variant for s in mine if s.fresh]
        reruns = [s.variant for s in mine if not s.fresh]
        # All first runs come before any rerun of the same repeat.
        assert [s.fresh for s in mine] == [True] * len(fresh) + [False] * len(reruns)
        assert sorted(fresh) == ['baseline', 'role', 'role_webserver']
        assert sorted(reruns) == sorted(VARIANTS)
    firsts = [[s.variant for s in steps if s.repeat == r and not s.fresh][0] for r in range(3)]
    assert firsts == ['floor', 'baseline', 'role']


@pytest.mark.parametrize('floor_variant', ['floor', 'floor_mitogen'])
def test_the_floor_runs_once_per_repeat_for_both_phases(floor_variant):
    floor = [s for s in plan([1, 30], VARIANTS[1:] + [floor_variant], three) if s.variant == floor_variant]
    assert len(floor) == 6
    assert all(not s.fresh and s.phases == ('first', 'steady') for s in floor)


@pytest.mark.parametrize('size, variant, measured_first_runs', [
    (1, 'baseline', 3), (30, 'baseline', 1), (30, 'role', 3), (30, 'role_webserver', 3),
    (100, 'role', 1), (300, 'role_webserver', 1),
])
def test_first_runs_of_large_inventories_are_measured_once(size, variant, measured_first_runs):
    steps = [s for s in plan([size], VARIANTS, three, baseline_max_hosts=999) if s.variant == variant]
    assert sum(1 for s in steps if s.fresh and 'first' in s.phases) == measured_first_runs
    assert sum(1 for s in steps if 'steady' in s.phases) == 3
    # A repeat without a first run reruns on the files of the earlier one: the first repeat always starts fresh.
    assert steps[0].fresh and steps[0].repeat == 0


def test_the_baseline_stops_at_its_largest_inventory():
    steps = plan([1, 30, 100], VARIANTS, three, baseline_max_hosts=30)
    assert {s.size for s in steps if s.variant == 'baseline'} == {1, 30}
    assert {s.size for s in steps if s.variant == 'role'} == {1, 30, 100}


def test_mitogen_variants_stop_at_their_largest_inventory():
    variants = ('floor', 'role_webserver', 'floor_mitogen', 'role_webserver_mitogen', 'role_webserver_unvalidated_mitogen')
    steps = plan([30, 100, 300], variants, three, mitogen_max_hosts=100)
    for variant in variants[2:]:
        assert {s.size for s in steps if s.variant == variant} == {30, 100}
    assert {s.size for s in steps if s.variant == 'role_webserver'} == {30, 100, 300}


def test_steady_only_prepares_the_files_once_unmeasured():
    steps = plan([1, 30], ['floor', 'role'], three, steady_only=True)
    role = [s for s in steps if s.variant == 'role']
    assert [(s.size, s.repeat) for s in role if s.fresh] == [(1, 0), (30, 0)]
    assert all(s.phases == () for s in role if s.fresh)
    assert all(s.phases == ('steady',) for s in steps if not s.fresh)
