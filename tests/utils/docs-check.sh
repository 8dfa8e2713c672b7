#!/usr/bin/env bash
# The documentation checks of the Ansible package: antsibull-docs lints the collection's docs (plugin docs
# included), and ansible-doc renders every module, lookup, filter, test and role of the installed collection
# without a warning. Needs the collection installed in ANSIBLE_COLLECTIONS_PATH (make collection).
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

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rendered=0
for type in module lookup filter test role; do
  ansible-doc -t "$type" -l matrix.wellknown --json > "$work/list.json"
  names=$(python -c 'import json, sys; print("\n".join(sorted(json.load(open(sys.argv[1])))))' "$work/list.json")
  for name in $names; do
    if ! ansible-doc -t "$type" "$name" > "$work/out" 2> "$work/err" || [ -s "$work/err" ]; then
      cat "$work/err" >&2
      echo "docs-check: ansible-doc -t $type $name fails or warns" >&2
      exit 1
    fi
    rendered=$((rendered + 1))
  done
done
# Every plugin file and role directory must have shown up above: ansible-doc leaves out what it cannot load.
expected=$(find "$repo/plugins/modules" "$repo/plugins/lookup" "$repo/plugins/filter" "$repo/plugins/test" \
  -maxdepth 1 -name '*.py' ! -name '__init__.py' 2>/dev/null | wc -l)
expected=$((expected + $(find "$repo/roles" -mindepth 1 -maxdepth 1 -type d | wc -l)))
if [ "$rendered" -lt "$expected" ]; then
  echo "docs-check: ansible-doc rendered $rendered plugins and roles, the collection has at least $expected" >&2
  exit 1
fi
echo "docs-check: antsibull-docs lint passes; ansible-doc renders all $rendered modules, lookups, filters, tests and roles"
