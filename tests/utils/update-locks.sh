#!/usr/bin/env bash
# Compile the lock file of every venv `make test` builds: exact versions and sha256 hashes of everything,
# transitive dependencies included, valid on every Python the leg runs on (uv's universal resolution from the
# leg's oldest Python up). Run on purpose (`make update-locks`), then `make test`, then commit the locks.
# Usage: tests/utils/update-locks.sh VENV_BIN LEG:PYTHON [LEG:PYTHON ...]   (LEG is an ansible-core series or "galaxy")
# With KEEP_PINS=1 (`make add-to-locks`), each lock's current pins are constraints: only what the inputs newly ask
# for (a new test tool, and what it alone needs) gets a version, and a lock that needs nothing new comes out unchanged.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
uv=$1/uv
shift
cd "$repo"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for spec in "$@"; do
  leg=${spec%%:*}
  python=${spec#*:}
  if [ "$leg" = galaxy ]; then
    inputs=(tests/requirements-galaxy.txt)
  else
    inputs=(tests/requirements.txt "tests/requirements-ansible-core-$leg.txt")
  fi
  output=tests/locks/$([ "$leg" = galaxy ] && echo galaxy || echo "ansible-core-$leg").txt
  echo "update-locks: $output (Python $python and newer)${KEEP_PINS:+, current pins kept}"
  constraints=()
  if [ -n "${KEEP_PINS:-}" ]; then
    # The current pins with their environment markers (a universal lock may pin two versions for two Pythons).
    sed -n 's/^\([A-Za-z0-9._-]*==[^\\]*[^ \\]\) *\\$/\1/p' "$output" > "$scratch/constraints.txt"
    constraints=(--constraint "$scratch/constraints.txt")
  fi
  # The index is PyPI's own: a lock must name what any machine installs, not a local mirror's builds.
  UV_NO_CONFIG=1 "$uv" pip compile --quiet --universal --python-version "$python" --generate-hashes \
    --index-url https://pypi.org/simple --no-emit-index-url --custom-compile-command "make update-locks" \
    "${constraints[@]}" --output-file "$output" "${inputs[@]}"
  if [ -n "${KEEP_PINS:-}" ]; then
    # uv names the constraint file among each package's sources: drop it, so the lock reads as without KEEP_PINS.
    python3 - "$output" <<'PY'
import sys
path = sys.argv[1]
lines = [line for line in open(path).read().split('\n') if not line.strip().startswith('#   -c ')]
out = []
for index, line in enumerate(lines):
    if out and out[-1].strip() == '# via' and line.strip().startswith('#   ') and not (
            index + 1 < len(lines) and lines[index + 1].strip().startswith('#   ')):
        out[-1] = out[-1].replace('# via', '# via ' + line.strip()[4:])
        continue
    out.append(line)
open(path, 'w').write('\n'.join(out))
PY
  fi
done
