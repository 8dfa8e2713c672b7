#!/usr/bin/env python
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark the matrix_static_files role against Ansible's floor and against the per-file way.

Three playbooks run on the same generated inventory (local connections, one output directory per
host), alternated, first run (fresh output) and steady-state rerun:

  floor     one ansible.builtin.ping per host: the least Ansible can do
  baseline  the documents written the way MDAD does it: directory task, one copy per document,
            a delete task (playbooks/roles/matrix_static_files)
  role      the collection's matrix.wellknown.matrix_static_files role

Wall time (time.perf_counter), CPU time (getrusage(RUSAGE_CHILDREN) deltas, user+sys of the whole
process tree) and memory (peak of the summed PSS of the process tree, sampled from /proc; plus the
largest single process's max RSS) are measured; medians, ratios and a plot are written to --out.

Standard library plus matplotlib; re-executes itself with the project's .venv python when started
with another interpreter. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime
import ctypes
import filecmp
import getpass
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
PLAYBOOKS = BENCH_DIR / 'playbooks'
EXAMPLE_VARS = REPO / 'examples' / 'host_vars' / 'matrix.example.com' / 'vars.yml'
VARIANTS = ('floor', 'baseline', 'role')
# Not run by default: the role without its argument-spec validation task (for the analysis).
OPTIONAL_VARIANTS = ('role_unvalidated', 'write_only')
PHASES = ('first', 'steady')
FULL_SIZES = (1, 30, 100, 300)
QUICK_SIZES = (1, 30)
WELL_KNOWN = Path('matrix', 'static-files', 'public', '.well-known', 'matrix')
# Memory sampling: every 0.1 s during the first 2 s of a run, then every 0.5 s (a /proc scan costs a few ms).
SAMPLE_INTERVAL = 0.1
SAMPLE_INTERVAL_LATER = 0.5
TARGET_HOSTS = 100
# ssh_args with multiplexing (Ansible's default) and without.
SSH_ARGS = {True: '-C -o ControlMaster=auto -o ControlPersist=60s', False: '-C -o ControlMaster=no'}
# Inventory sizes from which first runs are measured once (see first_run_measured), and from which the
# baseline starts from a copy of the role's files (see run_benchmark).
FIRST_RUN_ONCE_FROM = 100
BASELINE_FIRST_RUN_ONCE_FROM = 30
BASELINE_PREPARED_FROM = 100
TARGET_ROLE_FLOOR = 1.3
TARGET_ROLE_BASELINE = 0.4


class Variant:
    """What one column of the results runs: a playbook, optionally another collection, setting overrides."""

    def __init__(self, name, playbook, collections_path=None, env=None):
        self.name = name
        self.base = name.split('+')[0]
        self.playbook = playbook
        self.collections_path = collections_path
        self.env = env or {}


def modifier_env(mods, args):
    """ANSIBLE_* overrides for the modifiers of a variant name such as role+pipelining+forks16.

    They let settings be compared side by side, alternated in one run, rather than in separate runs
    that a change of machine load would skew.
    """
    env = {}
    for mod in mods:
        if mod in ('pipelining', 'nopipelining'):
            env['ANSIBLE_PIPELINING'] = str(mod == 'pipelining')
        elif mod in ('free', 'linear'):
            env['ANSIBLE_STRATEGY'] = mod
        elif re.fullmatch(r'forks[1-9][0-9]*', mod):
            env['ANSIBLE_FORKS'] = mod[5:]
        elif mod in ('mux', 'nomux'):
            if args.connection != 'ssh':
                raise ValueError('%s needs --connection ssh' % mod)
            env['ANSIBLE_SSH_ARGS'] = SSH_ARGS[mod == 'mux']
        else:
            raise ValueError('unknown modifier %r (pipelining, nopipelining, free, linear, forksN, mux, nomux)' % mod)
    return env


def reexec_in_venv():
    """Run under the project's virtualenv, where ansible-core and matplotlib are installed."""
    venv_python = REPO / '.venv' / 'bin' / 'python'
    if (Path(sys.executable).parent / 'ansible-playbook').exists():
        return
    if venv_python.exists() and os.environ.get('MATRIX_WELLKNOWN_BENCH_REEXEC') != '1':
        os.environ['MATRIX_WELLKNOWN_BENCH_REEXEC'] = '1'
        os.execv(str(venv_python), [str(venv_python), str(Path(__file__).resolve())] + sys.argv[1:])
    sys.exit('benchmarks/run.py: ansible-playbook is not next to %s; run `make venv` first '
             'or start this script with the project\'s .venv/bin/python' % sys.executable)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true',
                        help='1 and 30 hosts only, for everyday use (default sizes: %s)' % ','.join(map(str, FULL_SIZES)))
    parser.add_argument('--hosts', type=lambda s: sorted({int(x) for x in s.split(',')}),
                        help='comma-separated inventory sizes, e.g. 1,30,100')
    parser.add_argument('--repeats', type=int,
                        help='runs per variant, phase and size (default: 5 on 1 host, 3 on more)')
    parser.add_argument('--forks', type=int, default=8, help='ANSIBLE_FORKS (default 8)')
    parser.add_argument('--strategy', default='linear', help='ANSIBLE_STRATEGY (default linear)')
    parser.add_argument('--pipelining', action='store_true', help='ANSIBLE_PIPELINING=True (default: off, as in ansible-core)')
    parser.add_argument('--connection', choices=('local', 'ssh'), default='local',
                        help='local (default), or ssh to an sshd the harness starts on 127.0.0.1 (needs openssh-server)')
    parser.add_argument('--ssh-multiplexing', choices=('on', 'off'), default='on',
                        help='with --connection ssh: on = Ansible\'s default ssh_args (ControlMaster=auto, '
                             'ControlPersist=60s), off = a new SSH connection for every command')
    parser.add_argument('--all-first-runs', action='store_true',
                        help='measure every first run in every repeat, the baseline\'s too (slow)')
    parser.add_argument('--baseline-max-hosts', type=int, default=100,
                        help='largest inventory the slow baseline runs on (default 100)')
    parser.add_argument('--variants', default=','.join(VARIANTS),
                        help='comma-separated list out of %s' % ','.join(VARIANTS + OPTIONAL_VARIANTS))
    parser.add_argument('--phases', default=','.join(PHASES),
                        help='first (fresh output), steady (rerun) or both (default); with steady only, '
                             'an unmeasured first run prepares the files')
    parser.add_argument('--variant', action='append', default=[], metavar='x-NAME=PLAYBOOK[@COLLECTIONS_PATH]',
                        help='define an extra variant x-NAME (use it in --variants), e.g. a prototype of the role '
                             'installed elsewhere, for profiling')
    parser.add_argument('--collections-path',
                        help='use the collection installed there (e.g. build/collections from `make collection`) '
                             'instead of building and installing the working tree into the temp dir')
    parser.add_argument('--out', help='results directory (default benchmarks/results/<timestamp>)')
    args = parser.parse_args(argv)
    if args.hosts is None:
        args.hosts = list(QUICK_SIZES if args.quick else FULL_SIZES)
    if min(args.hosts) < 1 or max(args.hosts) > 999:
        parser.error('--hosts: sizes must be between 1 and 999')
    if args.repeats is not None and args.repeats < 1:
        parser.error('--repeats must be at least 1')
    args.variants = [v for v in args.variants.split(',') if v]
    for name in args.variants:
        base, mods = name.split('+')[0], name.split('+')[1:]
        if base not in VARIANTS + OPTIONAL_VARIANTS and not base.startswith('x-'):
            parser.error('--variants: unknown %s' % base)
        try:
            modifier_env(mods, args)
        except ValueError as exc:
            parser.error('--variants %s: %s' % (name, exc))
    args.phases = [p for p in PHASES if p in args.phases.split(',')]
    if not args.phases:
        parser.error('--phases: first, steady or first,steady')
    extra = {}
    for spec in args.variant:
        match = re.fullmatch(r'(x-[a-z0-9_-]+)=([^@]+)(?:@(.+))?', spec)
        if not match or match.group(1) in extra:
            parser.error('--variant %r: expected a new x-NAME=PLAYBOOK[@COLLECTIONS_PATH]' % spec)
        extra[match.group(1)] = (Path(match.group(2)).resolve(), match.group(3) and Path(match.group(3)).resolve())
    args.extra = extra
    return args


# ---------------------------------------------------------------- measurement

def _read(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except OSError:
        return b''


def process_tree(root):
    """PIDs of ``root`` and all its descendants (a scan of /proc: no per-task children files here)."""
    parents = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            stat = _read('/proc/%s/stat' % entry)
            # The command name is in parentheses and may contain spaces: split after the last ')'.
            fields = stat[stat.rfind(b')') + 2:].split()
            if len(fields) > 1:
                parents.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, ()))
    return tree


def memory_of(pid):
    """(PSS, RSS) of one process in KiB; PSS shares each page among the processes mapping it."""
    pss = rss = 0
    for line in _read('/proc/%d/smaps_rollup' % pid).splitlines():
        if line.startswith(b'Pss:'):
            pss = int(line.split()[1])
        elif line.startswith(b'Rss:'):
            rss = int(line.split()[1])
    return pss, rss


class TreeSampler(threading.Thread):
    """Samples the summed PSS and RSS of a process tree; keeps the peaks."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root = root
        self.stop = threading.Event()
        self.peak_pss = self.peak_rss = self.samples = 0

    def run(self):
        start = time.perf_counter()
        while not self.stop.is_set():
            pss = rss = 0
            for pid in process_tree(self.root):
                one_pss, one_rss = memory_of(pid)
                pss += one_pss
                rss += one_rss
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_rss = max(self.peak_rss, rss)
            self.samples += 1
            self.stop.wait(SAMPLE_INTERVAL if time.perf_counter() - start < 2 else SAMPLE_INTERVAL_LATER)


RECAP = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


class RunFailed(Exception):
    pass


class Runner:
    """Runs one playbook with a clean, explicit Ansible environment and measures it."""

    def __init__(self, args, workdir, collections_path, sshd=None):
        self.args = args
        self.sshd = sshd
        self.workdir = workdir
        self.logs = workdir / 'logs'
        self.logs.mkdir()
        self.playbook_bin = str(Path(sys.executable).parent / 'ansible-playbook')
        self.current = None
        cfg = workdir / 'ansible.cfg'
        # An explicit, empty config file: no ansible.cfg of the current directory or of the user applies,
        # and no callback besides the default stdout one is enabled.
        cfg.write_text('[defaults]\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_')}
        env.update({
            'ANSIBLE_CONFIG': str(cfg),
            'ANSIBLE_HOME': str(workdir / 'ansible-home'),
            'ANSIBLE_LOCAL_TEMP': str(workdir / 'ansible-home' / 'tmp'),
            'ANSIBLE_REMOTE_TEMP': str(workdir / 'remote-tmp'),
            'ANSIBLE_COLLECTIONS_PATH': str(collections_path),
            'ANSIBLE_FORKS': str(args.forks),
            'ANSIBLE_STRATEGY': args.strategy,
            'ANSIBLE_PIPELINING': str(bool(args.pipelining)),
            'ANSIBLE_GATHERING': 'explicit',
            'ANSIBLE_HOST_KEY_CHECKING': 'False',
            'ANSIBLE_RETRY_FILES_ENABLED': 'False',
            'ANSIBLE_STDOUT_CALLBACK': 'default',
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_FORCE_COLOR': '0',
            'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        })
        if sshd:
            env['ANSIBLE_SSH_ARGS'] = SSH_ARGS[args.ssh_multiplexing == 'on']
        self.env = env
        self.count = 0

    def run(self, name, variant, inventory, output_dir):
        """Run a playbook; return its measurements. Output goes to a log file, not through a pipe."""
        self.count += 1
        log = self.logs / ('%04d-%s.log' % (self.count, name))
        env = dict(self.env, **variant.env)
        if variant.collections_path:
            env['ANSIBLE_COLLECTIONS_PATH'] = str(variant.collections_path)
        playbook = variant.playbook
        control_dir = None
        if self.sshd:
            # A fresh ControlPath directory per run: no run reuses another one's SSH connections.
            control_dir = self.workdir / 'cp' / ('%04d' % self.count)
            control_dir.mkdir(parents=True)
            env = dict(env, ANSIBLE_SSH_CONTROL_PATH_DIR=str(control_dir))
            sshd_before = self.sshd.children_cpu()
        cmd = [self.playbook_bin, '-i', str(inventory), str(playbook), '-e', 'bench_output_dir=%s' % output_dir]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(log, 'wb') as handle:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=env, cwd=str(self.workdir), start_new_session=True)
            self.current = proc
            sampler = TreeSampler(proc.pid)
            sampler.start()
            # wait4 gives this run's own rusage; ru_maxrss is then the largest single process of its tree.
            dummy, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            sampler.stop.set()
            sampler.join()
            self.current = None
        server_cpu = 0.0
        if self.sshd:
            # Close the persisted master connections, so their CPU (and the sshd side's) is counted here.
            self.sshd.close_masters(control_dir)
            server_cpu = self.sshd.children_cpu() - sshd_before
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        text = log.read_text(errors='replace')
        if proc.returncode != 0:
            raise RunFailed('%s failed (exit %d); last lines of its output:\n%s'
                            % (name, proc.returncode, '\n'.join(text.splitlines()[-30:])))
        recap = RECAP.findall(text)
        user = after.ru_utime - before.ru_utime
        system = after.ru_stime - before.ru_stime
        return {
            'wall_s': wall,
            'cpu_s': user + system + server_cpu,
            'sshd_cpu_s': server_cpu,
            'user_s': user,
            'sys_s': system,
            'peak_tree_pss_mib': sampler.peak_pss / 1024.0,
            'peak_tree_rss_mib': sampler.peak_rss / 1024.0,
            'max_process_rss_mib': usage.ru_maxrss / 1024.0,
            'memory_samples': sampler.samples,
            'hosts_in_recap': len(recap),
            'ok': sum(int(r[1]) for r in recap),
            'changed': sum(int(r[2]) for r in recap),
            'failed': sum(int(r[3]) + int(r[4]) for r in recap),
            'warnings': text.count('[WARNING]'),
        }

    def kill(self):
        if self.current is not None and self.current.poll() is None:
            os.killpg(self.current.pid, signal.SIGTERM)


class SshServer:
    """An sshd on 127.0.0.1 (free port, throwaway keys, this user only), for --connection ssh.

    Module runs then happen under sshd, not under ansible-playbook: their CPU is read from the
    listener's cutime/cstime. The harness is a child subreaper, so the ControlPersist masters that
    ssh detaches are reaped (and counted) by it when close_masters() ends them after each run.
    """

    def __init__(self, workdir):
        self.dir = workdir / 'ssh'
        self.dir.mkdir()
        self.proc = None
        self.made_privsep_dir = False
        self.sshd = shutil.which('sshd') or '/usr/sbin/sshd'
        if not os.path.exists(self.sshd):
            raise RunFailed('--connection ssh needs sshd (Debian: apt-get install openssh-server)')

    def start(self):
        for name in ('host_key', 'client_key'):
            subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(self.dir / name)], check=True)
        shutil.copyfile(self.dir / 'client_key.pub', self.dir / 'authorized_keys')
        with socket.socket() as probe:
            probe.bind(('127.0.0.1', 0))
            self.port = probe.getsockname()[1]
        config = self.dir / 'sshd_config'
        config.write_text('\n'.join([
            'Port %d' % self.port, 'ListenAddress 127.0.0.1',
            'HostKey %s' % (self.dir / 'host_key'), 'PidFile %s' % (self.dir / 'sshd.pid'),
            'AuthorizedKeysFile %s' % (self.dir / 'authorized_keys'), 'AllowUsers %s' % getpass.getuser(),
            'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
            'UsePAM no', 'StrictModes no', 'MaxStartups 200:30:400', 'MaxSessions 200', 'LogLevel ERROR',
            'Subsystem sftp internal-sftp', '']))
        if os.geteuid() == 0 and not os.path.isdir('/run/sshd'):
            # sshd's privilege separation directory, normally made at boot; removed again in stop().
            os.mkdir('/run/sshd', 0o755)
            self.made_privsep_dir = True
        self.log = open(self.dir / 'sshd.log', 'wb')
        self.proc = subprocess.Popen([self.sshd, '-D', '-e', '-f', str(config)], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RunFailed('sshd did not start: %s' % (self.dir / 'sshd.log').read_text(errors='replace'))

    def host_vars(self, control_dir_var=True):
        common = '-F /dev/null -o UserKnownHostsFile=%s -o StrictHostKeyChecking=no -o IdentitiesOnly=yes' % (
            self.dir / 'known_hosts')
        return {
            'ansible_connection': 'ssh', 'ansible_host': '127.0.0.1', 'ansible_port': self.port,
            'ansible_user': getpass.getuser(), 'ansible_ssh_private_key_file': str(self.dir / 'client_key'),
            'ansible_ssh_common_args': common,
            # One master connection per inventory host, as with real hosts (they all share 127.0.0.1 here).
            'ansible_control_path': '%(directory)s/{{ inventory_hostname }}',
        }

    def children_cpu(self):
        """CPU seconds of the listener's finished children (the sessions that ran the modules)."""
        stat = _read('/proc/%d/stat' % self.proc.pid)
        fields = stat[stat.rfind(b')') + 2:].split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf('SC_CLK_TCK')

    def close_masters(self, control_dir):
        for sock in control_dir.iterdir():
            subprocess.run(['ssh', '-F', '/dev/null', '-o', 'ControlPath=%s' % sock, '-O', 'exit', 'bench'],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                while os.waitpid(-1, os.WNOHANG)[0] > 0:
                    pass
            except ChildProcessError:
                pass
            # Done when the listener has no session left.
            if process_tree(self.proc.pid) == [self.proc.pid]:
                return
            time.sleep(0.05)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.log.close()
        if self.made_privsep_dir:
            shutil.rmtree('/run/sshd', ignore_errors=True)


# ---------------------------------------------------------------- set-up

def build_collection(workdir):
    """Build the working tree's collection tarball and install it into the temp dir."""
    galaxy = str(Path(sys.executable).parent / 'ansible-galaxy')
    dist = workdir / 'dist'
    target = workdir / 'collections'
    env = {k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_')}
    env['ANSIBLE_HOME'] = str(workdir / 'ansible-home')
    env['ANSIBLE_COLLECTIONS_PATH'] = str(target)
    for cmd in ([galaxy, 'collection', 'build', '--force', '--output-path', str(dist), str(REPO)],):
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    tarball = next(dist.glob('matrix-wellknown-*.tar.gz'))
    subprocess.run([galaxy, 'collection', 'install', '--force', '--offline', '-p', str(target), str(tarball)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return target, tarball.name


def write_inventory(workdir, size, sshd=None):
    """An inventory of ``size`` hosts m001.example.com...: local connection, own matrix_domain.

    The example vars (the README's vars.yml) apply to every host; matrix_domain is per host and
    matrix_base_data_path puts each host's documents in its own directory under bench_output_dir.
    """
    inv = workdir / ('inventory-%d' % size)
    group_vars = inv / 'group_vars' / 'all'
    group_vars.mkdir(parents=True)
    shutil.copyfile(EXAMPLE_VARS, group_vars / 'example.yml')
    # JSON is YAML: no YAML library needed to write the inventory.
    (group_vars / 'bench.json').write_text(json.dumps({
        'matrix_base_data_path': '{{ bench_output_dir }}/{{ inventory_hostname }}/matrix',
    }, indent=2) + '\n')
    hosts = {}
    for number in range(1, size + 1):
        name = 'm%03d.example.com' % number
        hosts[name] = {
            'ansible_connection': 'local',
            'ansible_python_interpreter': sys.executable,
            'matrix_domain': name,
        }
        if sshd:
            hosts[name].update(sshd.host_vars())
    path = inv / 'hosts.yml'
    path.write_text(json.dumps({'all': {'hosts': hosts}}, indent=1) + '\n')
    return path


def compare_outputs(left, right, size):
    """Fail unless both output trees hold the same documents (names, bytes and modes) for every host."""
    problems = []
    for number in range(1, size + 1):
        host = 'm%03d.example.com' % number
        a, b = left / host / WELL_KNOWN, right / host / WELL_KNOWN
        names_a = sorted(p.name for p in a.iterdir()) if a.is_dir() else []
        names_b = sorted(p.name for p in b.iterdir()) if b.is_dir() else []
        if not names_a or names_a != names_b:
            problems.append('%s: documents %s vs %s' % (host, names_a, names_b))
            continue
        for name in names_a:
            fa, fb = a / name, b / name
            if not filecmp.cmp(fa, fb, shallow=False):
                problems.append('%s: %s differs' % (host, name))
            elif fa.stat().st_mode != fb.stat().st_mode:
                problems.append('%s: %s mode %o vs %o' % (host, name, fa.stat().st_mode, fb.stat().st_mode))
    return names_a if not problems else None, problems


def machine():
    cpu = 'unknown'
    for line in _read('/proc/cpuinfo').decode(errors='replace').splitlines():
        if line.startswith('model name'):
            cpu = line.split(':', 1)[1].strip()
            break
    mem = 0
    for line in _read('/proc/meminfo').decode().splitlines():
        if line.startswith('MemTotal:'):
            mem = int(line.split()[1])
    version = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '--version'],
                             capture_output=True, text=True, check=True).stdout.split('\n')[0]
    git = subprocess.run(['git', '-C', str(REPO), 'describe', '--always', '--dirty'],
                         capture_output=True, text=True, check=False).stdout.strip()
    return {
        'cpus': os.cpu_count(),
        'cpu_model': cpu,
        'memory_gib': round(mem / 1024.0 / 1024.0, 1),
        'kernel': platform.release(),
        'os': _os_name(),
        'python': platform.python_version(),
        'ansible_core': re.sub(r'^.*\[core ([^\]]+)\].*$', r'\1', version),
        'git': git,
        'pythondontwritebytecode': bool(os.environ.get('PYTHONDONTWRITEBYTECODE')),
    }


def _os_name():
    for line in _read('/etc/os-release').decode(errors='replace').splitlines():
        if line.startswith('PRETTY_NAME='):
            return line.split('=', 1)[1].strip('"')
    return platform.system()


# ---------------------------------------------------------------- the benchmark

def repeats_for(args, size):
    if args.repeats:
        return args.repeats
    return 5 if size == 1 else 3


def first_run_measured(args, variant, size, repeat):
    """Whether this repeat measures a fresh first run (otherwise the variant reruns on its files).

    A first run needs fresh directories, so each sample costs a whole run: on FIRST_RUN_ONCE_FROM hosts or more
    it is measured in the first repeat only, and the baseline's (about 1.7 s per host on 2 cores, ten times
    the floor) from BASELINE_FIRST_RUN_ONCE_FROM hosts. Only the steady state enters the targets.
    --all-first-runs measures every one.
    """
    if args.all_first_runs or repeat == 0:
        return True
    limit = BASELINE_FIRST_RUN_ONCE_FROM if variant.base == 'baseline' else FIRST_RUN_ONCE_FROM
    return size < limit


def baseline_prepared(args, variants, variant, size):
    """Whether the baseline starts from a copy of the role's files instead of a first run of its own."""
    return (variant.base == 'baseline' and size >= BASELINE_PREPARED_FROM and not args.all_first_runs
            and any(v.base == 'role' for v in variants.values()))


def run_benchmark(args, workdir, runner, variants):
    """Alternate the variants: every repeat runs each once fresh, then each once more on its files.

    The floor (a ping) does the same on its first run and its reruns: it runs once per repeat, and that run
    counts for both phases. From BASELINE_PREPARED_FROM hosts on, the baseline's first run is not measured
    at all: its directories start as a copy of the role's files (the same documents and modes, checked on
    the smaller inventories), and only its steady state is measured.
    """
    samples = {}
    checks = []
    for size in args.hosts:
        inventory = write_inventory(workdir, size, runner.sshd)
        active = [v for v in variants if not (variants[v].base == 'baseline' and size > args.baseline_max_hosts)]
        count = repeats_for(args, size)
        prepared = set()
        for repeat in range(count):
            # Rotate who goes first, so no variant always follows the same one.
            order = active[repeat % len(active):] + active[:repeat % len(active)]
            outputs = {}
            for phase in PHASES:
                for name in order:
                    variant = variants[name]
                    # Variants of one playbook (role, role+pipelining, ...) write the same files: one directory.
                    out = workdir / 'out' / variant.base
                    measured = phase in args.phases
                    floor = variant.base == 'floor'
                    if floor and phase == 'first' and 'steady' in args.phases:
                        continue
                    if phase == 'first':
                        if baseline_prepared(args, variants, variant, size):
                            if repeat == 0 and out.exists():
                                shutil.rmtree(out)  # the smaller inventory's files; the role's are copied instead
                            continue
                        if measured:
                            if not first_run_measured(args, variant, size, repeat):
                                continue
                        else:
                            # Steady state only: an unmeasured first run writes each directory once.
                            if repeat > 0 or floor or out in prepared:
                                continue
                            prepared.add(out)
                        if out.exists():
                            shutil.rmtree(out)
                    elif not measured:
                        continue
                    elif baseline_prepared(args, variants, variant, size) and not out.exists():
                        shutil.copytree(workdir / 'out' / 'role', out, symlinks=True)
                    result = runner.run('%s-%d-%s' % (name, size, phase), variant, inventory, out)
                    result.update(repeat=repeat)
                    outputs[name] = out
                    _progress(size, repeat, count, name, phase if measured else 'prepare', result)
                    if result['hosts_in_recap'] != size or result['failed']:
                        raise RunFailed('%s on %d hosts: recap shows %d hosts, %d failed'
                                        % (name, size, result['hosts_in_recap'], result['failed']))
                    if measured:
                        samples.setdefault((size, name, phase), []).append(result)
                        if floor and phase == 'steady' and 'first' in args.phases:
                            samples.setdefault((size, name, 'first'), []).append(result)
                if phase == 'first' and repeat == 0 and 'role' in outputs:
                    checks.extend(compare_variants(outputs, size))
    return samples, checks


def compare_variants(outputs, size):
    """The baseline must write exactly the role's documents; other variants are only reported."""
    checks = []
    for other in [v for v in outputs if v not in ('role', 'floor')]:
        names, problems = compare_outputs(outputs[other], outputs['role'], size)
        if problems and other == 'baseline':
            raise RunFailed('%s and role wrote different documents on %d hosts:\n  %s'
                            % (other, size, '\n  '.join(problems[:10])))
        if problems:
            # An extra (profiling) variant may write nothing at all; say so, do not fail.
            checks.append('%d hosts: %s did not write the documents the role wrote (%s)' % (size, other, problems[0]))
        else:
            checks.append('%d hosts: %s and role wrote the same documents (%s) with the same modes'
                          % (size, other, ', '.join(names)))
    return checks


def _progress(size, repeat, count, variant, phase, result):
    print('  %3d hosts  run %d/%d  %-16s %-7s  wall %7.2f s  cpu %7.2f s  pss %6.0f MiB  changed %d'
          % (size, repeat + 1, count, variant, phase, result['wall_s'], result['cpu_s'],
             result['peak_tree_pss_mib'], result['changed']), flush=True)


def summarise(samples):
    summary = {}
    for (size, variant, phase), runs in samples.items():
        walls = [r['wall_s'] for r in runs]
        entry = {'runs': len(runs)}
        for key in ('wall_s', 'cpu_s', 'user_s', 'sys_s', 'peak_tree_pss_mib', 'peak_tree_rss_mib',
                    'max_process_rss_mib', 'changed'):
            entry[key] = statistics.median(r[key] for r in runs)
        entry['wall_min_s'] = min(walls)
        entry['wall_max_s'] = max(walls)
        entry['wall_spread'] = (max(walls) - min(walls)) / entry['wall_s'] if entry['wall_s'] else 0.0
        summary.setdefault(str(size), {}).setdefault(variant, {})[phase] = entry
    return summary


def evaluate(summary, sizes):
    """Ratios for every size and phase, and the issue's targets (steady state, 100 hosts)."""
    ratios = {}
    for size, by_variant in summary.items():
        for phase in PHASES:
            role = by_variant.get('role', {}).get(phase)
            if not role:
                continue
            for other in ('floor', 'baseline'):
                base = by_variant.get(other, {}).get(phase)
                if base:
                    ratios.setdefault(size, {}).setdefault(phase, {})['role/' + other] = {
                        'wall': role['wall_s'] / base['wall_s'],
                        'cpu': role['cpu_s'] / base['cpu_s'],
                    }
    targets = []
    steady = ratios.get(str(TARGET_HOSTS), {}).get('steady', {})
    if 'role/floor' in steady:
        value = steady['role/floor']['wall']
        targets.append(('role <= %.1f x floor (steady, %d hosts, wall)' % (TARGET_ROLE_FLOOR, TARGET_HOSTS),
                        '%.2f' % value, value <= TARGET_ROLE_FLOOR))
    if 'role/baseline' in steady:
        value = steady['role/baseline']['wall']
        targets.append(('role <= %.1f x baseline (steady, %d hosts, wall)' % (TARGET_ROLE_BASELINE, TARGET_HOSTS),
                        '%.2f' % value, value <= TARGET_ROLE_BASELINE))
    linear = linearity(summary, sizes)
    if linear:
        targets.append(linear)
    return ratios, targets


def linearity(summary, sizes):
    """Per-host cost of the role between consecutive sizes >= 30: it must not grow with the fleet."""
    points = [(s, summary[str(s)]['role']['steady']['wall_s']) for s in sizes
              if s >= 30 and 'steady' in summary.get(str(s), {}).get('role', {})]
    if len(points) < 2:
        return None
    slopes = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(points, points[1:])]
    # The marginal cost may fall as fixed costs amortise; it must not rise by more than noise.
    growth = max(later / earlier for earlier, later in zip(slopes, slopes[1:])) if len(slopes) > 1 else 1.0
    desc = ', '.join('%d-%d hosts: %.1f ms/host' % (a[0], b[0], 1000 * s) for a, b, s in zip(points, points[1:], slopes))
    return ('time grows linearly with hosts (marginal cost per host does not grow by more than 25%)',
            desc, growth <= 1.25)


# ---------------------------------------------------------------- reports

def connection_text(settings):
    if settings.get('connection') == 'ssh':
        return 'SSH to 127.0.0.1, multiplexing %s' % settings['ssh_multiplexing']
    return 'local connections'


def fmt_s(entry, runs):
    if not entry:
        return 'n/a'
    text = '%.2f (%.2f)' % (entry['wall_s'], entry['cpu_s'])
    return text if entry['runs'] == runs else text + ' [%d run%s]' % (entry['runs'], '' if entry['runs'] == 1 else 's')


def write_markdown(path, meta, summary, ratios, targets, checks, variants):
    lines = ['# matrix.wellknown benchmark', '']
    m = meta['machine']
    lines.append('Machine: %s CPU(s), %s, %s GiB RAM, %s, Python %s, ansible-core %s; git %s.'
                 % (m['cpus'], m['cpu_model'], m['memory_gib'], m['os'], m['python'], m['ansible_core'], m['git']))
    s = meta['settings']
    lines.append('Settings: forks %d, strategy %s, pipelining %s, %s, no facts, default callback. '
                 'Load average before/after: %s / %s. Duration %.0f s (harness itself: %.0f s CPU).'
                 % (s['forks'], s['strategy'], 'on' if s['pipelining'] else 'off', connection_text(s),
                    ' '.join('%.2f' % x for x in meta['load_before']), ' '.join('%.2f' % x for x in meta['load_after']),
                    meta['duration_s'], meta['harness_cpu_s']))
    lines.append('')
    lines.append('Time: median wall seconds (CPU seconds, user+sys of the whole process tree); '
                 'ratios of wall (CPU) time; spread = (max-min)/median of the role\'s wall time.')
    lines.append('')
    names = list(variants)
    header = ['hosts', 'run', 'runs'] + names + ['role/floor', 'role/baseline', 'spread', 'changed (role)']
    lines.append('| ' + ' | '.join(header) + ' |')
    lines.append('|' + '---|' * len(header))
    for size in sorted(summary, key=int):
        for phase in PHASES:
            row = summary[size]
            runs = max(v.get(phase, {}).get('runs', 0) for v in row.values())
            if not runs:
                continue
            role = row.get('role', {}).get(phase)
            r = ratios.get(size, {}).get(phase, {})
            cells = [size, phase, str(runs)]
            cells += [fmt_s(row.get(v, {}).get(phase), runs) for v in names]
            for key in ('role/floor', 'role/baseline'):
                cells.append('%.2f (%.2f)' % (r[key]['wall'], r[key]['cpu']) if key in r else 'n/a')
            cells.append('%.0f%%' % (100 * role['wall_spread']) if role else 'n/a')
            cells.append('%d' % role['changed'] if role else 'n/a')
            lines.append('| ' + ' | '.join(cells) + ' |')
    lines.append('')
    lines.append('Memory: median of the peak summed PSS of the ansible-playbook process tree, sampled every %.2g-%.2g s '
                 '(MiB); in brackets the largest single process (max RSS, MiB).' % (SAMPLE_INTERVAL, SAMPLE_INTERVAL_LATER))
    lines.append('')
    header = ['hosts', 'run'] + names
    lines.append('| ' + ' | '.join(header) + ' |')
    lines.append('|' + '---|' * len(header))
    for size in sorted(summary, key=int):
        for phase in PHASES:
            if not any(phase in summary[size].get(v, {}) for v in names):
                continue
            cells = [size, phase]
            for v in names:
                e = summary[size].get(v, {}).get(phase)
                cells.append('%.0f (%.0f)' % (e['peak_tree_pss_mib'], e['max_process_rss_mib']) if e else 'n/a')
            lines.append('| ' + ' | '.join(cells) + ' |')
    lines.append('')
    if targets:
        lines.append('Targets:')
        lines.append('')
        for name, value, ok in targets:
            lines.append('- %s: %s, %s' % (name, value, 'holds' if ok else 'DOES NOT HOLD'))
        lines.append('')
    if checks:
        lines.append('Checks:')
        lines.append('')
        lines.extend('- ' + c for c in checks)
        lines.append('')
    path.write_text('\n'.join(lines))


def plot(path, meta, summary, variants):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    styles = {'floor': ('tab:gray', 's'), 'baseline': ('tab:red', '^'), 'role': ('tab:blue', 'o'),
              'role_unvalidated': ('tab:green', 'D'), 'write_only': ('tab:olive', 'v')}
    for ax, phase in zip(axes, PHASES):
        for variant in variants:
            pts = sorted((int(size), row[variant][phase]) for size, row in summary.items()
                         if phase in row.get(variant, {}))
            if not pts:
                continue
            xs = [p[0] for p in pts]
            ys = [p[1]['wall_s'] for p in pts]
            err = [[y - p[1]['wall_min_s'] for y, p in zip(ys, pts)], [p[1]['wall_max_s'] - y for y, p in zip(ys, pts)]]
            color, marker = styles.get(variant, (None, 'D'))
            ax.errorbar(xs, ys, yerr=err, label=variant, color=color, marker=marker, capsize=3)
        ax.set_title('first run (fresh output)' if phase == 'first' else 'steady state (rerun, nothing to change)')
        ax.set_xlabel('hosts')
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel('wall time, s (median, min-max)')
    axes[0].legend()
    m, s = meta['machine'], meta['settings']
    fig.suptitle('matrix.wellknown: %s CPUs %s, ansible-core %s, forks %d, %s'
                 % (m['cpus'], m['cpu_model'], m['ansible_core'], s['forks'], connection_text(s)), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------- main

def main(argv=None):
    reexec_in_venv()
    args = parse_args(argv if argv is not None else sys.argv[1:])
    out = Path(args.out) if args.out else BENCH_DIR / 'results' / datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix='matrix-wellknown-bench-'))
    runner = None
    sshd = None
    started = time.perf_counter()
    load_before = os.getloadavg()
    try:
        if args.collections_path:
            collections_path = Path(args.collections_path).resolve()
            tarball = None
            if not (collections_path / 'ansible_collections' / 'matrix' / 'wellknown').is_dir():
                sys.exit('%s holds no matrix.wellknown collection (run `make collection`)' % collections_path)
        else:
            print('Building and installing the collection from the working tree ...', flush=True)
            collections_path, tarball = build_collection(workdir)
        variants = {}
        for name in args.variants + [x for x in args.extra if x not in args.variants]:
            base, mods = name.split('+')[0], name.split('+')[1:]
            if base.startswith('x-') and base not in args.extra:
                sys.exit('--variants %s: define it with --variant %s=PLAYBOOK[@COLLECTIONS_PATH]' % (name, base))
            playbook, coll = args.extra.get(base, (PLAYBOOKS / ('%s.yml' % base), None))
            variants[name] = Variant(name, playbook, coll, modifier_env(mods, args))
        if args.connection == 'ssh':
            # Become the reaper of the ControlPersist masters that ssh detaches (PR_SET_CHILD_SUBREAPER).
            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
            sshd = SshServer(workdir)
            sshd.start()
        runner = Runner(args, workdir, collections_path, sshd)
        meta = {
            'machine': machine(),
            'settings': {'forks': args.forks, 'strategy': args.strategy, 'pipelining': args.pipelining,
                         'connection': args.connection,
                         'ssh_multiplexing': args.ssh_multiplexing if args.connection == 'ssh' else None,
                         'phases': args.phases, 'all_first_runs': args.all_first_runs,
                         'hosts': args.hosts, 'repeats': {str(s): repeats_for(args, s) for s in args.hosts},
                         'baseline_max_hosts': args.baseline_max_hosts,
                         'collection': tarball or 'installed collection (--collections-path)',
                         'variants': {k: {'playbook': str(v.playbook.relative_to(REPO)) if v.playbook.is_relative_to(REPO)
                                          else v.playbook.name, 'other_collection': bool(v.collections_path),
                                          'env': v.env} for k, v in variants.items()}},
            'load_before': load_before,
        }
        m = meta['machine']
        print('Machine: %s CPUs %s, %s GiB, ansible-core %s; load %s; forks %d, strategy %s, pipelining %s'
              % (m['cpus'], m['cpu_model'], m['memory_gib'], m['ansible_core'],
                 ' '.join('%.2f' % x for x in load_before), args.forks, args.strategy, args.pipelining), flush=True)
        samples, checks = run_benchmark(args, workdir, runner, variants)
        # The raw runs first: a failure in the reports below must not lose them.
        (out / 'results.json').write_text(json.dumps({'meta': meta, 'runs': [
            dict(r, hosts=size, variant=variant, phase=phase)
            for (size, variant, phase), runs in sorted(samples.items()) for r in runs]}, indent=2, default=str) + '\n')
        meta['load_after'] = os.getloadavg()
        meta['duration_s'] = time.perf_counter() - started
        self_usage = resource.getrusage(resource.RUSAGE_SELF)
        # The harness's own CPU (mostly the memory sampler): it competes with the runs for the cores.
        meta['harness_cpu_s'] = self_usage.ru_utime + self_usage.ru_stime
        summary = summarise(samples)
        ratios, targets = evaluate(summary, args.hosts)
        steady_changes = [(size, v, e['steady']['changed']) for size, row in summary.items()
                          for v, e in row.items() if v != 'floor' and e.get('steady', {}).get('changed')]
        for size, v, changed in steady_changes:
            checks.append('WARNING: %s reported %d changes on its steady-state rerun on %s hosts' % (v, changed, size))
        if not steady_changes:
            checks.append('every steady-state rerun reported changed=0')
        results = {
            'meta': meta,
            'summary': summary,
            'ratios': ratios,
            'targets': [{'target': t, 'value': v, 'holds': ok} for t, v, ok in targets],
            'checks': checks,
            'runs': [dict(r, hosts=size, variant=variant, phase=phase)
                     for (size, variant, phase), runs in sorted(samples.items()) for r in runs],
        }
        (out / 'results.json').write_text(json.dumps(results, indent=2, sort_keys=True) + '\n')
        names = list(variants)
        write_markdown(out / 'results.md', meta, summary, ratios, targets, checks, names)
        plot(out / 'plot.png', meta, summary, names)
        print()
        print((out / 'results.md').read_text())
        print('Results in %s (results.json, results.md, plot.png), %.0f s.' % (out, meta['duration_s']))
        return 0 if all(ok for dummy, dummy, ok in targets) else 1
    except RunFailed as exc:
        # Keep the logs of a failed run: the temp dir is removed below.
        if (workdir / 'logs').is_dir():
            shutil.copytree(workdir / 'logs', out / 'logs', dirs_exist_ok=True)
        print('benchmark failed: %s\n(logs copied to %s)' % (exc, out / 'logs'), file=sys.stderr)
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


if __name__ == '__main__':
    sys.exit(main())
