# PartnerPulse — everything starts from here. `make run`, `make test`, `make ui`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export PARTNERPULSE_LANDING_DIR ?= $(CURDIR)/data/landing
export PARTNERPULSE_WAREHOUSE_DIR ?= $(CURDIR)/data/warehouse

.PHONY: install run test ui lint clean help

help:
	@echo "make run    - install, generate demo data if missing, refresh the latest week, publish"
	@echo "make test   - install and run the whole test suite"
	@echo "make ui     - Dagster web UI on http://127.0.0.1:3000"
	@echo "make lint   - ruff"

# The venv is rebuilt when pyproject.toml or the lock file changes.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/partnerpulse demo-data --if-missing
	$(BIN)/partnerpulse refresh

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

ui: $(STAMP)
	$(BIN)/partnerpulse ui

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

clean:
	rm -rf dbt_project/target dbt_project/logs
