# Brickyard: `make demo` runs the main job, `make test` runs every test.
# Both install what they need first (Debian packages with apt-get, Python packages in .venv).

SHELL := /bin/bash
CARGO ?= cargo
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES ?= python3-venv ca-certificates lua5.4
PY_TEST_PACKAGES := pytest requests PyJWT

.PHONY: all demo test test-rust test-python test-lua lua-module bench lint fmt deps deps-python build clean-demo

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
	bash scripts/demo.sh

test: deps-python test-rust test-python test-lua

test-rust: deps
	$(CARGO) build --workspace --all-targets
	$(CARGO) test --workspace

test-python: deps-python
	$(CARGO) build -p brickyard-cli
	BRICKYARD_BIN=$(CURDIR)/target/debug/brickyard $(PY) -m pytest -q tests/compat

## The loadable Lua module (built on its own: mlua's module mode excludes the vendored
## Lua of the workspace build). Output: target/lua-module/lua/brickyard.so.
LUA_MODULE_TARGET := $(CURDIR)/target/lua-module
lua-module: deps
	$(CARGO) build --manifest-path lua/module/Cargo.toml --target-dir $(LUA_MODULE_TARGET)
	mkdir -p $(LUA_MODULE_TARGET)/lua
	cp $(LUA_MODULE_TARGET)/debug/libbrickyard_lua_module.so $(LUA_MODULE_TARGET)/lua/brickyard.so

## Lua: hooks in the embedded VM, and the module under Debian's lua5.4.
test-lua: deps lua-module
	$(CARGO) test -p brickyard-lua
	LUA_CPATH='$(LUA_MODULE_TARGET)/lua/?.so' lua5.4 lua/tests/lua/provision.lua

bench: deps
	$(CARGO) bench -p brickyard-benches

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all
