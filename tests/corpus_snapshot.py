"""The shipped corpus, loaded once per test session and copied back in for each test
that asks for it.

`load_corpus` saves some six hundred rows one by one and takes most of a second; copying
the same rows back with PostgreSQL's COPY takes a few milliseconds. The first test that
asks for the corpus loads it with the real command and records, table by table, what the
load changed; later tests get exactly those rows back, sequences included. Triggers stay
quiet while the rows go back (`session_replication_role = replica`), because the rows
they would write (the data version, stored counts) are among the rows copied.
"""

import io

from django.core.management import call_command
from django.db import connection, transaction

from browse import caching

_snapshot: dict[str, bytes] | None = None
_before: dict[str, bytes] | None = None


def _tables() -> list[str]:
    return sorted(connection.introspection.table_names(include_views=False))


def _contents(tables) -> dict[str, bytes]:
    contents = {}
    with connection.cursor() as cursor:
        for table in tables:
            buffer = io.BytesIO()
            with cursor.cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                for block in copy:
                    buffer.write(block)
            contents[table] = buffer.getvalue()
    return contents


def _can_silence_triggers() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SHOW is_superuser")
        return cursor.fetchone()[0] == "on"


def load() -> None:
    """Load the corpus: by the command the first time, by copying its rows after that.
    Where the database does not start as the first load found it, or the server will not
    let triggers be silenced, the command runs again: the copy is only ever a shortcut."""
    global _snapshot, _before
    # A test that commits ends with a flush, which empties every table, the data version's
    # too: migrations create its one row and triggers only update it, so put it back.
    caching.data_version()
    if _snapshot is not None and _contents(_snapshot) == _before:
        _restore(_snapshot)
        return
    before = _contents(_tables())
    call_command("load_corpus", stdout=io.StringIO())
    if _snapshot is None and _can_silence_triggers():
        after = _contents(_tables())
        changed = [table for table in after if after[table] != before.get(table)]
        _snapshot = {table: after[table] for table in changed}
        _before = {table: before[table] for table in changed}


def _restore(snapshot: dict[str, bytes]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        for table, rows in snapshot.items():
            cursor.execute(f'DELETE FROM "{table}"')
            with cursor.cursor.copy(f'COPY "{table}" FROM STDIN') as copy:
                copy.write(rows)
        for table in snapshot:
            for sequence in connection.introspection.get_sequences(cursor, table):
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), "
                    f'coalesce(max("{sequence["column"]}"), 0) + 1, false) FROM "{table}"',
                    [f'"{table}"', sequence["column"]],
                )
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
