"""The data package: a citable snapshot of the whole dataset in one zip, for
`/export/carereview-data.zip` and `manage.py export_package`.

It holds every CSV the site exports, unfiltered and written by the same code as
`/export/*.csv` (`browse.export`), a `datapackage.json` (a Frictionless Data Package, v1,
with a Table Schema per file: types, the closed vocabularies, primary and foreign keys), the
data dictionary (`data-dictionary.md`) and a `CITATION.cff` (Citation File Format 1.2.0)
naming the data version and the date. Schemas and dictionary come from one definition of
each column (`browse.dictionary`).

The zip is written as it is read: each CSV's chunks are compressed and handed on at once,
so memory holds a chunk of rows, never a file, however large the data. Every entry is
dated the snapshot's day, so two packages of the same data taken the same day are the
same bytes.
"""

import datetime
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO

from django.db import connection, transaction

from recommendations.models import Report
from responses.models import ResponseDocument

from . import dictionary, export
from .caching import data_version

TITLE = (
    "What charities asked the Independent Review of Children's Social Care for, and what its"
    " Final Report recommended"
)
AUTHOR = "carereview contributors"
DICTIONARY = "data-dictionary.md"


def filename(*, date: datetime.date) -> str:
    """`carereview-data-2026-11-30.zip`: the package, taken when."""
    return f"carereview-data-{date.isoformat()}.zip"


def _tables() -> list[tuple[dictionary.File, export.Table]]:
    """Every export, unfiltered, with its dictionary entry, in the dictionary's order."""
    made = {
        "asks": export.asks_table,
        "recommendations": export.recommendations_table,
        "organisations": export.organisations_table,
        "matrix": export.matrix_table,
        "stages": export.stages_table,
    }
    return [(file, made[file.name]()) for file in dictionary.FILES]


def descriptor(
    tables: Iterable[tuple[dictionary.File, export.Table]], *, version: str, date: datetime.date
) -> dict:
    """datapackage.json: the package and a tabular resource per CSV, each with its Table
    Schema; a matrix's columns are its table's (one per theme)."""
    resources = []
    for file, table in tables:
        schema = {
            "fields": [file.column(name).field() for name in table.columns],
            "missingValues": [""],
        }
        if file.primary_key:
            schema["primaryKey"] = list(file.primary_key)
        if file.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": list(fields), "reference": {"resource": other, "fields": list(keys)}}
                for fields, other, keys in file.foreign_keys
            ]
        resources.append(
            {
                "name": file.name,
                "path": f"{file.name}.csv",
                "profile": "tabular-data-resource",
                "title": file.title,
                "description": f"`{file.name}.csv`: {file.about}".replace("\n", " "),
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"'},
                "schema": schema,
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "carereview-data",
        "title": TITLE,
        "description": (
            "carereview's data: the asks organisations made of the Independent Review of"
            " Children's Social Care, quoted from their published documents; whether the"
            " Review's Final Report realised each; and what the Government did with each"
            f" recommendation. Taken on {date.isoformat()}, at data version {version}. Every"
            f" column is described in {DICTIONARY}; cite as CITATION.cff says."
        ),
        "version": version,
        "contributors": [{"title": AUTHOR, "role": "author"}],
        "sources": [
            {"title": report.title, **({"path": report.url} if report.url else {})}
            for report in Report.objects.order_by("published", "id")
        ],
        "resources": resources,
    }


def _yaml(value: str) -> str:
    # A JSON string is a YAML double-quoted scalar: every character escaped as YAML reads it.
    return json.dumps(value, ensure_ascii=False)


def citation(*, version: str, date: datetime.date) -> str:
    """CITATION.cff: the data set by carereview's contributors, at this data version and
    date, and what it is derived from: each report whose recommendations it holds, and
    each organisation's document its asks are quoted from, with the organisation as author."""
    lines = [
        "cff-version: 1.2.0",
        (
            'message: "If you use these data, cite them as below, with the date and version:'
            ' the data change as assessments are made."'
        ),
        "type: dataset",
        f"title: {_yaml(TITLE)}",
        "authors:",
        f"  - name: {_yaml(AUTHOR)}",
        f"version: {_yaml(version)}",
        f"date-released: {_yaml(date.isoformat())}",
        "abstract: "
        + _yaml(
            "The asks organisations made of the Independent Review of Children's Social Care,"
            " quoted exactly from their published documents; whether the Final Report realised"
            " each; and what the Government did with each recommendation, shown by quotes from"
            " published pages. The recommendations' wording is the closest that secondary"
            " sources give: cite the Final Report itself for its words."
        ),
        "references:",
    ]
    for report in Report.objects.order_by("published", "id"):
        lines += [
            "  - type: report",
            f"    title: {_yaml(report.title)}",
            "    authors:",
            # Written by the review, which its title names: "The independent review of
            # children's social care: Final report".
            f"      - name: {_yaml(report.title.split(':')[0])}",
            f"    date-published: {_yaml(report.published.isoformat())}",
        ]
        if report.url:
            lines.append(f"    url: {_yaml(report.url)}")
    documents = ResponseDocument.objects.select_related("organisation").order_by(
        "organisation__name", "organisation_id", "title", "id"
    )
    for document in documents.iterator():
        lines += [
            "  - type: generic",
            f"    title: {_yaml(document.title)}",
            "    authors:",
            f"      - name: {_yaml(document.organisation.name)}",
        ]
        if document.published:
            lines.append(f"    year: {document.published.year}")
        if document.url:
            lines.append(f"    url: {_yaml(document.url)}")
    return "\n".join(lines) + "\n"


class _Pipe(io.RawIOBase):
    """A stream that only takes writes and keeps them until `take()`: ZipFile writes a
    member into it, and the response hands each piece on. Not seekable, so ZipFile writes
    each member's sizes after its data."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._pieces.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        taken = b"".join(self._pieces)
        self._pieces.clear()
        return taken


@contextmanager
def _snapshot():
    """One view of the data for the whole package: its data version and every file. In a
    transaction already (a test's), its view is the one there is."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def package_chunks(*, date: datetime.date) -> Iterator[bytes]:
    """The zip's bytes, a piece at a time: each CSV chunk compressed and handed on before
    the next is read. `date` is the snapshot's day, in the citation and on every entry."""
    pipe = _Pipe()
    with _snapshot():
        version = f"{data_version():x}"
        tables = _tables()
        with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:

            def member(name: str, pieces: Iterable[str]) -> Iterator[bytes]:
                info = zipfile.ZipInfo(name, date_time=(date.year, date.month, date.day, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                # Unpacked, each file is for anyone to read.
                info.external_attr = 0o644 << 16
                with archive.open(info, "w", force_zip64=True) as entry:
                    for piece in pieces:
                        entry.write(piece.encode())
                        # The compressor keeps back what it has not yet packed.
                        if compressed := pipe.take():
                            yield compressed
                yield pipe.take()

            package = descriptor(tables, version=version, date=date)
            yield from member("datapackage.json", [json.dumps(package, indent=2) + "\n"])
            yield from member(DICTIONARY, [_dictionary_text(version=version, date=date)])
            yield from member("CITATION.cff", [citation(version=version, date=date)])
            for file, table in tables:
                yield from member(f"{file.name}.csv", export.csv_chunks(table))
        yield pipe.take()


def _dictionary_text(*, version: str, date: datetime.date) -> str:
    return (
        f"# carereview's data: the data dictionary\n\n"
        f"Data version {version}, taken {date.isoformat()}. Every file is UTF-8 CSV, quoted as"
        " RFC 4180 says, with lines ending in CRLF. A cell that starts with `=`, `+`, `-`,"
        " `@`, a tab or a carriage return is written with a `'` in front, so that a"
        " spreadsheet shows it rather than runs it; a cell that already starts with `'`"
        " before one of those gets one more `'`. Remove one leading `'` from such cells to"
        " get the stored text back.\n\n" + dictionary.markdown()
    )


def write_package(file: IO[bytes], *, date: datetime.date) -> int:
    """Write the package to a binary `file`, a piece at a time; return its size in bytes."""
    written = 0
    for piece in package_chunks(date=date):
        file.write(piece)
        written += len(piece)
    return written
