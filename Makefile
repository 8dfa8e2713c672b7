# Two commands matter: `make demo` (the main job, on localhost, no root) and `make test` (everything).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3

# The supported ansible-core releases, oldest first: meta/runtime.yml, the roles' meta/main.yml and the README
# state the same range. Each one is a leg of `make test`, with its own venv (.venv-<version>) on a controller
# Python it supports, found by tests/utils/find-python.sh in this order of preference.
ANSIBLE_CORE_VERSIONS := 2.18 2.19 2.20 2.21
ANSIBLE_CORE_MINIMUM := $(firstword $(ANSIBLE_CORE_VERSIONS))
ANSIBLE_CORE_NEWEST := $(lastword $(ANSIBLE_CORE_VERSIONS))
PYTHONS_2.18 := 3.11 3.12 3.13
PYTHONS_2.19 := 3.11 3.12 3.13
PYTHONS_2.20 := 3.13 3.12
PYTHONS_2.21 := 3.13 3.12

# V=<version> runs a target on that leg (`make units V=2.18`); without V, on .venv, made from $(PYTHON) with the
# newest ansible-core that Python allows (what `pip install ansible-core` gives a user of that machine).
V ?=
ifneq ($(V),)
ifeq ($(filter $(V),$(ANSIBLE_CORE_VERSIONS)),)
$(error V=$(V): not a supported ansible-core; one of $(ANSIBLE_CORE_VERSIONS))
endif
endif
ifeq ($(V),)
VENV ?= .venv
else
VENV ?= .venv-$(V)
endif
BIN := $(abspath $(VENV))/bin
# The leg whose lock file the venv's tests install: V, or the newest leg that runs on the venv's Python.
LOCK_LEG := $(or $(V),$(lastword $(foreach leg,$(ANSIBLE_CORE_VERSIONS),$(if $(filter $(shell \
  $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) -c 'import sys; print("%d.%d" % sys.version_info[:2])' \
  2>/dev/null),$(PYTHONS_$(leg))),$(leg)))))
LOCK := tests/locks/ansible-core-$(LOCK_LEG).txt
GALAXY_VENV := .venv-galaxy
BUILD := $(CURDIR)/build
COLLECTIONS := $(BUILD)/collections
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := $(BUILD)/dist/matrix-wellknown-$(VERSION).tar.gz
DEMO_DIR := $(CURDIR)/demo-output

export PATH := $(BIN):/usr/sbin:/sbin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_PYTHON_INTERPRETER := $(BIN)/python
export ANSIBLE_NOCOLOR := 1
export NO_COLOR := 1
export PY_COLORS := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export VENV_BIN := $(BIN)

.PHONY: demo demo-ranges update-locks add-to-locks test test-quick leg leg-full venv test-deps system-deps collection sanity units functional \
  integration lint molecule galaxy-check docs-check bench bench-quick changelog clean

## make demo: build and install the collection, run examples/site.yml on localhost into demo-output/.
demo: venv collection
	rm -rf "$(DEMO_DIR)"
	ansible-playbook -i examples/inventory examples/site.yml \
	  -e ansible_connection=local -e matrix_base_data_path="$(DEMO_DIR)/matrix"
	@for f in "$(DEMO_DIR)"/matrix/static-files/public/.well-known/matrix/*; do \
	  echo "== $${f#$(CURDIR)/}"; cat "$$f"; done

## make demo-ranges: make demo as a user gets it today: a new venv on the newest leg's Python, with the newest
## releases requirements.txt allows (not the locks).
demo-ranges:
	rm -rf .venv-ranges
	$(MAKE) demo VENV=.venv-ranges PYTHON="$$(tests/utils/find-python.sh $(PYTHONS_$(ANSIBLE_CORE_NEWEST)))"

## make test: every suite on every supported ansible-core, one leg after the other (2 cores: no parallel legs).
## Sanity, units and integration on each; functional tests and Molecule on the minimum and the newest; then what
## Galaxy (galaxy-importer) and the Ansible package (antsibull-docs) check, and ansible-lint.
test: system-deps
	$(MAKE) leg-full V=$(ANSIBLE_CORE_MINIMUM)
	for version in $(filter-out $(ANSIBLE_CORE_MINIMUM) $(ANSIBLE_CORE_NEWEST),$(ANSIBLE_CORE_VERSIONS)); do \
	  $(MAKE) leg V=$$version; done
	$(MAKE) leg-full lint V=$(ANSIBLE_CORE_NEWEST)
	$(MAKE) galaxy-check docs-check docs package-check demo-ranges

## make test-quick: the everyday leg, on .venv (or V=<version>): units, integration, lint. Any user, no web server and
## no Debian package: the tests that run real servers or need root are in tests/functional (make functional, make test).
test-quick: test-deps collection units integration lint

leg: test-deps collection sanity units integration
leg-full: leg functional molecule

$(BIN)/python:
	@python=$(if $(V),$$(tests/utils/find-python.sh $(PYTHONS_$(V))),$(PYTHON)); \
	  echo "$(VENV): $$("$$python" --version) ($$python)"; \
	  "$$python" -m venv "$(VENV)"

# What a user installs (make demo): the ranges of requirements.txt, newest releases. With V, the leg's lock.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	"$(BIN)/pip" install -q $(if $(V),--require-hashes -r $(LOCK),-r requirements.txt)
	touch "$@"

# What the tests install: the lock of the leg (V), or without V the lock of the newest leg the venv's Python runs,
# exact versions and hashes of everything (make update-locks moves them forward).
$(VENV)/.installed-tests: $(wildcard $(LOCK)) | $(BIN)/python
	@[ -f "$(LOCK)" ] || { echo "$(VENV): no lock file for its Python; use V=<one of $(ANSIBLE_CORE_VERSIONS)>" >&2; exit 1; }
	"$(BIN)/pip" install -q --require-hashes -r $(LOCK)
	touch "$@" "$(VENV)/.installed"

venv: $(VENV)/.installed
test-deps: $(VENV)/.installed-tests

system-deps:
	tests/utils/install-system-deps.sh

collection: venv
	rm -rf "$(BUILD)/dist" "$(COLLECTIONS)/ansible_collections/matrix/wellknown"
	ansible-galaxy collection build --force --output-path "$(BUILD)/dist" .
	ansible-galaxy collection install --force -p "$(COLLECTIONS)" "$(TARBALL)"

# ansible-test of the venv's ansible-core, with its own sanity rules, on the venv's Python.
sanity: test-deps
	tests/utils/ansible-test.sh sanity --venv

units: test-deps collection
	pytest -q -p no:cacheprovider tests/unit

# TESTS=<files or node ids> runs only those (`make functional V=2.21 TESTS=tests/functional/test_custom_path.py`).
functional: test-deps system-deps collection
	pytest -q -p no:cacheprovider $(or $(TESTS),tests/functional)

integration: test-deps
	tests/utils/ansible-test.sh integration

lint: test-deps collection
	ansible-lint --profile production --offline
	antsibull-changelog lint

molecule: test-deps system-deps collection
	molecule test --all

# galaxy-importer and antsibull-docs pin libraries the test tools want newer: their own venv, on the newest leg's
# ansible-core and Python.
$(GALAXY_VENV)/.installed-galaxy: tests/locks/galaxy.txt
	python=$$(tests/utils/find-python.sh $(PYTHONS_$(ANSIBLE_CORE_NEWEST))); \
	  [ -x "$(GALAXY_VENV)/bin/python" ] || "$$python" -m venv "$(GALAXY_VENV)"
	"$(GALAXY_VENV)/bin/pip" install -q --require-hashes -r tests/locks/galaxy.txt
	touch "$@" "$(GALAXY_VENV)/.installed"

## make galaxy-check: galaxy-importer (what Galaxy runs on an upload) on the built tarball, offline.
galaxy-check: $(GALAXY_VENV)/.installed-galaxy
	$(MAKE) collection VENV=$(GALAXY_VENV)
	VENV_BIN="$(abspath $(GALAXY_VENV))/bin" tests/utils/galaxy-importer.sh "$(TARBALL)"

## make docs-check: antsibull-docs' collection docs lint, and ansible-doc renders every plugin and role.
docs-check: $(GALAXY_VENV)/.installed-galaxy
	$(MAKE) collection VENV=$(GALAXY_VENV)
	VENV_BIN="$(abspath $(GALAXY_VENV))/bin" tests/utils/docs-check.sh

.PHONY: docs package-check

## make docs: the documentation site (antsibull-docs + Sphinx) in build/docs/build/html; fails on any warning of
## its own, then headless Chromium checks the role pages and the guides.
docs: $(GALAXY_VENV)/.installed-galaxy system-deps
	$(MAKE) collection VENV=$(GALAXY_VENV)
	VENV_BIN="$(abspath $(GALAXY_VENV))/bin" tests/utils/docs-site.sh "$(BUILD)/docs"

## make package-check: what the tarball holds, what ansible-builder reads for an execution environment, and the
## changelog a release would generate from the fragments.
package-check: $(GALAXY_VENV)/.installed-galaxy
	$(MAKE) collection VENV=$(GALAXY_VENV)
	VENV_BIN="$(abspath $(GALAXY_VENV))/bin" tests/utils/package-check.sh "$(TARBALL)"

## make bench: the fleet benchmark (1 to 300 hosts, about 45 minutes on 2 cores); make bench-quick: 1 and 30 hosts.
bench: test-deps collection
	pip install -q -r benchmarks/requirements.txt
	python benchmarks/run.py --collections-path "$(COLLECTIONS)"

bench-quick: test-deps collection
	pip install -q -r benchmarks/requirements.txt
	python benchmarks/run.py --quick --collections-path "$(COLLECTIONS)"

## make update-locks: move every lock file in tests/locks/ to the newest releases the inputs allow
## (requirements.txt, tests/requirements*.txt), on purpose: then `make test`, and commit the locks if it passes.
LOCK_TOOLS := .venv-locks
update-locks:
	[ -x "$(LOCK_TOOLS)/bin/uv" ] || { $(PYTHON) -m venv "$(LOCK_TOOLS)" && "$(LOCK_TOOLS)/bin/pip" install -q -r tests/requirements-locks.txt; }
	KEEP_PINS=$(KEEP_PINS) tests/utils/update-locks.sh "$(abspath $(LOCK_TOOLS))/bin" \
	  $(foreach leg,$(ANSIBLE_CORE_VERSIONS),$(leg):$(firstword $(sort $(PYTHONS_$(leg))))) \
	  galaxy:$(firstword $(sort $(PYTHONS_$(ANSIBLE_CORE_NEWEST))))

## make add-to-locks: give the lock files what tests/requirements*.txt newly asks for (a new test tool), keeping every
## other pin as it is; then `make test`, and commit the locks if it passes.
add-to-locks:
	$(MAKE) update-locks KEEP_PINS=1

changelog: test-deps
	antsibull-changelog release

clean:
	rm -rf "$(BUILD)" "$(DEMO_DIR)" tests/output
