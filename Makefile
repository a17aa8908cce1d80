# PartnerPulse — everything starts from here. `make run`, `make test`, `make ui`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export PARTNERPULSE_LANDING_DIR ?= $(CURDIR)/data/landing
export PARTNERPULSE_WAREHOUSE_DIR ?= $(CURDIR)/data/warehouse

.PHONY: install run test test-fast ui lint clean help chromium postgresql java bench

help:
	@echo "make run    - install, generate demo data if missing, refresh the latest week, publish"
	@echo "make test   - install, lint, then run the whole test suite"
	@echo "make test-fast - the tests that run no real refresh (pytest -m 'not slow'), for the edit loop"
	@echo "make ui     - Dagster web UI on http://127.0.0.1:3000"
	@echo "make lint   - ruff check, ruff format --check and sqlfluff lint (the pre-commit hooks' checks)"
	@echo "make bench  - benchmark at 2k/20k/200k accounts, results in bench/results.md"

# The venv is rebuilt when pyproject.toml or the lock file changes. pip installs uv (pinned in the lock), uv
# installs the rest: the same versions in a third of pip's time (13 s instead of 38 s here, cache warm), with
# every module compiled up front (some machines set PYTHONDONTWRITEBYTECODE=1: nothing compiled later).
# uv's temporary files go to .venv/tmp, removed afterwards: uv leaves a lock file in the temp folder for
# every package it builds (six on a fresh install), which would pile up in /tmp.
# uv tries its cache alone first (--offline): this machine's package index answers every revalidation as
# modified, so online uv downloads pyspark's 317 MB source again, builds it (16 s) and keeps a new 650 MB copy in
# its cache on every install. Only when the cache lacks a pinned version (a fresh machine, a changed lock) does
# it go to the index.
UV_INSTALL = TMPDIR=$(CURDIR)/$(VENV)/tmp $(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -c requirements.lock -e '.[dev]'
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements.lock uv
	@mkdir -p $(VENV)/tmp
	@$(UV_INSTALL) --offline 2>/dev/null && echo "uv: installed from its cache" || \
		{ echo "uv: the cache lacks some pinned versions; installing from the package index"; $(UV_INSTALL); }
	@rm -rf $(VENV)/tmp
	@touch $(STAMP)

install: $(STAMP)

# One line per step and a summary; the full Dagster and dbt logs go to <warehouse>/logs/ (make run VERBOSE=1:
# on the console too).
run: $(STAMP)
	$(BIN)/partnerpulse demo-data --if-missing $(if $(VERBOSE),--verbose)
	$(BIN)/partnerpulse refresh $(if $(VERBOSE),--verbose)

test: lint chromium postgresql java
	$(BIN)/python -m pytest --durations=15

# Everything but the tests that run a real refresh (Dagster + dbt, marked slow): a few minutes.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# The executive page is tested in a real browser: Debian's Chromium (not a downloaded one).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser test ..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }; }

# The Spark test (tests/test_engines.py) runs a local Spark session: a Java runtime (Spark 3.5 runs on 17).
java:
	@command -v java >/dev/null 2>&1 || { \
		echo "Installing Debian's OpenJDK 17 for the Spark tests ..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q openjdk-17-jre-headless >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q openjdk-17-jre-headless >/dev/null; }; }

# The PostgreSQL tests (serving, tests/test_serving_postgres.py) start their own server: Debian's server binaries.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "Installing Debian's postgresql for the PostgreSQL tests ..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q postgresql >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q postgresql >/dev/null; }; }

# Benchmark at 2,000 / 20,000 / 200,000 accounts (BENCH_SCALES=2000 for one): full, next-week and changed-history
# refreshes vs ../shared/bench/lower_bound.py, at the product's DuckDB memory_limit (8GB;
# PARTNERPULSE_DUCKDB_MEMORY_LIMIT to change); data cached in bench/cache/, results in bench/results.md.
bench: $(STAMP)
	$(BIN)/python bench/run.py

ui: $(STAMP)
	$(BIN)/partnerpulse ui

# Settings: pyproject.toml (ruff) and .sqlfluff; any finding fails.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models dbt_project/macros dbt_project/tests --processes 0 --disable-progress-bar

clean:
	rm -rf dbt_project/target dbt_project/logs
