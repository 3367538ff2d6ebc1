"""CSV exports for researchers: the rows a page shows, as a file that R, pandas and
spreadsheets read, and that `import_assessments` reads back.

Each export is a `Table`: a documented column set and rows that are produced lazily from
`QuerySet.iterator()`, so memory stays flat however many rows there are. Related values
(themes, sources) come from a second query in the same order and are merged in as the
rows stream by, so an export runs the same few queries for ten rows or a million.
`write_csv` writes a table to any file; `csv_chunks` yields it as text for a
streaming response. Both quote as RFC 4180 says and neutralise spreadsheet formulas.
"""

import csv
import datetime
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django import forms
from django.db.models import Count, F, Q
from django.utils.text import slugify

from recommendations.models import Recommendation, Source, SourceAbout, Theme

from .filters import AskFilterForm, RecommendationFilterForm
from .models import Ask, DatePrecision, Organisation, Status, with_demand

# The columns of asks.csv, in order. import_assessments reads the same columns back.
ASK_COLUMNS = (
    "organisation",
    "organisation_slug",
    "document_title",
    "document_kind",
    "document_published",
    "document_url",
    "ask_id",
    "ask_position",
    "ask_text",
    "ask_title",
    "themes",
    "status",
    "judged_by",
    "rationale",
    "recommendation_ref",
    "recommendation_title",
    "recommendation_chapter",
    "evidence",
)

RECOMMENDATION_COLUMNS = (
    "ref",
    "number",
    "chapter",
    "chapter_title",
    "title",
    "text",
    "themes",
    "confidence",
    "sources",
    "organisations_realised",
    "organisations_partly",
)

# The first columns of matrix.csv; one column per theme slug or recommendation ref follows.
MATRIX_ROW_COLUMNS = ("organisation", "organisation_slug", "all_asks")

# Separates several values in one cell (theme slugs); URLs are separated by a space.
LIST_SEPARATOR = "; "

# A status mix in a matrix cell: every status, always in this order.
MIX_STATUSES = (
    Status.REALISED,
    Status.PARTLY,
    Status.ABSENT,
    Status.UNCLEAR,
    Status.NOT_ASSESSED,
)

SNAPSHOT_HEADER = "Carereview-Snapshot"

# OWASP's advice against CSV injection: a spreadsheet runs a cell that starts with one of
# these as a formula, so such a cell is prefixed with a quote. A cell that already starts
# with quotes before one of them gets one more, so that `unguard` restores every value.
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
_GUARDED = re.compile(r"^'+[=+\-@\t\r]")

_ROWS_PER_CHUNK = 500


@dataclass(frozen=True)
class Table:
    """An export: its name (for the file name), its columns and its rows, each row a
    sequence of values in column order."""

    name: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]


class ExportOptionsForm(forms.Form):
    """How to write the file rather than which rows; values that do not parse are ignored."""

    excel = forms.ChoiceField(required=False, choices=[("", "No"), ("0", "No"), ("1", "Yes")])
    by = forms.ChoiceField(
        required=False,
        choices=[("", "Theme"), ("theme", "Theme"), ("recommendation", "Recommendation")],
    )

    @property
    def values(self) -> dict:
        self.is_valid()
        return {
            "excel": self.cleaned_data.get("excel") == "1",
            "by": self.cleaned_data.get("by") or "theme",
        }


def guard(value: str) -> str:
    """`value`, prefixed with `'` if a spreadsheet would otherwise run it as a formula."""
    return "'" + value if _FORMULA.match(value) else value


def unguard(value: str) -> str:
    """The value that `guard` was given: `unguard(guard(v)) == v` for every string."""
    return value[1:] if _GUARDED.match(value) else value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return guard(value)
    return value


def write_csv(table: Table, *, file: IO[str], excel: bool = False) -> int:
    """Write `table` (header, then rows) to a text `file` opened with `newline=""`, and
    return how many rows were written. `excel` starts the file with a BOM, by which Excel
    knows it is UTF-8."""
    if excel:
        file.write("\ufeff")
    writer = csv.writer(file)
    writer.writerow(table.columns)
    written = 0
    for row in table.rows:
        writer.writerow([_cell(value) for value in row])
        written += 1
    return written


class _Echo:
    """A file whose write hands back what it was given, so csv.writer makes strings."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(table: Table, *, excel: bool = False) -> Iterator[str]:
    """`table` as CSV text in chunks of a few hundred rows, for a streaming response."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" if excel else "") + writer.writerow(table.columns)
    chunk = []
    for row in table.rows:
        chunk.append(writer.writerow([_cell(value) for value in row]))
        if len(chunk) == _ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def filename(*, name: str, filters: dict, date: datetime.date) -> str:
    """`carereview-asks-status-partly-2026-11-24.csv`: what, filtered how, taken when."""
    parts = ["carereview", name]
    for key, value in filters.items():
        parts += [slugify(key), slugify(str(value))[:40]]
    return "-".join(part for part in parts if part) + f"-{date.isoformat()}.csv"


def partial_date(date: datetime.date | None, precision: str) -> str:
    """A date in ISO 8601 only as precise as it is known: `2021`, `2021-05`, `2021-08-27`."""
    if date is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{date.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{date.year:04d}-{date.month:02d}"
    return date.isoformat()


def exported_asks(form: AskFilterForm | None = None):
    """The asks an export holds: those counted everywhere (`Ask.objects.counted()`), narrowed
    by `form`'s filters, without the duplicates a filter's join could make."""
    asks = Ask.objects.counted().with_status()
    if form is not None:
        asks = form.filter(asks)
    return Ask.objects.filter(pk__in=asks.values("pk"))


# Asks in export order. Every key is on the ask's own row, so the row query and the themes
# query order asks identically and can be merged.
_ASK_ORDER = (
    "document__organisation__name",
    "document__organisation_id",
    F("document__published").asc(nulls_last=True),
    "document_id",
    "position",
)


def _prefixed(order, prefix: str):
    if isinstance(order, str):
        return prefix + order
    return F(prefix + order.expression.name).asc(nulls_last=True)


def _merge(rows: Iterable, related: Iterator[tuple], *, key=lambda row: row[0]) -> Iterator[tuple]:
    """Pair each row with the values of the `related` (key, value) pairs that share its
    `key`. Both streams come in the same key order; rows with one key are consecutive."""
    pending = next(related, None)
    current_key, values = object(), []
    for row in rows:
        if key(row) != current_key:
            current_key, values = key(row), []
            while pending is not None and pending[0] == current_key:
                values.append(pending[1])
                pending = next(related, None)
        yield row, values


# asks.csv's columns where they are stored as they are written, in column order.
_DOCUMENT_FIELDS = (
    "document__organisation__name",
    "document__organisation__slug",
    "document__title",
    "document__kind",
)
_ASK_FIELDS = ("position", "text", "title")
_JUDGEMENT_FIELDS = (
    "status",
    "assessment__judged_by",
    "assessment__rationale",
    "assessment__evidence__recommendation__ref",
    "assessment__evidence__recommendation__title",
    "assessment__evidence__recommendation__chapter__number",
    "assessment__evidence__quote",
)


def asks_table(*, form: AskFilterForm | None = None, chunk_size: int = 2000) -> Table:
    """asks.csv: one row per ask and recommendation linked to it as evidence; an ask with
    no link has one row with the recommendation columns empty. Ordered by organisation,
    document (earliest first), ask position, then recommendation chapter and ref."""
    rows = (
        exported_asks(form)
        .with_status()
        .order_by(
            *_ASK_ORDER,
            "assessment__evidence__recommendation__chapter__number",
            "assessment__evidence__recommendation__ref",
            "assessment__evidence__id",
        )
        .values_list(
            "pk",
            "document__published",
            "document__published_precision",
            "document__url",
            *_DOCUMENT_FIELDS,
            *_ASK_FIELDS,
            *_JUDGEMENT_FIELDS,
        )
        .iterator(chunk_size=chunk_size)
    )
    themes = (
        Ask.themes.through.objects.filter(ask__in=exported_asks(form))
        .order_by(*(_prefixed(order, "ask__") for order in _ASK_ORDER), "theme__slug")
        .values_list("ask_id", "theme__slug")
        .iterator(chunk_size=chunk_size)
    )
    ask_starts = len(_DOCUMENT_FIELDS)
    judgement_starts = ask_starts + len(_ASK_FIELDS)

    def build() -> Iterator[list]:
        for (pk, published, precision, url, *stored), theme_slugs in _merge(rows, themes):
            yield [
                *stored[:ask_starts],
                partial_date(published, precision),
                url,
                pk,
                *stored[ask_starts:judgement_starts],
                LIST_SEPARATOR.join(theme_slugs),
                *stored[judgement_starts:],
            ]

    return Table(name="asks", columns=ASK_COLUMNS, rows=build())


def recommendations_table(
    *, form: RecommendationFilterForm | None = None, chunk_size: int = 2000
) -> Table:
    """recommendations.csv: one row per recommendation that `form`'s filters leave (default
    all), in the report's order, with how many organisations have an ask it realised, and
    how many have an ask it partly realised."""
    selected = with_demand(Recommendation.objects.all())
    if form is not None:
        selected = form.filter(selected)
    chosen = Recommendation.objects.filter(pk__in=selected.values("pk"))
    order = ("chapter__number", "id")
    rows = (
        chosen.order_by(*order)
        .annotate(
            organisations_realised=_organisations_where(Status.REALISED),
            organisations_partly=_organisations_where(Status.PARTLY),
        )
        .values_list(
            "pk",
            "ref",
            "number",
            "chapter__number",
            "chapter__title",
            "title",
            "text",
            "confidence",
            "organisations_realised",
            "organisations_partly",
        )
        .iterator(chunk_size=chunk_size)
    )
    themes = (
        Recommendation.themes.through.objects.filter(recommendation__in=chosen)
        .order_by(*(f"recommendation__{key}" for key in order), "theme__slug")
        .values_list("recommendation_id", "theme__slug")
        .iterator(chunk_size=chunk_size)
    )
    sources = (
        Source.objects.filter(recommendation__in=chosen, about=SourceAbout.WORDING)
        .order_by(*(f"recommendation__{key}" for key in order), "position", "id")
        .values_list("recommendation_id", "url")
        .iterator(chunk_size=chunk_size)
    )

    def build() -> Iterator[list]:
        with_themes = _merge(rows, themes)
        for (row, theme_slugs), urls in _merge(with_themes, sources, key=lambda pair: pair[0][0]):
            _, ref, number, chapter, chapter_title, title, text, confidence, realised, partly = row
            yield [
                ref,
                number,
                chapter,
                chapter_title,
                title,
                text,
                LIST_SEPARATOR.join(theme_slugs),
                confidence,
                " ".join(urls),
                realised,
                partly,
            ]

    return Table(name="recommendations", columns=RECOMMENDATION_COLUMNS, rows=build())


def _organisations_where(status: str) -> Count:
    return Count(
        "evidence__assessment__ask__document__organisation",
        filter=Q(evidence__assessment__status=status),
        distinct=True,
    )


def status_mix(counts: dict[str, int]) -> str:
    """A matrix cell: `realised=2;partly=1;absent=0;unclear=0;not_assessed=3`, every status
    in that order; empty when there is no ask to count."""
    if not counts:
        return ""
    return ";".join(f"{status}={counts.get(status, 0)}" for status in MIX_STATUSES)


def matrix_table(*, form: AskFilterForm | None = None, by: str = "theme") -> Table:
    """matrix.csv: one row per organisation with an ask among the filtered asks, the mix of
    statuses of all its asks, then one column per theme (by slug, in name order) or, with
    `by="recommendation"`, per recommendation (by ref, in the report's order) holding the
    mix of its asks with that theme or linked to that recommendation as evidence."""
    asks = exported_asks(form).with_status()
    if by == "recommendation":
        column_field = "assessment__evidence__recommendation_id"
        columns = list(
            Recommendation.objects.order_by("chapter__number", "id").values_list("pk", "ref")
        )
    else:
        column_field = "themes__id"
        columns = list(Theme.objects.order_by("name", "id").values_list("pk", "slug"))
    overall = _mixes(asks, "document__organisation_id")
    by_column = _mixes(asks, "document__organisation_id", column_field)
    organisations = (
        Organisation.objects.filter(pk__in=asks.values("document__organisation_id"))
        .order_by("name", "id")
        .values_list("pk", "name", "slug")
    )

    def build() -> Iterator[list]:
        for pk, name, slug in organisations.iterator():
            yield [
                name,
                slug,
                status_mix(overall.get((pk,), {})),
                *(status_mix(by_column.get((pk, column), {})) for column, _ in columns),
            ]

    return Table(
        name=f"matrix-by-{by}",
        columns=[*MATRIX_ROW_COLUMNS, *(label for _, label in columns)],
        rows=build(),
    )


def _mixes(asks, *fields: str) -> dict[tuple, dict[str, int]]:
    """How many of `asks` have each status, per combination of `fields`' values."""
    mixes: dict[tuple, dict[str, int]] = {}
    counts = asks.values(*fields, "status").annotate(asks=Count("id", distinct=True)).order_by()
    for count in counts.iterator():
        key = tuple(count[field] for field in fields)
        mixes.setdefault(key, {})[count["status"]] = count["asks"]
    return mixes
