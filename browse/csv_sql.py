"""CSV written by PostgreSQL: an export's cells guarded against formulas and quoted in SQL,
exactly as `browse.export`'s writer guards and quotes them, and streamed with
`COPY (...) TO STDOUT`, so that Python only passes on blocks of finished lines.

COPY's own CSV format cannot give those bytes: it ends lines with LF where the files have
always ended them with CRLF, and it quotes an empty string. So SQL builds each whole line,
and COPY's text format carries it: that format escapes a backslash, a tab and the control
characters as two characters each and ends each line with a bare LF, and `_unescaped`
undoes both in a couple of C-speed passes over each block.
"""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from responses.csv_format import FORMULA_PATTERN, FORMULA_STARTS

# Blocks of this many bytes or more are handed on: large enough that each costs little
# per row, small enough that memory stays flat.
BLOCK_BYTES = 256 * 1024

# `responses.csv_format.guard` in SQL: a cell that starts with one of FORMULA_STARTS,
# after any quotes, gets one quote more.
_STARTS = ", ".join(f"chr({ord(start)})" for start in sorted(FORMULA_STARTS))
# The first character rules out most cells cheaply; the pattern then skips the quotes.
_GUARDED = (
    f"CASE WHEN left({{cell}}, 1) IN ({_STARTS}) AND {{cell}} ~ %s THEN chr(39) || {{cell}}"
    " ELSE {cell} END"
)
# `browse.export._quoted` in SQL: in double quotes, doubling any, when the cell holds a
# double quote, a comma, a CR or a LF. A guard's quote adds none of them, so the raw
# cell says whether its guarded form needs quoting.
_QUOTED = (
    "CASE WHEN strpos({cell}, '\"') + strpos({cell}, ',') + strpos({cell}, chr(10))"
    " + strpos({cell}, chr(13)) > 0 THEN '\"' || replace({guarded}, '\"', '\"\"') || '\"'"
    " ELSE coalesce({guarded}, '') END"
)
# COPY's text format: each escape is a backslash and one character.
_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_UNESCAPED = {
    b"b": b"\b",
    b"f": b"\f",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"v": b"\v",
}


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


def line_sql(cells: Cells) -> tuple[str, tuple]:
    """The SQL that selects each row of `cells` as its CSV line (without the line end),
    and its parameters."""
    names = [f"c{i}" for i in range(len(cells.texts))]
    parts, guards = [], []
    for name, text in zip(names, cells.texts, strict=True):
        if text:
            parts.append(_QUOTED.format(cell=name, guarded=_GUARDED.format(cell=name)))
            guards += [FORMULA_PATTERN] * 2
        else:
            parts.append(f"coalesce({name}::text, '')")
    # The query's own ORDER BY keeps it from being merged into this one (so each cell is
    # computed once, however often the line reads it), and a scan of it keeps its order.
    # concat_ws copies each cell once, where `||` would copy the line so far again.
    line = f"concat_ws(',', {', '.join(parts)})"
    sql = f"SELECT {line} FROM ({cells.sql}) AS cells ({', '.join(names)})"
    return sql, (*guards, *cells.params)


def values(cells: Cells, *, chunk_size: int) -> Iterator[tuple]:
    """The rows of `cells` as values, read through a server-side cursor `chunk_size`
    rows at a time."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(cells.sql, cells.params)
        while rows := cursor.fetchmany(chunk_size):
            yield from rows


def _unescaped(block: bytes) -> bytes:
    # A line's end is the only bare LF (one in a cell is escaped), so CRLF first.
    block = block.replace(b"\n", b"\r\n")
    if b"\\" not in block:
        return block
    return _ESCAPE.sub(lambda found: _UNESCAPED.get(found[1], found[1]), block)


def copied(cells: Cells) -> Iterator[tuple[bytes, int]]:
    """Every row of `cells` as CSV, CRLF after each line, in blocks of whole lines, each
    with how many rows it holds. The query starts when the first block is asked for; an
    error of the database's, at any point, is raised.

    The connection is busy with the COPY until the last row is read: a file that fits
    in one block is read whole before it is handed on, and a larger one must be read to
    its end or closed (as a response is) before the connection runs another query."""
    sql, params = line_sql(cells)
    copy_sql = f"COPY ({sql}) TO STDOUT"
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
                    yield _unescaped(b"".join(pending)), len(pending)
                    pending, size = [], 0
    if pending:
        yield _unescaped(b"".join(pending)), len(pending)


def _log(sql: str, params: tuple) -> None:
    # Logged as Django's cursor wrapper logs a query, so that tests count it and debug
    # tools show it.
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "params": params, "time": "0.000"})
