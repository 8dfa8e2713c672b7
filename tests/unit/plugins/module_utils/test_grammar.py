# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tables of valid and invalid values for each grammar of the Matrix spec."""

from __future__ import annotations

import pytest

from ansible_collections.matrix.wellknown.plugins.module_utils import _grammar as grammar


@pytest.mark.parametrize('value', [
    'example.com',
    'matrix.example.com:443',
    'matrix.example.com:8448',
    'localhost',
    'localhost:1',
    'localhost:65535',
    '1.2.3.4',
    '1.2.3.4:8448',
    '[::1]',
    '[1234:5678::abcd]:8448',
    'xn--bcher-kva.example',
    'a-b.example.com',
])
def test_server_name_valid(value):
    assert grammar.check_server_name(value) is None


@pytest.mark.parametrize('value, rule', [
    ('', 'is empty'),
    ('https://matrix.example.com', 'scheme'),
    ('http://matrix.example.com:443', 'scheme'),
    ('matrix.example.com/', 'path'),
    ('matrix.example.com:443/_matrix', 'path'),
    ('matrix.example.com?x=1', 'path'),
    ('matrix .example.com', 'whitespace'),
    ('matrix.example.com:443\n', 'whitespace'),
    ('\tmatrix.example.com', 'whitespace'),
    ('matrix.example.com:0', 'outside 1-65535'),
    ('matrix.example.com:65536', 'outside 1-65535'),
    ('matrix.example.com:99999', 'outside 1-65535'),
    ('matrix.example.com:123456', 'not a number'),
    ('matrix.example.com:', 'not a number'),
    ('matrix.example.com:https', 'not a number'),
    ('matrix.example.com:-1', 'not a number'),
    ('a:b:c', 'more than one ":"'),
    ('::1', 'more than one ":"'),
    ('[::1', 'closing'),
    ('[::1]x', 'after the IPv6 literal'),
    ('[not-ip]:80', 'invalid IPv6'),
    ('[::1%lo;{}]:443', 'zone id'),
    ('[::1%lo$x]', 'zone id'),
    ('[fe80::1%eth0]:8448', 'the server name grammar allows only hex digits'),
    ('[fe80::1%1]', 'the server name grammar allows only hex digits'),
    ('1.2.3.256', 'over 255'),
    ('1.2.3', 'neither a valid IPv4'),
    ('exa_mple.com', 'not a valid DNS name'),
    ('example..com', 'not a valid DNS name'),
    ('.example.com', 'not a valid DNS name'),
    ('example.com.', 'not a valid DNS name'),
    ('matrix.example.com;', 'not a valid DNS name'),
    ('"matrix.example.com"', 'not a valid DNS name'),
    ('a' * 64 + '.com', 'not a valid DNS name'),
    (':443', 'empty hostname'),
])
def test_server_name_invalid(value, rule):
    problem = grammar.check_server_name(value)
    assert problem is not None and rule in problem


def test_server_name_not_a_string():
    assert grammar.check_server_name(443) == 'is not a string'


@pytest.mark.parametrize('value, plain_http', [
    ('https://matrix.example.com', False),
    ('https://matrix.example.com/', False),
    ('https://matrix.example.com:8443/prefix', False),
    ('https://[::1]:8448', False),
    ('https://1.2.3.4', False),
    ('http://matrix.example.com', True),
])
def test_http_url_valid(value, plain_http):
    assert grammar.check_http_url(value) == (None, plain_http)


@pytest.mark.parametrize('value, rule', [
    ('matrix.example.com', 'not an absolute http(s) URL'),
    ('//matrix.example.com', 'not an absolute http(s) URL'),
    ('ftp://matrix.example.com', 'not an absolute http(s) URL'),
    ('ldap://id.example.com', 'not an absolute http(s) URL'),
    ('https://', 'not an absolute http(s) URL'),
    ('https:///path', 'not an absolute http(s) URL'),
    ('https://matrix.example.com:99999', 'not an absolute http(s) URL'),
    ('https://matrix.example.com:0', 'outside 1-65535'),
    ('https://matrix.example.com/"', 'quotes'),
    ("https://matrix.example.com'", 'quotes'),
    ('https://matrix.example.com/a b', 'whitespace'),
    ('https://matrix.example.com\n', 'whitespace'),
    ('https://user:secret@matrix.example.com', 'credentials'),
    ('https://exa_mple.com', 'host that'),
    ('', 'not an absolute http(s) URL'),
])
def test_http_url_invalid(value, rule):
    problem, dummy = grammar.check_http_url(value)
    assert problem is not None and rule in problem


@pytest.mark.parametrize('value, valid', [
    ('@alice:example.com', True),
    ('@admin1:example.com:8448', True),
    ('@a.b_c=d/e+f-g:example.com', True),
    ('@Alice:example.com', True),  # historical user IDs are still valid
    ('alice:example.com', False),
    ('@alice', False),
    ('@:example.com', False),
    ('@alice:https://example.com', False),
    ('@al ice:example.com', False),
    ('@alice:example.com/x', False),
    ('@' + 'a' * 250 + ':example.com', False),
    ('@élan:example.com', False),
])
def test_user_id(value, valid):
    assert (grammar.check_user_id(value) is None) is valid


@pytest.mark.parametrize('value, valid', [
    ('admin@example.com', True),
    ('first.last+tag@mail.example.co.uk', True),
    ('admin@localhost', False),
    ('admin', False),
    ('admin@@example.com', False),
    ('ad min@example.com', False),
    ('"admin"@example.com', False),
    ('<admin@example.com>', False),
    ('admin@example.com;', False),
])
def test_email(value, valid):
    assert (grammar.check_email(value) is None) is valid


@pytest.mark.parametrize('value, valid', [
    ('io.element.e2ee', True),
    ('io.element.jitsi', True),
    ('org.matrix.msc4143.rtc_foci', True),
    ('cc.etke.ketesa', True),
    ('m.tile_server', True),
    ('com.example.my-app.Property', True),
    ('element', False),
    ('IO.element.e2ee', False),
    ('io..element', False),
    ('io.element.', False),
    ('io element.e2ee', False),
])
def test_java_package_key(value, valid):
    assert (grammar.check_java_package_key(value) is None) is valid


@pytest.mark.parametrize('value, valid', [
    ('m.role.admin', True),
    ('com.example.role', True),
    ('m.role.moderator', True),
    ('Com.example', False),
    ('role', False),
    ('com.example role', False),
    ('x' * 256 + '.a', False),
])
def test_namespaced_identifier(value, valid):
    assert (grammar.check_namespaced_identifier(value) is None) is valid


@pytest.mark.parametrize('value, valid', [
    ('127.0.0.1:8443', True),
    ('matrix.example.com:443', True),
    ('[::1]:443', True),
    ('[fe80::1%eth0]:443', True),
    ('[fe80::1%br-lan.10_x]:443', True),
    ('[fe80::1%3]:443', True),
    # Python's ipaddress takes any zone id; config syntax must not get through it.
    ('[::1%lo#x;{}]:443', False),
    ('[::1%lo x]:443', False),
    ('[::1%"lo"]:443', False),
    ('[::1%lo\n]:443', False),
    ('[::1%]:443', False),
    ('matrix.example.com', False),
    ('127.0.0.1:0', False),
    ('127.0.0.1:8443;', False),
    ('a b:443', False),
    ('host{:443', False),
])
def test_address(value, valid):
    assert (grammar.check_address(value) is None) is valid


@pytest.mark.parametrize('value, valid', [
    ('/etc/ssl/certs/example.com.pem', True),
    ('/matrix/static-files/public', True),
    ('relative/path', False),
    ('/etc/ssl/my cert.pem', False),
    ('/etc/ssl/cert.pem;', False),
    ('/etc/ssl/{cert}.pem', False),
    ('/etc/ssl/"cert".pem', False),
    ('/etc/ssl/cert.pem\ninclude /etc/passwd', False),
    ('/etc/ssl/cert.pem\n', False),
    ('/etc/../passwd', False),
    ('/etc/ssl/..', False),
])
def test_safe_path(value, valid):
    assert (grammar.check_safe_path(value) is None) is valid


@pytest.mark.parametrize('value, valid', [
    ('/etc/ssl/certs/example.com.pem', True),
    ('/etc/letsencrypt/live/example.com/fullchain.pem', True),
    ('/etc/ssl/certs/', False),
    ('/etc/ssl//cert.pem', False),
    ('/etc/ssl/./cert.pem', False),
    ('/etc/ssl/.', False),
    ('/', False),
    ('/etc/ssl/cert.pem;', False),
    ('/etc/ssl/cert.pem\n', False),
])
def test_safe_file_path(value, valid):
    assert (grammar.check_safe_file_path(value) is None) is valid


@pytest.mark.parametrize('check, value', [
    (grammar.check_server_name, 'matrix.example.com:8448'),
    (grammar.check_server_name, '1.2.3.4'),
    (grammar.check_user_id, '@alice:example.com'),
    (grammar.check_namespaced_identifier, 'com.example.role'),
    (grammar.check_java_package_key, 'io.element.e2ee'),
    (grammar.check_email, 'admin@example.com'),
    (grammar.check_address, 'matrix.example.com:443'),
    (grammar.check_safe_path, '/srv/www'),
    (grammar.check_safe_file_path, '/etc/ssl/cert.pem'),
])
def test_a_trailing_newline_is_refused(check, value):
    # Python's "$" matches before a final newline: each grammar must anchor with \Z.
    def problem(text):
        result = check(text)
        return result[0] if isinstance(result, tuple) else result
    assert problem(value) is None
    assert problem(value + '\n') is not None


@pytest.mark.parametrize('char', ['\x00', '\x1b', '\x7f', '\u202e', '\u2066', '\u200b', '\ufeff'])
def test_control_and_bidi_characters_are_refused_in_urls_and_emails(char):
    problem, dummy = grammar.check_http_url('https://example.com/support%spage' % char)
    assert problem and 'U+%04X' % ord(char) in problem
    problem = grammar.check_email('admin%s@example.com' % char)
    assert problem and 'U+%04X' % ord(char) in problem
