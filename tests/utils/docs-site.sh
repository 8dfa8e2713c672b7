#!/usr/bin/env bash
# The collection's documentation site, built the way the Ansible documentation builds a collection's: antsibull-docs
# writes the pages of every module, plugin and role and the guides of docs/docsite/ (extra-docs.yml), Sphinx renders
# them. Every Sphinx warning fails the build except the ones that come from having no network: the intersphinx
# inventories (docs.ansible.com, docs.python.org) cannot be fetched, so references into the Ansible documentation
# (ansible.builtin.*, common_return_values, ...) stay unresolved. A reference into this collection never may.
# Then headless Chromium opens the site (tests/utils/docs-browser-check.py).
# Needs the collection installed in ANSIBLE_COLLECTIONS_PATH (make collection) and the tools of
# tests/requirements-docs.txt in VENV_BIN. Usage: tests/utils/docs-site.sh DEST_DIR
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${VENV_BIN:-$repo/.venv-galaxy/bin}
export PATH="$bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$repo/build/collections}
dest=${1:?usage: docs-site.sh DEST_DIR}
installed="$ANSIBLE_COLLECTIONS_PATH/ansible_collections/matrix/wellknown"
[ -d "$installed" ] || { echo "docs-site: the collection is not installed in $ANSIBLE_COLLECTIONS_PATH (make collection)" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$dest"
antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir "$dest" matrix.wellknown > "$dest/sphinx-init.log"
cd "$dest"
# What the generated build.sh does, except Sphinx's -W: the warnings are sorted below instead.
mkdir -p rst
chmod og-w rst
antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything --fail-on-error --use-current \
  --dest-dir rst matrix.wellknown > antsibull-docs.log
sphinx-build -M html rst build -c . --keep-going -q -w warnings.log 2> sphinx-stderr.log || {
  cat sphinx-stderr.log >&2; echo "docs-site: sphinx-build failed" >&2; exit 1; }

python - warnings.log <<'PYTHON'
import re
import sys

# A warning is its first line plus the indented or "intersphinx inventory" lines that follow it.
warnings = []
for line in open(sys.argv[1], encoding='utf-8').read().splitlines():
    if line.startswith('intersphinx inventory ') and warnings:
        warnings[-1] += '\n' + line
    elif line.strip():
        warnings.append(line)

def offline_only(warning):
    if warning.startswith('WARNING: failed to reach any of the inventories'):
        return True
    label = re.search(r"WARNING: undefined label: '([^']*)'", warning)
    return bool(label) and not label.group(1).startswith('ansible_collections.matrix.wellknown.')

own = [warning for warning in warnings if not offline_only(warning)]
for warning in own:
    print(warning, file=sys.stderr)
if own:
    sys.exit('docs-site: %d Sphinx warnings of this collection (above); %d others come from having no network'
             % (len(own), len(warnings) - len(own)))
print('docs-site: built with no warning of its own (%d from the unreachable intersphinx inventories)' % len(warnings))
PYTHON

python "$repo/tests/utils/docs-browser-check.py" "$dest/build/html" "$repo"
