#!/usr/bin/env bash
# Run ansible-test on a copy of this collection laid out as ansible_collections/matrix/wellknown.
# ansible-test needs that layout (and resolves symlinks), so the tracked and untracked,
# non-ignored files are copied into a temporary tree that is removed afterwards.
# The ansible-test is the one of the venv in VENV_BIN (default .venv/bin), and so is the Python it tests with
# unless the options give --python: the venv's bin comes first on PATH, so ansible-test finds its python3.X there
# (a pyenv shim of the same name may not run).
# Usage: tests/utils/ansible-test.sh sanity|units|integration [ansible-test options]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${VENV_BIN:-$repo/.venv/bin}
export PATH="$bin:$PATH"
python_version=$("$bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case " $* " in
  *" --python "* | *" --python="*) ;;
  *) set -- "$@" --python "$python_version" ;;
esac

# ansible-test bootstraps pip in its virtualenvs with a script it downloads; install an offline stand-in.
# Each ansible-core release wants its own pip version.
pip_version=$("$bin/python" - "$python_version" <<'PY'
import sys
import ansible_test._internal.python_requirements as r
print(r.get_venv_packages(type('P', (), {'version': sys.argv[1]})())['pip'])
PY
)
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
if ! ls "$cache"/pip-"$pip_version"-*.whl >/dev/null 2>&1; then
  "$bin/pip" download --quiet --no-deps --only-binary=:all: -d "$cache" "pip==$pip_version"
fi
cp "$repo/tests/utils/get_pip_standin.py" "$cache/get_pip_${pip_version//./_}.py"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/matrix/wellknown"
mkdir -p "$dest"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard \
  | tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$dest"
cd "$dest"
git init -q && git add -A >/dev/null 2>&1
ansible-test "$@"
