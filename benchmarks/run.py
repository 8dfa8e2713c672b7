#!/usr/bin/env python
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the fleet benchmark (the package wellknown_bench next to this file); --help lists the options.

Re-executes itself with the project's .venv python when started with an interpreter that has no
ansible-playbook next to it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def reexec_in_venv():
    venv_python = BENCH_DIR.parent / '.venv' / 'bin' / 'python'
    if (Path(sys.executable).parent / 'ansible-playbook').exists():
        return
    if venv_python.exists() and os.environ.get('MATRIX_WELLKNOWN_BENCH_REEXEC') != '1':
        os.environ['MATRIX_WELLKNOWN_BENCH_REEXEC'] = '1'
        os.execv(str(venv_python), [str(venv_python), str(Path(__file__).resolve())] + sys.argv[1:])
    sys.exit('benchmarks/run.py: ansible-playbook is not next to %s; run `make venv` first '
             'or start this script with the project\'s .venv/bin/python' % sys.executable)


if __name__ == '__main__':
    reexec_in_venv()
    sys.path.insert(0, str(BENCH_DIR))
    from wellknown_bench.main import main  # pylint: disable=import-error,wrong-import-position

    sys.exit(main())
