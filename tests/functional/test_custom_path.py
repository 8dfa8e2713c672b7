# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The documents written outside the public path (matrix_static_files_public_well_known_matrix_path), served for
real by nginx: the config must serve them from where the role writes them (issue #22)."""

from __future__ import annotations

import subprocess

from helpers import program
from test_role_deploy import Deployment, recap_changed


def fetch(deployment, path, method='GET'):
    """(status, headers, body) of https://example.com:<site port><path>, through the site's real name."""
    completed = subprocess.run(
        [program('curl'), '--silent', '--show-error', '--max-time', '10', '--cacert', str(deployment.ca.cert),
         '--connect-to', 'example.com:%d:127.0.0.1:%d' % (deployment.site_port, deployment.site_port),
         '--request', method, '--dump-header', '/dev/stderr', '--write-out', '\n%{http_code}',
         'https://example.com:%d%s' % (deployment.site_port, path)],
        capture_output=True, timeout=30, check=True)
    body, status = completed.stdout.rsplit(b'\n', 1)
    return int(status), completed.stderr.decode('latin-1').lower(), body


def test_documents_in_a_directory_of_their_own_are_served_from_there(tmp_path, ca, collections, servers):
    deployment = Deployment(tmp_path, ca, collections, servers)
    directory = tmp_path / 'srv' / 'other' / 'wk'
    variables = deployment.variables(matrix_static_files_public_well_known_matrix_path=str(directory))
    result = deployment.play(variables)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(path.name for path in directory.iterdir()) == ['client', 'server']
    # Nothing under the public path the directory would have been derived from.
    assert not (tmp_path / 'matrix' / 'static-files' / 'public' / '.well-known' / 'matrix').exists()
    for name in ('client', 'server'):
        status, headers, body = fetch(deployment, '/.well-known/matrix/%s' % name)
        assert status == 200, (name, status, body)
        assert body == (directory / name).read_bytes()
        assert 'content-type: application/json' in headers
        assert 'access-control-allow-origin: *' in headers
        assert 'cache-control: max-age=14400' in headers
    assert fetch(deployment, '/.well-known/matrix/client', 'OPTIONS')[0] == 204
    assert fetch(deployment, '/.well-known/matrix/support')[0] == 404
    assert fetch(deployment, '/.well-known/matrix/')[0] == 404
    again = deployment.play(variables)
    assert again.returncode == 0, again.stdout + again.stderr
    assert recap_changed(again.stdout) == 0, again.stdout
