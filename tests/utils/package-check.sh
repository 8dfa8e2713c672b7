#!/usr/bin/env bash
# What the packaging gives users, checked on the built tarball and the installed collection:
# - the tarball holds only what users need (galaxy.yml's build_ignore keeps tests, Molecule, benchmarks, the
#   Makefile, CI files, images and developer documents out);
# - ansible-builder (execution environments) finds exactly the Python and system requirements of
#   meta/execution-environment.yml;
# - antsibull-changelog can make a release's CHANGELOG.rst from the current fragments, and every fragment's entry
#   is in it (on a scratch copy: the fragments stay where they are until a real release).
# Usage: tests/utils/package-check.sh TARBALL   (VENV_BIN: ansible-builder, antsibull-changelog; the collection
# installed in ANSIBLE_COLLECTIONS_PATH)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${VENV_BIN:-$repo/.venv-galaxy/bin}
export PATH="$bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$repo/build/collections}
tarball=${1:?usage: package-check.sh TARBALL}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The tarball.
tar -tzf "$tarball" | sed 's|/$||' > "$work/files"
unexpected=$(grep -v -E '^(MANIFEST\.json|FILES\.json|README\.md|requirements\.txt|CHANGELOG\.rst|LICENSE|COPYING)$|^(plugins|roles|playbooks|meta|examples)(/|$)|^docs(/docsite(/.*)?)?$|^changelogs(/changelog\.yaml|/config\.yaml)?$' "$work/files" || true)
unexpected+=$(grep -E '(^|/)__pycache__(/|$)|\.pyc$' "$work/files" || true)
if [ -n "$unexpected" ]; then
  echo "$unexpected" >&2
  echo "package-check: the tarball holds the files above, which users do not need (galaxy.yml: build_ignore)" >&2
  exit 1
fi
for needed in README.md meta/runtime.yml meta/execution-environment.yml docs/docsite/extra-docs.yml; do
  grep -qx "$needed" "$work/files" || { echo "package-check: the tarball lacks $needed" >&2; exit 1; }
done
echo "package-check: the tarball holds $(grep -c -v '/$' "$work/files") entries, all for users"

# 2. The execution environment's requirements, as ansible-builder reads them from the installed collection.
ansible-builder introspect "$ANSIBLE_COLLECTIONS_PATH" > "$work/introspect.yml"
python - "$work/introspect.yml" "$repo" <<'PYTHON'
import os
import sys

import yaml

found = yaml.safe_load(open(sys.argv[1]))
repo = sys.argv[2]
meta = yaml.safe_load(open(os.path.join(repo, 'meta', 'execution-environment.yml')))


def requirements(name):
    with open(os.path.join(repo, meta['dependencies'][name])) as handle:
        lines = (line.split('#')[0].strip() for line in handle)
        return [line for line in lines if line]


suffix = '  # from collection matrix.wellknown'
for kind in ('python', 'system'):
    got = [entry[:-len(suffix)] if entry.endswith(suffix) else entry for entry in found.get(kind) or []]
    want = requirements(kind)
    if got != want:
        sys.exit('package-check: ansible-builder introspect lists %s requirements %r, meta/execution-environment.yml '
                 'names %r' % (kind, got, want))
print('package-check: ansible-builder introspect lists the Python requirements %s and no system package'
      % ', '.join(requirements('python')))
PYTHON

# 3. The changelog of a release, made from the fragments in a scratch copy of what antsibull-changelog reads.
mkdir -p "$work/collection"
cp -r "$repo/galaxy.yml" "$repo/changelogs" "$repo/plugins" "$repo/roles" "$repo/meta" "$work/collection/"
version=$(sed -n 's/^version: *//p' "$repo/galaxy.yml")
(cd "$work/collection" && antsibull-changelog release --version "$version" --date 2000-01-01 > "$work/release.log" 2>&1) \
  || { cat "$work/release.log" >&2; echo "package-check: antsibull-changelog release failed" >&2; exit 1; }
python - "$repo/changelogs/fragments" "$work/collection/CHANGELOG.rst" "$version" <<'PYTHON'
import os
import re
import sys

import yaml

fragments, changelog, version = sys.argv[1:4]
text = re.sub(r'\s+', ' ', open(changelog, encoding='utf-8').read())
if 'v%s' % version not in text:
    sys.exit('package-check: CHANGELOG.rst has no section for v%s' % version)
entries = 0
for name in sorted(os.listdir(fragments)):
    if not name.endswith(('.yml', '.yaml')):
        continue
    for section, items in yaml.safe_load(open(os.path.join(fragments, name))).items():
        for item in ([items] if isinstance(items, str) else items):
            if section != 'trivial' and re.sub(r'\s+', ' ', item).strip() not in text:
                sys.exit('package-check: CHANGELOG.rst lacks the %s entry of %s: %s' % (section, name, item[:120]))
            entries += 1
print('package-check: antsibull-changelog release %s makes a CHANGELOG.rst with all %d entries of the fragments'
      % (version, entries))
PYTHON
