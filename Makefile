# Ducha developer commands. `make run` starts the platform, `make test` checks it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := gateway/node_modules/.installed
WEB_STAMP := web/node_modules/.installed
WEB_BUILD := web/dist/index.html
WEB_SOURCES := $(shell find web/src web/index.html web/vite.config.ts web/tsconfig.json -type f 2>/dev/null)

.PHONY: setup run test lint unit pytest compose bench deploy-check clean web codegen

setup: $(STAMP) $(NODE_STAMP) $(WEB_BUILD)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): gateway/package.json gateway/package-lock.json
	cd gateway && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# the web console: npm ci when the lock file changes, vite build when a source changes
$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

$(WEB_BUILD): $(WEB_STAMP) $(WEB_SOURCES)
	cd web && npx vite build --logLevel warn

web: $(WEB_BUILD)

# regenerate web/schema.graphql and web/src/gql from gateway/supergraph.graphql
codegen: $(WEB_STAMP)
	cd web && npm run --silent codegen

run: setup
	$(VENV)/bin/ducha run

lint: setup
	$(VENV)/bin/ruff check services tests bench deploy
	$(VENV)/bin/ruff format --check services tests bench deploy
	$(VENV)/bin/mypy services tests bench
	$(VENV)/bin/lint-imports
	$(PY) -m tests.support.import_cycles
	cd web && npx vue-tsc --noEmit

pytest: setup
	$(VENV)/bin/pytest -q

test: lint deploy-check pytest

# render deploy/overlays/* and validate them offline (deploy/check.py)
deploy-check: setup
	$(PY) deploy/check.py

compose: setup
	cd gateway && node compose.mjs

bench: setup web
	$(PY) -m bench

clean:
	rm -rf .ducha .pytest_cache .mypy_cache .ruff_cache web/dist
