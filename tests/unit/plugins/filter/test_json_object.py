# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.matrix.wellknown.plugins.filter.json_object import json_object, FilterModule


@pytest.mark.parametrize('value, expected', [
    ('{}', {}),
    ('{"m.another": "value", "m.yet_another": 3}', {'m.another': 'value', 'm.yet_another': 3}),
    ('  {"a": {"b": [1]}}\n', {'a': {'b': [1]}}),
    ({'already': 'a mapping'}, {'already': 'a mapping'}),
])
def test_parses_objects(value, expected):
    assert json_object(value, 'my_var') == expected


@pytest.mark.parametrize('value, message', [
    ('', 'my_var is not valid JSON'),
    ('{bad', 'my_var is not valid JSON'),
    ("{'single': 'quotes'}", 'my_var is not valid JSON'),
    ('[1, 2]', 'my_var must be a JSON object ({...}), not a JSON list'),
    ('"text"', 'my_var must be a JSON object ({...}), not a JSON str'),
    ('null', 'my_var must be a JSON object ({...}), not a JSON NoneType'),
    (None, 'my_var must be the text of a JSON object, not a NoneType'),
    ([{}], 'my_var must be the text of a JSON object, not a list'),
])
def test_refuses_anything_else_naming_the_variable(value, message):
    with pytest.raises(AnsibleFilterError) as info:
        json_object(value, 'my_var')
    assert message in str(info.value)


def test_registered():
    assert FilterModule().filters()['json_object'] is json_object
