"""CSV exports for researchers: the rows a page shows, as a file that R, pandas and
spreadsheets read, and that `import_assessments` (asks.csv) and `import_stages` (stages.csv)
read back.

Each export is a `Table`: a documented column set and rows that are produced lazily from
`QuerySet.iterator()`, so memory stays flat however many rows there are, in the same few
queries for ten rows or a million.
`write_csv` writes a table to any file; `csv_chunks` yields it as text, `csv_bytes` as
the bytes a streaming response sends. All quote as RFC 4180 says and neutralise
spreadsheet formulas. asks.csv and stages.csv, the large ones, are written by PostgreSQL
(`browse.csv_sql`), to the same bytes, at close to the speed of its own COPY.
"""

import datetime
import itertools
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

from django import forms
from django.contrib.postgres.aggregates import StringAgg
from django.db.models import (
    Count,
    Exists,
    FilteredRelation,
    Func,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast
from django.utils.text import slugify

from recommendations.models import GovernmentStage, Recommendation, SourceAbout, StageQuote, Theme
from responses.csv_format import (
    ASK_COLUMNS,
    FORMULA_STARTS,
    GOVERNMENT_COLUMNS,
    LINE_BREAK,
    STAGE_COLUMNS,
    guard,
    partial_date,
    partial_date_sql,
)
from responses.models import Ask, Evidence, Organisation, Status, demand

from . import csv_sql
from .filters import (
    AskFilterForm,
    OrganisationFilterForm,
    RecommendationFilterForm,
    StageFilterForm,
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

ORGANISATION_COLUMNS = (
    "organisation",
    "organisation_slug",
    "kind",
    "asks",
    *(f"asks_{status}" for status in Status.values),
    "share_realised",
)

# The first columns of matrix.csv; one column per theme slug or recommendation ref follows.
MATRIX_ROW_COLUMNS = ("organisation", "organisation_slug", "all_asks")

# Separates several values in one cell (theme slugs); URLs are separated by a space.
LIST_SEPARATOR = "; "

SNAPSHOT_HEADER = "Carereview-Snapshot"

# Rows per chunk of a streamed file: a few hundred rows are a few hundred kilobytes.
_ROWS_PER_CHUNK = 500


@dataclass(frozen=True)
class Table:
    """An export: its name (for the file name), its columns and its rows, each row a
    sequence of values in column order; with `cells`, the same rows as one query, which
    PostgreSQL writes as CSV (`browse.csv_sql`), byte for byte as this module would."""

    name: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]
    cells: Callable[[], csv_sql.Cells] | None = None


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


def _quoted(text: str) -> str:
    """`text` as one cell of CSV, quoted only where RFC 4180 says it must be, as
    csv.writer quotes it."""
    if '"' in text or "," in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _field(value: Any) -> str:
    """A value as one cell: None is empty, and a string is guarded against formulas."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return _quoted(str(value))
    if value[:1] in FORMULA_STARTS:
        value = guard(value)
    return _quoted(value)


def _line(cells: Iterable[str]) -> str:
    # csv.writer copies every character of a row one at a time; joining whole cells costs
    # a fraction of that for an export's long texts, for the same bytes (tested). Every
    # table has several columns, so csv.writer's `""` for a lone empty cell never arises.
    return ",".join(cells) + "\r\n"


def write_csv(table: Table, *, file: IO[str], excel: bool = False) -> int:
    """Write `table` (header, then rows) to a text `file` opened with `newline=""`, and
    return how many rows were written. `excel` starts the file with a BOM, by which Excel
    knows it is UTF-8."""
    written = 0
    for chunk, rows in _blocks(table, excel=excel):
        file.write(chunk.decode())
        written += rows
    return written


def csv_chunks(table: Table, *, excel: bool = False) -> Iterator[str]:
    """`table` as CSV text in chunks of a few hundred kilobytes, for a streaming response."""
    for chunk, _ in _blocks(table, excel=excel):
        yield chunk.decode()


def csv_bytes(table: Table, *, excel: bool = False) -> Iterator[bytes]:
    """`csv_chunks` in UTF-8, as a response sends it. The first chunk, the header with
    the first rows, is made once the query has given those rows, so that a query that
    fails at the start fails before anything is sent."""
    for chunk, _ in _blocks(table, excel=excel):
        yield chunk


def _blocks(table: Table, *, excel: bool) -> Iterator[tuple[bytes, int]]:
    """The file in UTF-8, the header with the first rows, and how many rows each piece
    holds: written by PostgreSQL when the table has `cells`, else here."""
    head = (("\ufeff" if excel else "") + _line(map(_quoted, table.columns))).encode()
    if table.cells is not None:
        blocks = csv_sql.copied(table.cells())
    else:
        blocks = ((chunk.encode(), rows) for chunk, rows in _chunks(table))
    first, rows = next(blocks, (b"", 0))
    yield head + first, rows
    yield from blocks


def _chunks(table: Table) -> Iterator[tuple[str, int]]:
    """The rows' text, a few hundred rows at a time, and how many rows each piece holds."""
    rows = iter(table.rows)
    while lines := [_line(map(_field, row)) for row in itertools.islice(rows, _ROWS_PER_CHUNK)]:
        yield "".join(lines), len(lines)


def filename(*, name: str, filters: dict, date: datetime.date) -> str:
    """`carereview-asks-status-partly-2026-11-24.csv`: what, filtered how, taken when."""
    parts = ["carereview", name]
    for key, value in filters.items():
        parts += [slugify(key), slugify(str(value))[:40]]
    return "-".join(part for part in parts if part) + f"-{date.isoformat()}.csv"


def exported_asks(form: AskFilterForm | None = None):
    """The asks an export holds, annotated `with_status()`: those counted everywhere
    (`Ask.objects.counted()`), narrowed by `form`'s filters, each once."""
    asks = Ask.objects.counted().with_status()
    return form.filter(asks) if form is not None else asks


def _grouped(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    """Consecutive rows that share their first value (a primary key), as one list each."""
    for _, group in itertools.groupby(rows, key=operator.itemgetter(0)):
        yield list(group)


def _unique(values: Iterable) -> list:
    """`values` without repeats or None, in the order first seen."""
    return [value for value in dict.fromkeys(values) if value is not None]


# The columns that hold numbers, enumerations and partial dates, which need neither a
# guard nor quotes (`csv_sql.Cells`).
_ASK_PLAIN = frozenset(
    {
        "document_kind",
        "document_published",
        "ask_id",
        "ask_position",
        "status",
        "judged_by",
        "recommendation_chapter",
        "government_response_status",
        "government_response_date",
        "furthest_delivery_status",
        "furthest_delivery_date",
    }
)
_STAGE_PLAIN = frozenset(
    {"chapter", "stage_id", "stage", "status", "date", "date_precision", "confidence"}
)


def asks_table(*, form: AskFilterForm | None = None, chunk_size: int = 2000) -> Table:
    """asks.csv: one row per ask and recommendation linked to it as evidence, with what the
    Government did with that recommendation; an ask with no link has one row with the
    recommendation columns empty. Ordered by organisation, document (earliest first), ask
    position, then recommendation chapter and ref.

    One query gives every row, so that every value comes from the same moment however
    long the download, each ask's themes gathered by a subquery; PostgreSQL writes it as
    CSV. Two more read what the Government did with every recommendation it did anything
    with, which the query looks up by recommendation."""

    def cells() -> csv_sql.Cells:
        government = _what_the_government_did()
        recommendation = Cast("assessment__evidence__recommendation_id", TextField())
        looked_up = {
            # Each column of every recommendation's as one JSON object, read by its pk.
            f"government_{i}": Func(
                Cast(
                    Value(json.dumps({pk: row[i] for pk, row in government.items()})), JSONField()
                ),
                recommendation,
                template="(%(expressions)s)",
                arg_joiner=" ->> ",
                output_field=TextField(),
            )
            for i in range(len(GOVERNMENT_COLUMNS))
        }
        asks = (
            exported_asks(form)
            .annotate(
                published=partial_date_sql("document__published", "document__published_precision"),
                **looked_up,
            )
            .order_by()
            .values_list(
                "document__organisation__name",
                "document__organisation__slug",
                "document__title",
                "document__kind",
                "published",
                "document__url",
                "pk",
                "position",
                "text",
                "title",
                "status",
                "assessment__judged_by",
                "assessment__rationale",
                "assessment__evidence__recommendation__ref",
                "assessment__evidence__recommendation__title",
                "assessment__evidence__recommendation__chapter__number",
                "assessment__evidence__quote",
                *looked_up,
                # Only to order by.
                "document__organisation_id",
                "document__published",
                "document_id",
                "assessment__evidence__id",
            )
        )
        sql, params = asks.query.sql_with_params()
        # Every ask's themes in one grouped query, gathered into one JSON object by ask
        # and read by each row: a subquery per row would run once for each of hundreds
        # of thousands of rows (4x slower). Uncorrelated, the object is built once (an
        # InitPlan) whatever the statistics, where a join to the grouped query ran its
        # GROUP BY again for each row when they held every table empty; and unlike a
        # MATERIALIZED CTE, it leaves the query free to run in parallel (25% faster).
        themes = Ask.themes.through._meta.db_table
        theme = Theme._meta.db_table
        cells_sql = f"""
            SELECT a.c0, a.c1, a.c2, a.c3, a.c4, a.c5, a.c6, a.c7, a.c8, a.c9,
                (
                    SELECT jsonb_object_agg(ask, slugs) FROM (
                        SELECT link.ask_id,
                            string_agg(theme.slug, %s ORDER BY theme.slug COLLATE "C")
                        FROM {themes} AS link JOIN {theme} AS theme ON theme.id = link.theme_id
                        GROUP BY link.ask_id
                    ) AS themes (ask, slugs)
                ) ->> a.c6::text,
                a.c10, a.c11, a.c12, a.c13, a.c14, a.c15, a.c16,
                a.c17, a.c18, a.c19, a.c20, a.c21
            FROM ({sql}) AS a (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13,
                c14, c15, c16, c17, c18, c19, c20, c21, organisation, published, document,
                evidence)
            ORDER BY a.c0, a.organisation, a.published NULLS LAST, a.document, a.c7, a.c15,
                a.c13, a.evidence
        """
        # Theme slugs are sorted in code point order (COLLATE "C"), as Python sorted them.
        return csv_sql.Cells(
            sql=cells_sql,
            params=(LIST_SEPARATOR, *params),
            texts=[c not in _ASK_PLAIN for c in ASK_COLUMNS],
        )

    return _queried(name="asks", columns=ASK_COLUMNS, cells=cells, chunk_size=chunk_size)


def _queried(
    *, name: str, columns: Sequence[str], cells: Callable[[], csv_sql.Cells], chunk_size: int
) -> Table:
    """A table whose rows are one query's: PostgreSQL writes them as CSV, and `rows`
    reads the same query's values, for whoever wants them as values."""

    def rows() -> Iterator[Sequence[Any]]:
        yield from csv_sql.values(cells(), chunk_size=chunk_size)

    return Table(name=name, columns=columns, rows=rows(), cells=cells)


def _what_the_government_did() -> dict[int, tuple]:
    """asks.csv's GOVERNMENT_COLUMNS for each recommendation that has a stage record, by
    its pk: the status and date of its government response, and of its furthest delivery
    with that stage's summary. Two queries, as there are a few hundred recommendations at
    most."""
    # EXISTS rather than `pk__in=<the stages>`: no export filters by IN over a subquery.
    staged = GovernmentStage.objects.filter(recommendation=OuterRef("pk"))
    recommendations = (
        Recommendation.objects.filter(Exists(staged))
        .only("pk")
        .order_by()
        # Their stages without the quotes that `with_stages` adds for the pages.
        .prefetch_related("stages")
    )
    government = {}
    for recommendation in recommendations:
        response = recommendation.government_response_stage
        delivery = recommendation.furthest_delivery_stage
        government[recommendation.pk] = (
            response and response.status,
            response and partial_date(response.date, response.date_precision),
            delivery and delivery.status,
            delivery and partial_date(delivery.date, delivery.date_precision),
            delivery and delivery.summary,
        )
    return government


def recommendations_table(
    *, form: RecommendationFilterForm | None = None, chunk_size: int = 2000
) -> Table:
    """recommendations.csv: one row per recommendation that `form`'s filters leave (default
    all), in the page's order (by chapter, or by demand when the page is sorted so), with
    how many organisations have an ask it realised, and how many have an ask it partly
    realised. Folded per recommendation as for asks; the counts and the demand come from
    one grouped query, a few numbers per recommendation."""
    chosen = Recommendation.objects.all()
    if form is not None:
        chosen = form.narrow(chosen)
    rows = (
        chosen.annotate(
            wording=FilteredRelation("sources", condition=Q(sources__about=SourceAbout.WORDING))
        )
        .order_by("chapter__number", "id", "wording__position", "wording__id", "themes__slug")
        .values_list(
            "pk",
            "ref",
            "number",
            "chapter__number",
            "chapter__title",
            "title",
            "text",
            "confidence",
            "wording__url",
            "themes__slug",
        )
        .iterator(chunk_size=chunk_size)
    )

    def build() -> Iterator[list]:
        heard = _organisations_heard()
        groups: Iterable[list[tuple]] = _grouped(rows)
        if form is not None and form.values.get("sort") == "demand":
            # Most demand first, then by chapter as read (the sort is stable): the page's
            # order. In Python, over a few hundred recommendations, rather than a subquery
            # per row, which stale statistics can make PostgreSQL run as a cross join.
            groups = sorted(groups, key=lambda group: -heard.get(group[0][0], _NOT_HEARD).demand)
        for group in groups:
            pk, ref, number, chapter, chapter_title, title, text, confidence = group[0][:8]
            counts = heard.get(pk, _NOT_HEARD)
            yield [
                ref,
                number,
                chapter,
                chapter_title,
                title,
                text,
                LIST_SEPARATOR.join(sorted(_unique(row[-1] for row in group))),
                confidence,
                " ".join(_unique(row[-2] for row in group)),
                counts.realised,
                counts.partly,
            ]

    return Table(name="recommendations", columns=RECOMMENDATION_COLUMNS, rows=build())


def stages_table(*, form: StageFilterForm | None = None, chunk_size: int = 2000) -> Table:
    """stages.csv: one row per government stage record that `form`'s filters leave (default
    all), with every quote that shows it and each quote's source, a line each; in the
    order of recommendations.csv, then by date. `import_stages` reads it back.

    One query, each stage's quotes and their sources gathered by subqueries; PostgreSQL
    writes it as CSV."""

    def cells() -> csv_sql.Cells:
        stages = GovernmentStage.objects.all()
        if form is not None:
            stages = form.filter(stages)

        def quotes(field: str) -> Subquery:
            # Sources are never empty (a check constraint), so the two cells' lines match.
            return Subquery(
                StageQuote.objects.filter(stage=OuterRef("pk"))
                .values("stage")
                .annotate(lines=StringAgg(field, delimiter=LINE_BREAK, order_by=("position", "id")))
                .values("lines")
            )

        rows = (
            stages.annotate(
                partial_date=partial_date_sql("date", "date_precision"),
                quote_lines=quotes("text"),
                source_lines=quotes("url"),
            )
            .order_by("recommendation__chapter__number", "recommendation_id", "date", "id")
            .values_list(
                "recommendation__ref",
                "recommendation__title",
                "recommendation__chapter__number",
                "pk",
                "stage",
                "status",
                "partial_date",
                "date_precision",
                "summary",
                "confidence",
                "note",
                "quote_lines",
                "source_lines",
            )
        )
        return csv_sql.Cells.of(rows, texts=[c not in _STAGE_PLAIN for c in STAGE_COLUMNS])

    return _queried(name="stages", columns=STAGE_COLUMNS, cells=cells, chunk_size=chunk_size)


def organisations_table(*, form: OrganisationFilterForm | None = None) -> Table:
    """organisations.csv: the organisations page's scorecards, one row per organisation it
    lists, in its order: how many asks each has by status, and the share realised."""
    organisations = Organisation.objects.with_status_counts()
    selected = form.filter(organisations) if form is not None else organisations

    def build() -> Iterator[list]:
        for organisation in selected.iterator():
            total = organisation.asks_total
            yield [
                organisation.name,
                organisation.slug,
                organisation.kind,
                total,
                *organisation.status_mix.values(),
                f"{organisation.asks_realised / total:.2f}" if total else "",
            ]

    return Table(name="organisations", columns=ORGANISATION_COLUMNS, rows=build())


class _Heard(NamedTuple):
    """How many organisations have an ask that a recommendation realises, partly realises,
    and either (its demand, `responses.models.demand`)."""

    realised: int
    partly: int
    demand: int


_NOT_HEARD = _Heard(realised=0, partly=0, demand=0)


def _organisations_heard() -> dict[int, _Heard]:
    """`_Heard` for every recommendation that some organisation has an ask it (partly)
    realises, by recommendation pk: one grouped query over all the evidence."""
    # Every recommendation's, not only those exported: a few numbers each, and no subquery
    # of the chosen recommendations. `evidence.recommendation_id IN (<the page's queryset>)`
    # put `with_demand`'s GROUP BY inside an IN, which PostgreSQL, with statistics that held
    # every table to be one row, ran again for each evidence row and each recommendation.
    counts = Evidence.objects.demand("recommendation_id").annotate(
        realised=demand(status=Status.REALISED), partly=demand(status=Status.PARTLY)
    )
    return {
        count["recommendation_id"]: _Heard(
            realised=count["realised"], partly=count["partly"], demand=count["organisations"]
        )
        for count in counts
    }


def status_mix(counts: dict[str, int]) -> str:
    """A matrix cell: `realised=2;partly=1;absent=0;unclear=0;not_assessed=3`, every status
    in `Status`'s order; empty when there is no ask to count."""
    if not counts:
        return ""
    return ";".join(f"{status}={counts.get(status, 0)}" for status in Status)


def matrix_table(*, form: AskFilterForm | None = None, by: str = "theme") -> Table:
    """matrix.csv: one row per organisation with an ask among the filtered asks, the mix of
    statuses of all its asks, then one column per theme (by slug, in name order) or, with
    `by="recommendation"`, per recommendation (by ref, in the report's order) holding the
    mix of its asks with that theme or linked to that recommendation as evidence."""
    asks = exported_asks(form)
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
    # Those with an ask among `asks` are those with a mix: their keys, a plain list, rather
    # than `asks` again as a subquery for PostgreSQL to run once per organisation.
    organisations = (
        Organisation.objects.filter(pk__in=[organisation for (organisation,) in overall])
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
