#!/usr/bin/env bash
# Molecule's dependency step (../config.yml): build this checkout's collection and install the tarball into
# build/collections, where config.yml points ANSIBLE_COLLECTIONS_PATH, so that a bare `molecule test -s nginx` in
# a fresh clone tests the code beside it, as `make molecule` does. Never into ~/.ansible/collections, which every
# checkout on the machine shares and which would come first on other runs' collections path.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
version=$(sed -n 's/^version: *//p' "$repo/galaxy.yml")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { ansible-galaxy collection build --force --output-path "$repo/build/dist" "$repo" &&
       ansible-galaxy collection install --force -p "$repo/build/collections" \
         "$repo/build/dist/matrix-wellknown-$version.tar.gz"; } > "$log" 2>&1; then
  cat "$log" >&2
  echo "build_collection: could not build and install the collection into $repo/build/collections" >&2
  exit 1
fi
echo "build_collection: matrix.wellknown $version installed into $repo/build/collections"
