# The two commands: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck imports bench clean schemas

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# .venv with prm-sync installed; `source .venv/bin/activate` then puts prm-sync on PATH
install: $(STAMP)
	@echo "installed: $(BIN)/prm-sync (run 'source $(BIN)/activate' to put it on PATH)"

demo: $(STAMP)
	$(BIN)/prm-sync demo

lint: $(STAMP)
	$(BIN)/ruff check .

# the architecture contracts (pyproject.toml [tool.importlinter]; docs/architecture.md)
imports: $(STAMP)
	$(BIN)/lint-imports

# mypy over prm_sync/ and connectors/ (pyproject.toml [tool.mypy])
typecheck: $(STAMP)
	$(BIN)/mypy

# six pytest-xdist workers on two cores, work-stealing: the suite waits on HTTP, subprocesses and
# deadlines as much as it computes (4 min 49 s against 5 min 13 s with four workers, quiet machine).
# Bytecode caching stays on even where the environment turns it off (PYTHONDONTWRITEBYTECODE=1):
# without it every worker and every CLI subprocess compiles the project and re-rewrites every test
# module's asserts from source (7.3 s instead of 2.7 s per worker just to collect).
test: $(STAMP) lint imports typecheck
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -q -n 6 --dist worksteal --durations=25

# JSON Schemas of the mapping and config.yaml, generated from the models (tests check they are current)
schemas: $(STAMP)
	mkdir -p schemas
	$(BIN)/prm-sync mappings schema > schemas/mapping.schema.json
	$(BIN)/prm-sync mappings schema --config-schema > schemas/config.schema.json

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
