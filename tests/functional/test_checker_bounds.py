# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checker has bounds: hostile servers on loopback cannot hold it or crash it (issue 20, items 6 and 7).

One nginx serves the documents over HTTPS; a tarpit accepts TLS connections for the LiveKit URLs and never
answers. Every run of the module is bounded by the test itself (run_module's timeout), so the test cannot
hang on a checker without bounds: it fails instead.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers import HOMESERVER_STAND_IN, Nginx, SocketServer, free_port, nginx_string

MODULE = 'matrix.wellknown.matrix_wellknown_info'
CORS = ("add_header Access-Control-Allow-Origin '*' always; "
        "add_header Access-Control-Allow-Methods 'GET, POST, PUT, DELETE, OPTIONS' always; "
        "add_header Access-Control-Allow-Headers 'X-Requested-With, Content-Type, Authorization' always; "
        "add_header Cache-Control 'max-age=3600' always; ")
REPEATED = 'https://rtc.example.com/livekit/jwt'
DISTINCT = ['https://rtc%d.example.com/livekit/jwt' % number for number in range(20)]
# 600 nested arrays: 1.2 KB that made Python's JSON handling (or Ansible's output of the result) recurse too deep.
DEEP = '[' * 600 + ']' * 600
# At the limit: an object holding 63 nested arrays, 64 levels in all.
AT_LIMIT = '{"m.homeserver": {"base_url": "https://matrix.example.com"}, "com.example.deep": %s}' % ('[' * 63 + ']' * 63)


def documents(directory, client):
    """The three documents, delegating to matrix.example.com, with the given client document (JSON text, served
    from a file in ``directory``: nginx takes no string that long in its config)."""
    text = dict(server=json.dumps({'m.server': 'matrix.example.com:443'}),
                support=json.dumps({'contacts': [{'role': 'm.role.admin', 'email_address': 'admin@example.com'}]}))
    directory.mkdir(parents=True)
    (directory / 'client').write_text(client)
    return ('location = /.well-known/matrix/client { default_type application/json; '
            'if ($request_method = OPTIONS) { %s return 204; } %s alias %s; }\n' % (CORS, CORS, directory / 'client')
            + ''.join('location = /.well-known/matrix/%s { default_type application/json; '
                      'if ($request_method = OPTIONS) { %s return 204; } %s return 200 %s; }\n'
                      % (name, CORS, CORS, nginx_string(body)) for name, body in text.items()))


def foci(urls):
    return json.dumps({'m.homeserver': {'base_url': 'https://matrix.example.com'},
                       'org.matrix.msc4143.rtc_foci': [{'type': 'livekit', 'livekit_service_url': url} for url in urls]})


def silent(connection, stop):
    """A tarpit: the TLS handshake is done, then nothing is ever said."""
    stop.wait(60)


@pytest.fixture(scope='session')
def hostile(workdir, ca, session_servers):
    port = free_port()
    files = workdir / 'bounds-files'
    sites = {
        'repeated.example.com': documents(files / 'repeated', foci([REPEATED] * 60)),
        'many.example.com': documents(files / 'many', foci([REPEATED] * 60 + DISTINCT)),
        'deep.example.com': documents(files / 'deep', DEEP),
        'limit.example.com': documents(files / 'limit', AT_LIMIT),
        'matrix.example.com': HOMESERVER_STAND_IN,
    }
    rtc_names = [REPEATED.split('/')[2]] + [url.split('/')[2] for url in DISTINCT]
    cert = ca.issue('bounds', list(sites) + rtc_names, days=90)
    config = ''.join('server {\n listen 127.0.0.1:%d ssl;\n server_name %s;\n ssl_certificate %s;\n'
                     ' ssl_certificate_key %s;\n%s}\n' % (port, name, cert[0], cert[1], locations)
                     for name, locations in sites.items())
    session_servers.append(Nginx(workdir / 'nginx-bounds', config, [port]))
    tarpit = SocketServer(silent, tls=cert)
    session_servers.append(tarpit)
    connect_to = (['%s:443:127.0.0.1:%d' % (name, port) for name in sites]
                  + ['%s:443:127.0.0.1:%d' % (name, tarpit.port) for name in rtc_names])
    return SimpleNamespace(port=port, tarpit=tarpit, ca=str(ca.cert), connect_to=connect_to)


def bounded(argv, bound, env):
    """Run a command in a session of its own; past ``bound`` seconds, end it and every process it started
    (the module runs in a child of ansible's), then fail the test."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=bound)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail('%s did not end within %d seconds' % (' '.join(argv[:4]), bound))
    return process.returncode, stdout, stderr


def environment(collections):
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR='1',
                ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')


@pytest.fixture
def check(hostile, collections, tmp_path):
    """Run the module with the ansible CLI; the run must end within ``bound`` seconds (ansible's start-up included)."""
    def run(server_name, bound, **args):
        args = dict(dict(server_name=server_name, connect_to=hostile.connect_to, ca_path=hostile.ca, timeout=1), **args)
        before = len(hostile.tarpit.connections)
        started = time.monotonic()
        tree = tmp_path / ('tree-%s' % server_name)
        bounded([str(Path(sys.executable).parent / 'ansible'), 'localhost', '-m', MODULE, '-a', json.dumps(args),
                 '-e', 'ansible_python_interpreter=%s' % sys.executable, '--tree', str(tree)], bound, environment(collections))
        result = json.loads((tree / 'localhost').read_text())
        assert result.get('failed') is not True, result
        return result, time.monotonic() - started, len(hostile.tarpit.connections) - before
    return run


def codes(result):
    return [(problem['document'], problem['severity'], problem['code']) for problem in result['problems']]


def test_one_url_listed_60_times_is_probed_once(check):
    """Before: 60 probes of the tarpit, one per copy (60 s with timeout 1, and 10 minutes at the default)."""
    result, elapsed, connections = check('repeated.example.com', bound=40)
    assert connections == 1
    assert result['client']['rtc_foci'] == [dict(livekit_service_url=REPEATED, ok=False,
                                                 answer=result['client']['rtc_foci'][0]['answer'])]
    assert 'no complete answer' in result['client']['rtc_foci'][0]['answer']
    assert codes(result) == [('client', 'warning', 'rtc-focus-unreachable')]
    assert elapsed < 30


def test_many_distinct_foci_are_capped_and_the_report_says_so(check):
    result, elapsed, connections = check('many.example.com', bound=40)
    assert connections == 5
    assert [focus['livekit_service_url'] for focus in result['client']['rtc_foci']] == [REPEATED] + DISTINCT[:4]
    assert ('client', 'warning', 'too-many-rtc-foci') in codes(result)
    capped = [line for line in result['report'] if '[too-many-rtc-foci]' in line]
    assert len(capped) == 1 and 'lists 21 different livekit_service_url values' in capped[0]
    assert 'only the first 5 were probed' in capped[0]
    assert elapsed < 30


def test_the_deadline_stops_the_check_and_names_what_did_not_run(check):
    """Five tarpit foci at timeout 2 need 10 seconds; a deadline of 3 seconds stops the check there."""
    result, elapsed, connections = check('many.example.com', bound=40, timeout=2, deadline=3)
    assert connections <= 2
    deadline = [problem for problem in result['problems'] if problem['code'] == 'deadline-exceeded']
    assert len(deadline) == 1 and deadline[0]['severity'] == 'error' and deadline[0]['document'] is None
    assert 'the LiveKit focus %s did not run' % DISTINCT[3] in deadline[0]['message']
    assert result['ok'] is False
    assert 'the check itself:' in result['report']
    # The documents and federation were checked before the time ran out.
    assert result['federation']['version'] == {'name': 'stand-in', 'version': '1'}
    assert elapsed < 25


def test_deeply_nested_document_is_an_invalid_document(check):
    """Before: the task failed with 'maximum recursion depth exceeded'."""
    result, dummy, dummy = check('deep.example.com', bound=60)
    assert codes(result) == [('client', 'error', 'invalid-document')]
    assert 'more than 64 levels deep' in result['problems'][0]['message']
    assert result['documents']['client'] is None
    assert result['documents']['server'] == {'m.server': 'matrix.example.com:443'}


@pytest.mark.parametrize('server_name', ['deep.example.com', 'limit.example.com'])
def test_the_result_prints_at_the_highest_verbosity(hostile, collections, server_name, tmp_path):
    """The registered result and -vvv output of a play: a document at the depth limit is kept and printed."""
    play = tmp_path / 'play.yml'
    play.write_text(json.dumps([{
        'hosts': 'localhost', 'gather_facts': False,
        'tasks': [{'name': 'Check', 'register': 'found', MODULE: {
            'server_name': server_name, 'connect_to': hostile.connect_to, 'ca_path': hostile.ca, 'timeout': 5}},
            {'name': 'Print', 'ansible.builtin.debug': {'var': 'found'}}]}]))
    argv = [str(Path(sys.executable).parent / 'ansible-playbook'), '-vvv', '-i', 'localhost,', '-c', 'local',
            '-e', 'ansible_python_interpreter=%s' % sys.executable, str(play)]
    returncode, stdout, stderr = bounded(argv, 120, environment(collections))
    assert returncode == 0, (stdout + stderr)[-3000:]
    assert 'recursion' not in stdout + stderr and 'Traceback' not in stdout + stderr
    if server_name == 'limit.example.com':
        assert '"com.example.deep"' in stdout
    else:
        assert 'invalid-document' in stdout
