# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip.py bootstrap script ansible-test downloads.

ansible-test fetches get-pip.py from a host these machines cannot reach. This
script does the same job from a pip wheel downloaded from the package index
beforehand: ``python get_pip.py [pip options] pip==X`` installs that wheel.
The wheel path comes from the PIP_WHEEL environment variable or, by default,
from the wheel placed next to this script by tests/utils/ansible-test.sh.
"""
import glob
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
wheel = os.environ.get('PIP_WHEEL') or sorted(glob.glob(os.path.join(here, 'pip-*.whl')))[-1]
sys.path.insert(0, wheel)

from pip._internal.cli.main import main  # noqa: E402  pylint: disable=wrong-import-position

args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
sys.exit(main(['install', '--no-index', '--find-links', os.path.dirname(wheel)] + args))
