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

from responses.csv_format import FORMULA_STARTS

# Blocks of this many bytes or more are handed on: large enough that each costs little
# per row, small enough that memory stays flat.
BLOCK_BYTES = 256 * 1024

# `responses.csv_format.guard` in SQL: a cell that starts with one of FORMULA_STARTS,
# after any quotes, gets one quote more.
_STARTS = ", ".join(f"chr({ord(start)})" for start in sorted(FORMULA_STARTS - {"'"}))
_GUARDED = (
    f"CASE WHEN left(ltrim({{cell}}, ''''), 1) IN ({_STARTS}) THEN '''' || {{cell}}"
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
    """An export's rows as one query: `queryset` gives one value per column, in column
    order and in the file's order; `texts` says, column by column, which hold text,
    guarded and quoted like any string, and which hold numbers (or NULL), written as
    PostgreSQL prints them, which for integers is as Python prints them."""

    queryset: QuerySet
    texts: Sequence[bool]


def line_sql(cells: Cells) -> tuple[str, tuple]:
    """The SQL that selects each row of `cells` as its CSV line (without the line end),
    and its parameters."""
    sql, params = cells.queryset.query.sql_with_params()
    names = [f"c{i}" for i in range(len(cells.texts))]
    parts = [
        _QUOTED.format(cell=name, guarded=_GUARDED.format(cell=name))
        if text
        else f"coalesce({name}::text, '')"
        for name, text in zip(names, cells.texts, strict=True)
    ]
    # The query's own ORDER BY keeps it from being merged into this one (so each cell is
    # computed once, however often the line reads it), and a scan of it keeps its order.
    line = " || ',' || ".join(parts)
    return f"SELECT {line} FROM ({sql}) AS cells ({', '.join(names)})", params


def _unescaped(block: bytes) -> bytes:
    # A line's end is the only bare LF (one in a cell is escaped), so CRLF first.
    block = block.replace(b"\n", b"\r\n")
    if b"\\" not in block:
        return block
    return _ESCAPE.sub(lambda found: _UNESCAPED.get(found[1], found[1]), block)


def copied(cells: Cells) -> Iterator[tuple[bytes, int]]:
    """Every row of `cells` as CSV, CRLF after each line, in blocks of whole lines, each
    with how many rows it holds. The query starts when the first block is asked for; an
    error of the database's, at any point, is raised."""
    sql, params = line_sql(cells)
    copy_sql = f"COPY ({sql}) TO STDOUT"
    with connection.cursor() as cursor:
        _log(copy_sql, params)
        with cursor.cursor.copy(copy_sql, params) as copy:
            pending: list = []
            size = 0
            for row in copy:
                pending.append(row)
                size += len(row)
                if size >= BLOCK_BYTES:
                    yield _unescaped(b"".join(pending)), len(pending)
                    pending, size = [], 0
            if pending:
                yield _unescaped(b"".join(pending)), len(pending)


def _log(sql: str, params: tuple) -> None:
    # COPY goes past Django's cursor wrapper; it is logged as the wrapper logs a query, so
    # that tests count it and debug tools show it.
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "params": params, "time": "0.000"})
