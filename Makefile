# Every target installs what it needs into .venv first, so each works on a fresh clone.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
# The Airbyte CDK (the manifest oracle) gets a venv of its own: its pins conflict with ours.
CDKVENV := .cdkvenv
CDK_STAMP := $(CDKVENV)/.installed
# Real Airbyte manifests from the connector wheels on PyPI (tests/airbyte/packaged_connectors.txt):
# only each wheel's manifest.yaml is unpacked; no package is installed or run.
AB_PACKAGES := .airbyte-packages
AB_STAMP := $(AB_PACKAGES)/.installed

.PHONY: demo test test-fast test-e2e-dict-pages test-slow test-dict-pages lint typecheck bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev,oracle]'
	touch $(STAMP)

$(CDK_STAMP): pyproject.toml  ## the `airbyte` extra's pin, alone in .cdkvenv
	$(PYTHON) -m venv $(CDKVENV)
	$(CDKVENV)/bin/pip install --quiet --upgrade pip
	$(CDKVENV)/bin/python -c 'import subprocess, sys, tomllib; \
	  pins = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["airbyte"]; \
	  subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *pins], check=True)'
	touch $(CDK_STAMP)

$(AB_STAMP): $(STAMP) tests/airbyte/packaged_connectors.txt
	$(VENV)/bin/python -m tests.airbyte.fetch_packages $(AB_PACKAGES)
	touch $(AB_STAMP)

demo: $(STAMP)  ## start the five sandbox APIs, run every seed document into demo.duckdb
	$(VENV)/bin/restsync demo --destination duckdb:///demo.duckdb

test: test-fast test-e2e-dict-pages test-slow  ## the whole test suite: fast tests, the end-to-end ones again on the dict page path, then the slow ones

test-fast: $(STAMP)  ## every test not marked slow (a few minutes), on every core
	$(VENV)/bin/pytest -q -m "not slow" -n auto

test-slow: $(STAMP) $(CDK_STAMP) $(AB_STAMP)  ## the slow tests: crash harness, hostile servers, lake seeds, oracles (dlt, the Airbyte CDK, Airbyte's packaged manifests), clusters
	RESTSYNC_CDK_PYTHON="$${RESTSYNC_CDK_PYTHON:-$(CURDIR)/$(CDKVENV)/bin/python}" \
	RESTSYNC_AIRBYTE_PACKAGES="$${RESTSYNC_AIRBYTE_PACKAGES:-$(CURDIR)/$(AB_PACKAGES)}" \
	  $(VENV)/bin/pytest -q -m slow -n auto

test-e2e-dict-pages: $(STAMP)  ## the fast end-to-end tests (tests/e2e) again with the dict page path: both paths must load the same tables
	RESTSYNC_PAGE_PATH=dict $(VENV)/bin/pytest -q -m "not slow" -n auto tests/e2e

test-dict-pages: $(STAMP)  ## the fast tests with the dict page path (Arrow-native pages, RESTSYNC_PAGE_PATH=auto, are the default)
	RESTSYNC_PAGE_PATH=dict $(VENV)/bin/pytest -q -m "not slow" -n auto

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/pip install --quiet -e '.[bench]'
	$(VENV)/bin/python -m bench
