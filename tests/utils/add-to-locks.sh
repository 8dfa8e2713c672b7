#!/usr/bin/env bash
# Add what tests/requirements*.txt newly asks for to the lock files without moving any other pin: each lock is
# compiled again from the same inputs as `make update-locks`, with its own current pins as constraints, so only the
# new packages (and anything they alone need) get versions. The constraint file is named nowhere in the locks.
# Usage: tests/utils/add-to-locks.sh VENV_BIN LEG:PYTHON [LEG:PYTHON ...]   (LEG is an ansible-core series or "galaxy")
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
  echo "add-to-locks: $output (Python $python and newer), current pins kept"
  # The current pins with their environment markers (a universal lock may pin two versions for two Pythons),
  # without the hashes: one requirement per line.
  sed -n 's/^\([A-Za-z0-9._-]*==[^\\]*[^ \\]\) *\\$/\1/p' "$output" > "$scratch/constraints.txt"
  UV_NO_CONFIG=1 "$uv" pip compile --quiet --universal --python-version "$python" --generate-hashes \
    --index-url https://pypi.org/simple --no-emit-index-url --custom-compile-command "make update-locks" \
    --constraint "$scratch/constraints.txt" --output-file "$output" "${inputs[@]}"
  # uv names the constraint file among each package's sources: drop it, so the lock reads as `make update-locks`
  # writes it.
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
done
