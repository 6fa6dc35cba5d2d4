# Brickyard: `make demo` runs the main job, `make test` runs every test.
# Both install what they need first (Debian packages with apt-get, Python packages in .venv).

SHELL := /bin/bash
CARGO ?= cargo
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES ?= python3-venv ca-certificates lua5.4 g++
PY_TEST_PACKAGES := pytest requests PyJWT cryptography "maturin>=1.9.4,<2" mypy "ansible-core>=2.15,<2.20"
PYTHON_LIBDIR = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")' 2>/dev/null)
# The binary the demo and the Python suites run (cargo's target dir may be moved).
BRICKYARD_BIN ?= $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/debug/brickyard
# Every build of `make test` selects the whole workspace: cargo unifies features over the
# packages of one invocation, so a `-p` build (or a `--bins` build, without the
# dev-dependencies' features) compiles a different variant of tokio, serde, … and
# everything above them again. The same selection reuses the first build.
BUILD_ALL := $(CARGO) build --workspace --all-targets
# The real-node test targets exist only with this feature (it implies `sshd`); both
# targets use it so that the realnodes crate is compiled once for them.
REALNODES := --workspace --features brickyard-realnodes/realnodes

.PHONY: all demo test test-serial test-beside-real-nodes soak test-rust test-python test-py test-ansible py-develop test-lua lua-module bench bench-scale lint fmt deps deps-python build clean-demo test-fuzz fuzz

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
	@$(PY) -c 'import pytest, requests, jwt, cryptography, mypy, ansible' 2>/dev/null && [ -x $(VENV)/bin/maturin ] || $(PY) -m pip install -q $(PY_TEST_PACKAGES)

build: deps
	$(BUILD_ALL)

## The main job: the engine on an embedded redb file with mock storage nodes.
demo: deps
	$(CARGO) build -p brickyard-cli
	BRICKYARD_BIN=$(BRICKYARD_BIN) bash scripts/demo.sh

## Every test. After the Rust suites, the real-node beds (about 12 minutes, most of it
## waiting on User-Mode-Linux nodes and ssh) run beside the other suites (Python, Ansible,
## Lua, fuzzing, the private sshd): two jobs at a time, each target's output printed
## whole when it ends. Packages are installed first, one apt run at a time.
## `make test-serial` runs the same targets one after another.
test: deps-python deps-ssh deps-real-nodes
	$(MAKE) --no-print-directory test-rust
	$(MAKE) --no-print-directory -j2 --output-sync=target test-real-nodes test-beside-real-nodes

test-beside-real-nodes: test-ssh test-python test-py test-ansible test-lua test-fuzz

test-serial: deps-python test-rust test-ssh test-real-nodes test-python test-py test-ansible test-lua test-fuzz

test-rust: deps-python
	$(BUILD_ALL)
	LD_LIBRARY_PATH=$(PYTHON_LIBDIR)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH} $(CARGO) test --workspace

## The crash test at length: `brickyard serve` SIGKILLed 200 times during concurrent
## operations (cli/tests/crash.rs; `make test` runs 30 kills). BRICKYARD_CRASH_SEED
## repeats a run.
SOAK_KILLS ?= 200
soak: deps
	$(BUILD_ALL)
	BRICKYARD_CRASH_KILLS=$(SOAK_KILLS) $(CARGO) test --workspace --test crash -- --nocapture

## The Heketi-client compatibility suite against a real `brickyard serve`.
## pytest's exit status 5 (no test collected) fails the target like any failure.
test-python: deps-python
	$(BUILD_ALL)
	@BRICKYARD_BIN=$(BRICKYARD_BIN) $(PY) -m pytest -q -p no:cacheprovider tests/compat; \
	status=$$?; \
	if [ $$status -eq 5 ]; then echo "test-python: pytest collected no tests" >&2; fi; \
	exit $$status

## The Python package (debug build of the native module, installed editable in .venv).
py-develop: deps-python
	cd py && VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH maturin develop --locked

## pytest of the Python package (Engine and Client against `brickyard serve`, the ssh
## executor against a private sshd on 127.0.0.1), stubtest, mypy.
test-py: py-develop deps-ssh
	$(BUILD_ALL)
	cd py && BRICKYARD_BIN=$(BRICKYARD_BIN) ../$(PY) -m pytest -q tests --ignore=tests/test_ansible.py
	cd py && ../$(PY) -m mypy.stubtest brickyard._brickyard
	cd py && ../$(PY) -m mypy --strict python/brickyard

## The Ansible collection: real ansible-playbook runs driven from pytest.
test-ansible: py-develop
	$(BUILD_ALL)
	cd py && BRICKYARD_BIN=$(BRICKYARD_BIN) ../$(PY) -m pytest -q tests/test_ansible.py

## The loadable Lua module (built on its own: mlua's module mode excludes the vendored
## Lua of the workspace build). It shares the workspace's target dir, so the dependencies
## it has in common with the workspace build are reused; lua/tests/module.rs (in
## test-rust) builds it the same way, so in `make test` this build is a no-op.
## Output: target/lua-module/lua/brickyard.so.
LUA_MODULE_TARGET := $(CURDIR)/target/lua-module
lua-module: deps
	$(CARGO) build --manifest-path lua/module/Cargo.toml --target-dir $(CURDIR)/target
	mkdir -p $(LUA_MODULE_TARGET)/lua
	cp $(CURDIR)/target/debug/libbrickyard_lua_module.so $(LUA_MODULE_TARGET)/lua/brickyard.so

## Lua: hooks in the embedded VM, and the module under Debian's lua5.4.
## (The hook tests of brickyard-lua run with `cargo test --workspace` in test-rust.)
test-lua: deps lua-module
	LUA_CPATH='$(LUA_MODULE_TARGET)/lua/?.so' lua5.4 lua/tests/lua/provision.lua

## Fuzzing (fuzz/, libFuzzer): topology.json, heketi.json, every REST request body, the
## gluster --xml and LVM output parsers, db import. test-fuzz builds the targets on
## stable Rust (sanitizer coverage, no cargo-fuzz) and runs each FUZZ_SECONDS (8) from its
## committed seeds; a crash, a hang (5 s) or an allocation over 256 MiB fails it, with
## the input saved in fuzz/artifacts/<target>/. `make fuzz` is the longer campaign
## (FUZZ_CAMPAIGN_SECONDS per target, FUZZ_TARGETS to pick some), with nightly and
## AddressSanitizer when nightly is installed. See scripts/fuzz.sh.
FUZZ_SECONDS ?= 8
FUZZ_CAMPAIGN_SECONDS ?= 600
test-fuzz: deps
	bash scripts/fuzz.sh build
	bash scripts/fuzz.sh run $(FUZZ_SECONDS)

fuzz: deps
	@if rustup run nightly rustc --version >/dev/null 2>&1; then asan=1; else \
	  echo "fuzz: no nightly toolchain, running without AddressSanitizer"; asan=; fi; \
	FUZZ_ASAN=$$asan bash scripts/fuzz.sh build && \
	FUZZ_ASAN=$$asan FUZZ_KEEP_CORPUS=1 bash scripts/fuzz.sh run $(FUZZ_CAMPAIGN_SECONDS) $(FUZZ_TARGETS)

bench: deps
	$(CARGO) bench -p brickyard-benches

## The scale scenario (issue #13) with the REST load generator `brickyard-load`: first its
## own ceiling against a built-in instant server, then `brickyard serve` (mock executor,
## temporary database), 100 nodes x 10 devices through the API, VOLUMES (default
## 100000) 1-GiB replica-3 creates by CLIENTS (16) clients, read latencies, topology info
## through the CLI, deletes, restart timings, RSS and database size, as a table against
## the targets. Release build. VOLUMES=10000 for a quick run.
VOLUMES ?= 100000
CLIENTS ?= 16
RELEASE_DIR = $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/release
bench-scale: deps
	$(CARGO) build --release -p brickyard-cli -p brickyard-benches --bin brickyard --bin brickyard-load
	$(RELEASE_DIR)/brickyard-load --clients $(CLIENTS) fake --volumes 50000
	$(RELEASE_DIR)/brickyard-load --clients $(CLIENTS) scale --brickyard $(RELEASE_DIR)/brickyard --volumes $(VOLUMES)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml

## ---- ssh executor on real machinery (needs root; part of `make test`) ----
SSH_APT_PACKAGES := openssh-server openssh-client
REALNODE_APT_PACKAGES := $(SSH_APT_PACKAGES) glusterfs-server glusterfs-client lvm2 \
	thin-provisioning-tools xfsprogs user-mode-linux kmod iproute2 util-linux procps \
	sysvinit-utils

.PHONY: deps-ssh deps-real-nodes test-ssh test-real-nodes bench-real-nodes

# Installs packages without letting their scripts start system daemons (sshd on :22,
# glusterd): a policy-rc.d that says "no" is put in place if the machine has none.
define apt_install_quiet
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  [ "$$(id -u)" = 0 ] || { echo "root needed to install$$missing"; exit 1; }; \
	  tmp_policy=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; tmp_policy=1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; rc=$$?; \
	  [ -z "$$tmp_policy" ] || rm -f /usr/sbin/policy-rc.d; exit $$rc; \
	fi
endef

deps-ssh: deps
	$(call apt_install_quiet,$(SSH_APT_PACKAGES))

deps-real-nodes: deps
	$(call apt_install_quiet,$(REALNODE_APT_PACKAGES))

## The ssh transport against a private sshd on 127.0.0.1 (about a minute).
test-ssh: deps-ssh
	$(CARGO) test $(REALNODES) --test sshd

## The engine with the ssh executor on User-Mode-Linux storage nodes (bed.sh): the
## provisioning cycle and the fault cases on three nodes, then day-2 operations (device
## remove, brick evict, node remove under a FUSE client) on four, then the CSI driver
## (the brickyard-csi binary of the workspace build, against brickyard serve with the
## ssh executor: create, FUSE mount on the host, expand, unmount, delete) on three, then
## reconcile (every kind of drift made behind the engine's back, reported, fixed) on three; one
## bed at a time. About 4-6 minutes each for the first two after the build on a 2-core
## machine (more when it is busy); the CSI one took 3 min 20 s on a 2-core machine
## that other builds kept at a load average of 12.
## Needs root, /dev/net/tun and /dev/fuse. A bed that cannot start fails the test.
test-real-nodes: deps-real-nodes
	$(BUILD_ALL)
	$(CARGO) test $(REALNODES) --test nodes --test day2 --test csi --test reconcile -- --nocapture

## Benchmark: 20 concurrent volume creates on three real nodes, ssh connection reuse on and
## off (BENCH_VOLUMES, BENCH_ITERATIONS, BENCH_MODES=reuse,fresh). The time goes to the
## nodes, not to the client: the dev profile spares an optimised build of every dependency.
bench-real-nodes: deps-real-nodes
	$(CARGO) bench $(REALNODES) --bench concurrent_creates --profile dev
