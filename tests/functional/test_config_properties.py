# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property: any string given as a hostname is either refused before templating, or produces an
nginx config that nginx's own check (nginx -t) accepts. No value can inject directives.

(Paths: tests/unit/plugins/module_utils/test_properties.py shows that accepted paths hold no config
syntax. A certificate path ending in "/" is still accepted and only refused by nginx -t, which keeps
the old config in place; see the issue notes.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import jinja2
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.matrix.wellknown.plugins.module_utils import webserver
from ansible_collections.matrix.wellknown.plugins.module_utils.webserver import SiteError, build_site

from helpers import program

TEMPLATES = Path(__file__).resolve().parents[2] / 'roles' / 'webserver_config' / 'templates'
ENVIRONMENT = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), trim_blocks=True, undefined=jinja2.StrictUndefined)

# Strings built to hit config syntax: directive separators, quotes, braces, newlines, comments, variables.
hostile = st.text(alphabet=st.sampled_from(list('ab.-_:;{}"\'\\ \n\t#$/*[]()@1')), max_size=30)
anything = st.text(max_size=30)


def nginx_check(workdir, site, form='server'):
    """Render the shared nginx template for ``site`` and run nginx -t on it; return (status, output)."""
    candidate = workdir / 'candidate.conf'
    candidate.write_text(ENVIRONMENT.get_template('nginx.j2').render(__webserver_config_site=site, ansible_managed='Ansible managed'))
    wrapper = workdir / 'wrapper.conf'
    wrapper.write_text(webserver.validation_wrapper('nginx', form, str(candidate), str(workdir)))
    for kind in ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'):
        (workdir / kind).mkdir(exist_ok=True)
    argv, env = webserver.check_command('nginx', program('nginx'), str(wrapper), str(candidate), str(workdir))
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
    except SiteError:
        return 'refused'
    workdir = tmp_path / 'check'
    shutil.rmtree(str(workdir), ignore_errors=True)
    workdir.mkdir()
    status, output = nginx_check(workdir, checked)
    assert status == 0, 'accepted %s %r, but nginx -t refused the config:\n%s' % (where, site, output)
    return 'accepted'


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=hostile | anything, field=st.sampled_from(['hostname', 'wellknown_upstream_hostname']))
def test_hostnames_are_refused_or_accepted_by_nginx(tmp_path, value, field):
    pki = make_pki(tmp_path / 'pki') if not (tmp_path / 'pki' / 'cert.pem').exists() else tmp_path / 'pki'
    accepted_or_refused(tmp_path, base_site(pki, **{field: value}), field)


def test_the_property_can_fail(tmp_path):
    """The check behind the properties sees an injected directive: nginx refuses it."""
    pki = make_pki(tmp_path / 'pki')
    site = build_site(base_site(pki), 'nginx')
    site['hostname'] = 'example.com; bogus_directive on'
    workdir = tmp_path / 'check'
    workdir.mkdir()
    status, dummy = nginx_check(workdir, site)
    assert status != 0
