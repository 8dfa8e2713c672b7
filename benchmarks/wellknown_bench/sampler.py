# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The memory of a process tree, sampled from /proc while it runs."""

from __future__ import annotations

import os
import threading
import time

# Every 0.1 s during the first 2 s of a run, then every 0.5 s (a scan of /proc costs a few ms).
INTERVAL = 0.1
INTERVAL_LATER = 0.5


def read(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except OSError:
        return b''


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (which is in parentheses and may hold spaces)."""
    stat = read('/proc/%d/stat' % pid)
    return stat[stat.rfind(b')') + 2:].split()


def process_tree(root):
    """PIDs of ``root`` and all its descendants."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            fields = stat_fields(int(entry))
            if len(fields) > 1:
                children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def memory_of(pid):
    """(PSS, RSS) of one process in KiB; PSS shares each page among the processes that map it."""
    pss = rss = 0
    for line in read('/proc/%d/smaps_rollup' % pid).splitlines():
        if line.startswith(b'Pss:'):
            pss = int(line.split()[1])
        elif line.startswith(b'Rss:'):
            rss = int(line.split()[1])
    return pss, rss


class TreeSampler(threading.Thread):
    """Samples the summed PSS and RSS of a process tree until stopped; keeps the peaks (KiB)."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root = root
        self.stopped = threading.Event()
        self.peak_pss = self.peak_rss = self.samples = 0

    def run(self):
        start = time.perf_counter()
        while not self.stopped.is_set():
            usage = [memory_of(pid) for pid in process_tree(self.root)]
            self.peak_pss = max(self.peak_pss, sum(pss for pss, dummy in usage))
            self.peak_rss = max(self.peak_rss, sum(rss for dummy, rss in usage))
            self.samples += 1
            self.stopped.wait(INTERVAL if time.perf_counter() - start < 2 else INTERVAL_LATER)

    def finish(self):
        self.stopped.set()
        self.join()
