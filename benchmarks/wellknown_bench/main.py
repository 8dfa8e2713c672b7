# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line: plan the runs, run them one after the other, write the results."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import report, stats
from .inventory import REPO, compare_outputs, make_certificate, missing_configs, write_inventory
from .runner import RunFailed, Runner, ansible_env
from .sampler import read
from .sshd import SshServer
from .variants import DEFAULT_VARIANTS, EVENT_VARIANTS, available, is_floor, plan, playbook

FULL_SIZES = (1, 30, 100, 300)
QUICK_SIZES = (1, 30)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='benchmarks/run.py', description=(
        'Benchmark the matrix_static_files role, with and without a web server, against one ping per host '
        '(the floor) and against the per-file way of MDAD (the baseline). See docs/performance.md.'))
    parser.add_argument('--quick', action='store_true', help='1 and 30 hosts (default: %s)' % ','.join(map(str, FULL_SIZES)))
    parser.add_argument('--hosts', type=lambda s: sorted({int(x) for x in s.split(',')}),
                        help='comma-separated inventory sizes, e.g. 1,30,100')
    parser.add_argument('--repeats', type=int, help='repeats per size (default: 5 on 1 host, 3 on more)')
    parser.add_argument('--variants', type=lambda s: [v for v in s.split(',') if v], default=list(DEFAULT_VARIANTS),
                        help='comma-separated, out of the playbooks in benchmarks/playbooks: %s (default: %s)'
                             % (', '.join(available()), ','.join(DEFAULT_VARIANTS)))
    parser.add_argument('--steady-only', action='store_true',
                        help='measure reruns only (an unmeasured first run in the first repeat writes the files)')
    parser.add_argument('--baseline-max-hosts', type=int, default=30,
                        help='largest inventory the slow baseline runs on (default 30)')
    parser.add_argument('--mitogen-max-hosts', type=int, default=100,
                        help='largest inventory the *_mitogen variants run on (default 100: Mitogen keeps an '
                             'interpreter per host alive, hundreds of processes on one machine with local connections)')
    parser.add_argument('--forks', type=int, default=8, help='ANSIBLE_FORKS (default 8)')
    parser.add_argument('--pipelining', action='store_true', help='ANSIBLE_PIPELINING=True (default: off, as in ansible-core)')
    parser.add_argument('--connection', choices=('local', 'ssh'), default='local',
                        help='local (default), or SSH to an sshd the harness starts on 127.0.0.1 (needs openssh-server)')
    parser.add_argument('--collections-path', help='use the collection installed there (e.g. build/collections from '
                                                   '`make collection`) instead of building the working tree')
    parser.add_argument('--no-events', action='store_true',
                        help='skip the extra steady-state run of %s per size under ansible-runner (job event bytes)'
                             % ', '.join(EVENT_VARIANTS))
    parser.add_argument('--out', help='results directory (default benchmarks/results/<timestamp>)')
    args = parser.parse_args(argv)
    args.hosts = args.hosts or list(QUICK_SIZES if args.quick else FULL_SIZES)
    if min(args.hosts) < 1 or max(args.hosts) > 999:
        parser.error('--hosts: sizes must be between 1 and 999')
    if args.repeats is not None and args.repeats < 1:
        parser.error('--repeats must be at least 1')
    unknown = [v for v in args.variants if v not in available()]
    if unknown or not args.variants or len(set(args.variants)) != len(args.variants):
        parser.error('--variants: a list without repeats out of %s (unknown: %s)' % (', '.join(available()), ', '.join(unknown)))
    return args


def machine():
    cpu = next((line.split(':', 1)[1].strip() for line in read('/proc/cpuinfo').decode(errors='replace').splitlines()
                if line.startswith('model name')), 'unknown')
    mem = next((int(line.split()[1]) for line in read('/proc/meminfo').decode().splitlines() if line.startswith('MemTotal:')), 0)
    os_name = next((line.split('=', 1)[1].strip('"') for line in read('/etc/os-release').decode(errors='replace').splitlines()
                    if line.startswith('PRETTY_NAME=')), platform.system())
    version = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '--version'],
                             capture_output=True, text=True, check=True).stdout.split('\n')[0]
    git = subprocess.run(['git', '-C', str(REPO), 'describe', '--always', '--dirty'],
                         capture_output=True, text=True, check=False).stdout.strip()
    return {'cpus': os.cpu_count(), 'cpu_model': cpu, 'memory_gib': round(mem / 1024.0 / 1024.0, 1),
            'kernel': platform.release(), 'os': os_name, 'python': platform.python_version(),
            'ansible_core': re.sub(r'^.*\[core ([^\]]+)\].*$', r'\1', version), 'git': git}


def build_collection(workdir):
    """Build the working tree's collection and install it into the temp dir; returns (path, tarball name)."""
    galaxy = str(Path(sys.executable).parent / 'ansible-galaxy')
    dist, target = workdir / 'dist', workdir / 'collections'
    env = {k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_')}
    env.update(ANSIBLE_HOME=str(workdir / 'ansible-home'), ANSIBLE_COLLECTIONS_PATH=str(target))
    subprocess.run([galaxy, 'collection', 'build', '--force', '--output-path', str(dist), str(REPO)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    tarball = next(dist.glob('matrix-wellknown-*.tar.gz'))
    subprocess.run([galaxy, 'collection', 'install', '--force', '--offline', '-p', str(target), str(tarball)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return target, tarball.name


def find_nginx():
    return shutil.which('nginx', path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin:/usr/local/sbin')


def compare_variants(out, size, variants):
    """Every variant but the floors must have written the role's documents; role_webserver* also a config per host."""
    checks = []
    for other in sorted(v for v in variants if v != 'role' and not is_floor(v)) if 'role' in variants else ():
        names, problems = compare_outputs(out / other, out / 'role', size)
        if problems:
            raise RunFailed('%s and role wrote different documents on %d hosts:\n  %s'
                            % (other, size, '\n  '.join(problems[:10])))
        checks.append('%d hosts: %s and role wrote the same documents (%s) with the same modes' % (size, other, ', '.join(names)))
    for variant in sorted(v for v in variants if v.startswith('role_webserver')):
        missing = missing_configs(out / variant, size)
        if missing:
            raise RunFailed('%s wrote no nginx config for %d of %d hosts (%s)' % (variant, len(missing), size, missing[0]))
        checks.append('%d hosts: %s wrote an nginx config for every host' % (size, variant))
    return checks


def execute(steps, runner, inventories, workdir, events=()):
    """Run the steps in order; returns ({(size, variant, phase): [run, ...]}, checks, {(size, variant): events}).

    After the last step of each size, every variant of ``events`` run there is run once more (steady state) under
    ansible-runner, for the bytes of job events AWX would store."""
    samples, checks, event_sizes = {}, [], {}
    for index, step in enumerate(steps):
        out = workdir / 'out' / step.variant
        if step.fresh and out.exists():
            shutil.rmtree(out)
        # Where role_webserver writes its configs: a directory that exists, as /etc/nginx/conf.d does on a host.
        out.mkdir(parents=True, exist_ok=True)
        label = 'first' if step.fresh else 'steady'
        result = runner.run('%s-%d-%s' % (step.variant, step.size, label), playbook(step.variant), inventories[step.size], out)
        result['repeat'] = step.repeat
        print('  %3d hosts  repeat %d  %-16s %-7s wall %7.2f s  cpu %7.2f s  pss %6.0f MiB  changed %d%s'
              % (step.size, step.repeat + 1, step.variant, label, result['wall_s'], result['cpu_s'],
                 result['peak_tree_pss_mib'], result['changed'], '' if step.phases else '  (not measured)'), flush=True)
        if result['hosts_in_recap'] != step.size or result['failed']:
            raise RunFailed('%s on %d hosts: the recap shows %d hosts, %d failed'
                            % (step.variant, step.size, result['hosts_in_recap'], result['failed']))
        for phase in step.phases:
            samples.setdefault((step.size, step.variant, phase), []).append(result)
        if step.repeat == 0 and (index + 1 == len(steps) or steps[index + 1][:2] != step[:2]):
            checks.extend(compare_variants(workdir / 'out', step.size, {s.variant for s in steps if s.size == step.size}))
        if index + 1 == len(steps) or steps[index + 1].size != step.size:
            for variant in [v for v in events if v in {s.variant for s in steps if s.size == step.size}]:
                measured = runner.run_events('%s-%d-events' % (variant, step.size), playbook(variant),
                                             inventories[step.size], workdir / 'out' / variant)
                if measured is None:
                    break
                event_sizes[(step.size, variant)] = measured
                print('  %3d hosts  ansible-runner    %-16s job events %6.0f bytes per host (%.1f events)'
                      % (step.size, variant, measured['event_bytes_per_host'], measured['events_per_host']), flush=True)
    return samples, checks, event_sizes


def write_results(out, meta, samples, checks, variants, event_sizes=None):
    """results.json, results.md and plot.png; returns the Markdown."""
    summary = stats.summarise(samples)
    for (size, variant), measured in (event_sizes or {}).items():
        if 'steady' in summary.get(str(size), {}).get(variant, {}):
            summary[str(size)][variant]['steady'].update(measured)
    ratios = stats.ratios(summary)
    targets = stats.evaluate_targets(summary, meta['settings']['hosts'])
    changes = stats.steady_changes(samples)
    checks = checks + ['NOT CONVERGED: %s changed %d things in a steady-state rerun on %d hosts' % (v, n, size)
                       for size, v, n in changes]
    if not changes:
        checks.append('every steady-state rerun reported changed=0')
    runs = [dict(r, hosts=size, variant=variant, phase=phase) for (size, variant, phase), rs in sorted(samples.items()) for r in rs]
    (out / 'results.json').write_text(json.dumps({'meta': meta, 'summary': summary, 'ratios': ratios, 'targets': targets,
                                                  'checks': checks, 'runs': runs}, indent=2, sort_keys=True) + '\n')
    text = report.markdown(meta, summary, ratios, targets, checks, variants)
    (out / 'results.md').write_text(text)
    try:
        report.plot(out / 'plot.png', meta, summary, variants)
    except ImportError:
        print('plot.png not written: matplotlib is missing (pip install -r benchmarks/requirements.txt)', file=sys.stderr)
    return text, not changes


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out = Path(args.out) if args.out else REPO / 'benchmarks' / 'results' / datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix='matrix-wellknown-bench-'))
    runner = sshd = None
    started, load_before = time.perf_counter(), os.getloadavg()
    try:
        if args.collections_path:
            collections_path, collection = Path(args.collections_path).resolve(), 'installed (--collections-path)'
            if not (collections_path / 'ansible_collections' / 'matrix' / 'wellknown').is_dir():
                sys.exit('%s holds no matrix.wellknown collection (run `make collection`)' % collections_path)
        else:
            print('Building and installing the collection from the working tree ...', flush=True)
            collections_path, collection = build_collection(workdir)
        if args.connection == 'ssh':
            sshd = SshServer(workdir)
            sshd.start()
        cert, key = make_certificate(workdir / 'tls')
        tls = {'bench_tls_certificate': str(cert), 'bench_tls_certificate_key': str(key)}
        inventories = {size: write_inventory(workdir / ('inventory-%d' % size), size, sshd and sshd.host_vars(), tls)
                       for size in args.hosts}
        runner = Runner(workdir, ansible_env(workdir, collections_path, args.forks, args.pipelining), sshd)
        steps = plan(args.hosts, args.variants, lambda size: args.repeats or (5 if size == 1 else 3),
                     args.steady_only, args.baseline_max_hosts, args.mitogen_max_hosts)
        meta = {'machine': machine(), 'load_before': load_before, 'settings': {
            'forks': args.forks, 'pipelining': args.pipelining, 'connection': args.connection, 'hosts': args.hosts,
            'steady_only': args.steady_only, 'runs': len(steps), 'baseline_max_hosts': args.baseline_max_hosts,
            'mitogen_max_hosts': args.mitogen_max_hosts,
            'collection': collection, 'nginx': find_nginx(),
            'variants': {v: str(playbook(v).relative_to(REPO)) for v in args.variants}}}
        m = meta['machine']
        print('Machine: %s CPUs %s, %s GiB, ansible-core %s; load %s; %s; %d runs'
              % (m['cpus'], m['cpu_model'], m['memory_gib'], m['ansible_core'], ' '.join('%.2f' % x for x in load_before),
                 report.settings_text(meta), len(steps)), flush=True)
        samples, checks, event_sizes = execute(steps, runner, inventories, workdir,
                                               [] if args.no_events else EVENT_VARIANTS)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        # The harness's own CPU (mostly the memory sampler) competes with the runs for the cores.
        meta.update(load_after=os.getloadavg(), duration_s=time.perf_counter() - started,
                    harness_cpu_s=usage.ru_utime + usage.ru_stime)
        text, converged = write_results(out, meta, samples, checks, args.variants, event_sizes)
        print('\n' + text)
        print('Results in %s (%s), %.0f s.' % (out, ', '.join(sorted(p.name for p in out.iterdir())), meta['duration_s']))
        return 0 if converged else 1
    except (RunFailed, RuntimeError, subprocess.CalledProcessError) as exc:
        if (workdir / 'logs').is_dir():
            shutil.copytree(workdir / 'logs', out / 'logs', dirs_exist_ok=True)
        print('benchmark failed: %s\n(logs of the runs in %s)' % (exc, out / 'logs'), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        return 130
    finally:
        if runner is not None:
            runner.kill()
        if sshd is not None:
            sshd.stop()
        shutil.rmtree(workdir, ignore_errors=True)
