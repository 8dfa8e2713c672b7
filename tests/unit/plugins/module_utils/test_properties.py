# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based tests of validation and serialisation (hypothesis)."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings, strategies as st

from ansible_collections.matrix.wellknown.plugins.module_utils import _documents as documents
from ansible_collections.matrix.wellknown.plugins.module_utils import _grammar as grammar

json_scalars = st.none() | st.booleans() | st.integers(-2 ** 53, 2 ** 53) | st.text(max_size=20) | st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                           max_leaves=20)
labels = st.from_regex(r'[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?', fullmatch=True)
# All-digit names ("123") are refused on purpose: resolvers read them as IPv4 addresses.
hostnames = st.lists(labels, min_size=1, max_size=4).map('.'.join).filter(lambda h: not re.match(r'^[0-9.]+$', h))
ports = st.integers(1, 65535)
server_names = st.tuples(hostnames, st.none() | ports).map(lambda hp: hp[0] if hp[1] is None else '%s:%d' % hp)
urls = st.tuples(st.sampled_from(['https', 'http']), server_names, st.from_regex(r'(/[a-z0-9._-]{0,8}){0,3}', fullmatch=True)).map(
    lambda parts: '%s://%s%s' % parts)
KNOWN_KEYS = documents.CLIENT_URL_FIELDS_KEYS | {"io.element.jitsi", "im.vector.riot.jitsi", "m.integrations"}
java_keys = st.from_regex(r'[a-z][a-z0-9_]{0,6}(\.[A-Za-z0-9_-]{1,8}){1,3}', fullmatch=True)


@st.composite
def client_documents(draw):
    document = {'m.homeserver': {'base_url': draw(urls)}}
    if draw(st.booleans()):
        document['m.identity_server'] = {'base_url': draw(urls)}
    extra = draw(st.dictionaries(java_keys.filter(lambda k: k not in KNOWN_KEYS), json_values, max_size=3))
    document.update(extra)
    return document


@st.composite
def support_documents(draw):
    contacts = draw(st.lists(st.fixed_dictionaries(
        {'role': st.sampled_from(['m.role.admin', 'm.role.security', 'com.example.role'])},
        optional={'matrix_id': st.tuples(st.from_regex(r'[a-z0-9._=/+-]{1,10}', fullmatch=True), server_names).map(lambda p: '@%s:%s' % p),
                  'email_address': st.tuples(st.from_regex(r'[a-z0-9.+-]{1,10}', fullmatch=True), hostnames.filter(lambda h: '.' in h)).map(
                      lambda p: '%s@%s' % p)}).filter(lambda c: 'matrix_id' in c or 'email_address' in c), max_size=3))
    document = {'contacts': contacts} if contacts else {}
    if not contacts or draw(st.booleans()):
        document['support_page'] = draw(urls)
    return document


def round_trip(name, document):
    assert [f for f in documents.validate_document(name, document) if f.severity == documents.ERROR] == []
    data = documents.serialize(document)
    parsed = json.loads(data.decode('utf-8'))
    assert parsed == document
    assert documents.serialize(parsed) == data
    assert [f for f in documents.validate_document(name, parsed) if f.severity == documents.ERROR] == []


@settings(max_examples=200, deadline=None)
@given(server_names)
def test_server_documents_round_trip(server_name):
    round_trip('server', {'m.server': server_name})


@settings(max_examples=200, deadline=None)
@given(client_documents())
def test_client_documents_round_trip(document):
    round_trip('client', document)


@settings(max_examples=200, deadline=None)
@given(support_documents())
def test_support_documents_round_trip(document):
    round_trip('support', document)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=12), json_values, max_size=5))
def test_anything_accepted_round_trips(document):
    """Whatever the validator accepts, under any name, survives serialisation unchanged."""
    for name in ('server', 'client', 'support', 'mautrix'):
        if not [f for f in documents.validate_document(name, document) if f.severity == documents.ERROR]:
            round_trip(name, document)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_accepted_server_names_hold_no_config_syntax(value):
    """A server name that passes the grammar cannot carry anything a config file or JSON would interpret."""
    if grammar.check_server_name(value) is None:
        assert not set(value) & set(' \t\r\n;{}"\'\\/#$`')


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_accepted_paths_hold_no_config_syntax(value):
    if grammar.check_safe_path(value) is None:
        assert value.startswith('/') and not set(value) & set(' \t\r\n;{}"\'\\#$`')
