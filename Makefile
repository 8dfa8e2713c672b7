# Two commands matter: `make demo` (the main job, on localhost, no root) and `make test` (everything).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
BUILD := $(CURDIR)/build
COLLECTIONS := $(BUILD)/collections
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := $(BUILD)/matrix-wellknown-$(VERSION).tar.gz
DEMO_DIR := $(CURDIR)/demo-output

export PATH := $(BIN):/usr/sbin:/sbin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_PYTHON_INTERPRETER := $(BIN)/python
export ANSIBLE_NOCOLOR := 1
export NO_COLOR := 1
export PY_COLORS := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test venv test-deps system-deps collection sanity units functional integration lint molecule bench bench-quick changelog clean

## make demo: build and install the collection, run examples/site.yml on localhost into demo-output/.
demo: venv collection
	rm -rf "$(DEMO_DIR)"
	ansible-playbook -i examples/inventory examples/site.yml \
	  -e ansible_connection=local -e matrix_base_data_path="$(DEMO_DIR)/matrix"
	@for f in "$(DEMO_DIR)"/matrix/static-files/public/.well-known/matrix/*; do \
	  echo "== $${f#$(CURDIR)/}"; cat "$$f"; done

## make test: install what is missing, then run every test suite.
test: test-deps system-deps collection sanity units functional integration lint molecule

$(BIN)/python:
	$(PYTHON) -m venv "$(VENV)"
	"$(BIN)/pip" install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	"$(BIN)/pip" install -q -r requirements.txt
	touch "$@"

$(VENV)/.installed-tests: tests/requirements.txt requirements.txt | $(BIN)/python
	"$(BIN)/pip" install -q -r tests/requirements.txt
	touch "$@" "$(VENV)/.installed"

venv: $(VENV)/.installed
test-deps: $(VENV)/.installed-tests

system-deps:
	tests/utils/install-system-deps.sh

collection: venv
	rm -rf "$(BUILD)/dist" "$(COLLECTIONS)/ansible_collections/matrix/wellknown"
	ansible-galaxy collection build --force --output-path "$(BUILD)/dist" .
	ansible-galaxy collection install --force -p "$(COLLECTIONS)" "$(BUILD)/dist/matrix-wellknown-$(VERSION).tar.gz"

sanity: test-deps
	tests/utils/ansible-test.sh sanity --venv --python 3.11

units: test-deps collection
	pytest -q -p no:cacheprovider tests/unit

functional: test-deps system-deps collection
	pytest -q -p no:cacheprovider tests/functional

integration: test-deps
	tests/utils/ansible-test.sh integration --python 3.11

lint: test-deps collection
	ansible-lint --profile production --offline
	antsibull-changelog lint

molecule: test-deps system-deps collection
	molecule test --all

## make bench: the fleet benchmark (1 to 300 hosts, under 20 minutes); make bench-quick: 1 and 30 hosts.
bench: test-deps collection
	pip install -q -r benchmarks/requirements.txt
	python benchmarks/run.py --collections-path "$(COLLECTIONS)"

bench-quick: test-deps collection
	pip install -q -r benchmarks/requirements.txt
	python benchmarks/run.py --quick --collections-path "$(COLLECTIONS)"

changelog: test-deps
	antsibull-changelog release

clean:
	rm -rf "$(BUILD)" "$(DEMO_DIR)" tests/output
