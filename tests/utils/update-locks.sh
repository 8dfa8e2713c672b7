#!/usr/bin/env bash
# Compile the lock file of every venv `make test` builds: exact versions and sha256 hashes of everything,
# transitive dependencies included, valid on every Python the leg runs on (uv's universal resolution from the
# leg's oldest Python up). Run on purpose (`make update-locks`), then `make test`, then commit the locks.
# Usage: tests/utils/update-locks.sh VENV_BIN LEG:PYTHON [LEG:PYTHON ...]   (LEG is an ansible-core series or "galaxy")
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
uv=$1/uv
shift
cd "$repo"
for spec in "$@"; do
  leg=${spec%%:*}
  python=${spec#*:}
  if [ "$leg" = galaxy ]; then
    inputs=(tests/requirements-galaxy.txt)
  else
    inputs=(tests/requirements.txt "tests/requirements-ansible-core-$leg.txt")
  fi
  output=tests/locks/$([ "$leg" = galaxy ] && echo galaxy || echo "ansible-core-$leg").txt
  echo "update-locks: $output (Python $python and newer)"
  # The index is PyPI's own: a lock must name what any machine installs, not a local mirror's builds.
  UV_NO_CONFIG=1 "$uv" pip compile --quiet --universal --python-version "$python" --generate-hashes \
    --index-url https://pypi.org/simple --no-emit-index-url --custom-compile-command "make update-locks" \
    --output-file "$output" "${inputs[@]}"
done
