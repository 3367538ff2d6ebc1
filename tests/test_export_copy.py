"""asks.csv and stages.csv as PostgreSQL writes them (browse/csv_sql.py): byte for byte
the files that the Python writer wrote, on the corpus and on hostile cells."""

import csv
import datetime
import io
import itertools

import pytest
from django.db.models import F
from django.urls import reverse

from browse import export
from recommendations.models import DatePrecision, GovernmentStage
from responses import csv_format
from responses.models import Assessment, ResponseDocument, Status

from . import factories


def python_written(table: export.Table, *, excel: bool = False) -> str:
    """`table`'s rows as values, written by the Python writer rather than PostgreSQL."""
    values = export.Table(name=table.name, columns=table.columns, rows=list(table.rows))
    return "".join(export.csv_chunks(values, excel=excel))


def reference_asks_csv() -> str:
    """asks.csv as the Python writer wrote it before PostgreSQL did: one query read each
    ask once per link and theme, and the rows of one ask were folded together here."""
    rows = (
        export.exported_asks()
        .order_by(
            "document__organisation__name",
            "document__organisation_id",
            F("document__published").asc(nulls_last=True),
            "document_id",
            "position",
            "assessment__evidence__recommendation__chapter__number",
            "assessment__evidence__recommendation__ref",
            "assessment__evidence__id",
            "themes__slug",
        )
        .values_list(
            "pk",
            "document__published",
            "document__published_precision",
            "document__url",
            "document__organisation__name",
            "document__organisation__slug",
            "document__title",
            "document__kind",
            "position",
            "text",
            "title",
            "status",
            "assessment__judged_by",
            "assessment__rationale",
            "assessment__evidence__id",
            "assessment__evidence__recommendation_id",
            "assessment__evidence__recommendation__ref",
            "assessment__evidence__recommendation__title",
            "assessment__evidence__recommendation__chapter__number",
            "assessment__evidence__quote",
            "themes__slug",
        )
    )
    government = export._what_the_government_did()
    nothing = (None,) * len(csv_format.GOVERNMENT_COLUMNS)

    def build():
        for group in export._grouped(rows):
            pk, published, precision, url, *document = group[0][:8]
            position, text, title, status, judged_by, rationale = group[0][8:14]
            themes = "; ".join(sorted(export._unique(row[-1] for row in group)))
            ask = [
                *document,
                csv_format.partial_date(published, precision),
                url,
                pk,
                position,
                text,
                title,
                themes,
                status,
                judged_by,
                rationale,
            ]
            links = {row[14]: (row[15], row[16:20]) for row in group}
            for recommendation, link in [links[key] for key in export._unique(links)] or [
                (None, (None,) * 4)
            ]:
                yield [*ask, *link, *government.get(recommendation, nothing)]

    table = export.Table(name="asks", columns=csv_format.ASK_COLUMNS, rows=build())
    return "".join(export.csv_chunks(table))


def reference_stages_csv() -> str:
    """stages.csv as the Python writer wrote it before PostgreSQL did."""
    rows = GovernmentStage.objects.order_by(
        "recommendation__chapter__number",
        "recommendation_id",
        "date",
        "id",
        "quotes__position",
        "quotes__id",
    ).values_list(
        "pk",
        "recommendation__ref",
        "recommendation__title",
        "recommendation__chapter__number",
        "stage",
        "status",
        "date",
        "date_precision",
        "summary",
        "confidence",
        "note",
        "quotes__text",
        "quotes__url",
    )

    def build():
        for group in export._grouped(rows):
            pk, ref, title, chapter, stage, status, date, precision = group[0][:8]
            quotes = [row[-2:] for row in group if row[-2] is not None]
            yield [
                ref,
                title,
                chapter,
                pk,
                stage,
                status,
                csv_format.partial_date(date, precision),
                precision,
                *group[0][8:11],
                "\n".join(text for text, _ in quotes),
                "\n".join(url for _, url in quotes),
            ]

    table = export.Table(name="stages", columns=csv_format.STAGE_COLUMNS, rows=build())
    return "".join(export.csv_chunks(table))


@pytest.mark.django_db
def test_postgresql_writes_the_corpus_asks_and_stages_exactly_as_the_python_writer_did(corpus):
    asks = "".join(export.csv_chunks(export.asks_table()))
    stages = "".join(export.csv_chunks(export.stages_table()))
    assert asks.count("\r\n") > 40 and stages.count("\r\n") > 40
    assert asks == reference_asks_csv()
    assert stages == reference_stages_csv()


# Cells that each need something of the writer: quotes, commas, line breaks of every
# kind, a formula's first character (after quotes too), tabs, backslashes (COPY's escape),
# control characters and text beyond ASCII.
HOSTILE = [
    'Fund "Family Help", nationally,\r\nand locally\nfor all',
    "comma, only",
    '"',
    "line\nbreak",
    "carriage\rreturn",
    " leading and trailing space ",
    "\u2018Staying Close\u2019 \u2013 to 23 \u00e9 \U0001f600",
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tcmd",
    "\rcmd",
    "'=already, quoted",
    "''-twice",
    "'plain quote",
    "'",
    "back\\slash \\n \\\\ \\",
    "tab\tinside",
    "bell\x07 and \x1f and \x0b and \x0c and \x08",
    "a=b",
]


def first_day(i: int, *, precision: str) -> datetime.date:
    """A date as a year or month is stored: its first day."""
    month = 1 if precision == "year" else 1 + i % 12
    return datetime.date(2001 + i, month, 1 if precision != "day" else 1 + i)


def hostile_corpus() -> None:
    """Asks, documents, organisations, judgements, links and stages whose every free text
    is one of HOSTILE, some with no date, some dated to the year or the month."""
    theme = factories.theme(slug="-leading-hyphen")
    for i, text in enumerate(HOSTILE):
        organisation = factories.organisation(name=text, slug=f"hostile-{i}")
        document = factories.document(
            organisation=organisation,
            title=text,
            url=f"https://example.org/{i}?a=1,b=2",
            published=None
            if i % 4 == 0
            else first_day(i, precision=["day", "year", "month"][i % 3]),
            published_precision="" if i % 4 == 0 else ["day", "year", "month"][i % 3],
            text=text,
        )
        ask = factories.ask(document=document, text=text, title=text[:50] or "x")
        if i % 3:
            ask.themes.add(theme)
        if i % 5 == 0:
            continue
        recommendation = factories.recommendation(title=text, text=text)
        factories.stage(
            recommendation=recommendation,
            summary=text,
            note=text,
            quotes=[(text, f"https://example.org/{i}"), ("Second.", "https://example.org/2")],
            date=first_day(i, precision=["day", "year", "month"][i % 3]),
            date_precision=["day", "year", "month"][i % 3],
        )
        assessment = factories.assessment(
            ask=ask, rationale=text, evidence=[recommendation] if i % 2 else []
        )
        assessment.evidence.update(quote=text)


@pytest.mark.django_db
@pytest.mark.parametrize("excel", [False, True])
def test_postgresql_guards_and_quotes_hostile_cells_exactly_as_the_python_writer(excel):
    hostile_corpus()
    for make_table in (export.asks_table, export.stages_table):
        written = "".join(export.csv_chunks(make_table(), excel=excel))
        assert written == python_written(make_table(), excel=excel)
    assert "".join(export.csv_chunks(export.asks_table())) == reference_asks_csv()
    assert "".join(export.csv_chunks(export.stages_table())) == reference_stages_csv()


@pytest.mark.django_db
def test_postgresql_writes_empty_strings_and_missing_values_alike_unquoted():
    # COPY's CSV writes an empty string as `""` and NULL as nothing, where the Python
    # writer writes both as nothing (the asks not judged have NULLs, the others empty
    # strings); and a row whose cells are bare line breaks or COPY's old end-of-data
    # marker (`\\.`) must still end where the row does.
    for i, text in enumerate(["", "\r\n", "\n", "\\.", "\\.\r\n"]):
        document = factories.document(
            title=text, url="", published=None, published_precision="", text=f"Text {i}."
        )
        ask = factories.ask(document=document, title=text, text=text or "x")
        if i % 2:
            recommendation = factories.recommendation(title=text)
            factories.stage(recommendation=recommendation, summary=text, note=text)
            factories.assessment(ask=ask, rationale=text, evidence=[recommendation])
    asks = "".join(export.csv_chunks(export.asks_table()))
    assert ',"",' not in asks and ",,," in asks
    assert asks == python_written(export.asks_table())
    stages = "".join(export.csv_chunks(export.stages_table()))
    assert ',"",' not in stages and stages == python_written(export.stages_table())


@pytest.mark.django_db
def test_hostile_cells_come_back_from_the_file_as_stored(client):
    hostile_corpus()
    body = b"".join(client.get(reverse("export_asks")).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert {csv_format.unguard(row["ask_text"]) for row in rows} == set(HOSTILE)
    # A slug may start with a hyphen, which a spreadsheet would read as a formula.
    assert {row["themes"] for row in rows} == {"", "'-leading-hyphen"}


@pytest.mark.django_db
def test_write_csv_counts_rows_not_line_breaks_in_cells():
    hostile_corpus()
    file = io.StringIO(newline="")
    written = export.write_csv(export.asks_table(), file=file)
    assert written == len(list(export.asks_table().rows)) == len(HOSTILE)
    # The header's line, each row's, and a cell's own CRLF.
    assert file.getvalue().count("\r\n") > written + 1


@pytest.mark.django_db
def test_partial_dates_in_sql_are_written_as_partial_date_writes_them():
    for year, precision in itertools.product([1, 999, 2021], DatePrecision.values):
        month, day = (1, 1) if precision == "year" else (11, 1) if precision == "month" else (2, 3)
        factories.stage(date=datetime.date(year, month, day), date_precision=precision)
    stages = GovernmentStage.objects.annotate(
        written=csv_format.partial_date_sql("date", "date_precision")
    )
    assert len(stages) == 9
    for stage in stages:
        assert stage.written == csv_format.partial_date(stage.date, stage.date_precision)


@pytest.mark.parametrize(
    "choices",
    [
        ResponseDocument._meta.get_field("kind").choices,
        Assessment._meta.get_field("status").choices,
        Assessment._meta.get_field("judged_by").choices,
        GovernmentStage._meta.get_field("stage").choices,
        GovernmentStage._meta.get_field("status").choices,
        GovernmentStage._meta.get_field("date_precision").choices,
        GovernmentStage._meta.get_field("confidence").choices,
        Status.choices,
    ],
)
def test_the_columns_written_as_they_are_hold_values_that_need_no_guard_nor_quotes(choices):
    # PostgreSQL writes these columns unguarded and unquoted (`csv_sql.Cells.texts`):
    # an enumeration's value that needed either would be written wrong.
    assert choices
    for value, _ in choices:
        assert export._field(value) == value
