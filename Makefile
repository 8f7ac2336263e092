# Echelon — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= full
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/echelon
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test test-postgres test-replica test-browser bench lint install install-python install-assets install-locale install-maps install-fonts browser-deps run seed clean help bench-postgres drills load load-clean

help:
	@echo "make demo   [SCALE=small]  install, migrate, seed the demo data (full by default), start app + worker"
	@echo "make test                  install what tests need and run the whole suite (SQLite + browser)"
	@echo "make test-postgres         the suite against PostgreSQL ($(PG_URL))"
	@echo "make test-replica          a primary (5434) and a streaming standby (5435): the read replica end to end"
	@echo "make drills                kill -9 and concurrency drills (SQLite + PostgreSQL), the drill table printed"
	@echo "make bench                 full-scale benchmarks, figures printed"
	@echo "make bench-postgres        the same on PostgreSQL ($(BENCH_PG_URL)), beside SQLite's"
	@echo "make load   [LOAD_USERS=50 LOAD_TIME=5m]  the personas under load on PostgreSQL (own cluster, :5433)"
	@echo "make lint                  ruff + mypy + the layer contracts (import-linter)"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required (python3.11 not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required for the front-end packages"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Map data for the dashboard (ECharts map scripts: the region's leagues, each league's counties) from PyPI.
# These old sdists build only with pyecharts-jupyter-installer (and wheel, for setuptools < 70.1) already in
# the environment, hence no build isolation. Served as static files under vendor/maps (echelon/settings.py).
MAP_PACKAGES := echarts-china-provinces-pypkg==0.0.3 echarts-china-cities-pypkg==0.0.9
$(VENV)/.maps-installed: | $(VENV)/.installed
	$(BIN)/pip install -q wheel==0.45.1 pyecharts-jupyter-installer==0.0.3 lml==0.2.0
	$(BIN)/pip install -q --no-build-isolation $(MAP_PACKAGES)
	@touch $@

# The catalogues (English; Mongolian in the traditional script, for the public pages): the .po files are in
# git, the compiled .mo files are build products (msgfmt, from the Debian package gettext).
LOCALE_MO := echelon/locale/en/LC_MESSAGES/django.mo echelon/locale/mn/LC_MESSAGES/django.mo
echelon/locale/%/LC_MESSAGES/django.mo: echelon/locale/%/LC_MESSAGES/django.po $(VENV)/.installed
	@command -v msgfmt >/dev/null || { echo "Installing gettext (Debian package) for msgfmt…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }
	cd echelon && ../$(BIN)/echelon compilemessages -l $* -v0
	@touch $@

# The Mongolian font of the public pages: Noto Sans Mongolian from the Debian package fonts-noto-core, copied
# into var/fonts (git-ignored), which settings.py serves as static files under fonts/. Never committed.
MONGOLIAN_FONT := /usr/share/fonts/truetype/noto/NotoSansMongolian-Regular.ttf
FONT_COPY := var/fonts/NotoSansMongolian-Regular.ttf
$(FONT_COPY):
	@test -f $(MONGOLIAN_FONT) || { echo "Installing the Mongolian font (Debian package fonts-noto-core)…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core >/dev/null; }
	mkdir -p $(dir $@)
	cp $(MONGOLIAN_FONT) $@

install-python: $(VENV)/.installed
install-assets: node_modules/.installed
install-locale: $(LOCALE_MO)
install-maps: $(VENV)/.maps-installed
install-fonts: $(FONT_COPY)
install: install-python install-assets install-locale install-maps install-fonts

# Debian packages for the browser tests: headless Chromium and CJK fonts to render Chinese.
browser-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi 'cjk\|wqy'; then \
	  echo "Installing Chromium and CJK fonts (Debian packages)…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

demo: install
	$(BIN)/echelon migrate --noinput -v0
	$(BIN)/echelon collectstatic --noinput -v0
	$(BIN)/echelon seed_demo --scale $(SCALE) --if-empty
	$(BIN)/echelon demo_campaign --if-empty
	$(BIN)/echelon snapshot --backfill-from start
	$(BIN)/echelon dashboards_daily
	$(BIN)/echelon dashboards_daily --schedule
	$(BIN)/echelon demo_logins
	@echo "Echelon is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the worker)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(BIN)/echelon db_worker --interval 1 & \
	  $(BIN)/gunicorn echelon.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 --timeout 300 --access-logfile - ; \
	  wait

# The suite runs on every core (pytest-xdist: one test database per worker), then the browser tests.
test: install browser-deps
	$(BIN)/echelon collectstatic --noinput -v0
	$(BIN)/pytest -q -p no:randomly -n auto -m "not browser"
	$(BIN)/pytest -q -p no:randomly -m browser

# On PostgreSQL too: the suite, and the ledger's story from a villager's phone to the county in the browser;
# then two app servers and two workers on one database and Redis (ports 8201-8202, alone: not under xdist).
test-postgres: install browser-deps
	$(BIN)/echelon collectstatic --noinput -v0
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -n auto -m "not browser and not multiserver"
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -m multiserver echelon/core/tests/test_several_servers.py
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -m browser echelon/ledger/tests/test_browser.py

# The read replica end to end (ADR 20), not in CI: a primary PostgreSQL cluster on 5434 and a streaming
# standby on 5435 under var/replica/, the small demo, the tests marked `replica`; both clusters are removed
# on the way out, whatever happened. Needs PostgreSQL's server programs (Debian: postgresql).
test-replica: install-python
	bash echelon/core/tests/replica_clusters.sh

test-browser: install browser-deps
	$(BIN)/echelon collectstatic --noinput -v0
	$(BIN)/pytest -q -m browser

# kill -9 in the middle of every long job on SQLite and PostgreSQL (minutes: not in CI), then the concurrency
# drills on PostgreSQL (also in test-postgres); the table of all of them at the end (var/drills/results.jsonl).
drills: install-python
	@rm -f var/drills/results.jsonl
	@status=0; \
	  ECHELON_DRILLS=1 $(BIN)/pytest -q -p no:randomly -m drill echelon/core/tests/test_crash_drills.py || status=1; \
	  DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -p no:randomly -m drill echelon/core/tests/test_concurrency_drills.py || status=1; \
	  $(BIN)/python -m echelon.testing.drills; exit $$status

bench: install
	$(BIN)/python -m bench

BENCH_PG_URL ?= postgres://postgres@127.0.0.1:5432/echelon_bench_pg
bench-postgres: install
	BENCH_DATABASE_URL=$(BENCH_PG_URL) $(BIN)/python -m bench

# The load test (load/, not in CI): its own PostgreSQL cluster on port 5433 under var/load (kept; the full
# demo prepared once), gunicorn + the job worker on :8101 with Redis database 6 as the cache, locust headless.
LOAD_USERS ?= 50
LOAD_TIME ?= 5m
$(VENV)/.load-installed: pyproject.toml | $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev,load]'
	@touch $@

load: install $(VENV)/.load-installed
	$(BIN)/python -m load --users $(LOAD_USERS) --time $(LOAD_TIME)

load-clean: | $(VENV)/.installed
	$(BIN)/python -m load --clean

lint: install-python
	$(BIN)/ruff check echelon bench load
	$(BIN)/ruff format --check echelon bench load
	$(BIN)/mypy echelon bench load
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) node_modules var
