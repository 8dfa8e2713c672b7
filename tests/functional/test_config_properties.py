# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Properties: any string given as a hostname, or as the TLS certificate, key or upstream CA file path, is
either refused before templating (naming the variable), or produces an nginx config that nginx's own check
(nginx -t) accepts. No value can inject directives.

For paths, an accepted value must also name a file that can exist: the generated paths lie under a fresh
directory, and the file is created there (with the certificate, key or CA it stands for) before nginx -t
loads it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, event, example, given, settings, strategies as st

from ansible_collections.matrix.wellknown.plugins.module_utils import _server_check as server_check
from ansible_collections.matrix.wellknown.plugins.plugin_utils import _settings as site_settings
from ansible_collections.matrix.wellknown.plugins.plugin_utils._settings import SettingsError
from ansible_collections.matrix.wellknown.plugins.plugin_utils._site import build_site
from ansible_collections.matrix.wellknown.plugins.plugin_utils._render import render

from helpers import program


# Strings built to hit config syntax: directive separators, quotes, braces, newlines, comments, variables.
hostile = st.text(alphabet=st.sampled_from(list('ab.-_:;{}"\'\\ \n\t#$/*[]()@1')), max_size=30)
anything = st.text(max_size=30)


def nginx_check(workdir, site, form='server'):
    """Render the shared nginx template for ``site`` and run nginx -t on it; return (status, output)."""
    candidate = workdir / 'candidate.conf'
    candidate.write_text(render(site))
    wrapper = workdir / 'wrapper.conf'
    wrapper.write_text(server_check.validation_wrapper('nginx', form, str(candidate), str(workdir)))
    for kind in ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'):
        (workdir / kind).mkdir(exist_ok=True)
    argv, env = server_check.check_command('nginx', program('nginx'), str(wrapper), str(candidate), str(workdir))
    proc = subprocess.run([str(arg) for arg in argv], env=dict(os.environ, **env), capture_output=True, text=True,
                          timeout=30, check=False)
    return proc.returncode, proc.stderr + candidate.read_text()


def base_site(pki, **changes):
    site = {
        'name': 'matrix_property', 'form': 'server', 'config_path': str(pki / 'site.conf'), 'hostname': 'example.com',
        'https_port': 8443, 'listen_addresses': ['127.0.0.1'], 'tls_certificate': str(pki / 'cert.pem'),
        'tls_certificate_key': str(pki / 'key.pem'), 'haproxy_tls_bundle_path': str(pki / 'bundle.pem'),
        'wellknown': {'method': 'proxy', 'root': str(pki), 'documents': ['client', 'server'], 'cache_max_age': 14400,
                      'upstream_hostname': 'matrix.example.com', 'upstream_address': '127.0.0.1:9443', 'upstream_ca_file': ''},
    }
    for key, value in changes.items():
        if key.startswith('wellknown_'):
            site['wellknown'][key[len('wellknown_'):]] = value
        else:
            site[key] = value
    return site


def make_pki(directory):
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run([program('openssl'), 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                    '-days', '1', '-subj', '/CN=example.com', '-keyout', str(directory / 'key.pem'),
                    '-out', str(directory / 'cert.pem')], check=True, capture_output=True)
    return directory


def accepted_or_refused(tmp_path, site, where):
    """Either build_site refuses the site, or nginx -t accepts what it renders."""
    try:
        checked = build_site(site, 'nginx')
    except SettingsError:
        return 'refused'
    return nginx_accepts(tmp_path, checked, '%s %r' % (where, site))


def nginx_accepts(tmp_path, checked, what):
    """Fail unless nginx -t, in a fresh directory, accepts the config of a site build_site accepted."""
    workdir = tmp_path / 'check'
    shutil.rmtree(str(workdir), ignore_errors=True)
    workdir.mkdir()
    status, output = nginx_check(workdir, checked)
    assert status == 0, 'accepted %s, but nginx -t refused the config:\n%s' % (what, output)
    return 'accepted'


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=hostile | anything, field=st.sampled_from(['hostname', 'wellknown_upstream_hostname']))
def test_hostnames_are_refused_or_accepted_by_nginx(tmp_path, value, field):
    pki = make_pki(tmp_path / 'pki') if not (tmp_path / 'pki' / 'cert.pem').exists() else tmp_path / 'pki'
    accepted_or_refused(tmp_path, base_site(pki, **{field: value}), field)


# The variables the paths come from, as build_site names them in its messages.
PATH_VARIABLES = {
    'tls_certificate': 'matrix_base_domain_tls_certificate',
    'tls_certificate_key': 'matrix_base_domain_tls_certificate_key',
    'upstream_ca_file': 'matrix_base_domain_upstream_ca_file',
}
# What the file at an accepted path must hold for nginx to load it: the certificate also serves as the CA.
PATH_CONTENTS = {'tls_certificate': 'cert.pem', 'tls_certificate_key': 'key.pem', 'upstream_ca_file': 'cert.pem'}


def path_refused_or_served(tmp_path, field, value):
    """Either build_site refuses the path naming its variable, or nginx -t accepts the config with the file in place.

    ``value`` should lie under tmp_path/files (made fresh for each call) when it is absolute: an accepted path
    is created there. An accepted path that cannot be created, or that lies elsewhere, fails the property.
    """
    pki = tmp_path / 'pki'
    if not (pki / 'cert.pem').exists():
        make_pki(pki)
    files = tmp_path / 'files'
    shutil.rmtree(str(files), ignore_errors=True)
    files.mkdir()
    key = 'wellknown_' + field if field == 'upstream_ca_file' else field
    site = base_site(pki, **{key: value})
    try:
        checked = build_site(site, 'nginx', names=PATH_VARIABLES)
    except SettingsError as exc:
        assert len(exc.problems) == 1 and exc.problems[0].startswith(PATH_VARIABLES[field] + ': '), exc.problems
        return 'refused'
    if value:
        assert value.startswith(str(files) + '/'), 'accepted %s %r, outside the test directory %s' % (field, value, files)
        try:
            os.makedirs(os.path.dirname(value), exist_ok=True)
            shutil.copyfile(str(pki / PATH_CONTENTS[field]), value)
        except OSError as exc:
            raise AssertionError('accepted %s %r, which cannot name a file: %s' % (field, value, exc)) from exc
    return nginx_accepts(tmp_path, checked, '%s %r' % (field, value))


# A path is a file name in the fresh directory followed by a hostile tail ("/a;b", "x/../..", "\n", "/"), or a
# string on its own (relative, empty, anything; those starting with "/" would lie outside the test directory).
path_values = st.tuples(st.booleans(), hostile | anything).filter(lambda pair: pair[0] or not pair[1].startswith('/'))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=path_values, field=st.sampled_from(sorted(PATH_VARIABLES)))
@example(pair=(True, '/cert.pem'), field='tls_certificate')
@example(pair=(True, '/a/b-c_d.e+f@g%h=i,j'), field='tls_certificate_key')
@example(pair=(True, '/ca.pem; ssl_verify off'), field='upstream_ca_file')
@example(pair=(True, '/x.pem\n'), field='tls_certificate')
@example(pair=(True, '/'), field='tls_certificate_key')
@example(pair=(False, 'cert.pem'), field='tls_certificate')
def test_paths_are_refused_or_accepted_by_nginx(tmp_path, pair, field):
    under, tail = pair
    value = str(tmp_path / 'files' / 'f') + tail if under else tail
    event(path_refused_or_served(tmp_path, field, value))


def test_accepted_paths_reach_nginx(tmp_path):
    """The path property does not pass by refusing everything: plain paths are accepted and served."""
    files = str(tmp_path / 'files')
    for field in PATH_VARIABLES:
        assert path_refused_or_served(tmp_path, field, files + '/tls/%s.pem' % field) == 'accepted'


@pytest.mark.parametrize('tail', ['/a;b', '/a b', '/a\nb', '/a.pem\n', '/a{b', '/'])
@pytest.mark.parametrize('field', sorted(PATH_VARIABLES))
def test_the_path_property_can_fail(tmp_path, monkeypatch, field, tail):
    """With a grammar that lets anything through, the path property fails: nginx -t sees the injected syntax,
    or the accepted path cannot name a file."""
    monkeypatch.setattr(site_settings, 'check_safe_file_path', lambda value: None)
    with pytest.raises(AssertionError):
        path_refused_or_served(tmp_path, field, str(tmp_path / 'files' / 'f') + tail)


def test_the_property_can_fail(tmp_path):
    """The check behind the properties sees an injected directive: nginx refuses it."""
    pki = make_pki(tmp_path / 'pki')
    site = build_site(base_site(pki), 'nginx')
    site['hostname'] = 'example.com; bogus_directive on'
    workdir = tmp_path / 'check'
    workdir.mkdir()
    status, dummy = nginx_check(workdir, site)
    assert status != 0
