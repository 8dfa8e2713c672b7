# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Medians, ratios and targets of the measured runs."""

from __future__ import annotations

import statistics
from typing import NamedTuple

from .variants import is_floor

PHASES = ('first', 'steady')
MEDIAN_KEYS = ('wall_s', 'cpu_s', 'user_s', 'sys_s', 'peak_tree_pss_mib', 'peak_tree_rss_mib', 'max_process_rss_mib',
               'changed')
# The marginal cost per host may fall as fixed costs amortise; it must not rise by more than noise.
LINEAR_GROWTH_LIMIT = 1.25


class Target(NamedTuple):
    """``variant`` costs at most ``limit`` x ``against``, steady state, on ``hosts`` hosts.

    metric: ``wall`` (wall time), ``rss`` (the controller's peak RSS: the largest single process) or ``events``
    (ansible-runner's job event bytes per host beyond ``against``'s; ``limit`` is then in bytes).
    """

    variant: str
    against: str
    hosts: int
    limit: float
    source: str
    metric: str = 'wall'


# Job events per host beyond the floor's. The floor (one ping) already stores about 2.5 KB per host (a start and an
# ok event of about 1.2 KB each, whatever the module returns), so the 1.5 KB per host is the role's own part.
EVENT_BYTES_LIMIT = 1500

TARGETS = (
    Target('role', 'floor', 100, 1.3, 'the role'),
    Target('role', 'baseline', 30, 0.4, 'the role'),
    Target('role_webserver', 'floor', 30, 1.5, 'issue 13, with a web server configured'),
    Target('role_webserver', 'floor', 100, 1.5, 'issue 24, controller memory', 'rss'),
    Target('role_webserver', 'floor', 300, 1.5, 'issue 24, controller memory', 'rss'),
    Target('role_webserver_unvalidated', 'floor', 100, 1.5, 'issue 24, controller memory', 'rss'),
    Target('role_webserver_unvalidated', 'floor', 300, 1.5, 'issue 24, controller memory', 'rss'),
    Target('role_webserver', 'floor', 30, EVENT_BYTES_LIMIT, 'issue 24, job events', 'events'),
    Target('role_webserver_unvalidated', 'floor', 30, EVENT_BYTES_LIMIT, 'issue 24, job events', 'events'),
    Target('role_webserver_mitogen', 'floor', 30, 0.75, 'issue 24, Mitogen against the default strategy\'s floor'),
    Target('role_webserver_unvalidated_mitogen', 'floor', 30, 0.75,
           'issue 24, Mitogen with rolespec_validate: false, the fleet settings of the performance guide'),
)
LINEAR_VARIANTS = ('role', 'role_webserver')


def summarise(samples):
    """Medians per size, variant and phase, from {(size, variant, phase): [run, ...]}.

    Returns {size: {variant: {phase: entry}}}, sizes as strings (as in results.json).
    """
    summary = {}
    for (size, variant, phase), runs in samples.items():
        walls = [r['wall_s'] for r in runs]
        entry = {key: statistics.median(r[key] for r in runs) for key in MEDIAN_KEYS}
        entry.update(runs=len(runs), wall_min_s=min(walls), wall_max_s=max(walls),
                     wall_spread=(max(walls) - min(walls)) / entry['wall_s'] if entry['wall_s'] else 0.0)
        summary.setdefault(str(size), {}).setdefault(variant, {})[phase] = entry
    return summary


def ratio(summary, size, phase, variant, against):
    """{'wall': ..., 'cpu': ...} of ``variant`` over ``against``, or None when either was not measured."""
    row = summary.get(str(size), {})
    num, den = row.get(variant, {}).get(phase), row.get(against, {}).get(phase)
    if not num or not den or not den['wall_s'] or not den['cpu_s']:
        return None
    return {'wall': num['wall_s'] / den['wall_s'], 'cpu': num['cpu_s'] / den['cpu_s']}


def ratios(summary):
    """Every variant over the floor and over the baseline (a floor, one ping per host, not over the baseline):
    {size: {phase: {'a/b': ratio}}}."""
    result = {}
    for size, row in summary.items():
        for phase in PHASES:
            for variant in row:
                for against in ('floor', 'baseline'):
                    compared = variant not in ('floor', against) and not (against == 'baseline' and is_floor(variant))
                    value = ratio(summary, size, phase, variant, against) if compared else None
                    if value:
                        result.setdefault(size, {}).setdefault(phase, {})['%s/%s' % (variant, against)] = value
    return result


def metric_value(summary, target):
    """The measured value a target compares with its limit, or None when the run did not measure it."""
    row = summary.get(str(target.hosts), {})
    num, den = row.get(target.variant, {}).get('steady'), row.get(target.against, {}).get('steady')
    if target.metric == 'wall':
        value = ratio(summary, target.hosts, 'steady', target.variant, target.against)
        return value and value['wall']
    if not num or not den:
        return None
    if target.metric == 'rss':
        return num['max_process_rss_mib'] / den['max_process_rss_mib'] if den['max_process_rss_mib'] else None
    if num.get('event_bytes_per_host') is None or den.get('event_bytes_per_host') is None:
        return None
    return num['event_bytes_per_host'] - den['event_bytes_per_host']


def target_name(target):
    if target.metric == 'events':
        return '%s: job events <= %d bytes per host beyond %s\'s (steady state, %d hosts; %s)' % (
            target.variant, target.limit, target.against, target.hosts, target.source)
    return '%s <= %.2g x %s (steady state, %d hosts, %s; %s)' % (
        target.variant, target.limit, target.against, target.hosts,
        'wall time' if target.metric == 'wall' else 'peak RSS of the controller', target.source)


def evaluate_targets(summary, sizes, targets=TARGETS):
    """[{'target', 'value', 'met'}]: 'met' is None when the run did not measure what the target needs."""
    results = []
    for target in targets:
        value = metric_value(summary, target)
        if value is None:
            results.append({'target': target_name(target), 'value': 'not measured', 'met': None})
        else:
            text = '%.0f' % value if target.metric == 'events' else '%.2f' % value
            results.append({'target': target_name(target), 'value': text, 'met': value <= target.limit})
    for variant in LINEAR_VARIANTS:
        line = linearity(summary, sizes, variant)
        if line:
            results.append(line)
    return results


def linearity(summary, sizes, variant):
    """Whether ``variant``'s steady-state cost per added host, from 30 hosts on, does not grow; None below 2 sizes."""
    points = [(s, summary[str(s)][variant]['steady']['wall_s']) for s in sorted(sizes)
              if s >= 30 and 'steady' in summary.get(str(s), {}).get(variant, {})]
    if len(points) < 2:
        return None
    slopes = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(points, points[1:])]
    growth = max(later / earlier if earlier > 0 else float('inf') for earlier, later in zip(slopes, slopes[1:])) \
        if len(slopes) > 1 else 1.0
    desc = ', '.join('%d-%d hosts: %.1f ms/host' % (a[0], b[0], 1000 * s) for a, b, s in zip(points, points[1:], slopes))
    return {'target': '%s: time grows linearly with hosts (the cost per added host grows by at most %d%%)'
                      % (variant, round(100 * (LINEAR_GROWTH_LIMIT - 1))),
            'value': desc, 'met': growth <= LINEAR_GROWTH_LIMIT}


def steady_changes(samples):
    """(size, variant, most changes in one run) of every variant but the floor whose steady-state reruns changed something."""
    return [(size, variant, max(r['changed'] for r in runs)) for (size, variant, phase), runs in sorted(samples.items())
            if phase == 'steady' and variant != 'floor' and any(r['changed'] for r in runs)]
