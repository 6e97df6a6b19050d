# Helpline: `make run` serves it, `make test` checks everything. GNU make.
#
#   make run          set up .venv, the database and static files, load the demo
#                     data into an empty database, serve on http://127.0.0.1:$(PORT)
#   make test         lint, types, migrations, system checks, the whole test suite
#   make lint / fmt   ruff and mypy only / reformat and autofix
#   make clean        delete .venv and var/ (the SQLite database, uploads, secret key)
#
# Variables: PORT (8000), PYTEST_ARGS (extra pytest arguments, e.g. "-n auto -x"),
# PYTHON (an interpreter to use instead of the one scripts/find-python picks).

SHELL := /bin/sh
.DEFAULT_GOAL := help

PORT ?= 8000
PYTEST_ARGS ?=
UV_VERSION := 0.13.9

VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
MANAGE := $(PY) manage.py
# Written after a successful sync; older than uv.lock or pyproject.toml means re-sync.
SYNCED := $(VENV)/.helpline-synced

export PORT
export PYTHON
# uv must use the interpreter in .venv and never fetch one of its own.
export UV_PYTHON_DOWNLOADS := never

.PHONY: help venv run serve setup test lint fmt check-migrations pytest clean

help:
	@echo "make run     serve Helpline on http://127.0.0.1:$(PORT)/ (sets everything up first)"
	@echo "make test    lint, types, migrations, checks and the whole test suite"
	@echo "make lint    ruff and mypy only;  make fmt: reformat and autofix"
	@echo "make clean   delete .venv and var/ (database, uploads, secret key)"

# --- environment ----------------------------------------------------------------

venv: $(SYNCED)

$(SYNCED): pyproject.toml uv.lock
	@if ! $(PY) -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1; then \
	    python=$$(scripts/find-python) || exit 1; \
	    echo "Creating $(VENV) with $$python"; \
	    rm -rf $(VENV); \
	    "$$python" -m venv $(VENV) || exit 1; \
	fi
	@if [ "$$($(UV) --version 2>/dev/null | cut -d" " -f2)" != "$(UV_VERSION)" ]; then \
	    $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade >/dev/null || exit 1; \
	    echo "Installing uv $(UV_VERSION) into $(VENV)"; \
	    $(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)" || exit 1; \
	fi
	$(UV) sync --frozen --inexact
	@touch $@

# --- run ------------------------------------------------------------------------

setup: venv
	@scripts/compile-translations --optional
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) demo

run: setup
	@scripts/serve

# Serve without the setup steps (after `make setup`).
serve: venv
	@scripts/serve

# --- checks ---------------------------------------------------------------------

# Each check is a variable so `make test` can run them in a fixed order, also under -j.
define LINT
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy helpline
endef

define CHECKS
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check
endef

# --- i18n (i18n-core) ---
# The German catalogs (.po, committed) into .mo files (build output, .gitignore).
# Only Helpline's own catalogs, only those changed since their last compilation.
define COMPILE_TRANSLATIONS
	@scripts/compile-translations
endef
# Every string marked in the code is in the German catalogs and translated, and
# every translation keeps its placeholders (scripts/check-translations).
define CHECK_TRANSLATIONS
	@scripts/check-translations
endef
# --- end i18n ---

define PYTEST
	@scripts/ensure-test-tools
	$(COMPILE_TRANSLATIONS)
	$(VENV)/bin/pytest $(PYTEST_ARGS)
endef

lint: venv
	$(LINT)

fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-migrations: venv
	$(CHECKS)

pytest: venv
	$(PYTEST)

test: venv
	$(LINT)
	$(CHECKS)
	$(PYTEST)

# --- housekeeping -----------------------------------------------------------------

clean:
	rm -rf $(VENV) var
