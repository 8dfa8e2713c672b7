# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every problem code the checker knows is documented in the module's RETURN and in the checker guide, and nothing
else is: the three lists cannot drift apart."""

from __future__ import annotations

import os
import re

import yaml

from ansible_collections.matrix.wellknown.plugins.module_utils import _check_report as check_report
from ansible_collections.matrix.wellknown.plugins.modules import matrix_wellknown_info

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..')
GUIDE = os.path.join(ROOT, 'docs', 'docsite', 'rst', 'guide_checker.rst')


def module_codes():
    descriptions = yaml.safe_load(matrix_wellknown_info.RETURN)['problems']['contains']['code']['description']
    return [re.match(r'C\(([a-z0-9-]+)\) \(', text).group(1) for text in descriptions[1:]]


def guide_codes():
    with open(GUIDE) as handle:
        text = handle.read()
    section = text[text.index('\nProblem codes\n'):]
    section = section[:section.index('\nReturned data\n')]
    return re.findall(r'^   \* - ``([a-z0-9-]+)``$', section, re.M)


def test_the_module_documents_every_code_once():
    codes = module_codes()
    assert len(codes) == len(set(codes))
    assert set(codes) == set(check_report.CHECK_OF_CODE)


def test_the_guide_lists_the_same_codes_in_the_same_order():
    assert guide_codes() == module_codes()


def test_the_code_lists_can_fail():
    # The parsers must find the codes at all, or the comparisons above would hold for two empty lists.
    assert 'cors-missing' in guide_codes() and 'federation-failed' in module_codes()
