# PostGov — the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench install lock messages demo clean

$(PY):
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# Reinstall only when the lock file changes.
$(STAMP): requirements.lock | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

# Without POSTGOV_ENV PostGov runs as production; these targets are a developer's.
run test messages: export POSTGOV_ENV := development

## make run: install, migrate, load the Quảng Trị demo data, start web + worker, print logins
## (a demo: friendly error pages; `make run DEBUG=1` for Django's debug pages)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py load_demo
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py demo_logins
	@echo "PostGov: http://$(HOST):$(PORT)/   (Ctrl+C stops the server and the worker)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(PY) manage.py db_worker --queue-name '*' --interval 1 & \
	  $(VENV)/bin/gunicorn postgov.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 \
	    --access-logfile - --access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss' \
	    --graceful-timeout 5

## make test: the whole suite (SQLite unless DATABASE_URL is set), one worker per core
test: install
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

## make lint: ruff (lint and format) and mypy (pyproject.toml says how strict, where)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

## make lock: re-resolve requirements.lock from pyproject.toml (needs network)
lock: install
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu -o requirements.lock -q

## make messages: extract and compile translations (needs GNU gettext)
messages: install
	$(PY) bin/messages.py

clean:
	rm -rf $(VENV) var
