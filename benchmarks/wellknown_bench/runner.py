# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One ansible-playbook run with a clean, explicit Ansible environment, measured."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from .sampler import TreeSampler
from .sshd import SSH_ARGS

RECAP = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


class RunFailed(Exception):
    pass


def parse_recap(text):
    """Hosts, ok, changed and failed (failed + unreachable) tasks summed over the PLAY RECAP lines."""
    recap = RECAP.findall(text)
    return {
        'hosts_in_recap': len(recap),
        'ok': sum(int(r[1]) for r in recap),
        'changed': sum(int(r[2]) for r in recap),
        'failed': sum(int(r[3]) + int(r[4]) for r in recap),
    }


def ansible_env(workdir, collections_path, forks, pipelining):
    """The caller's environment without its ANSIBLE_* variables, plus explicit settings and an empty ansible.cfg.

    No ansible.cfg of the current directory or of the user applies, and no callback besides the default
    stdout one is enabled.
    """
    cfg = workdir / 'ansible.cfg'
    cfg.write_text('[defaults]\n')
    mitogen = mitogen_strategies()
    env = {k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_')}
    env.update({
        'ANSIBLE_CONFIG': str(cfg),
        'ANSIBLE_HOME': str(workdir / 'ansible-home'),
        'ANSIBLE_LOCAL_TEMP': str(workdir / 'ansible-home' / 'tmp'),
        'ANSIBLE_REMOTE_TEMP': str(workdir / 'remote-tmp'),
        'ANSIBLE_COLLECTIONS_PATH': str(collections_path),
        'ANSIBLE_FORKS': str(forks),
        'ANSIBLE_PIPELINING': str(bool(pipelining)),
        'ANSIBLE_GATHERING': 'explicit',
        'ANSIBLE_HOST_KEY_CHECKING': 'False',
        'ANSIBLE_RETRY_FILES_ENABLED': 'False',
        'ANSIBLE_STDOUT_CALLBACK': 'default',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_SSH_ARGS': SSH_ARGS,
    })
    if mitogen:
        # Where a play's `strategy: mitogen_linear` (the *_mitogen variants) is found; the default stays linear.
        env['ANSIBLE_STRATEGY_PLUGINS'] = str(mitogen)
    return env


def mitogen_strategies():
    """The directory of Mitogen's strategy plugins when mitogen is installed (benchmarks/requirements.txt), or None."""
    try:
        import ansible_mitogen  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return Path(ansible_mitogen.__file__).resolve().parent / 'plugins' / 'strategy'


def event_bytes(artifacts):
    """(bytes, count) of the job events ansible-runner wrote: the JSON files AWX's callback receiver stores."""
    files = list(Path(artifacts).glob('*/job_events/*.json'))
    return sum(path.stat().st_size for path in files), len(files)


class Runner:
    """Runs playbooks one at a time; each run's output goes to a log file in workdir/logs."""

    def __init__(self, workdir, env, sshd=None):
        self.workdir = workdir
        self.env = env
        self.sshd = sshd
        self.logs = workdir / 'logs'
        self.logs.mkdir()
        self.playbook_bin = str(Path(sys.executable).parent / 'ansible-playbook')
        self.current = None
        self.count = 0

    def run(self, name, playbook, inventory, output_dir):
        """Run ``playbook``; return its measurements, or raise RunFailed when it fails."""
        self.count += 1
        log = self.logs / ('%04d-%s.log' % (self.count, name))
        env = dict(self.env)
        if self.sshd:
            # A fresh ControlPath directory per run: no run reuses another one's SSH connections.
            control_dir = self.workdir / 'cp' / ('%04d' % self.count)
            control_dir.mkdir(parents=True)
            env['ANSIBLE_SSH_CONTROL_PATH_DIR'] = str(control_dir)
            sshd_before = self.sshd.children_cpu()
        cmd = [self.playbook_bin, '-i', str(inventory), str(playbook), '-e', 'bench_output_dir=%s' % output_dir]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(log, 'wb') as handle:
            start = time.perf_counter()
            self.current = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            env=env, cwd=str(self.workdir), start_new_session=True)
            sampler = TreeSampler(self.current.pid)
            sampler.start()
            # wait4 gives this run's own rusage: its ru_maxrss is the largest single process of the tree.
            dummy, status, usage = os.wait4(self.current.pid, 0)
            wall = time.perf_counter() - start
            self.current.returncode = os.waitstatus_to_exitcode(status)
            sampler.finish()
        server_cpu = 0.0
        if self.sshd:
            self.sshd.close_masters(control_dir)
            server_cpu = self.sshd.children_cpu() - sshd_before
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        text = log.read_text(errors='replace')
        if self.current.returncode != 0:
            raise RunFailed('%s failed (exit %d); last lines of its output:\n%s'
                            % (name, self.current.returncode, '\n'.join(text.splitlines()[-30:])))
        self.current = None
        user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
        return dict(parse_recap(text), **{
            'wall_s': wall,
            'cpu_s': user + system + server_cpu,
            'user_s': user,
            'sys_s': system,
            'sshd_cpu_s': server_cpu,
            'peak_tree_pss_mib': sampler.peak_pss / 1024.0,
            'peak_tree_rss_mib': sampler.peak_rss / 1024.0,
            'max_process_rss_mib': usage.ru_maxrss / 1024.0,
            'memory_samples': sampler.samples,
            'warnings': text.count('[WARNING]'),
        })

    def run_events(self, name, playbook, inventory, output_dir):
        """Run ``playbook`` under ansible-runner, as AWX does; return its job events' bytes and count per host.

        None when ansible-runner is not installed (benchmarks/requirements.txt)."""
        runner = Path(sys.executable).parent / 'ansible-runner'
        if not runner.exists():
            return None
        self.count += 1
        private = self.workdir / 'runner' / ('%04d-%s' % (self.count, name))
        (private / 'project').mkdir(parents=True)
        # ansible-runner sets its own stdout callback (awx_display), the one AWX reads the events from.
        env = dict((key, value) for key, value in self.env.items() if key != 'ANSIBLE_STDOUT_CALLBACK')
        # ansible-runner starts the ansible-playbook it finds on PATH: the one of this venv.
        env['PATH'] = os.pathsep.join([str(Path(sys.executable).parent), env.get('PATH', os.defpath)])
        done = subprocess.run([str(runner), 'run', str(private), '-p', str(playbook), '--inventory', str(inventory),
                               '--cmdline', '-e bench_output_dir=%s' % output_dir, '-q'],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                              cwd=str(self.workdir), check=False)
        status = next(private.glob('artifacts/*/status'), None)
        if done.returncode != 0 or status is None or status.read_text().strip() != 'successful':
            raise RunFailed('%s under ansible-runner failed (exit %d); its artifacts: %s' % (name, done.returncode, private))
        size, count = event_bytes(private / 'artifacts')
        hosts = len(json.loads(Path(inventory).read_text())['all']['hosts'])
        shutil.rmtree(private, ignore_errors=True)
        return {'event_bytes_per_host': size / float(hosts), 'events_per_host': count / float(hosts)}

    def kill(self):
        """Stop a run still going (after an interruption): its whole process group, by its PID."""
        if self.current is not None and self.current.returncode is None:
            os.killpg(self.current.pid, signal.SIGTERM)
