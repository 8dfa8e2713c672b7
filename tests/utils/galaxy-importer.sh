#!/usr/bin/env bash
# Run galaxy-importer, what Galaxy runs on every uploaded collection, on the built tarball, offline: its
# ansible-test step runs in a container (none here; `make sanity` runs ansible-test on every supported
# release instead), so the config turns it off and keeps ansible-doc and ansible-lint. Fails on an import
# error and on any warning or error the importer logs.
# Usage: tests/utils/galaxy-importer.sh build/dist/matrix-wellknown-X.Y.Z.tar.gz
set -euo pipefail
[ "$#" = 1 ] || { echo "usage: $0 TARBALL" >&2; exit 2; }
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${VENV_BIN:-$repo/.venv-galaxy/bin}
# The importer runs ansible-doc and ansible-lint from PATH.
export PATH="$bin:$PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/galaxy-importer.cfg" <<CFG
[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
CHECK_CHANGELOG = True
TMP_ROOT_DIR = $work
CFG
export GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg"
status=0
# importer_result.json goes to the working directory.
(cd "$work" && "$bin/python" -m galaxy_importer.main "$tarball") > "$work/log" 2>&1 || status=$?
cat "$work/log"
if [ "$status" != 0 ]; then
  echo "galaxy-importer: the import failed (exit $status)" >&2
  exit 1
fi
if grep -Eq '^(WARNING|ERROR)' "$work/log"; then
  echo "galaxy-importer: the import logged the warnings or errors above" >&2
  exit 1
fi
echo "galaxy-importer: $(basename "$tarball") imports without warnings"
