"""Reading back a CSV file that an export wrote and a person may have edited: what every
importer of one checks before it looks at a value (the file's size and encoding, the
header, how many rows, how long a cell, a NUL), each refusal worded with its line.

An importer reads the whole file with `read_text` and `read_rows`, checks each row's
values itself, and writes nothing unless no line has an error.
"""

import contextlib
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError

from . import limits
from .csv_format import unguard

# An error and the line of the file it is on (1 is the header; 0 the file as a whole).
Error = tuple[int, str]


def read_text(path: Path, *, largest: int) -> tuple[str, list[Error]]:
    """The text of the file at `path`, without the byte order mark of an Excel export; or
    "" and why it is refused: larger than `largest` bytes, or not UTF-8. Raises OSError if
    it cannot be read."""
    size = path.stat().st_size
    if size > largest:
        return "", [(0, _too_large(size, largest))]
    with path.open("rb") as opened:
        return decode(opened.read(largest + 1), largest=largest)


def decode(raw: bytes, *, largest: int, size: int = 0) -> tuple[str, list[Error]]:
    """The text of a file read as `raw` bytes (at most `largest` + 1 of them) whose size
    is `size` or more, as `read_text` gives it, or "" and why it is refused; for a file
    that is not on disk too, such as an upload."""
    size = max(size, len(raw))
    if size > largest:
        return "", [(0, _too_large(size, largest))]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        return "", [(line, "the file is not UTF-8 text; save it as CSV UTF-8.")]


def _too_large(size: int, largest: int) -> str:
    return (
        f"the file is {limits.size_in_words(size, 'byte')}; the largest accepted is "
        f"{limits.size_in_words(largest, 'byte')}."
    )


@dataclass(frozen=True)
class Row:
    """One row of the file: its first line, and its cells by column, unguarded."""

    line: int
    cells: dict[str, str]


def read_rows(
    file: IO[str], *, name: str, headers: Sequence[Sequence[str]], most_rows: int, longest_cell: int
) -> tuple[list[Row], list[Error]]:
    """The rows of `file` (opened as text with `newline=""`), the file `name` as an
    export writes it, whose header must be one of `headers` (the first is the current
    one); and the errors that refuse a row before its values are read. A blank row is
    skipped. At most `most_rows` rows and `longest_cell` characters a cell, or the error
    is the file's only one."""
    with _cells_up_to(longest_cell):
        return _read_rows(
            file, name=name, headers=headers, most_rows=most_rows, longest_cell=longest_cell
        )


def _read_rows(file, *, name, headers, most_rows, longest_cell) -> tuple[list[Row], list[Error]]:
    rows: list[Row] = []
    errors: list[Error] = []
    reader = csv.reader(file)
    line = 1
    try:
        header = next(reader, None)
        if header is None:
            return [], [(1, f"the file is empty; expected {name}'s header and rows.")]
        # A BOM is there when the file was exported for Excel and read as plain UTF-8.
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        columns = next((tuple(known) for known in headers if list(known) == header), None)
        if columns is None:
            return [], [(1, _header_error(header, name=name, headers=headers))]
        line = reader.line_num + 1
        for count, cells in enumerate(reader, start=1):
            if count > most_rows:
                limit = limits.size_in_words(most_rows, "row")
                return [], [(line, f"the file has more than {limit}, the most accepted.")]
            if any(cells):
                row, error = _row(cells, columns=columns, line=line)
                if error:
                    errors.append(error)
                else:
                    rows.append(row)
            line = reader.line_num + 1
    except UnicodeDecodeError:
        return [], [(reader.line_num + 1, "the file is not UTF-8 text; save it as CSV UTF-8.")]
    except csv.Error as error:
        if str(error).startswith("field larger than field limit"):
            limit = limits.size_in_words(longest_cell, "character")
            return [], [(line, f"a cell is longer than {limit}, the longest accepted.")]
        return [], [(reader.line_num, f"not readable as CSV: {error}.")]
    if not rows and not errors:
        errors.append((1, "the file has a header but no rows."))
    return rows, errors


def _row(cells: list[str], *, columns, line: int) -> tuple[Row | None, Error | None]:
    if len(cells) != len(columns):
        return None, (line, f"{len(cells)} cells; the header has {len(columns)} columns.")
    for column, cell in zip(columns, cells, strict=True):
        # PostgreSQL cannot store a NUL, nor look one up.
        if "\x00" in cell:
            return None, (line, f"{column} contains a NUL character, which cannot be stored.")
    return Row(line, dict(zip(columns, map(unguard, cells), strict=True))), None


def _header_error(header: list[str], *, name: str, headers: Sequence[Sequence[str]]) -> str:
    # Compared with the header it is nearest to, so that an older file is told what it lacks
    # of its own version, not of the current one.
    expected = max(headers, key=lambda known: (len(set(known) & set(header)), -len(known)))
    missing = [column for column in expected if column not in header]
    unexpected = [column for column in header if column not in expected]
    details = []
    if missing:
        details.append("missing " + ", ".join(missing))
    if unexpected:
        details.append("unexpected " + ", ".join(unexpected))
    if not details:
        details.append("the columns are out of order")
    return f"the header is not {name}'s ({'; '.join(details)}). Expected: {','.join(expected)}."


@contextlib.contextmanager
def _cells_up_to(chars: int) -> Iterator[None]:
    """Let csv read cells of up to `chars` characters, and no more, meanwhile: the limit
    is the csv module's, shared by the whole process."""
    before = csv.field_size_limit(chars)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def shown(value: str) -> str:
    """`value` quoted for a message, cut short when long."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def message(error: Exception) -> str:
    """An exception's message as an import's report words errors: after "line 8: ", in
    lower case."""
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    return text[:1].lower() + text[1:]
