#!/usr/bin/env bash
# Print the path of a working CPython 3.X interpreter, trying the versions given in order of preference.
# Looks on PATH, in pyenv's versions and in /usr/bin and /usr/local/bin, and runs each candidate: a pyenv
# shim for a version that is not selected exists on PATH but does not run.
# Usage: tests/utils/find-python.sh 3.13 3.12   (prints the first that works, or explains and fails)
set -euo pipefail
[ "$#" -gt 0 ] || { echo "usage: $0 3.X [3.Y ...]" >&2; exit 2; }
for version in "$@"; do
  candidates=()
  while IFS= read -r found; do candidates+=("$found"); done < <(type -ap "python$version" 2>/dev/null || true)
  for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin /usr/local/bin /usr/bin; do
    [ -x "$dir/python$version" ] && candidates+=("$dir/python$version")
  done
  for candidate in "${candidates[@]}"; do
    # The interpreter must be that version and able to create a virtual environment with pip.
    if "$candidate" -c "import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" \
        >/dev/null 2>&1; then
      "$candidate" -c 'import sys; print(sys.executable)'
      exit 0
    fi
  done
done
echo "find-python: no working Python $* found on PATH, in pyenv or in /usr/bin;" \
  "install one (pyenv install $1, apt-get install python$1 python$1-venv, or uv python install $1)" >&2
exit 1
