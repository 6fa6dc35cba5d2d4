# Brickyard: `make demo` runs the main job, `make test` runs every test.
# Both install what they need first (Debian packages with apt-get, Python packages in .venv).

SHELL := /bin/bash
CARGO ?= cargo
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES ?= python3-venv ca-certificates
PY_TEST_PACKAGES := pytest requests PyJWT
# The binary the demo and the Python suite run (cargo's target dir may be moved).
BRICKYARD_BIN ?= $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/debug/brickyard

.PHONY: all demo test test-rust test-python bench lint fmt deps deps-python build clean-demo

all: build

## Install the Debian packages the tests need (only those missing).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs) first"; exit 1; }

## A virtualenv with the Python test tools.
deps-python: deps
	@if [ ! -x $(PY) ]; then python3 -m venv $(VENV) || { echo "python3 -m venv failed: install python3-venv"; exit 1; }; fi
	@$(PY) -c 'import pytest, requests, jwt' 2>/dev/null || $(PY) -m pip install -q $(PY_TEST_PACKAGES)

build: deps
	$(CARGO) build --workspace --all-targets

## The main job: the engine on an embedded redb file with mock storage nodes.
demo: deps
	$(CARGO) build -p brickyard-cli
	BRICKYARD_BIN=$(BRICKYARD_BIN) bash scripts/demo.sh

test: deps-python test-rust test-python

test-rust: deps
	$(CARGO) build --workspace --all-targets
	$(CARGO) test --workspace

## The Heketi-client compatibility suite against a real `brickyard serve`.
## pytest's exit status 5 (no test collected) fails the target like any failure.
test-python: deps-python
	$(CARGO) build -p brickyard-cli
	@BRICKYARD_BIN=$(BRICKYARD_BIN) $(PY) -m pytest -q -p no:cacheprovider tests/compat; \
	status=$$?; \
	if [ $$status -eq 5 ]; then echo "test-python: pytest collected no tests" >&2; fi; \
	exit $$status

bench: deps
	$(CARGO) bench -p brickyard-benches

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all
