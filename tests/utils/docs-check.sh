#!/usr/bin/env bash
# The documentation checks of the Ansible package: antsibull-docs lints the collection's docs (plugin docs
# included), and ansible-doc renders every module, lookup, filter, test and role of the installed collection
# without a warning about the collection (tests/utils/ansible_doc_check.py says what counts). Needs the
# collection installed in ANSIBLE_COLLECTIONS_PATH (make collection).
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
echo "docs-check: antsibull-docs lint passes"
python "$repo/tests/utils/ansible_doc_check.py" matrix.wellknown "$repo"
