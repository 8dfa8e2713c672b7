# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles deploying to a real, running nginx through ansible-playbook.

nginx runs from a main config that includes the drop-in directory the roles write to, as a distribution's
nginx does; the roles' reload command reloads that nginx. A stand-in on another port answers the homeserver's
version endpoints for matrix.example.com, so the self-check can pass.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import HOMESERVER_STAND_IN, Nginx, free_port, program

PLAYBOOK = '''- name: The Matrix host
  hosts: localhost
  gather_facts: false
  roles:
    - role: matrix.wellknown.matrix_static_files
- name: The base domain
  hosts: localhost
  gather_facts: false
  roles:
    - role: matrix.wellknown.matrix_base_domain
      when: with_base_domain | bool
'''

# Sends the reload, then waits (at most 10 s) until every port given accepts connections: nginx opens a new
# listener in its master process after the signal, while the command that sent it has already returned.
RELOAD = '''import socket, subprocess, sys, time
subprocess.run(sys.argv[2:], check=True)
deadline = time.monotonic() + 10
for port in sys.argv[1].split(','):
    while True:
        try:
            socket.create_connection(('127.0.0.1', int(port)), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
'''


class Deployment(object):
    """A running nginx with an empty drop-in directory, and ansible-playbook runs of the roles against it."""

    def __init__(self, work, ca, collections, servers):
        self.work = work
        self.collections = collections
        self.site_port = free_port()
        self.base_port = free_port()
        stand_in_port = free_port()
        self.cert, self.key, dummy = ca.issue('deploy', ['example.com', 'matrix.example.com'])
        self.ca = ca
        self.conf_d = work / 'conf.d'
        self.conf_d.mkdir()
        stand_in = '''
    include %(conf_d)s/*.conf;
    server {
        listen 127.0.0.1:%(port)d ssl;
        server_name matrix.example.com;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
%(homeserver)s    }
''' % dict(conf_d=self.conf_d, port=stand_in_port, cert=self.cert, key=self.key, homeserver=HOMESERVER_STAND_IN)
        self.nginx = Nginx(work / 'nginx', stand_in, [stand_in_port])
        servers.append(self.nginx)
        (work / 'reload.py').write_text(RELOAD)
        (work / 'site.yml').write_text(PLAYBOOK)
        self.connect_to = ['example.com:443:127.0.0.1:%d' % self.site_port,
                           'matrix.example.com:8448:127.0.0.1:%d' % stand_in_port,
                           'matrix.example.com:443:127.0.0.1:%d' % stand_in_port]

    def reload_command(self, ports):
        nginx = [program('nginx'), '-p', self.work / 'nginx', '-e', self.work / 'nginx' / 'error.log',
                 '-c', self.nginx.config, '-s', 'reload']
        return ' '.join(str(arg) for arg in [sys.executable, self.work / 'reload.py', ','.join(map(str, ports))] + nginx)

    def variables(self, **changes):
        variables = {
            'matrix_domain': 'example.com',
            'matrix_base_data_path': str(self.work / 'matrix'),
            'matrix_static_files_webserver': 'nginx',
            'matrix_static_files_webserver_hostname': 'example.com',
            'matrix_static_files_webserver_config_path': str(self.conf_d / 'matrix-static-files.conf'),
            'matrix_static_files_webserver_https_port': self.site_port,
            'matrix_static_files_webserver_listen_addresses': ['127.0.0.1'],
            'matrix_static_files_webserver_tls_certificate': str(self.cert),
            'matrix_static_files_webserver_tls_certificate_key': str(self.key),
            'matrix_static_files_webserver_reload_command': self.reload_command([self.site_port]),
            'matrix_static_files_self_check_connect_to': self.connect_to,
            'matrix_static_files_self_check_ca_path': str(self.ca.cert),
            'matrix_static_files_self_check_delegate_to': '',
            'with_base_domain': False,
        }
        variables.update(changes)
        return variables

    def start(self, variables):
        """ansible-playbook with every variable given as extra vars (-e @file), as AWX passes them, in a process
        group of its own (which a test can kill as a whole)."""
        extra = self.work / 'extra-vars.json'
        extra.write_text(json.dumps(dict(variables, ansible_python_interpreter=sys.executable)))
        argv = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                str(self.work / 'site.yml'), '-e', '@%s' % extra]
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(self.collections), ANSIBLE_NOCOLOR='1')
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)

    def play(self, variables, timeout=300):
        process = self.start(variables)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            raise AssertionError('ansible-playbook did not finish within %d seconds:\n%s%s' % (timeout, stdout, stderr))
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def max_age(self):
        """The Cache-Control max-age nginx serves the client document with (it changes only with a reload)."""
        completed = subprocess.run(
            [program('curl'), '--silent', '--show-error', '--fail', '--max-time', '10', '--cacert', str(self.ca.cert),
             '--connect-to', 'example.com:%d:127.0.0.1:%d' % (self.site_port, self.site_port), '--dump-header', '-',
             '--output', '/dev/null', 'https://example.com:%d/.well-known/matrix/client' % self.site_port],
            capture_output=True, text=True, timeout=30, check=True)
        headers = [line for line in completed.stdout.splitlines() if line.lower().startswith('cache-control:')]
        return int(headers[0].split('max-age=')[1].strip())

    def served_max_age(self, reads=3, timeout=30):
        """The max-age nginx serves once ``reads`` requests in a row (each on a new connection) agree: just after a
        reload, an old worker that is shutting down can still answer one with the previous config."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            seen = (seen + [self.max_age()])[-reads:]
            if len(seen) == reads and len(set(seen)) == 1:
                return seen[0]
            if time.monotonic() > deadline:
                raise AssertionError('nginx served max-age %s, not the same %d times in a row within %d seconds'
                                     % (seen, reads, timeout))
            time.sleep(0.1)


def recap_changed(output):
    """The changed count of the play recap."""
    line = [line for line in output.splitlines() if line.startswith('localhost')][-1]
    return int(line.split('changed=')[1].split()[0])


def test_first_deploy_with_the_self_check_reloads_before_checking(tmp_path, ca, collections, servers):
    """The first deploy writes a site nginx does not serve yet: the self-check passes only after the reload."""
    deployment = Deployment(tmp_path, ca, collections, servers)
    result = deployment.play(deployment.variables(matrix_static_files_self_check_enabled=True))
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Check Matrix discovery of the base domain' in result.stdout
    assert result.stdout.index('documents and the web server config, and reload it') < \
        result.stdout.index('Check Matrix discovery of the base domain')
    again = deployment.play(deployment.variables(matrix_static_files_self_check_enabled=True))
    assert again.returncode == 0, again.stdout
    assert recap_changed(again.stdout) == 0, again.stdout


def test_both_roles_with_extra_vars_leave_the_matrix_host_config_alone(tmp_path, ca, collections, servers):
    """With the variables as extra vars, the base domain role must not rewrite the Matrix host's web server
    config, and a second run changes nothing."""
    deployment = Deployment(tmp_path, ca, collections, servers)
    variables = deployment.variables(
        with_base_domain=True,
        matrix_base_domain_webserver='nginx',
        matrix_base_domain_method='static',
        # localhost holds the Matrix host's variables itself (no group matrix_servers in `-i localhost,`).
        matrix_base_domain_matrix_host='localhost',
        matrix_base_domain_public_path=str(tmp_path / 'base-domain'),
        matrix_base_domain_config_path=str(deployment.conf_d / 'matrix-base-domain.conf'),
        matrix_base_domain_https_port=deployment.base_port,
        matrix_base_domain_listen_addresses=['127.0.0.1'],
        matrix_base_domain_tls_certificate=str(deployment.cert),
        matrix_base_domain_tls_certificate_key=str(deployment.key),
        matrix_base_domain_reload_command=deployment.reload_command([deployment.site_port, deployment.base_port]),
    )
    first = deployment.play(variables)
    assert first.returncode == 0, first.stdout + first.stderr
    matrix_host_config = (deployment.conf_d / 'matrix-static-files.conf').read_text()
    assert 'alias %s/matrix/static-files/public/.well-known/matrix/;' % tmp_path in matrix_host_config
    assert (tmp_path / 'base-domain' / '.well-known' / 'matrix' / 'client').exists()
    second = deployment.play(variables)
    assert second.returncode == 0, second.stdout + second.stderr
    assert recap_changed(second.stdout) == 0, second.stdout
    assert (deployment.conf_d / 'matrix-static-files.conf').read_text() == matrix_host_config


# A reload that fails the first time it runs (as when the server cannot take the new config: a port in use),
# then reloads for real.
FLAKY = '''import os, sys
if not os.path.exists(sys.argv[1]):
    open(sys.argv[1], 'w').close()
    sys.exit('simulated reload failure: bind() to 127.0.0.1 failed (98: Address already in use)')
os.execv(sys.argv[2], sys.argv[2:])
'''

# A reload that never ends (a stuck docker exec or systemctl): it says where it is, then waits.
HANG = '''import os, sys, time
with open(sys.argv[1], 'w') as handle:
    handle.write(str(os.getpid()))
time.sleep(3600)
'''


def wait_for_file(path, process, timeout=240):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, 'no %s after %d seconds' % (path, timeout)
        time.sleep(0.1)


def descendants(pid):
    """Every process below ``pid`` (ansible-playbook's workers call setsid: its process group is not all of it)."""
    parents = {}
    for entry in os.listdir('/proc'):
        try:
            with open('/proc/%s/stat' % entry) as handle:
                parents[int(entry)] = int(handle.read().rsplit(')', 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.extend(children)
        todo.extend(children)
    return found


def kill_tree(process):
    """SIGKILL ansible-playbook and everything it started, as an OOM kill of the whole job or a power cut would."""
    tree = descendants(process.pid)
    for pid in [process.pid] + tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.communicate()
    # A process SIGKILLed on a busy machine may still be on its way out: wait until each one is gone (or a zombie).
    deadline = time.monotonic() + 10
    for pid in tree:
        while time.monotonic() < deadline:
            try:
                with open('/proc/%d/stat' % pid) as handle:
                    if handle.read().rsplit(')', 1)[1].split()[0] == 'Z':
                        break
            except (OSError, IndexError):
                break
            time.sleep(0.05)


def processes_running(argv):
    """PIDs whose command line is exactly ``argv``."""
    found = []
    wanted = '\0'.join(argv) + '\0'
    for pid in os.listdir('/proc'):
        try:
            with open('/proc/%s/cmdline' % pid) as handle:
                if handle.read() == wanted:
                    found.append(int(pid))
        except (OSError, ValueError):
            continue
    return found


def test_a_reload_that_fails_puts_the_previous_config_back_and_fails_the_play(tmp_path, ca, collections, servers):
    """The config changes (Cache-Control), the reload fails: the previous config is put back and nginx reloaded
    with it; the play fails naming the server and the reload's output. The next run deploys the change."""
    deployment = Deployment(tmp_path, ca, collections, servers)
    first = deployment.play(deployment.variables())
    assert first.returncode == 0, first.stdout + first.stderr
    assert deployment.served_max_age() == 4 * 3600
    config = deployment.conf_d / 'matrix-static-files.conf'
    previous = config.read_bytes()
    (tmp_path / 'flaky.py').write_text(FLAKY)
    flaky = '%s %s %s %s' % (sys.executable, tmp_path / 'flaky.py', tmp_path / 'failed-once',
                             deployment.reload_command([deployment.site_port]))
    changed = dict(matrix_static_files_files_cache_time_hours=1)
    failed = deployment.play(deployment.variables(matrix_static_files_webserver_reload_command=flaky, **changed))
    assert failed.returncode != 0, failed.stdout
    assert 'The reload of nginx failed' in failed.stdout and 'Address already in use' in failed.stdout, failed.stdout
    assert 'put back' in failed.stdout, failed.stdout
    assert config.read_bytes() == previous
    assert not (deployment.conf_d / '.matrix-static-files.conf.reload-owed').exists(), failed.stdout
    assert deployment.served_max_age() == 4 * 3600
    again = deployment.play(deployment.variables(**changed))
    assert again.returncode == 0, again.stdout + again.stderr
    assert recap_changed(again.stdout) == 1, again.stdout
    assert deployment.served_max_age() == 3600


def test_a_run_killed_before_the_reload_leaves_it_owed_and_the_next_run_reloads(tmp_path, ca, collections, servers):
    """ansible-playbook is killed with everything it started (SIGKILL) after the new config is written and before
    the reload is done: the next run, with nothing left to write, must still reload, and say it changed."""
    deployment = Deployment(tmp_path, ca, collections, servers)
    first = deployment.play(deployment.variables())
    assert first.returncode == 0, first.stdout + first.stderr
    (tmp_path / 'hang.py').write_text(HANG)
    pid_file = tmp_path / 'reload.pid'
    changed = dict(matrix_static_files_files_cache_time_hours=1)
    hanging = '%s %s %s' % (sys.executable, tmp_path / 'hang.py', pid_file)
    process = deployment.start(deployment.variables(matrix_static_files_webserver_reload_command=hanging, **changed))
    try:
        wait_for_file(pid_file, process)
        time.sleep(0.2)
    finally:
        kill_tree(process)
    assert processes_running([sys.executable, str(tmp_path / 'hang.py'), str(pid_file)]) == []
    assert 'max-age=3600' in (deployment.conf_d / 'matrix-static-files.conf').read_text()
    assert deployment.served_max_age() == 4 * 3600
    again = deployment.play(deployment.variables(**changed))
    assert again.returncode == 0, again.stdout + again.stderr
    assert recap_changed(again.stdout) == 1, again.stdout
    assert deployment.served_max_age() == 3600
    settled = deployment.play(deployment.variables(**changed))
    assert recap_changed(settled.stdout) == 0, settled.stdout


def test_a_reload_that_does_not_finish_fails_naming_the_command(tmp_path, ca, collections, servers):
    """reload_command: sleep (a stand-in for a stuck docker exec) is stopped after the bound, the play fails
    naming the command and the variable that bounds it, and nothing of the command is left running."""
    deployment = Deployment(tmp_path, ca, collections, servers)
    command = ['sleep', '99999.25']
    started = time.monotonic()
    result = deployment.play(deployment.variables(matrix_static_files_webserver_reload_command=' '.join(command),
                                                  matrix_static_files_webserver_reload_timeout=3), timeout=120)
    assert result.returncode != 0, result.stdout
    assert time.monotonic() - started < 120
    assert "'sleep 99999.25' was still running after 3 seconds" in result.stdout, result.stdout
    assert 'matrix_static_files_webserver_reload_timeout' in result.stdout, result.stdout
    assert processes_running(command) == []
    # Nothing was in place: the new config is removed again, and the reload stays owed.
    assert not (deployment.conf_d / 'matrix-static-files.conf').exists()


def test_ansible_playbook_killed_while_the_module_runs_leaves_the_worker_to_reload(
        tmp_path, ca, collections, servers):
    """Only ansible-playbook itself is killed (SIGKILL), the moment the new config is on disk: its worker, orphaned,
    finishes the module, and the module's own reload makes nginx serve the change, with no later run."""
    deployment = Deployment(tmp_path, ca, collections, servers)
    first = deployment.play(deployment.variables())
    assert first.returncode == 0, first.stdout + first.stderr
    config = deployment.conf_d / 'matrix-static-files.conf'
    process = deployment.start(deployment.variables(matrix_static_files_files_cache_time_hours=1))
    orphans = []
    try:
        deadline = time.monotonic() + 240
        while 'max-age=3600' not in config.read_text():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        orphans = descendants(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.communicate()
        deadline = time.monotonic() + 60
        while deployment.served_max_age() != 3600 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert deployment.served_max_age() == 3600
        assert not (deployment.conf_d / '.matrix-static-files.conf.reload-owed').exists()
    finally:
        kill_tree(process)
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
