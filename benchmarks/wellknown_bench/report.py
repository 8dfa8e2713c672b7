# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""results.md and plot.png of a benchmark."""

from __future__ import annotations

from .sampler import INTERVAL, INTERVAL_LATER
from .stats import PHASES
from .variants import is_floor

STYLES = {'floor': ('tab:gray', 's'), 'baseline': ('tab:red', '^'), 'role': ('tab:blue', 'o'),
          'role_webserver': ('tab:purple', 'P'), 'role_unvalidated': ('tab:green', 'D'), 'write_only': ('tab:olive', 'v'),
          'role_webserver_unvalidated': ('tab:cyan', 'X'), 'role_webserver_mitogen': ('tab:orange', '*'),
          'floor_mitogen': ('tab:brown', 'x'), 'role_webserver_unvalidated_mitogen': ('tab:pink', 'p')}


def settings_text(meta):
    s = meta['settings']
    connection = 'SSH to 127.0.0.1 (multiplexed)' if s['connection'] == 'ssh' else 'local connections'
    return 'forks %d, pipelining %s, %s, no facts, default callback' % (
        s['forks'], 'on' if s['pipelining'] else 'off', connection)


def nginx_text(nginx):
    if nginx:
        return 'nginx is installed (%s): role_webserver\'s config module checked each new config with `nginx -t`' % nginx
    return 'nginx is not installed: role_webserver\'s config module wrote each new config unchecked'


def table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines.extend('| ' + ' | '.join(row) + ' |' for row in rows)
    return lines + ['']


def time_cell(entry, runs):
    if not entry:
        return 'n/a'
    text = '%.2f (%.2f)' % (entry['wall_s'], entry['cpu_s'])
    return text if entry['runs'] == runs else text + ' [%d run%s]' % (entry['runs'], '' if entry['runs'] == 1 else 's')


def phase_rows(summary, variants):
    """(size, phase, row) for every size and phase measured, in order."""
    for size in sorted(summary, key=int):
        for phase in PHASES:
            if any(phase in summary[size].get(v, {}) for v in variants):
                yield size, phase, summary[size]


def markdown(meta, summary, ratios, targets, checks, variants):
    """The report, as Markdown text."""
    m = meta['machine']
    lines = ['# matrix.wellknown benchmark', '',
             'Machine: %s CPU(s), %s, %s GiB RAM, %s, Python %s, ansible-core %s; git %s.'
             % (m['cpus'], m['cpu_model'], m['memory_gib'], m['os'], m['python'], m['ansible_core'], m['git']),
             'Settings: %s. Load average before/after: %s / %s. Duration %.0f s (harness itself: %.0f s CPU).'
             % (settings_text(meta), ' '.join('%.2f' % x for x in meta['load_before']),
                ' '.join('%.2f' % x for x in meta['load_after']), meta['duration_s'], meta['harness_cpu_s'])]
    if 'role_webserver' in variants:
        lines.append(nginx_text(meta['settings'].get('nginx')) + '.')
    lines += ['', 'Time: median wall seconds (CPU seconds, user+sys of the whole process tree); `[n runs]`: fewer samples.', '']
    rows = []
    for size, phase, row in phase_rows(summary, variants):
        runs = max(v.get(phase, {}).get('runs', 0) for v in row.values())
        rows.append([size, phase, str(runs)] + [time_cell(row.get(v, {}).get(phase), runs) for v in variants])
    lines += table(['hosts', 'run', 'runs'] + list(variants), rows)
    keys = ['%s/floor' % v for v in variants if v != 'floor']
    keys += ['%s/baseline' % v for v in variants if 'baseline' in variants and v != 'baseline' and not is_floor(v)]
    lines += ['Ratios of wall time (CPU time):', '']
    rows = []
    for size, phase, dummy in phase_rows(summary, variants):
        r = ratios.get(size, {}).get(phase, {})
        rows.append([size, phase] + ['%.2f (%.2f)' % (r[k]['wall'], r[k]['cpu']) if k in r else 'n/a' for k in keys])
    lines += table(['hosts', 'run'] + keys, rows)
    lines += ['Spread of wall time, (max - min) / median, largest per variant: %s.' % ', '.join(
        '%s %.0f%%' % (v, 100 * max(e['wall_spread'] for row in summary.values() for e in row.get(v, {}).values()))
        for v in variants if any(v in row for row in summary.values())), '']
    lines += ['Memory: median of the peak summed PSS of the ansible-playbook process tree, sampled every %.2g-%.2g s '
              '(MiB); in brackets the largest single process (max RSS, MiB).' % (INTERVAL, INTERVAL_LATER), '']
    rows = []
    for size, phase, row in phase_rows(summary, variants):
        rows.append([size, phase] + ['%.0f (%.0f)' % (e['peak_tree_pss_mib'], e['max_process_rss_mib']) if e else 'n/a'
                                     for e in (row.get(v, {}).get(phase) for v in variants)])
    lines += table(['hosts', 'run'] + list(variants), rows)
    measured = [v for v in variants if any('event_bytes_per_host' in row.get(v, {}).get('steady', {}) for row in summary.values())]
    if measured:
        lines += ['Job events (steady state, one more run under ansible-runner, as AWX stores them): bytes of the '
                  'event files per host (events per host).', '']
        rows = []
        for size in sorted(summary, key=int):
            entries = [summary[size].get(v, {}).get('steady', {}) for v in measured]
            rows.append([size] + ['%.0f (%.1f)' % (e['event_bytes_per_host'], e['events_per_host'])
                                  if 'event_bytes_per_host' in e else 'n/a' for e in entries])
        lines += table(['hosts'] + measured, rows)
    if targets:
        lines += ['Targets:', '']
        lines += ['- %s: %s, %s' % (t['target'], t['value'], {True: 'met', False: 'NOT MET', None: 'not evaluated'}[t['met']])
                  for t in targets]
        lines.append('')
    if checks:
        lines += ['Checks:', ''] + ['- ' + c for c in checks] + ['']
    return '\n'.join(lines)


def plot(path, meta, summary, variants):
    """Wall time against hosts, first run and steady state side by side (needs matplotlib)."""
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, phase in zip(axes, PHASES):
        for variant in variants:
            pts = sorted((int(size), row[variant][phase]) for size, row in summary.items() if phase in row.get(variant, {}))
            if not pts:
                continue
            xs, entries = [p[0] for p in pts], [p[1] for p in pts]
            ys = [e['wall_s'] for e in entries]
            err = [[e['wall_s'] - e['wall_min_s'] for e in entries], [e['wall_max_s'] - e['wall_s'] for e in entries]]
            color, marker = STYLES.get(variant, (None, 'x'))
            ax.errorbar(xs, ys, yerr=err, label=variant, color=color, marker=marker, capsize=3)
        ax.set_title('first run (fresh output)' if phase == 'first' else 'steady state (rerun, nothing to change)')
        ax.set_xlabel('hosts')
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel('wall time, s (median, min-max)')
    axes[0].legend()
    m = meta['machine']
    fig.suptitle('matrix.wellknown: %s CPUs %s, ansible-core %s, %s'
                 % (m['cpus'], m['cpu_model'], m['ansible_core'], settings_text(meta)), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
