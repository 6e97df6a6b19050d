# Helpline: `make run` serves it, `make test` checks everything. GNU make.
#
#   make run          set up .venv, the database and static files, load the demo
#                     data into an empty database, serve on http://127.0.0.1:$(PORT)
#   make test         lint, types, layers, migrations, system checks, the translations
#                     (scripts/check-translations), the whole test suite (in parallel:
#                     one pytest-xdist worker per core, tests in random order; pytest
#                     prints the seed, --randomly-seed=N replays it)
#   make translations regenerate the translation catalogs and check them
#   make lint / fmt   ruff and mypy only / reformat and autofix
#   make clean        delete .venv and var/ (the SQLite database, uploads, secret key)
#   make bench        the benchmark (docs/performance.md): Helpline under gunicorn and
#                     its worker on SQLite and PostgreSQL at two sizes, and django-helpdesk
#                     2.6.1 beside it; writes bench/results.json and the document's table
#   make bench-quick  the same at 10k vs 100k tickets in a few minutes (CI runs it; it
#                     fails on a broken benchmark, never on a figure)
#   make bench-report rewrite docs/performance.md's table from bench/results.json
#
# Variables: PORT (8000), PYTEST_ARGS (extra pytest arguments, after the defaults:
# "-x -k lifecycle", "-n 0" for one process, "-p no:randomly" for file order),
# PYTHON (an interpreter to use instead of the one scripts/find-python picks);
# for the bench: BENCH_SIZES (10000,1000000), BENCH_DATABASES (sqlite,postgresql),
# BENCH_COMPARE_SIZES (django-helpdesk: 5000,50000), BENCH_BURST (seconds of the
# opening burst: 60), BENCH_DEEP ("Next" links followed: 1000), BENCH_ARGS (more
# options: .venv/bin/python -m bench --help).

SHELL := /bin/sh
.DEFAULT_GOAL := help

PORT ?= 8000
PYTEST_ARGS ?=
# pytest-xdist: a worker per core ("auto"). loadgroup keeps each browser module (one
# Chromium each, helpline/conftest.py) on one worker, and the tests marked
# xdist_group("heavy") (the fault run, ...) one after another; without reordering,
# the tests go out in pytest-django's order (plain database tests, then those that
# empty the tables, then those without a database).
PYTEST_PARALLEL := -n auto --dist loadgroup --no-loadscope-reorder
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

.PHONY: help venv run serve setup test lint fmt check-migrations pytest clean translations \
	bench bench-quick bench-report

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
	@# Compiled once here: where PYTHONDONTWRITEBYTECODE is set, every process (each
	@# test worker, each child a test starts) would compile Django from source again.
	$(UV) sync --frozen --inexact --compile-bytecode
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
	$(VENV)/bin/lint-imports --no-cache
endef

# `check --deploy` as a deployment behind HTTPS sees it (HTTPS=1): any warning fails.
define CHECKS
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check
	HTTPS=1 $(MANAGE) check --deploy --fail-level WARNING
endef

# --- i18n ---
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

# PYTHONDONTWRITEBYTECODE is emptied for pytest: every worker and every child process
# a test starts (workers, `helpline ingest-email`, gunicorn) would otherwise compile
# the project and the rewritten test modules again from source.
define PYTEST
	@scripts/ensure-test-tools
	$(COMPILE_TRANSLATIONS)
	PYTHONDONTWRITEBYTECODE= $(VENV)/bin/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)
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

# Regenerate the catalogs from the code and check them (also part of `make test`).
translations: venv
	@scripts/ensure-test-tools
	$(CHECK_TRANSLATIONS)

test: venv
	$(LINT)
	$(CHECKS)
	@scripts/ensure-test-tools
	$(CHECK_TRANSLATIONS)
	$(PYTEST)

# --- the benchmark (bench/, docs/performance.md) ------------------------------------

BENCH_SIZES ?= 10000,1000000
BENCH_DATABASES ?= sqlite,postgresql
BENCH_COMPARE_SIZES ?= 5000,50000
BENCH_BURST ?= 60
BENCH_DEEP ?= 1000
BENCH_ARGS ?=

bench: venv
	$(PY) -m bench --sizes $(BENCH_SIZES) --databases $(BENCH_DATABASES) \
	    --compare-sizes $(BENCH_COMPARE_SIZES) --burst $(BENCH_BURST) --deep $(BENCH_DEEP) \
	    --docs $(BENCH_ARGS)

# Fewer rounds and shorter bursts: a check that the whole benchmark works.
bench-quick: venv
	$(PY) -m bench --sizes 10000,100000 --databases $(BENCH_DATABASES) --compare-sizes 5000 \
	    --burst 20 --rest-burst 10 --repeats 5 --rounds 3 --round-seconds 8 --deep 100 \
	    --sweep 2000 --mail-queues 200 $(BENCH_ARGS)

bench-report: venv
	$(PY) -m bench.report

# --- housekeeping -----------------------------------------------------------------

clean:
	rm -rf $(VENV) var
