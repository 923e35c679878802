# Concierge: `make dev` runs the product on this machine, `make test` checks it.
# Both install what they need. `make help` lists every target.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Two test processes (pytest-xdist), each file's tests in one of them: each process has its
# own embedded Postgres and Redis (tests/support/infra.py), and most tests wait on I/O.
# The 30 slowest tests are listed at the end (CI's time budget is 40 minutes).
PYTEST_ARGS ?= -n 2 --dist loadfile --durations=30

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets with what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements-dev.txt constraints.txt $(wildcard libs/*/pyproject.toml services/*/pyproject.toml tools/*/pyproject.toml) \
		libs/embedding/setup.py $(wildcard libs/embedding/native/*)
	@bash infra/system-deps.sh cc
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m concierge.embedded.contrib
	touch $(STAMP)

.PHONY: install
install: $(STAMP) webapp ## Create .venv and install every service, lib and dev tool (pinned)

# The Mini App (TypeScript, webapp/): `npm ci` when node_modules is missing or the lock
# changed, then a build to webapp/dist (served at /app/) when a source changed.
WEBAPP_STAMP := webapp/node_modules/.installed
WEBAPP_SOURCES := $(shell find webapp/src -type f 2>/dev/null) webapp/index.html \
	webapp/vite.config.ts webapp/tsconfig.json

$(WEBAPP_STAMP): webapp/package.json webapp/package-lock.json
	@bash infra/system-deps.sh node
	cd webapp && npm ci --no-audit --no-fund
	touch $(WEBAPP_STAMP)

webapp/dist/index.html: $(WEBAPP_STAMP) $(WEBAPP_SOURCES)
	cd webapp && npm run build

.PHONY: webapp
webapp: webapp/dist/index.html ## Build the Mini App into webapp/dist (npm ci first when the lock changed)

.PHONY: webapp-test
webapp-test: $(WEBAPP_STAMP) ## The Mini App's unit tests (vitest) and lint (tsc, prettier, unsafe-DOM and schema checks)
	cd webapp && npm test && npm run lint

# The Mini App's contract: the api's OpenAPI document (built without starting the api)
# in webapp/openapi.json, and its TypeScript types in webapp/src/api/schema.ts. Both are
# committed; tests/webapp/test_openapi_contract.py fails when either is stale.
.PHONY: webapp-schema
webapp-schema: $(STAMP) $(WEBAPP_STAMP) ## Regenerate webapp/openapi.json from the api and the Mini App's types from it
	$(PY) webapp/scripts/dump_openapi.py
	cd webapp && npm run --silent schema

.PHONY: dev
dev: install ## Run the whole product locally: embedded Postgres+Redis, sandbox, api, bot, worker
	$(PY) -m concierge.embedded.devstack

.PHONY: system-deps
system-deps: ## Install the system packages needed (Node.js 20, nginx, Redis 7, Chromium) if missing
	bash infra/system-deps.sh

.PHONY: lint
lint: install ## ruff lint and format check, and the architecture's rules (imports, SQL in repositories)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) infra/lint/architecture.py

.PHONY: typecheck
typecheck: install ## mypy over every lib, service and dev tool
	$(VENV)/bin/mypy libs/*/concierge services/*/concierge tools/*/concierge

.PHONY: test
test: install system-deps lint typecheck webapp-test ## The whole suite: lint, types, unit, integration, end to end
	$(VENV)/bin/pytest $(PYTEST_ARGS)

.PHONY: compose-test
compose-test: install ## Build every image and run the whole stack with podman-compose (root; Podman is installed if missing)
	bash infra/compose-test.sh

.PHONY: bench
bench: install ## Run every benchmark in quick mode
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script --quick || exit 1; done

.PHONY: fmt
fmt: install ## Format and auto-fix the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: lock
lock: install ## Re-pin constraints.txt from the current environment
	$(PY) -m pip freeze --exclude-editable | grep -v '^concierge-' | sed 's/+cpu$$//' \
	  | sort -f > constraints.body
	{ head -n 2 constraints.txt; cat constraints.body; } > constraints.new
	rm constraints.body && mv constraints.new constraints.txt

.PHONY: clean
clean: ## Remove caches and test artifacts (keeps .venv and the .dev data)
	rm -rf .pytest_cache .mypy_cache .ruff_cache test-artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

.PHONY: clean-dev-data
clean-dev-data: ## Delete make dev's Postgres and Redis data in .dev/
	rm -rf .dev
