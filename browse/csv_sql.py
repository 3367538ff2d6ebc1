"""CSV written by PostgreSQL: an export's cells guarded against formulas in SQL, exactly
as `browse.export`'s writer guards them, and streamed with `COPY (...) TO STDOUT (FORMAT
csv)`, so that Python only passes on blocks of finished lines.

COPY's CSV quotes a cell as that writer does (in double quotes, doubling any, when it holds
a double quote, a comma, a CR or a LF), but differs in two ways, both undone: it quotes an
empty string, which is why empty cells are selected as NULL, written as nothing; and it
ends each line with LF where the files have always ended them with CRLF. PostgreSQL sends
each row of a COPY as a message of its own, so a line's end is the last byte of the row
that psycopg reads, whatever line breaks its cells hold, and `copied` puts CRLF there.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from responses.csv_format import FORMULA_PATTERN, FORMULA_STARTS

# Blocks of this many bytes or more are handed on: large enough that each costs little
# per row, small enough that memory stays flat.
BLOCK_BYTES = 256 * 1024

# `responses.csv_format.guard` in SQL: a cell that starts with one of FORMULA_STARTS,
# after any quotes, gets one quote more. The first character's code (0 for an empty cell)
# rules out most cells cheaply: integers compared, where `left(cell, 1)` made a string to
# compare (the guards took 60% longer); the pattern then skips the quotes. NULLIF makes
# an empty cell NULL, which COPY writes as nothing where it writes `""` for an empty string.
_CODES = ", ".join(str(ord(start)) for start in sorted(FORMULA_STARTS))
_GUARDED = (
    f"nullif(CASE WHEN ascii({{cell}}) IN ({_CODES}) AND {{cell}} ~ %s"
    " THEN chr(39) || {cell} ELSE {cell} END, '')"
)


@dataclass(frozen=True)
class Cells:
    """An export's rows as one query: `sql` with `params` selects one value per column,
    in column order and in the file's order. `texts` says, column by column, which hold
    text, guarded and quoted like any string, and which hold values that never need
    either, written as PostgreSQL prints them: integers (printed as Python prints them),
    an enumeration's values and partial dates, as check constraints and
    `partial_date_sql` hold them (tested)."""

    sql: str
    params: Sequence
    texts: Sequence[bool]

    @classmethod
    def of(cls, queryset: QuerySet, *, texts: Sequence[bool]) -> "Cells":
        """The cells of an ordered `values_list()` queryset."""
        sql, params = queryset.query.sql_with_params()
        return cls(sql=sql, params=params, texts=texts)


def guarded_sql(cells: Cells) -> tuple[str, tuple]:
    """The SQL that selects each row of `cells` as COPY's CSV should write it, text
    guarded and empty cells NULL, and its parameters."""
    names = [f"c{i}" for i in range(len(cells.texts))]
    parts, guards = [], []
    for name, text in zip(names, cells.texts, strict=True):
        if text:
            parts.append(_GUARDED.format(cell=name))
            guards.append(FORMULA_PATTERN)
        else:
            parts.append(f"nullif({name}::text, '')")
    # The query's own ORDER BY keeps it from being merged into this one, so each cell is
    # computed once however often its guard reads it (a subquery of the cells would
    # otherwise become one InitPlan per reference), and a scan of it keeps its order.
    sql = f"SELECT {', '.join(parts)} FROM ({cells.sql}) AS cells ({', '.join(names)})"
    return sql, (*guards, *cells.params)


def values(cells: Cells, *, chunk_size: int) -> Iterator[tuple]:
    """The rows of `cells` as values, read through a server-side cursor `chunk_size`
    rows at a time."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(cells.sql, cells.params)
        while rows := cursor.fetchmany(chunk_size):
            yield from rows


def _lines(rows: list) -> bytes:
    # Each row is one line and its LF, the only line end in it: the line, then CRLF.
    return b"\r\n".join([*(row[:-1] for row in rows), b""])


def copied(cells: Cells) -> Iterator[tuple[bytes, int]]:
    """Every row of `cells` as CSV, CRLF after each line, in blocks of whole lines, each
    with how many rows it holds. The query starts when the first block is asked for; an
    error of the database's, at any point, is raised.

    The connection is busy with the COPY until the last row is read: a file that fits
    in one block is read whole before it is handed on, and a larger one must be read to
    its end or closed (as a response is) before the connection runs another query."""
    sql, params = guarded_sql(cells)
    copy_sql = f"COPY ({sql}) TO STDOUT (FORMAT csv)"
    pending: list = []
    size = 0
    # COPY goes past Django's cursor wrapper: its errors are made Django's as a query's are.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        _log(copy_sql, params)
        with cursor.cursor.copy(copy_sql, params) as copy:
            for row in copy:
                pending.append(row)
                size += len(row)
                if size >= BLOCK_BYTES:
                    yield _lines(pending), len(pending)
                    pending, size = [], 0
    if pending:
        yield _lines(pending), len(pending)


def _log(sql: str, params: tuple) -> None:
    # Logged as Django's cursor wrapper logs a query, so that tests count it and debug
    # tools show it.
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "params": params, "time": "0.000"})
