# Two commands do all set-up on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run lint test test-fast test-deps bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dirsync-bridge needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The main job on the embedded default: replay the fixture reports into the local ticket
# store (state in ./.dirsync-bridge/), then list the open tickets. Exit 1 from replay means
# "some inputs were rejected": the corpus holds hostile mail on purpose.
run: install
	$(BIN)/dirsync-bridge replay fixtures/reports || [ $$? -eq 1 ]
	$(BIN)/dirsync-bridge tickets

lint: install
	$(BIN)/ruff check --no-cache src tests bench
	$(BIN)/ruff format --no-cache --check src tests bench
	$(BIN)/mypy

# The system packages the tests need (a Samba AD DC for the LDAP tests, Debian's headless
# Chromium and its chromedriver for the report page's test), with sudo when not root; one
# line saying why and how to fix it when they cannot be installed.
test-deps:
	@.ci/setup-samba
	@.ci/setup-chromium

test: lint test-deps
	$(BIN)/pytest

# Everything but the property and crash tests (marked slow): for the edit-test loop.
test-fast: lint test-deps
	$(BIN)/pytest -m "not slow"

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .dirsync-bridge
