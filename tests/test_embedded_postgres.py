"""`python -m ops.postgres`: a command run against the PostgreSQL the project brings."""

import os
import subprocess
import sys
from pathlib import Path

import dj_database_url

from ops.postgres import database_url

ROOT = Path(__file__).resolve().parent.parent


def run(command: list[str], **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | env
    return subprocess.run(
        [sys.executable, "-m", "ops.postgres", "--", *command],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_servers_socket_folder_is_the_host_django_connects_to():
    url = database_url("postgresql://postgres:@/postgres?host=/tmp/Socket Dir")
    assert dj_database_url.parse(url)["HOST"] == "/tmp/Socket Dir"


def test_a_database_url_already_set_is_used_and_nothing_started():
    result = run(
        [sys.executable, "-c", "import os; print(os.environ['DATABASE_URL']); exit(3)"],
        DATABASE_URL="postgres://elsewhere/carereview",
    )
    assert (result.returncode, result.stdout) == (3, "postgres://elsewhere/carereview\n")
    assert "PostgreSQL in" not in result.stderr


def test_a_throwaway_server_runs_the_command_fast_and_is_removed_after_it():
    script = (
        "import os, psycopg, dj_database_url; "
        "db = dj_database_url.parse(os.environ['DATABASE_URL']); "
        "c = psycopg.connect(host=db['HOST'], user=db['USER'], dbname=db['NAME']); "
        "print(db['HOST'], *(c.execute(f'SHOW {s}').fetchone()[0] "
        "for s in ['fsync', 'synchronous_commit', 'full_page_writes'])); "
        "c.execute('CREATE EXTENSION pg_trgm'); exit(5)"
    )
    result = run([sys.executable, "-c", script])
    assert result.returncode == 5, result.stderr
    folder, *durability = result.stdout.split()
    assert durability == ["off", "off", "off"]
    assert not Path(folder).exists()
    assert "Warning" not in result.stderr
