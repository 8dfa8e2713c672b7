# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The variants (one playbook each) and the order in which the benchmark runs them."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

PLAYBOOKS = Path(__file__).resolve().parent.parent / 'playbooks'
# floor: one ping per host. baseline: the per-file way of MDAD. role: the collection's role writing the
# documents. role_webserver: the same role serving them with nginx; role_webserver_unvalidated: the same without
# Ansible's automatic argument-spec validation (rolespec_validate: false); role_webserver_mitogen and
# role_webserver_unvalidated_mitogen: those two under Mitogen's strategy, and floor_mitogen the floor under it (what
# Mitogen itself costs). Any other playbook in PLAYBOOKS (role_unvalidated, write_only, a prototype) is a variant by
# its file name; a name ending in _mitogen runs up to --mitogen-max-hosts.
DEFAULT_VARIANTS = ('floor', 'baseline', 'role', 'role_webserver', 'role_webserver_unvalidated', 'floor_mitogen',
                    'role_webserver_mitogen', 'role_webserver_unvalidated_mitogen')
# Run once more per size under ansible-runner, for the job events AWX stores.
EVENT_VARIANTS = ('floor', 'role', 'role_webserver', 'role_webserver_unvalidated')
# A first run needs fresh directories, so each of its samples costs a whole run. From these inventory
# sizes on, a variant's first run is measured in the first repeat only (the baseline costs ten times the floor).
FIRST_RUN_ONCE_FROM = {'baseline': 30}
FIRST_RUN_ONCE_FROM_OTHERS = 100


def is_floor(name):
    """Whether ``name`` is a floor (one ping per host: floor, floor_mitogen), which writes no files."""
    return name == 'floor' or name.startswith('floor_')


class Step(NamedTuple):
    """One run of the benchmark.

    fresh: the variant's output directory is emptied first (a first run). phases: the phases the run is a
    sample of; none for a first run that only prepares the files of a steady-state-only benchmark.
    """

    size: int
    repeat: int
    variant: str
    fresh: bool
    phases: tuple


def available():
    return sorted(path.stem for path in PLAYBOOKS.glob('*.yml'))


def playbook(name):
    return PLAYBOOKS / ('%s.yml' % name)


def plan(sizes, variants, repeats, steady_only=False, baseline_max_hosts=30, mitogen_max_hosts=100):
    """The runs in order: per size and repeat, every variant's first run, then every variant's rerun.

    repeats(size) gives the number of repeats. The variant that goes first rotates between repeats, so none
    always follows the same one. The floor (a ping; floor_mitogen too) does the same on a first run and a rerun: it
    runs once per repeat and that run counts for both phases.
    """
    steps = []
    for size in sizes:
        # Mitogen keeps one interpreter per host alive for the whole run: on a large local inventory that is hundreds
        # of Python processes on the one machine.
        active = [v for v in variants if not (v == 'baseline' and size > baseline_max_hosts)
                  and not (v.endswith('_mitogen') and size > mitogen_max_hosts)]
        for repeat in range(repeats(size)):
            shift = repeat % len(active)
            first, steady = [], []
            for name in active[shift:] + active[:shift]:
                if is_floor(name):
                    steady.append(Step(size, repeat, name, False, ('steady',) if steady_only else ('first', 'steady')))
                    continue
                once_from = FIRST_RUN_ONCE_FROM.get(name, FIRST_RUN_ONCE_FROM_OTHERS)
                if repeat == 0 or (not steady_only and size < once_from):
                    first.append(Step(size, repeat, name, True, () if steady_only else ('first',)))
                steady.append(Step(size, repeat, name, False, ('steady',)))
            steps.extend(first + steady)
    return steps
