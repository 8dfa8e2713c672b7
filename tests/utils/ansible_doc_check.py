"""Render every module, lookup and role of an installed collection with ansible-doc, and fail on
what ansible-doc says about the collection: a non-zero exit, or one of Ansible's own messages ([WARNING],
[DEPRECATION WARNING], [ERROR]). ansible-doc reads the collection's docs without importing its code, so any other
line on stderr (cryptography's DeprecationWarning while ansible-core imports it, for instance) comes from a
library: it is shown and ignored, and the locked test tools decide which libraries are there.

Usage: ansible_doc_check.py NAMESPACE.NAME COLLECTION_SOURCE_DIR
(ANSIBLE_COLLECTIONS_PATH must hold the installed collection; COLLECTION_SOURCE_DIR is the checkout, whose
plugin files and roles must all have been rendered.)
"""

import json
import os
import re
import subprocess
import sys

# The plugin types the collection has (its action plugin is documented as the module matrix_wellknown_mdad).
TYPES = ("module", "lookup", "role")
PLUGIN_DIRS = ("modules", "lookup")
ANSIBLE_MESSAGE = re.compile(r"^\[(WARNING|DEPRECATION WARNING|ERROR)\]")
# ansible-core 2.21 warns about its own internal collection when it documents a role: not about this one.
IGNORED = (re.compile(r"/ansible/_internal/ansible_collections/ansible/_protomatter' does not have a MANIFEST\.json"),)


def own_problems(stderr):
    """The lines of ansible-doc's stderr that are about the collection (see the module docstring)."""
    return [line for line in stderr.splitlines()
            if ANSIBLE_MESSAGE.match(line) and not any(pattern.search(line) for pattern in IGNORED)]


def ansible_doc(*args):
    return subprocess.run(("ansible-doc",) + args, capture_output=True, text=True, check=False)


def main(collection, source):
    rendered = 0
    failed = False
    for plugin_type in TYPES:
        listing = ansible_doc("-t", plugin_type, "-l", collection, "--json")
        if listing.returncode != 0:
            sys.stderr.write(listing.stderr)
            print(f"docs-check: ansible-doc -t {plugin_type} -l {collection} fails", file=sys.stderr)
            return 1
        for name in sorted(json.loads(listing.stdout or "{}")):
            result = ansible_doc("-t", plugin_type, name)
            problems = own_problems(result.stderr)
            if result.returncode != 0 or problems:
                sys.stderr.write(result.stderr)
                print(f"docs-check: ansible-doc -t {plugin_type} {name} fails or warns", file=sys.stderr)
                failed = True
            elif result.stderr.strip():
                print(f"docs-check: ansible-doc -t {plugin_type} {name}: not about {collection}, ignored:\n"
                      + result.stderr.rstrip(), file=sys.stderr)
            rendered += 1
    # Every plugin file and role directory must have shown up: ansible-doc leaves out what it cannot load.
    expected = 0
    for directory in PLUGIN_DIRS:
        path = os.path.join(source, "plugins", directory)
        if os.path.isdir(path):
            expected += sum(1 for entry in os.listdir(path) if entry.endswith(".py") and entry != "__init__.py")
    roles = os.path.join(source, "roles")
    expected += sum(1 for entry in os.listdir(roles) if os.path.isdir(os.path.join(roles, entry)))
    if rendered < expected:
        print(f"docs-check: ansible-doc rendered {rendered} plugins and roles, the collection has at least {expected}",
              file=sys.stderr)
        return 1
    if failed:
        return 1
    print(f"docs-check: ansible-doc renders all {rendered} modules, lookups and roles of {collection}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
