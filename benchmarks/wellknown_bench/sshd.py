# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An sshd on 127.0.0.1 for --connection ssh: a free port, throwaway keys, this user only.

Each inventory host is a login to it, with Ansible's default SSH multiplexing (one master connection per
host). Modules then run under sshd, not under ansible-playbook: their CPU time is read from the
listener's finished children. The harness makes itself a child subreaper, so the ControlPersist masters
that ssh detaches are reaped, and counted, by it when close_masters() ends them after each run.
"""

from __future__ import annotations

import ctypes
import getpass
import os
import shutil
import socket
import subprocess
import time

from .sampler import process_tree, stat_fields

PR_SET_CHILD_SUBREAPER = 36
SSH_ARGS = '-C -o ControlMaster=auto -o ControlPersist=60s'


class SshServer:

    def __init__(self, workdir):
        self.dir = workdir / 'ssh'
        self.sshd = shutil.which('sshd', path='/usr/sbin:/sbin:' + os.environ.get('PATH', ''))
        self.proc = self.log = self.port = None
        self.made_privsep_dir = False

    def start(self):
        if not self.sshd:
            raise RuntimeError('--connection ssh needs sshd (Debian: apt-get install openssh-server)')
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        self.dir.mkdir()
        for name in ('host_key', 'client_key'):
            subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(self.dir / name)], check=True)
        shutil.copyfile(self.dir / 'client_key.pub', self.dir / 'authorized_keys')
        with socket.socket() as probe:
            probe.bind(('127.0.0.1', 0))
            self.port = probe.getsockname()[1]
        config = self.dir / 'sshd_config'
        config.write_text('\n'.join([
            'Port %d' % self.port, 'ListenAddress 127.0.0.1', 'HostKey %s' % (self.dir / 'host_key'),
            'PidFile %s' % (self.dir / 'sshd.pid'), 'AuthorizedKeysFile %s' % (self.dir / 'authorized_keys'),
            'AllowUsers %s' % getpass.getuser(), 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
            'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'MaxStartups 200:30:400',
            'MaxSessions 200', 'LogLevel ERROR', 'Subsystem sftp internal-sftp', '']))
        if os.geteuid() == 0 and not os.path.isdir('/run/sshd'):
            # sshd's privilege separation directory, normally made at boot; removed again by stop().
            os.mkdir('/run/sshd', 0o755)
            self.made_privsep_dir = True
        self.log = open(self.dir / 'sshd.log', 'wb')  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen([self.sshd, '-D', '-e', '-f', str(config)], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError('sshd did not start: %s' % (self.dir / 'sshd.log').read_text(errors='replace'))

    def host_vars(self):
        return {
            'ansible_connection': 'ssh', 'ansible_host': '127.0.0.1', 'ansible_port': self.port,
            'ansible_user': getpass.getuser(), 'ansible_ssh_private_key_file': str(self.dir / 'client_key'),
            'ansible_ssh_common_args': '-F /dev/null -o UserKnownHostsFile=%s -o StrictHostKeyChecking=no '
                                       '-o IdentitiesOnly=yes' % (self.dir / 'known_hosts'),
            # One master connection per inventory host, as with real hosts (they all share 127.0.0.1 here).
            'ansible_control_path': '%(directory)s/{{ inventory_hostname }}',
        }

    def children_cpu(self):
        """CPU seconds of the listener's finished children (the sessions that ran the modules)."""
        fields = stat_fields(self.proc.pid)
        return (int(fields[13]) + int(fields[14])) / os.sysconf('SC_CLK_TCK')

    def close_masters(self, control_dir):
        """End the run's master connections and wait until their sessions are gone, so their CPU is counted."""
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
            if process_tree(self.proc.pid) == [self.proc.pid]:
                return
            time.sleep(0.05)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        if self.log is not None:
            self.log.close()
        if self.made_privsep_dir:
            shutil.rmtree('/run/sshd', ignore_errors=True)
