# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start, restart or stop a scenario's web server, tracked by the PID in the state directory (server.json holds its
argv, environment and port); start and restart wait until the port accepts connections. Test helper: prepare
starts the server, the role's reload command restarts it, cleanup stops it.

    serverctl.py start|restart|stop STATE_DIRECTORY
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

action, state = sys.argv[1], sys.argv[2]
with open(os.path.join(state, 'server.json')) as handle:
    conf = json.load(handle)
pidfile = os.path.join(state, 'server.pid')


def running(pid):
    try:
        with open('/proc/%d/status' % pid) as handle:
            return not any(line.startswith('State:') and 'Z' in line.split()[1] for line in handle)
    except OSError:
        return False


def stop():
    try:
        with open(pidfile) as handle:
            pid = int(handle.read())
    except (OSError, ValueError):
        return
    if running(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if running(pid):
            os.kill(pid, signal.SIGKILL)
    os.remove(pidfile)


def start():
    log = os.path.join(state, 'server.log')
    with open(log, 'ab') as output:
        process = subprocess.Popen(conf['argv'], env=dict(os.environ, **conf['env']), stdout=output, stderr=output,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    with open(pidfile, 'w') as handle:
        handle.write(str(process.pid))
    deadline = time.monotonic() + 15
    while True:
        if process.poll() is not None:
            sys.exit('the server exited (%s):\n%s' % (process.returncode, open(log).read()))
        try:
            socket.create_connection(('127.0.0.1', conf['port']), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                sys.exit('the server does not listen on %d:\n%s' % (conf['port'], open(log).read()))
            time.sleep(0.05)


stop()
if action in ('start', 'restart'):
    start()
