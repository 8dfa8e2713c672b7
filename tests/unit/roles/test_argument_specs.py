# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each role's meta/argument_specs.yml documents every variable of its defaults/main.yml, with the same default."""

from __future__ import annotations

import os

import pytest
import yaml

ROLES_DIR = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles')
ROLES = sorted(name for name in os.listdir(ROLES_DIR) if os.path.isfile(os.path.join(ROLES_DIR, name, 'defaults', 'main.yml')))


def load(role, *parts):
    with open(os.path.join(ROLES_DIR, role, *parts)) as handle:
        return yaml.safe_load(handle) or {}


def templated(value):
    return isinstance(value, str) and '{{' in value


@pytest.mark.parametrize('role', ROLES)
def test_every_default_is_documented(role):
    defaults = load(role, 'defaults', 'main.yml')
    options = load(role, 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
    assert sorted(set(defaults) - set(options)) == []


@pytest.mark.parametrize('role', ROLES)
def test_defaults_agree(role):
    defaults = load(role, 'defaults', 'main.yml')
    options = load(role, 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
    for name, spec in options.items():
        assert spec.get('description'), '%s has no description' % name
        assert spec.get('type'), '%s has no type' % name
        if name not in defaults:
            # Wider variables read with a default in an expression (matrix_domain, ...).
            assert 'default' not in spec, '%s has a default in argument_specs but none in defaults/main.yml' % name
        elif templated(defaults[name]):
            # Ansible templates argument_specs: a templated default would be evaluated there, so it is described in words.
            assert 'default' not in spec, '%s: templated defaults are described, not repeated' % name
        else:
            assert spec.get('default') == defaults[name], '%s: argument_specs default %r != defaults/main.yml %r' % (
                name, spec.get('default'), defaults[name])
        if 'choices' in spec and name in defaults and not templated(defaults[name]):
            assert defaults[name] in spec['choices'], name


def test_there_are_roles():
    assert 'matrix_static_files' in ROLES
