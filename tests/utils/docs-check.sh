#!/usr/bin/env bash
# The documentation checks of the Ansible package: antsibull-docs lints the collection's docs (plugin docs
# included) with the ansible-doc of the oldest and of the newest supported ansible-core (each release validates
# markup and references its own way), and ansible-doc renders every module, lookup, filter, test and role of the
# installed collection without a warning. Needs the collection installed in ANSIBLE_COLLECTIONS_PATH (make
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
# ansible-doc it finds first on PATH. The test leg's venv (.venv-<version>) when make test has built it, otherwise a
# venv with that ansible-core alone (.venv-docs-<version>, about 20 seconds once).
oldest=$(find "$repo/tests" -maxdepth 1 -name 'requirements-ansible-core-*.txt' | sed 's/.*-core-\(.*\)\.txt$/\1/' | sort -V | head -n 1)
oldest_bin="$repo/.venv-$oldest/bin"
if [ ! -x "$oldest_bin/ansible-doc" ]; then
  oldest_bin="$repo/.venv-docs-$oldest/bin"
  if [ ! -x "$oldest_bin/ansible-doc" ]; then
    python=$("$repo/tests/utils/find-python.sh" 3.11 3.12 3.13)
    "$python" -m venv "$repo/.venv-docs-$oldest"
    "$oldest_bin/pip" install -q -r "$repo/tests/requirements-ansible-core-$oldest.txt"
  fi
fi
echo "docs-check: antsibull-docs lint with $("$oldest_bin/ansible-doc" --version | head -n 1)"
PATH="$oldest_bin:$PATH" antsibull-docs lint-collection-docs --plugin-docs "$installed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rendered=0
for type in module lookup filter test role; do
  ansible-doc -t "$type" -l matrix.wellknown --json > "$work/list.json"
  names=$(python -c 'import json, sys; print("\n".join(sorted(json.load(open(sys.argv[1])))))' "$work/list.json")
  for name in $names; do
    status=0
    # cryptography 51 deprecates DSA, which ansible-core 2.21's own SSH agent code imports when a doc loads it:
    # ansible-core's warning, not this collection's, so that one message is ignored.
    PYTHONWARNINGS='ignore:DSA is deprecated' ansible-doc -t "$type" "$name" > "$work/out" 2> "$work/err" || status=$?
    # ansible-core 2.21 warns about its own internal collection (ansible._protomatter, no MANIFEST.json) when it
    # documents a role: not about this collection, so that one line is left out.
    grep -v "/ansible/_internal/ansible_collections/ansible/_protomatter' does not have a MANIFEST.json" \
      "$work/err" > "$work/warnings" || true
    if [ "$status" != 0 ] || [ -s "$work/warnings" ]; then
      cat "$work/warnings" >&2
      echo "docs-check: ansible-doc -t $type $name fails or warns" >&2
      exit 1
    fi
    rendered=$((rendered + 1))
  done
done
# Every plugin file and role directory must have shown up above: ansible-doc leaves out what it cannot load.
expected=0
for dir in modules lookup filter test; do
  [ -d "$repo/plugins/$dir" ] || continue
  expected=$((expected + $(find "$repo/plugins/$dir" -maxdepth 1 -name '*.py' ! -name '__init__.py' | wc -l)))
done
expected=$((expected + $(find "$repo/roles" -mindepth 1 -maxdepth 1 -type d | wc -l)))
if [ "$rendered" -lt "$expected" ]; then
  echo "docs-check: ansible-doc rendered $rendered plugins and roles, the collection has at least $expected" >&2
  exit 1
fi
echo "docs-check: antsibull-docs lint passes on ansible-core $oldest and $(ansible --version | sed -n "s/.*core \([0-9.]*\).*/\1/p"); ansible-doc renders all $rendered modules, lookups, filters, tests and roles"
