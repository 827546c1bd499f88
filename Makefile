# Every command a person runs on Timz. `make help` lists them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

# Compiled files are kept (__pycache__/, ignored by git) even where the environment sets
# PYTHONDONTWRITEBYTECODE: without them every test process compiles the project again and
# pytest rewrites every test module's assertions again, ~3.5 s of CPU per process (collection:
# 7 s instead of 10.5 s), and a CI run starts dozens of Python processes.
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help venv run serve test test-instants test-postgres e2e lint format messages i18n-check bench bench-load prod-check clean

help: ## List the commands
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# The virtualenv is rebuilt when the requirement files change. Python >= 3.12 is required
# (Django 6); .python-version asks pyenv for 3.13.
#
# uv installs the requirements (parallel downloads, one resolution: on the same loaded machine, a
# fresh `make run` showed its first page after 119 s instead of pip's 218 s). It is the uv on
# PATH, else the one pinned in requirements-dev.txt, fetched with the interpreter's own pip.
# uv is given pip's configuration (index-url, extra-index-url, find-links, constraint from
# `pip config list`) and pip's rule of taking the best version across them, so both install
# from the same sources; it compiles the bytecode, as pip does (a process that finds none
# compiles what it imports, every time, where PYTHONDONTWRITEBYTECODE is set). Without uv, pip
# installs everything as before.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@PYBIN=""; for c in python3.13 python3.12 python3 python; do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then PYBIN=$$c; break; fi; \
	done; \
	if [ -z "$$PYBIN" ]; then echo "error: Timz needs Python >= 3.12 (Django 6); none found on PATH. Install python3.13 (pyenv install 3.13) and retry." >&2; exit 1; fi; \
	if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then rm -rf $(VENV); fi; \
	[ -x $(PY) ] || { echo "Creating $(VENV) with $$($$PYBIN --version)"; $$PYBIN -m venv --without-pip $(VENV); }; \
	UV=$$(command -v uv || true); \
	if [ -z "$$UV" ] && [ ! -x $(VENV)/bin/uv ]; then \
	  $$PYBIN -m pip --python $(PY) install --quiet --disable-pip-version-check "$$(grep -E '^uv==' requirements-dev.txt)" || true; \
	fi; \
	[ -n "$$UV" ] || { [ -x $(VENV)/bin/uv ] && UV=$(VENV)/bin/uv; }; \
	if [ -n "$$UV" ]; then \
	  SOURCES=$$($$PYBIN -m pip config list 2>/dev/null \
	    | sed -n "s/^[^.]*\.\(index-url\|extra-index-url\|find-links\|constraint\)='\(.*\)'$$/\1 \2/p" \
	    | while read -r key values; do for v in $$values; do printf -- '--%s %s ' "$$key" "$$v"; done; done); \
	  echo "Installing requirements-dev.txt with $$($$UV --version)"; \
	  $$UV pip install --quiet --python $(PY) --compile-bytecode --index-strategy unsafe-best-match \
	    $$SOURCES pip -r requirements-dev.txt; \
	else \
	  echo "uv is not available: installing requirements-dev.txt with pip"; \
	  [ -x $(PIP) ] || $(PY) -m ensurepip --upgrade >/dev/null; \
	  $(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt; \
	fi
	@touch $@

venv: $(VENV)/.installed ## Create the virtualenv and install everything

run: venv ## Migrate, load demo data if empty, serve http://127.0.0.1:8000 (pages, websockets, admin)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo --if-empty
	@trap 'kill 0' EXIT; \
	( while true; do $(PY) manage.py process_due --quiet || true; sleep 60; done ) & \
	$(PY) manage.py runserver $(HOST):$(PORT)

WORKERS ?= 2
serve: venv ## Serve as production does: WORKERS daphne processes (default 2) on one port
	$(PY) manage.py migrate --no-input
	$(PY) -m timz.serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

test: venv ## Run the whole test suite (SQLite, in-memory channel layer)
	$(PY) -m pytest -q -n 2 --dist loadfile

# The tests whose answers depend on the date, run as if at instants where calendars turn: just
# before and after midnight UTC, just after midnight in Paris, both DST nights of 2027 in Paris
# and in New York (just before the change, on the local wall clock), the last evening of a month
# (already the next month in Paris) and New Year's Eve. Each run is seconds of tests behind
# seconds of start-up, so two processes share the instants (TIMZ_TEST_NOW takes several: every
# test runs at each in turn, with the database and any module-wide data built again at each),
# without migrations (tables straight from the models) or the plugins of the schema and
# property tests.
DATE_TESTS := timz/tests/test_admin_dashboard.py bookings/tests/test_process_due.py \
  bookings/tests/test_selectors.py bookings/tests/test_views_bookings.py \
  bookings/tests/test_waitlist.py \
  payments/tests/test_journeys_offline.py payments/tests/test_fee_report.py
INSTANTS := 2027-06-15T23:59:00Z 2027-06-16T00:01:00Z 2027-01-15T00:30:00+01:00 \
  2027-03-28T01:30:00+01:00 2027-10-31T02:30:00+02:00 \
  2027-03-14T01:30:00-05:00 2027-11-07T01:30:00-04:00 \
  2027-02-28T23:30:00Z 2027-12-31T23:30:00Z
HALF := $(shell echo $$(( ($(words $(INSTANTS)) + 1) / 2 )))
test-instants: venv ## The date-sensitive tests at pinned instants (TIMZ_TEST_NOW)
	@printf '%s\n' "$(wordlist 1,$(HALF),$(INSTANTS))" \
	  "$(wordlist $(shell echo $$(($(HALF) + 1))),$(words $(INSTANTS)),$(INSTANTS))" \
	  | xargs -P 2 -I '{}' sh -c ' \
	  out=$$(TIMZ_TEST_NOW="{}" $(PY) -m pytest -q -p no:xdist -p no:schemathesis \
	    -p no:hypothesispytest --nomigrations $(DATE_TESTS) 2>&1); status=$$?; \
	  printf "== TIMZ_TEST_NOW=%s\n%s\n" "{}" "$$out"; exit $$status'

test-postgres: venv ## The suite against PostgreSQL and Redis on 127.0.0.1
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/timz} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(PY) -m pytest -q -n 2 --dist loadfile

# Two workers, each with its own daphne, database and browser; a file's tests stay on one worker
# (e2e/conftest.py). One worker (pytest, daphne and Chromium taking turns) keeps about one core
# busy; two keep both.
e2e: venv ## Browser tests in headless Chromium (needs the chromium package; node for axe-core)
	@[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund
	$(PY) -m pytest -q -n 2 --dist loadfile e2e

lint: venv ## ruff check, ruff format --check, makemigrations --check, mypy over payments/
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/mypy

format: venv ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The catalogues: locale/<lang>/LC_MESSAGES/django.po (templates and Python) and djangojs.po
# (static/js), English the source, for each language of settings.LANGUAGES but English. Needs GNU
# gettext (Debian's gettext package). What makemessages leaves out (.venv, node_modules, var, e2e,
# bench, tests, conftest.py, static/vendor) and how it writes (`--add-location file`: the files
# using a string, without line numbers that churn every diff; `--no-obsolete`) live in
# timz/i18n_check/catalogues.py: the suite extracts with the same options to check that the
# catalogues hold every string of the code (that test needs xgettext; .ci/run installs gettext).
# The compiled .mo files are COMMITTED, built here: serving pages needs no gettext, and
# timz/tests/test_translations.py fails on a .mo not compiled from its .po as it is, as on an
# empty, fuzzy or obsolete entry or a placeholder that does not fit.
messages: venv ## Extract the strings to translate into locale/*.po, then compile them (.mo)
	$(PY) -m timz.i18n_check messages

i18n-check: venv ## List unmarked template strings and catalogue problems, as file:line
	$(PY) -m timz.i18n_check

bench: venv ## Benchmarks under bench/: print timings and query counts
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

BENCH_URL ?= http://$(HOST):$(PORT)
bench-load: venv ## Load a running server: req/s, p50/p99 (BENCH_URL=..., BENCH_ARGS="--duration 5")
	$(PY) bench/load.py --url $(BENCH_URL) $(BENCH_ARGS)

prod-check: venv ## manage.py check --deploy with production settings; fails on any warning
	DJANGO_DEBUG=false DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-prod-check-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')} \
	DJANGO_ALLOWED_HOSTS=timz.example EMAIL_URL=smtp+tls://mailer@smtp.timz.example:587 \
	$(PY) manage.py check --deploy --fail-level WARNING

clean: ## Remove the virtualenv and local data under var/
	rm -rf $(VENV) var
