# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Open the built documentation site in headless Chromium, served on loopback, and check what a reader sees: each
role's page shows every option of its argument spec, and the collection's index links every guide of
docs/docsite/extra-docs.yml, each of which opens with its title.

Usage: python tests/utils/docs-browser-check.py BUILT_HTML_DIR REPO_DIR
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading

import yaml

BROWSERS = ('chromium', 'chromium-browser')
FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync')
COLLECTION = 'collections/matrix/wellknown'


class Page(html.parser.HTMLParser):
    """The ids, link targets and h1 texts of a DOM."""

    def __init__(self, dom):
        super().__init__()
        self.ids, self.links, self.h1 = set(), set(), []
        self._in_h1 = False
        self.feed(dom)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get('id'):
            self.ids.add(attrs['id'])
        if tag == 'a' and attrs.get('href'):
            self.links.add(attrs['href'].split('#')[0])
        if tag == 'h1':
            self._in_h1 = True
            self.h1.append('')

    def handle_endtag(self, tag):
        if tag == 'h1':
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1[-1] += data


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the browser closes connections it no longer needs (fonts, a page it has dumped)


def serve(root):
    server = QuietServer(('127.0.0.1', 0), functools.partial(QuietHandler, directory=root))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def dump_dom(browser, url):
    with tempfile.TemporaryDirectory(prefix='docs-browser-') as profile:
        proc = subprocess.run([browser, *FLAGS, '--user-data-dir=' + profile, '--dump-dom', url],
                              capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0 or '<html' not in proc.stdout:
        sys.exit('docs-browser-check: %s could not open %s (exit %s): %s'
                 % (browser, url, proc.returncode, proc.stderr[-2000:]))
    return Page(proc.stdout)


def first_title(rst_path):
    lines = open(rst_path, encoding='utf-8').read().splitlines()
    for line, under in zip(lines, lines[1:]):
        if line.strip() and under and set(under) == {'='} and len(under) >= len(line):
            return line.strip()
    raise AssertionError('%s has no title' % rst_path)


def main(built, repo):
    browser = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)
    if not browser:
        sys.exit('docs-browser-check: Chromium is not installed (tests/utils/install-system-deps.sh installs it)')
    failures = []
    server = serve(built)
    base = 'http://127.0.0.1:%d/%s/' % (server.server_address[1], COLLECTION)
    try:
        roles = sorted(os.listdir(os.path.join(repo, 'roles')))
        for role in roles:
            with open(os.path.join(repo, 'roles', role, 'meta', 'argument_specs.yml')) as handle:
                options = yaml.safe_load(handle)['argument_specs']['main']['options']
            page = dump_dom(browser, base + '%s_role.html' % role)
            shown = {i[len('parameter-main--'):] for i in page.ids if i.startswith('parameter-main--')}
            missing = sorted(set(options) - shown)
            if missing or not shown:
                failures.append('the page of role %s does not show the options %s' % (role, ', '.join(missing)))

        index = dump_dom(browser, base + 'index.html')
        with open(os.path.join(repo, 'docs', 'docsite', 'extra-docs.yml')) as handle:
            sections = yaml.safe_load(handle)['sections']
        guides = [name for section in sections for name in section['toctree']]
        for role in roles:
            if '%s_role.html' % role not in index.links:
                failures.append('the index does not link the role %s' % role)
        for guide in guides:
            href = 'docsite/%s.html' % guide
            if href not in index.links:
                failures.append('the index does not link the guide %s (%s)' % (guide, href))
                continue
            page = dump_dom(browser, base + href)
            title = first_title(os.path.join(repo, 'docs', 'docsite', 'rst', guide + '.rst'))
            # Sphinx's smart quotes turn ... into an ellipsis.
            if not any(title.replace('`', '') in text.replace('\u2026', '...') for text in page.h1):
                failures.append('the guide %s opens with %r, not its title %r' % (guide, page.h1, title))
    finally:
        server.shutdown()
    for failure in failures:
        print('docs-browser-check: ' + failure, file=sys.stderr)
    if failures:
        sys.exit(1)
    print('docs-browser-check: %s shows the options of %d roles and links %d guides, each with its title'
          % (os.path.basename(browser), len(roles), len(guides)))


if __name__ == '__main__':
    main(*sys.argv[1:3])
