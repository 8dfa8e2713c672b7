# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validation rules of each document, and serialisation."""

from __future__ import annotations

import json

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import _documents as documents

HOMESERVER = {'m.homeserver': {'base_url': 'https://matrix.example.com'}}


def errors_of(name, document):
    return [str(f) for f in documents.validate_document(name, document) if f.severity == documents.ERROR]


def warnings_of(name, document):
    return [str(f) for f in documents.validate_document(name, document) if f.severity == documents.WARNING]


@pytest.mark.parametrize('name, document', [
    ('server', {'m.server': 'matrix.example.com:443'}),
    ('server', {'m.server': 'matrix.example.com'}),
    ('server', {'m.server': '[::1]:8448', 'com.example.extra': 1}),
    ('client', HOMESERVER),
    ('client', {'m.homeserver': {'base_url': 'https://matrix.example.com/'}}),
    ('client', dict(HOMESERVER, **{'m.identity_server': {'base_url': 'https://vector.im'}})),
    ('client', dict(HOMESERVER, **{'io.element.e2ee': {'default': False}, 'org.matrix.msc4143.rtc_foci': [{'type': 'livekit'}],
                                   'io.element.jitsi': {'preferredDomain': 'jitsi.example.com'}, 'cc.etke.ketesa': {'a': 1},
                                   'm.tile_server': {'map_style_url': 'https://tiles.example.com/style.json'},
                                   'org.matrix.msc2965.authentication': {'issuer': 'https://auth.example.com/',
                                                                         'account': 'https://auth.example.com/account'}})),
    ('support', {'support_page': 'https://example.com/support'}),
    ('support', {'contacts': [{'role': 'm.role.admin', 'matrix_id': '@admin:example.com'}]}),
    ('support', {'contacts': [{'role': 'm.role.security', 'email_address': 'security@example.com'}]}),
    ('support', {'contacts': [{'role': 'com.example.moderator', 'email_address': 'mods@example.com',
                               'matrix_id': '@mods:other.example'}], 'support_page': 'https://example.com/help'}),
    ('mautrix', {'fi.mau.bridges': []}),
    ('anything', {}),
])
def test_valid_documents(name, document):
    assert errors_of(name, document) == []


@pytest.mark.parametrize('name, document, message', [
    ('server', {}, 'server: m.server is required'),
    ('server', {'m.server': 'https://matrix.example.com'}, "server: m.server 'https://matrix.example.com' must not include a scheme"),
    ('server', {'m.server': 'matrix.example.com/path'}, "server: m.server 'matrix.example.com/path' must not include a path"),
    ('server', {'m.server': 'matrix.example.com :443'}, "server: m.server 'matrix.example.com :443' contains whitespace"),
    ('server', {'m.server': 'matrix.example.com:70000'}, "server: m.server 'matrix.example.com:70000' has a port outside 1-65535"),
    ('server', {'m.server': 8448}, 'server: m.server 8448 is not a string'),
    ('client', {}, 'client: m.homeserver.base_url is required'),
    ('client', {'m.homeserver': {}}, 'client: m.homeserver.base_url is required'),
    ('client', {'m.homeserver': 'https://matrix.example.com'}, 'client: m.homeserver must be an object'),
    ('client', {'m.homeserver': {'base_url': 'matrix.example.com'}},
     "client: m.homeserver.base_url 'matrix.example.com' is not an absolute http(s) URL"),
    ('client', {'m.homeserver': {'base_url': 'https://matrix.example.com"'}}, 'client: m.homeserver.base_url'),
    ('client', {'m.homeserver': {'base_url': 'https://matrix .example.com'}}, 'contains whitespace'),
    ('client', dict(HOMESERVER, **{'m.identity_server': {'base_url': 'ldap://id.example.com'}}),
     "client: m.identity_server.base_url 'ldap://id.example.com' is not an absolute http(s) URL"),
    ('client', dict(HOMESERVER, **{'m.identity_server': {}}), 'client: m.identity_server.base_url is required'),
    ('client', dict(HOMESERVER, element={'x': 1}), 'client: element is not a namespaced key in Java package style'),
    ('client', dict(HOMESERVER, **{'org.matrix.msc2965.authentication': {'issuer': '', 'account': ''}}),
     "client: org.matrix.msc2965.authentication.issuer '' is not an absolute http(s) URL"),
    ('client', dict(HOMESERVER, **{'org.matrix.msc2965.authentication': {'issuer': 'https://auth.example.com/', 'account': 'x'}}),
     "client: org.matrix.msc2965.authentication.account 'x' is not an absolute http(s) URL"),
    ('client', dict(HOMESERVER, **{'m.tile_server': {'map_style_url': ''}}), "client: m.tile_server.map_style_url ''"),
    ('client', dict(HOMESERVER, **{'org.matrix.msc3575.proxy': {'url': 'sync.example.com'}}), 'client: org.matrix.msc3575.proxy.url'),
    ('client', dict(HOMESERVER, **{'m.integrations': {'managers': [{'api_url': 'x', 'ui_url': 'https://i.example.com'}]}}),
     "client: m.integrations.managers[0].api_url 'x'"),
    ('client', dict(HOMESERVER, **{'io.element.jitsi': {'preferredDomain': 'https://jitsi.example.com'}}),
     "client: io.element.jitsi.preferredDomain 'https://jitsi.example.com'"),
    ('support', {}, 'support: needs a non-empty "contacts" list or a "support_page"'),
    ('support', {'contacts': []}, 'support: needs a non-empty "contacts" list or a "support_page"'),
    ('support', {'contacts': {}}, 'support: contacts must be a list'),
    ('support', {'contacts': [{'matrix_id': '@admin:example.com'}]}, 'support: contacts[0].role is required'),
    ('support', {'contacts': [{'role': 'm.role.admin'}]}, 'support: contacts[0] needs at least one of matrix_id or email_address'),
    ('support', {'contacts': [{'role': 'm.role.admin', 'matrix_id': 'admin@example.com'}]},
     "support: contacts[0].matrix_id 'admin@example.com' is not a user ID"),
    ('support', {'contacts': [{'role': 'm.role.admin', 'email_address': 'admin'}]},
     "support: contacts[0].email_address 'admin' is not a plausible e-mail address"),
    ('support', {'contacts': [{'role': 'Admin', 'email_address': 'admin@example.com'}]},
     "support: contacts[0].role 'Admin' is neither m.role.admin, m.role.security nor a namespaced identifier"),
    ('support', {'contacts': ['admin@example.com']}, 'support: contacts[0] must be an object'),
    ('support', {'support_page': 'example.com/support'}, "support: support_page 'example.com/support' is not an absolute http(s) URL"),
    ('server', ['m.server'], 'server: must be a JSON object, not list'),
    ('client', {'m.homeserver': {'base_url': 'https://matrix.example.com'}, 'com.example.x': float('nan')}, 'cannot be serialised as JSON'),
    ('mautrix', {'fi.mau.bridges': ['x' * documents.MAX_DOCUMENT_BYTES]}, 'mautrix: serialises to'),
])
def test_invalid_documents(name, document, message):
    errors = errors_of(name, document)
    assert any(error.startswith(message) or message in error for error in errors), errors


@pytest.mark.parametrize('name, document, message', [
    ('client', {'m.homeserver': {'base_url': 'http://matrix.example.com'}}, 'uses plain http'),
    ('server', {'m.server': 'Matrix.Example.com'}, 'upper-case'),
    ('support', {'contacts': [{'role': 'm.role.moderator', 'email_address': 'mods@example.com'}]}, 'not a role of the Matrix spec'),
])
def test_warnings(name, document, message):
    assert errors_of(name, document) == []
    assert any(message in warning for warning in warnings_of(name, document))


def test_size_limit_is_exclusive():
    padding = documents.MAX_DOCUMENT_BYTES - len(documents.serialize({'k': ''}))
    assert errors_of('other', {'k': 'x' * (padding - 1)}) == []
    assert errors_of('other', {'k': 'x' * padding})


def test_serialize_is_stable_sorted_and_escapes_beyond_ascii_as_mdad():
    # MDAD writes to_nice_json's text as it is: no trailing newline, \\u escapes (test_mdad.py compares real files).
    data = documents.serialize({'b': 1, 'a': {'d': 'é', 'c': [1, 2]}})
    assert data == b'{\n    "a": {\n        "c": [\n            1,\n            2\n        ],\n        "d": "\\u00e9"\n    },\n    "b": 1\n}'
    assert json.loads(data.decode('utf-8')) == {'b': 1, 'a': {'d': 'é', 'c': [1, 2]}}


def test_validate_documents_splits_errors_and_warnings_and_checks_names():
    errors, warnings = documents.validate_documents({
        'client': {'m.homeserver': {'base_url': 'http://matrix.example.com'}},
        '../escape': {},
        '.hidden': {},
    })
    assert len(errors) == 2 and all('is not a plain file name' in e for e in errors)
    assert warnings == ["client: m.homeserver.base_url 'http://matrix.example.com' uses plain http: clients expect https"]


def test_check_and_serialize_serialises_each_document_once(monkeypatch):
    given = {
        'client': {'m.homeserver': {'base_url': 'https://matrix.example.com'}},
        'server': {'m.server': 'matrix.example.com:443'},
        'support': {'contacts': []},
        'nan': {'k': float('nan')},
        '.hidden': {},
    }
    calls = []
    serialize = documents.serialize
    monkeypatch.setattr(documents, 'serialize', lambda document: calls.append(document) or serialize(document))
    contents, errors, warnings = documents.check_and_serialize(given)
    assert len(calls) == 4
    # What is written is what serialize gives; a document with an error of its own has nothing to write.
    assert contents == {'client': serialize(given['client']), 'server': serialize(given['server'])}
    assert (errors, warnings) == documents.validate_documents(given)
    assert errors[0].startswith("'.hidden' is not a plain file name")
    assert errors[1].startswith('nan: cannot be serialised as JSON: Out of range float values')
    assert errors[2].startswith('support: needs a non-empty "contacts" list')


def test_serialize_documents_names_what_cannot_be_serialised():
    contents, errors = documents.serialize_documents({'client': {'a': 1}, 'nan': {'k': float('inf')}})
    assert contents == {'client': b'{\n    "a": 1\n}'}
    assert errors == ['nan: cannot be serialised as JSON: Out of range float values are not JSON compliant: inf']


def test_size_check_can_be_left_to_the_caller():
    big = {'k': 'x' * documents.MAX_DOCUMENT_BYTES}
    assert errors_of('other', big)
    assert documents.validate_document('other', big, check_size=False) == []


@pytest.mark.parametrize('support, path', [
    ({'support_page': 'https://example.com/\u202etxt.exe'}, 'support_page'),
    ({'support_page': 'https://example.com/help\x00'}, 'support_page'),
    ({'contacts': [{'role': 'm.role.admin', 'email_address': 'ad\u202emin@example.com'}]}, 'contacts[0].email_address'),
    ({'contacts': [{'role': 'm.role.admin', 'email_address': 'admin\x07@example.com'}]}, 'contacts[0].email_address'),
])
def test_invisible_characters_in_support_are_refused(support, path):
    errors = errors_of('support', support)
    assert len(errors) == 1 and errors[0].startswith('support: %s ' % path) and 'control or invisible' in errors[0]


KEY = 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ'


@pytest.mark.parametrize('document', [
    {'public_keys': {'ed25519': KEY}},
    {'public_keys': {'ed25519': KEY, 'org.example.algorithm': 'c29tZQ'}},
])
def test_valid_policy_server(document):
    assert errors_of('policy_server', document) == []


@pytest.mark.parametrize('document, message', [
    ({}, 'policy_server: public_keys is required'),
    ({'public_keys': KEY}, 'policy_server: public_keys must be an object'),
    ({'public_keys': {}}, 'policy_server: public_keys.ed25519 is required'),
    ({'public_keys': {'ed25519': KEY + '='}}, 'policy_server: public_keys.ed25519 %r must be unpadded base64' % (KEY + '=')),
    ({'public_keys': {'ed25519': KEY[:-1] + '_'}}, 'is not standard base64'),
    ({'public_keys': {'ed25519': 'c29tZQ'}}, 'decodes to 4 bytes: an ed25519 public key has 32'),
    ({'public_keys': {'ed25519': 42}}, 'must be the unpadded base64 of a 32-byte ed25519 public key'),
    ({'public_keys': {'ed25519': KEY, 'rsa': 'abc'}}, "'rsa' is neither ed25519 nor a namespaced algorithm"),
    ({'public_keys': {'ed25519': KEY, 'org.example.algorithm': ''}}, 'public_keys.org.example.algorithm must be the key'),
])
def test_invalid_policy_server(document, message):
    errors = errors_of('policy_server', document)
    assert len(errors) == 1 and message in errors[0], errors
