# Two commands for a fresh machine with Python 3.11+:
#   make dev    install into .venv and start the whole stack (salespad dev)
#   make test   install into .venv, then lint, type-check and run every test tier
#   make test-fast   the unit and service tiers only (no Temporal; the schemathesis run
#                    over every API operation is most of its time)
#   make chaos  the chaos scenarios alone, printing their duplicate and missing counts
#               (CHAOS_LEADS=500 scales the campaigns up; CHAOS_SEED=n replays one run)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Tests run on both cores with pytest-xdist (an idle worker steals queued tests from a busy
# one); each xdist worker has its own PostgreSQL and time-skipping server (tests/conftest.py).
TEST_WORKERS ?= 2
# Let every test process (xdist workers, the dev stack's children) reuse our modules' bytecode.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install dev test test-fast chaos lint fmt bench clean

install: $(STAMP)

$(STAMP): pyproject.toml package.json package-lock.json
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "SalesPad needs Python 3.11 or newer, found " + sys.version.split()[0] + ": run make with PYTHON=python3.12 (or another 3.11+)")'
	$(PYTHON) -m venv $(VENV)
	@# uv (from PyPI, through pip) installs the project in seconds where pip takes a minute;
	@# it compiles the bytecode up front, as pip does. Prism (npm) installs at the same time;
	@# without npm the contract tests skip and say why.
	$(BIN)/python -m pip install --quiet uv
	@if command -v npm >/dev/null 2>&1; then npm install --no-audit --no-fund --prefer-offline & npm=$$!; \
	else echo "npm not found: the Prism contract tests will be skipped"; npm=; fi; \
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'; uv=$$?; \
	if [ -n "$$npm" ]; then wait $$npm || exit 1; fi; exit $$uv
	@touch $(STAMP)

dev: install
	$(BIN)/salespad dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# mypy (one core, ~25 s from cold) runs beside the tests, which spend much of their time
# waiting on servers; the test summary stays the last line, and either failing fails the run.
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal & tests=$$!; \
	trap 'kill $$tests 2>/dev/null' INT TERM; \
	$(BIN)/mypy; typed=$$?; \
	wait $$tests; passed=$$?; \
	[ $$typed -eq 0 ] && [ $$passed -eq 0 ]

test-fast: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal -m "unit or service"

# One scenario at a time (each runs a campaign through real processes on both cores); -rP
# shows the CHAOS lines each test prints.
chaos: install
	$(BIN)/pytest tests/chaos -m chaos -q -rP

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .salespad .pytest_cache .ruff_cache .mypy_cache
