# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k corpus"`.
PYTEST_ARGS ?=

.PHONY: run test install system-test-deps

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_corpus
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# PostgreSQL's server and Chromium come from Debian's packages.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_INSTALL = $(SUDO) sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$$0"'

system-test-deps:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || $(APT_INSTALL) postgresql
	@test -x /usr/bin/chromium || $(APT_INSTALL) chromium

test: install system-test-deps
	@status=0; \
	echo "== Test suite on PostgreSQL (a throwaway server)"; \
	$(PY) tests/pg_server.py -- $(PY) -m pytest $(PYTEST_ARGS) || status=1; \
	echo "== Test suite on SQLite"; \
	DATABASE_URL="sqlite:///$(CURDIR)/db.sqlite3" $(PY) -m pytest $(PYTEST_ARGS) || status=1; \
	exit $$status
