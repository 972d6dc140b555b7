# `make run`: set up and serve the suite with demo data on SQLite.
# `make test`: set up and run every test (PostgreSQL too when it answers).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# one test process per core; a file's tests stay in one process (they share its Redis db)
TEST_WORKERS ?= auto
# apt-get needs root; use sudo when we are not.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint venv system-deps postgres-url translations vendor clean

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,postgres]'
	touch $@

run: venv
	$(FLASK) init --preset all --demo
	@echo
	@echo "  The suite is at http://$(HOST):$(PORT)/"
	@echo "  Demo logins: admin / admin (administrator), demo / demo (Vietnamese), demo_zh / demo (Chinese)"
	@echo
	ERP_RUN_SCHEDULER=1 ERP_RUN_WORKER=1 $(FLASK) run --host $(HOST) --port $(PORT)

# Debian packages the browser tests need: chromium, and CJK fonts so Chinese renders.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

lint: venv
	$(VENV)/bin/ruff check .

test: venv system-deps lint
	@if $(PY) bin/pg_ready.py "$(PG_URL)"; then \
	  echo "PostgreSQL answers: database tests run on SQLite and PostgreSQL"; \
	  export ERP_TEST_POSTGRES_URL="$(PG_URL)"; \
	else \
	  echo "PostgreSQL does not answer: database tests run on SQLite only"; \
	fi; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

translations: venv
	$(PY) bin/translations.py

vendor:
	bin/vendor.sh

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
