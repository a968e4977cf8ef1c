# Two commands for a fresh machine with Python 3.11+:
#   make dev    install into .venv and start the whole stack (salespad dev)
#   make test   install into .venv (and Debian's chromium for the dashboard's browser tests
#               and dovecot-imapd for the IMAP reply tests, when missing), then lint,
#               type-check and run every test tier
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

.PHONY: install dev test test-fast chaos lint fmt bench clean dashboard browser imap

install: $(STAMP)

$(STAMP): pyproject.toml package.json package-lock.json dashboard/package.json dashboard/package-lock.json
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "SalesPad needs Python 3.11 or newer, found " + sys.version.split()[0] + ": run make with PYTHON=python3.12 (or another 3.11+)")'
	$(PYTHON) -m venv $(VENV)
	@# uv (from PyPI, through pip) installs the project in seconds where pip takes a minute;
	@# it compiles the bytecode up front, as pip does. Prism and the dashboard's build and
	@# test tools (npm) install at the same time; without npm the contract tests and the
	@# dashboard's component tests skip and say why, and the committed bundle is served as is.
	$(BIN)/python -m pip install --quiet uv
	@if command -v npm >/dev/null 2>&1; then \
	{ npm install --no-audit --no-fund --prefer-offline && \
	  npm ci --prefix dashboard --no-audit --no-fund --prefer-offline; } & npm=$$!; \
	else echo "npm not found: the Prism contract tests and the dashboard's component tests will be skipped"; npm=; fi; \
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'; uv=$$?; \
	if [ -n "$$npm" ]; then wait $$npm || exit 1; fi; exit $$uv
	@touch $(STAMP)

dev: install
	@$(BIN)/python -m salespad.bundle refresh
	$(BIN)/salespad dev

# The dashboard's bundle (api/static/dashboard, committed: running SalesPad never needs Node),
# rebuilt from dashboard/ with Vite. `make dev` rebuilds it when dashboard/ changed and npm
# exists; the tests fail when the committed bundle is stale.
dashboard: install
	$(BIN)/python -m salespad.bundle build

# The dashboard's browser tests drive Debian's Chromium with Playwright (never a browser that
# Playwright downloads): installed here when missing, as root or through sudo.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "chromium not found and no apt-get to install it: the browser tests will be skipped"; exit 0; fi; \
	echo "Installing Debian's chromium for the dashboard's browser tests (apt-get)"; \
	sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	$$sudo apt-get install -y -qq chromium >/dev/null 2>&1 || \
	{ $$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium >/dev/null; }; }

# The IMAP reply tests read mail from a real Dovecot (tests/imap_server.py starts one per test
# session, in the foreground, on a loopback port): Debian's dovecot-imapd, installed here when
# missing. Where an init system runs, the package also starts a system-wide server on 143/993;
# the tests never use that one.
imap:
	@command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || { \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "dovecot not found and no apt-get to install it: the IMAP tests will be skipped"; exit 0; fi; \
	echo "Installing Debian's dovecot-imapd for the IMAP reply tests (apt-get)"; \
	sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	$$sudo apt-get install -y -qq dovecot-imapd >/dev/null 2>&1 || \
	{ $$sudo apt-get update -qq && $$sudo apt-get install -y -qq dovecot-imapd >/dev/null; }; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# mypy (one core, ~25 s from cold) runs beside the tests, which spend much of their time
# waiting on servers; the test summary stays the last line, and either failing fails the run.
test: install browser imap
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
