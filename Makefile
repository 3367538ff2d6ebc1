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

# Running like production, benchmarks and load tests (README, "Scale and speed").
# A postgres:// DATABASE_URL is used as it is; otherwise a throwaway PostgreSQL server
# (tests/pg_server.py) holds the data for as long as the command runs.
ON_POSTGRES = $(if $(filter postgres://% postgresql://%,$(DATABASE_URL)),,$(PY) tests/pg_server.py --)
WORKERS ?= 4
# Synthetic organisations (20 asks each) that `make serve` adds on top of the corpus.
SYNTHETIC ?= 0
# DEBUG is off, so a secret key is needed: a fresh one unless SECRET_KEY is set.
SERVE_STEPS = export SECRET_KEY="$${SECRET_KEY:-$$($(PY) -c "import secrets; print(secrets.token_hex(32))")}" \
	&& $(PY) manage.py migrate --noinput -v0 && $(PY) manage.py load_corpus \
	&& { [ "$(SYNTHETIC)" = 0 ] || $(PY) manage.py seed_synthetic --clear --organisations $(SYNTHETIC) --seed 1; } \
	&& $(PY) manage.py collectstatic --noinput -v0 \
	&& exec $(PY) -m gunicorn carereview.wsgi --bind 127.0.0.1:$(PORT) --workers $(WORKERS)
# Measured as served: DEBUG off, hashed static files, persistent connections.
BENCH_STEPS = export SECRET_KEY="$${SECRET_KEY:-$$($(PY) -c "import secrets; print(secrets.token_hex(32))")}" \
	&& $(PY) manage.py migrate --noinput -v0 && $(PY) manage.py load_corpus \
	&& $(PY) manage.py collectstatic --noinput -v0 \
	&& $(PY) manage.py benchmark --json $(BENCH_JSON) $(BENCH_ARGS)
LOADTEST_PORT ?= 8765
LOADTEST_SYNTHETIC ?= 2000
# `make bench BENCH_ARGS="--sizes 20 200 --export-rows 10000"` for a quick try.
BENCH_ARGS ?=
BENCH_JSON ?= bench.json

.PHONY: serve loadtest bench system-postgres

$(VENV)/.installed-bench: $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test,bench]"
	touch $@

system-postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || $(APT_INSTALL) postgresql

serve: install $(if $(ON_POSTGRES),system-postgres)
	$(ON_POSTGRES) env DEBUG=false CONN_MAX_AGE=600 sh -c '$(SERVE_STEPS)'

loadtest: $(VENV)/.installed-bench $(if $(ON_POSTGRES),system-postgres)
	$(PY) tests/load/loadtest.py --host http://127.0.0.1:$(LOADTEST_PORT) --users 50 --seconds 60 \
		-- $(MAKE) --no-print-directory serve PORT=$(LOADTEST_PORT) SYNTHETIC=$(LOADTEST_SYNTHETIC)

bench: $(VENV)/.installed-bench $(if $(ON_POSTGRES),system-postgres)
	$(ON_POSTGRES) env DEBUG=false CONN_MAX_AGE=600 sh -c '$(BENCH_STEPS)'

# Backups of the database in DATABASE_URL (README, "Deploying"). `make backup` writes a
# new file under backups/ (or BACKUP=path) and says where; `make restore BACKUP=path
# CONFIRM=yes` replaces everything in the database with it, and without CONFIRM=yes
# only says what it would restore.
BACKUP ?=
CONFIRM ?=

.PHONY: backup restore

backup: install
	$(PY) manage.py backup $(if $(BACKUP),--output "$(BACKUP)")

restore: install
	@test -n "$(BACKUP)" || { echo "Say which backup: make restore BACKUP=backups/FILE CONFIRM=yes" >&2; exit 2; }
	$(PY) manage.py restore "$(BACKUP)" $(if $(filter yes,$(CONFIRM)),--yes)
