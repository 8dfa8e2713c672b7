# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Validation and serialisation of /.well-known/matrix/* documents.

Pure functions only: no file or network access, so both the writer module and
the checker module (and the tests) call them directly.
"""

from __future__ import annotations

import json
import re

from ansible_collections.matrix.wellknown.plugins.module_utils._grammar import (
    check_ed25519_key,
    check_email,
    check_hostname,
    check_http_url,
    check_java_package_key,
    check_namespaced_identifier,
    check_server_name,
    check_user_id,
)

# Synapse and the Go servers read at most about 50 KiB of a well-known document.
MAX_DOCUMENT_BYTES = 50 * 1024
SPEC_DOCUMENTS = ('server', 'client', 'support')
# The documents the writer takes as options: the spec's, and a room policy server's public key.
OPTION_DOCUMENTS = SPEC_DOCUMENTS + ('policy_server',)
SPEC_SUPPORT_ROLES = ('m.role.admin', 'm.role.security')
_DOCUMENT_NAME = re.compile(r'^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}\Z')

# URL fields of well-known client keys from MSCs that MDAD writes: (key, field, required).
CLIENT_URL_FIELDS = (
    ('org.matrix.msc2965.authentication', 'issuer', True),
    ('org.matrix.msc2965.authentication', 'account', False),
    ('org.matrix.msc3575.proxy', 'url', True),
    ('m.tile_server', 'map_style_url', True),
)
CLIENT_URL_FIELDS_KEYS = frozenset(key for key, dummy, dummy in CLIENT_URL_FIELDS)
CLIENT_HOSTNAME_FIELDS = (
    ('io.element.jitsi', 'preferredDomain'),
    ('im.vector.riot.jitsi', 'preferredDomain'),
)

ERROR = 'error'
WARNING = 'warning'


class Finding(object):
    """One problem found in a document: where (JSON path), what rule, how bad."""

    __slots__ = ('document', 'path', 'message', 'severity')

    def __init__(self, document, path, message, severity=ERROR):
        self.document = document
        self.path = path
        self.message = message
        self.severity = severity

    def __str__(self):
        where = '%s: %s' % (self.document, self.path) if self.path else '%s:' % self.document
        return '%s %s' % (where, self.message)

    def __repr__(self):
        return 'Finding(%r)' % str(self)

    def __eq__(self, other):
        return isinstance(other, Finding) and str(self) == str(other) and self.severity == other.severity

    def __hash__(self):
        return hash((str(self), self.severity))


def _show(value):
    """Render a value for a message the way a user wrote it in YAML."""
    return repr(value) if isinstance(value, str) else json.dumps(value, sort_keys=True)


def serialize(document):
    """Serialise a document byte for byte as MDAD's matrix-static-files role writes it (``to_nice_json``: sorted
    keys, 4-space indent, ``\\uXXXX`` escapes for anything beyond ASCII, no trailing newline), so that MDAD and
    this collection writing the same directory never rewrite each other's files."""
    return json.dumps(document, sort_keys=True, indent=4, separators=(',', ': '), ensure_ascii=True,
                      allow_nan=False).encode('ascii')


def _serialize(name, document):
    """``(bytes, None)``, or ``(None, Finding)`` for a document that cannot be serialised (NaN from a YAML ``.nan``,
    a value JSON has no type for)."""
    try:
        return serialize(document), None
    except (TypeError, ValueError) as exc:
        return None, Finding(name, '', 'cannot be serialised as JSON: %s' % exc)


def serialize_documents(documents):
    """Each document serialised once (``serialize``): ``({name: bytes}, errors)``; a document that cannot be
    serialised is an error, named, and has no bytes."""
    contents, errors = {}, []
    for name in sorted(documents):
        content, finding = _serialize(name, documents[name])
        if finding:
            errors.append(str(finding))
        else:
            contents[name] = content
    return contents, errors


def check_document_name(name):
    """A document name is a plain file name inside the well-known directory."""
    if not isinstance(name, str) or not _DOCUMENT_NAME.match(name):
        return 'is not a plain file name (letters, digits, ".", "_" and "-", not starting with ".")'
    return None


def _check_url(findings, name, path, value):
    problem, plain_http = check_http_url(value)
    if problem:
        findings.append(Finding(name, path, '%s %s' % (_show(value), problem)))
    elif plain_http:
        findings.append(Finding(name, path, '%s uses plain http: clients expect https' % _show(value), WARNING))


def _check_base_url_object(findings, name, doc, key):
    obj = doc[key]
    if not isinstance(obj, dict):
        findings.append(Finding(name, key, 'must be an object with a "base_url", not %s' % _show(obj)))
    elif 'base_url' not in obj:
        findings.append(Finding(name, key + '.base_url', 'is required'))
    else:
        _check_url(findings, name, key + '.base_url', obj['base_url'])


def _validate_server(doc, findings):
    if 'm.server' not in doc:
        findings.append(Finding('server', 'm.server', 'is required (the host[:port] federation traffic goes to)'))
        return
    value = doc['m.server']
    problem = check_server_name(value)
    if problem:
        findings.append(Finding('server', 'm.server', '%s %s' % (_show(value), problem)))
    elif value != value.lower():
        findings.append(Finding('server', 'm.server', '%s has upper-case letters: server names are compared '
                                'case-sensitively and are expected in lower case' % _show(value), WARNING))


def _validate_client(doc, findings):
    if 'm.homeserver' not in doc:
        findings.append(Finding('client', 'm.homeserver.base_url', 'is required'))
    else:
        _check_base_url_object(findings, 'client', doc, 'm.homeserver')
    if 'm.identity_server' in doc:
        _check_base_url_object(findings, 'client', doc, 'm.identity_server')
    for key in sorted(doc):
        if key in ('m.homeserver', 'm.identity_server'):
            continue
        problem = check_java_package_key(key)
        if problem:
            findings.append(Finding('client', key, problem))
    _validate_client_extensions(doc, findings)


def _validate_client_extensions(doc, findings):
    """Check the URL and hostname fields of the MSC keys MDAD users set."""
    for key, field, required in CLIENT_URL_FIELDS:
        obj = doc.get(key)
        if isinstance(obj, dict):
            if field in obj:
                _check_url(findings, 'client', '%s.%s' % (key, field), obj[field])
            elif required:
                findings.append(Finding('client', '%s.%s' % (key, field), 'is required'))
    for key, field in CLIENT_HOSTNAME_FIELDS:
        obj = doc.get(key)
        if isinstance(obj, dict) and field in obj:
            value = obj[field]
            problem = check_hostname(value) if isinstance(value, str) else 'is not a string'
            if problem:
                findings.append(Finding('client', '%s.%s' % (key, field), '%s %s (give a bare domain like '
                                        '"jitsi.example.com")' % (_show(value), problem)))
    integrations = doc.get('m.integrations')
    if isinstance(integrations, dict) and isinstance(integrations.get('managers'), list):
        for index, manager in enumerate(integrations['managers']):
            for field in ('api_url', 'ui_url'):
                if isinstance(manager, dict) and field in manager:
                    _check_url(findings, 'client', 'm.integrations.managers[%d].%s' % (index, field), manager[field])


def _validate_contact(contact, path, findings):
    if not isinstance(contact, dict):
        findings.append(Finding('support', path, 'must be an object with a role and a matrix_id or email_address'))
        return
    role = contact.get('role')
    if role is None:
        findings.append(Finding('support', path + '.role', 'is required (m.role.admin, m.role.security or a namespaced role)'))
    elif role not in SPEC_SUPPORT_ROLES:
        if not isinstance(role, str) or check_namespaced_identifier(role):
            findings.append(Finding('support', path + '.role', '%s is neither m.role.admin, m.role.security nor a '
                                    'namespaced identifier (like "com.example.role")' % _show(role)))
        elif role.startswith('m.'):
            # "m." is reserved for the spec; proposals such as m.role.moderator (MSC4121) are not in it yet.
            findings.append(Finding('support', path + '.role', '%s is not a role of the Matrix spec (only '
                                    'm.role.admin and m.role.security are): clients may ignore it' % _show(role),
                                    WARNING))
    if 'matrix_id' not in contact and 'email_address' not in contact:
        findings.append(Finding('support', path, 'needs at least one of matrix_id or email_address'))
    if 'matrix_id' in contact:
        problem = check_user_id(contact['matrix_id'])
        if problem:
            findings.append(Finding('support', path + '.matrix_id', '%s %s' % (_show(contact['matrix_id']), problem)))
    if 'email_address' in contact:
        problem = check_email(contact['email_address'])
        if problem:
            findings.append(Finding('support', path + '.email_address', '%s %s' % (_show(contact['email_address']), problem)))


def check_support_contents(doc):
    """The support document needs contacts or a page (MSC1929): the rule sentence, or None."""
    contacts = doc.get('contacts')
    if not (contacts and isinstance(contacts, list)) and 'support_page' not in doc:
        return ('needs a non-empty "contacts" list or a "support_page" (an empty support document is invalid: disable '
                'it instead)')
    return None


def _validate_support(doc, findings):
    contacts = doc.get('contacts')
    if contacts is not None and not isinstance(contacts, list):
        findings.append(Finding('support', 'contacts', 'must be a list of contact objects'))
        contacts = None
    problem = check_support_contents(doc)
    if problem:
        findings.append(Finding('support', '', problem))
    for index, contact in enumerate(contacts or []):
        _validate_contact(contact, 'contacts[%d]' % index, findings)
    if 'support_page' in doc:
        _check_url(findings, 'support', 'support_page', doc['support_page'])


def _validate_policy_server(doc, findings):
    keys = doc.get('public_keys')
    if keys is None:
        findings.append(Finding('policy_server', 'public_keys', 'is required (an object with the "ed25519" key)'))
        return
    if not isinstance(keys, dict):
        findings.append(Finding('policy_server', 'public_keys', 'must be an object of algorithm: key, not %s' % _show(keys)))
        return
    if 'ed25519' not in keys:
        findings.append(Finding('policy_server', 'public_keys.ed25519', 'is required'))
    for algorithm in sorted(keys):
        path = 'public_keys.' + algorithm
        if algorithm == 'ed25519':
            problem = check_ed25519_key(keys[algorithm])
            if problem:
                findings.append(Finding('policy_server', path, '%s %s' % (_show(keys[algorithm]), problem)))
        elif check_namespaced_identifier(algorithm):
            findings.append(Finding('policy_server', 'public_keys', '%s is neither ed25519 nor a namespaced algorithm '
                                    '(like "org.example.algorithm")' % _show(algorithm)))
        elif not isinstance(keys[algorithm], str) or not keys[algorithm]:
            findings.append(Finding('policy_server', path, 'must be the key as a non-empty string'))


_VALIDATORS = {
    'server': _validate_server,
    'client': _validate_client,
    'support': _validate_support,
    'policy_server': _validate_policy_server,
}


def validate_document(name, document, check_size=True, content=None):
    """Validate one document; return a list of Finding (errors and warnings).

    ``check_size`` measures the document as this collection serialises it; a checker that
    measured the served bytes itself turns it off. ``content``: the document as ``serialize`` gave it
    already, so that it is not serialised again.
    """
    findings = []
    if not isinstance(document, dict):
        return [Finding(name, '', 'must be a JSON object, not %s' % type(document).__name__)]
    if content is None:
        content, finding = _serialize(name, document)
        if finding:
            return [finding]
    size = len(content)
    if check_size and size >= MAX_DOCUMENT_BYTES:
        findings.append(Finding(name, '', 'serialises to %d bytes: it must stay under %d bytes (50 KiB), '
                                'the most Matrix servers read' % (size, MAX_DOCUMENT_BYTES)))
    validator = _VALIDATORS.get(name)
    if validator:
        validator(document, findings)
    return findings


def validate_documents(documents):
    """Validate a mapping of name -> document; return (errors, warnings) as lists of strings."""
    dummy, errors, warnings = check_and_serialize(documents)
    return errors, warnings


def check_and_serialize(documents):
    """Validate a mapping of name -> document, serialising each one once: ``(contents, errors, warnings)``, with
    ``contents`` the bytes to write ({name: bytes}, only of documents without errors of their own)."""
    contents, errors, warnings = {}, [], []
    for name in sorted(documents):
        problem = check_document_name(name)
        if problem:
            errors.append('%s %s' % (_show(name), problem))
            continue
        document = documents[name]
        content = None
        if isinstance(document, dict):
            content, finding = _serialize(name, document)
            if finding:
                errors.append(str(finding))
                continue
        findings = validate_document(name, document, content=content)
        for finding in findings:
            (errors if finding.severity == ERROR else warnings).append(str(finding))
        if content is not None and not any(finding.severity == ERROR for finding in findings):
            contents[name] = content
    return contents, errors, warnings
