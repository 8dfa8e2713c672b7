#!/usr/bin/env bash
# The documentation checks of the Ansible package: antsibull-docs lints the collection's docs (plugin docs
# included) with the ansible-doc of the oldest and of the newest supported ansible-core (each release validates
# markup and references its own way), and ansible-doc renders every module, lookup and role of the
# installed collection without a warning about the collection (tests/utils/ansible_doc_check.py says what
# counts). Needs the collection installed in ANSIBLE_COLLECTIONS_PATH (make
# collection); VENV_BIN holds antsibull-docs and the newest ansible-core.
# Usage: tests/utils/docs-check.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${VENV_BIN:-$repo/.venv-galaxy/bin}
export PATH="$bin:$PATH"
collections=${ANSIBLE_COLLECTIONS_PATH:-$repo/build/collections}
export ANSIBLE_COLLECTIONS_PATH=$collections
installed="$collections/ansible_collections/matrix/wellknown"
[ -d "$installed" ] || { echo "docs-check: the collection is not installed in $collections (make collection)" >&2; exit 1; }

antsibull-docs lint-collection-docs --plugin-docs "$installed"

# The oldest supported release (the first tests/requirements-ansible-core-<version>.txt): antsibull-docs runs the
# ansible-doc it finds first on PATH: the test leg's venv (.venv-<version>), which make test has built (made here
# from its lock otherwise).
oldest=$(find "$repo/tests" -maxdepth 1 -name 'requirements-ansible-core-*.txt' | sed 's/.*-core-\(.*\)\.txt$/\1/' | sort -V | head -n 1)
oldest_bin="$repo/.venv-$oldest/bin"
if [ ! -x "$oldest_bin/ansible-doc" ]; then
  make -C "$repo" test-deps V="$oldest"
fi
echo "docs-check: antsibull-docs lint with $("$oldest_bin/ansible-doc" --version | head -n 1)"
PATH="$oldest_bin:$PATH" antsibull-docs lint-collection-docs --plugin-docs "$installed"

python "$repo/tests/utils/ansible_doc_check.py" matrix.wellknown "$repo"
echo "docs-check: antsibull-docs lint passes on ansible-core $oldest and $(ansible --version | sed -n "s/.*core \([0-9.]*\).*/\1/p")"
