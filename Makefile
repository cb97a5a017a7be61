# Two commands do everything on a fresh machine with rustup/cargo, git, Node and apt:
#   make run   — build and serve the app on SQLite at http://127.0.0.1:3000
#   make test  — every test: Rust on SQLite and Postgres, then Playwright in Chromium
# Each installs what it needs if it is missing, and is quick when it is already there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
TOOLS_BIN := $(ROOT)/tools/node_modules/.bin
export PATH := $(TOOLS_BIN):$(HOME)/.cargo/bin:$(PATH)
WASM_BINDGEN_VERSION = $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/"/,"",$$3); print $$3; exit}' Cargo.lock)
CARGO_LEPTOS_VERSION := 0.3.11
PAYLOAD_BUDGET_KIB := 64
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
export TEST_POSTGRES_URL

.PHONY: help run build test test-rust test-e2e test-e2e-postgres test-api payload bench tools e2e-tools api-tools bench-tools postgres-check fuzz clean

help:
	@echo "make run    build and serve on http://127.0.0.1:3000 (SQLite in ./data)"
	@echo "make test   every test (Rust on SQLite + Postgres, Playwright in Chromium)"
	@echo "make bench  benchmarks, written to BENCHMARKS.md (BENCH_SCALE=0 skips the scale steps)"

## ---- tools -------------------------------------------------------------------------------

tools: Cargo.lock
	@rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if ! cargo leptos --version >/dev/null 2>&1; then \
	  echo "installing cargo-leptos $(CARGO_LEPTOS_VERSION) (takes ~12 minutes once)"; \
	  if rustup toolchain list | grep -q '^nightly'; then \
	    cargo +nightly install cargo-leptos --locked --version $(CARGO_LEPTOS_VERSION); \
	  else \
	    cargo install cargo-leptos --locked --version $(CARGO_LEPTOS_VERSION); \
	  fi; \
	fi
	@if [ "$$(wasm-bindgen --version 2>/dev/null | awk '{print $$2}')" != "$(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (the version in Cargo.lock)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force; \
	fi
	@[ -x $(TOOLS_BIN)/wasm-opt ] || npm ci --prefix tools --no-audit --no-fund

Cargo.lock:
	cargo generate-lockfile

# Schemathesis (PyPI) in a virtualenv under the repo, never system-wide.
SCHEMATHESIS_VERSION := 4.32.5
api-tools:
	@[ "$$(.venv/bin/schemathesis --version 2>/dev/null | awk '{print $$NF}')" = "$(SCHEMATHESIS_VERSION)" ] || { \
	  echo "installing schemathesis $(SCHEMATHESIS_VERSION) into .venv"; \
	  python3 -m venv .venv && .venv/bin/pip install -q schemathesis==$(SCHEMATHESIS_VERSION); }

e2e-tools:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || { \
	  echo "installing Debian's chromium"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }
	@[ -d end2end/node_modules/@playwright/test ] && [ -d end2end/node_modules/otpauth ] && [ -d end2end/node_modules/postal-mime ] && [ -d end2end/node_modules/smtp-server ] || npm ci --prefix end2end --no-audit --no-fund

## ---- build and run -----------------------------------------------------------------------

build: tools
	cargo leptos build --release
	node tools/payload.mjs target/site/pkg > /dev/null

run: build
	LEPTOS_SITE_ROOT=target/site ./target/release/active-sessions

## ---- tests -------------------------------------------------------------------------------

postgres-check:
	@if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then \
	  echo "Postgres answers at 127.0.0.1:5432: running the Postgres tests too"; \
	elif [ "$${REQUIRE_POSTGRES:-0}" = 1 ]; then \
	  echo "ERROR: Postgres is required (REQUIRE_POSTGRES=1) but nothing answers at 127.0.0.1:5432" >&2; exit 1; \
	else \
	  echo ""; \
	  echo "################################################################################"; \
	  echo "##  WARNING: no Postgres at 127.0.0.1:5432 — the Postgres tests are SKIPPED.   ##"; \
	  echo "##  Start Postgres (trust auth, user postgres) to run the whole suite.        ##"; \
	  echo "################################################################################"; \
	  echo ""; \
	fi

test: tools e2e-tools api-tools postgres-check test-rust build payload test-api test-e2e test-e2e-postgres

test-rust:
	@if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then export TEST_POSTGRES_URL=skip; fi; \
	cargo test --features ssr --no-fail-fast

# Schemathesis against the operator API of the release build (tools/api-fuzz.sh).
test-api: api-tools build
	tools/api-fuzz.sh

payload:
	node tools/payload.mjs target/site/pkg --budget=$(PAYLOAD_BUDGET_KIB)

# Long property-based runs of the parsers and the session-rule model (make test runs a few).
fuzz:
	PROPTEST_CASES=$${PROPTEST_CASES:-5000} cargo test --release --features ssr --test it -- properties --test-threads 2

test-e2e:
	cd end2end && npx playwright test

# On Postgres, the Playwright specs whose paths differ there (endings and their live notices
# over LISTEN/NOTIFY, disowning under row locks, the console and the operator API); the Rust
# suite runs every rule on both databases, and the rest of the browser suite on SQLite.
E2E_POSTGRES_SPECS := tests/sessions.spec.ts tests/live.spec.ts tests/recovery.spec.ts tests/admin.spec.ts tests/operator-api.spec.ts

# Those specs against the app on Postgres, in a database made for the run.
test-e2e-postgres:
	@if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then \
	  if [ "$${REQUIRE_POSTGRES:-0}" = 1 ]; then echo "ERROR: Postgres is required but nothing answers at 127.0.0.1:5432" >&2; exit 1; fi; \
	  echo "WARNING: no Postgres at 127.0.0.1:5432 — the Playwright run on Postgres is SKIPPED"; exit 0; \
	fi; \
	command -v psql >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql-client (psql)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client; fi; }; \
	db="active_sessions_e2e_$$(date +%s)_$$$$"; \
	psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $$db"; \
	trap "psql -q -h 127.0.0.1 -U postgres -d postgres -c 'DROP DATABASE IF EXISTS $$db WITH (FORCE)'" EXIT; \
	cd end2end && E2E_PORT=3200 E2E_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$$db" npx playwright test $(E2E_POSTGRES_SPECS)

## ---- benchmarks --------------------------------------------------------------------------

bench-tools:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; fi; }

# Everything in BENCHMARKS.md. BENCH_SCALE=0 skips the 10k/1M/10M and clean-up steps.
bench: tools e2e-tools bench-tools build
	@mkdir -p target/bench
	node tools/payload.mjs target/site/pkg --json > target/bench/payload.json
	rm -f target/bench/tti.*.json
	cd end2end && TTI_OUT=$(ROOT)/target/bench/tti npx playwright test --config bench.config.ts
	node -e 'const fs=require("fs");const d="target/bench";console.log(JSON.stringify(fs.readdirSync(d).filter(f=>f.startsWith("tti.")&&f!=="tti.json").sort().map(f=>JSON.parse(fs.readFileSync(d+"/"+f)))))' > target/bench/tti.json
	cargo build --release -p active-sessions-bench --bin bench
	./target/release/bench --payload-json target/bench/payload.json --tti-json target/bench/tti.json --out BENCHMARKS.md

clean:
	cargo clean
	rm -rf data end2end/test-results end2end/.tmp
