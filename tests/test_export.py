"""CSV exports: exactly the filtered rows, documented columns, safe cells, streamed."""

import collections
import csv
import datetime
import io
import json
import re
from collections import Counter
from collections.abc import Sequence

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from browse import csv_sql, export
from browse.filters import AskFilterForm, RecommendationFilterForm, StageFilterForm
from recommendations.models import Recommendation, Theme
from responses import csv_format
from responses.models import Ask, Evidence, Organisation

from . import factories
from .test_pages import listed_refs


def get_csv(client, url: str, params: dict | None = None):
    """The response and its rows (as dicts), read with Python's csv module."""
    response = client.get(url, params or {})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    reader = csv.DictReader(io.StringIO(body, newline=""))
    return response, reader.fieldnames, list(reader)


def filtered_ask_ids(params: dict) -> set[int]:
    asks = AskFilterForm(params).filter(Ask.objects.counted().with_status())
    return set(asks.values_list("pk", flat=True))


@pytest.mark.django_db
def test_asks_export_starts_with_the_documented_columns_in_order(corpus, client):
    _, header, _ = get_csv(client, reverse("export_asks"))
    assert header == [
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
        "government_response_status",
        "government_response_date",
        "furthest_delivery_status",
        "furthest_delivery_date",
        "furthest_delivery_summary",
    ]


@pytest.mark.django_db
def test_asks_export_has_a_row_per_ask_and_link_and_one_row_for_an_ask_without_links(
    corpus, client
):
    _, _, rows = get_csv(client, reverse("export_asks"))
    counted = Ask.objects.counted()
    links = Evidence.objects.filter(assessment__ask__in=counted)
    asks_without_links = counted.exclude(assessment__evidence__isnull=False)
    assert asks_without_links.exists() and links.exists()
    assert len(rows) == links.count() + asks_without_links.count()
    assert {int(row["ask_id"]) for row in rows} == set(counted.values_list("pk", flat=True))
    unlinked = [
        row
        for row in rows
        if int(row["ask_id"]) in set(asks_without_links.values_list("pk", flat=True))
    ]
    assert all(row["recommendation_ref"] == row["evidence"] == "" for row in unlinked)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"organisation": "become"},
        {"status": "partly"},
        {"status": "not_assessed"},
        {"theme": "family-help"},
        {"judged_by": "organisation"},
        {"document_kind": "final_report_assessment"},
        {"recommendation": "5.2"},
        {"q": "kinship"},
        {"organisation": "together-trust", "status": "absent"},
    ],
)
def test_each_filter_exports_exactly_the_asks_it_selects(corpus, client, params):
    _, _, rows = get_csv(client, reverse("export_asks"), params)
    expected = filtered_ask_ids(params)
    assert expected, "the filter should select some asks of the corpus"
    assert expected != filtered_ask_ids({}), "the filter should leave some asks out"
    assert {int(row["ask_id"]) for row in rows} == expected


@pytest.mark.django_db
def test_a_filter_value_that_does_not_parse_is_ignored_rather_than_an_error(corpus, client):
    _, _, rows = get_csv(client, reverse("export_asks"), {"status": "bogus", "document": "x"})
    assert {int(row["ask_id"]) for row in rows} == filtered_ask_ids({})


def export_link(page) -> str:
    """The page's "Export CSV" link, as a browser would follow it."""
    return (
        re.search(r'href="(/export/[^"]*)"', page.content.decode()).group(1).replace("&amp;", "&")
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page_url, params",
    [
        (("organisation", "become"), {}),
        (("organisation", "become"), {"status": "partly"}),
        (("organisation", "become"), {"judged_by": "editorial", "theme": "rights-and-equality"}),
        (("organisation", "together-trust"), {"document_kind": "final_report_assessment"}),
        (("theme", "family-help"), {}),
        (("theme", "family-help"), {"status": "absent"}),
    ],
)
def test_a_pages_export_link_exports_the_asks_the_page_lists(corpus, client, page_url, params):
    name, slug = page_url
    page = client.get(reverse(name, args=[slug]), params)
    listed = {ask.pk for ask in page.context["rows"]}
    _, _, rows = get_csv(client, export_link(page))
    assert listed
    assert {int(row["ask_id"]) for row in rows} == listed


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [{}, {"chapter": "5"}, {"sort": "demand"}, {"theme": "family-help", "sort": "demand"}],
)
def test_the_recommendations_pages_export_link_exports_the_recommendations_it_lists(
    corpus, client, params
):
    page = client.get(reverse("recommendations"), params)
    listed = listed_refs(page.content.decode())
    _, _, rows = get_csv(client, export_link(page))
    assert listed
    assert [row["ref"] for row in rows] == listed


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params", [{}, {"sort": "realised"}, {"kind": "membership_forum"}, {"q": "trust"}]
)
def test_the_organisations_pages_export_link_exports_its_scorecards_in_its_order(
    corpus, client, params
):
    page = client.get(reverse("organisations"), params)
    listed = page.context["organisations"]
    _, header, rows = get_csv(client, export_link(page))
    assert listed
    assert header == list(export.ORGANISATION_COLUMNS)
    assert [row["organisation_slug"] for row in rows] == [o.slug for o in listed]
    for row, organisation in zip(rows, listed):
        assert int(row["asks"]) == organisation.asks_total
        assert [int(row[f"asks_{s}"]) for s in ("realised", "partly", "absent")] == [
            organisation.asks_realised,
            organisation.asks_partly,
            organisation.asks_absent,
        ]


@pytest.mark.django_db
def test_together_trusts_scorecard_row_counts_its_own_judgements(corpus, client):
    _, _, rows = get_csv(client, reverse("export_organisations"))
    row = next(row for row in rows if row["organisation_slug"] == "together-trust")
    assert (row["asks"], row["asks_realised"], row["asks_partly"], row["asks_absent"]) == (
        "14",
        "2",
        "7",
        "4",
    )
    assert row["asks_not_assessed"] == "1"
    assert row["share_realised"] == "0.14"


@pytest.mark.django_db
def test_an_asks_row_holds_the_asks_values_as_stored(corpus, client):
    evidence = (
        Evidence.objects.select_related(
            "assessment__ask__document__organisation", "recommendation__chapter"
        )
        .filter(assessment__ask__document__published_precision="month")
        .first()
    )
    ask = evidence.assessment.ask
    recommendation = Recommendation.objects.with_stages().get(pk=evidence.recommendation_id)
    response = recommendation.government_response_stage
    delivery = recommendation.furthest_delivery_stage
    _, _, rows = get_csv(client, reverse("export_asks"))
    row = next(
        row
        for row in rows
        if row["ask_id"] == str(ask.pk) and row["recommendation_ref"] == evidence.recommendation.ref
    )
    document = ask.document
    assert row == {
        "organisation": document.organisation.name,
        "organisation_slug": document.organisation.slug,
        "document_title": document.title,
        "document_kind": document.kind,
        "document_published": document.published.strftime("%Y-%m"),
        "document_url": document.url,
        "ask_id": str(ask.pk),
        "ask_position": str(ask.position),
        "ask_text": ask.text,
        "ask_title": ask.title,
        "themes": "; ".join(sorted(ask.themes.values_list("slug", flat=True))),
        "status": evidence.assessment.status,
        "judged_by": evidence.assessment.judged_by,
        "rationale": evidence.assessment.rationale,
        "recommendation_ref": evidence.recommendation.ref,
        "recommendation_title": evidence.recommendation.title,
        "recommendation_chapter": str(evidence.recommendation.chapter.number),
        "evidence": evidence.quote,
        "government_response_status": response.status if response else "",
        "government_response_date": (
            csv_format.partial_date(response.date, response.date_precision) if response else ""
        ),
        "furthest_delivery_status": delivery.status if delivery else "",
        "furthest_delivery_date": (
            csv_format.partial_date(delivery.date, delivery.date_precision) if delivery else ""
        ),
        "furthest_delivery_summary": delivery.summary if delivery else "",
    }


@pytest.mark.django_db
def test_asks_are_ordered_by_organisation_document_position_and_recommendation(corpus, client):
    _, _, rows = get_csv(client, reverse("export_asks"))
    asks = Ask.objects.select_related("document__organisation").in_bulk(
        {int(row["ask_id"]) for row in rows}
    )
    keys = [
        (
            row["organisation"],
            row["document_published"],
            asks[int(row["ask_id"])].document_id,
            int(row["ask_position"]),
        )
        for row in rows
    ]
    assert keys == sorted(keys)
    assert len({row["organisation"] for row in rows}) > 1


@pytest.mark.django_db
def test_commas_quotes_and_newlines_survive_rfc_4180_quoting(client):
    text = 'Fund "Family Help", nationally,\r\nand locally\nfor all'
    ask = factories.ask(text=text, title='Commas, "quotes"')
    _response, _, rows = get_csv(client, reverse("export_asks"))
    assert [(row["ask_text"], row["ask_title"]) for row in rows] == [(ask.text, ask.title)]
    body = b"".join(client.get(reverse("export_asks")).streaming_content).decode()
    assert '"Fund ""Family Help"", nationally,\r\nand locally\nfor all"' in body
    assert body.endswith("\r\n") and body.count("\r\n") == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hostile",
    [
        '=HYPERLINK("http://evil.example","x")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tcmd",
        "\rcmd",
        "'=already quoted",
    ],
)
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_prefixed_with_a_quote(client, hostile):
    assessment = factories.assessment(ask=factories.ask(text=hostile), rationale=hostile)
    _, _, rows = get_csv(client, reverse("export_asks"))
    (row,) = rows
    assert row["ask_text"] == row["rationale"] == "'" + hostile
    assert csv_format.unguard(row["ask_text"]) == assessment.ask.text


@pytest.mark.parametrize("value", ["plain", "", "'quoted", "a=b", "1-2", "''-x", "=", "'"])
def test_unguarding_a_guarded_value_gives_it_back(value):
    assert csv_format.unguard(csv_format.guard(value)) == value


CELLS = [
    "plain",
    "",
    None,
    'Fund "Family Help", nationally,\r\nand locally\nfor all',
    "comma, only",
    'a "quote"',
    '"',
    "line\nbreak",
    "carriage\rreturn",
    " leading and trailing space ",
    "\u2018Staying Close\u2019 \u2013 to 23 \u00e9",
    '=HYPERLINK("http://evil.example","x")',
    "-2+3",
    "@SUM(A1)",
    "\tcmd",
    "\rcmd",
    "'=already, quoted",
    "'plain quote",
    0,
    -5,
    42,
    2.5,
    datetime.date(2021, 8, 27),
]


@pytest.mark.parametrize("excel", [False, True])
def test_every_row_is_written_byte_for_byte_as_csv_writer_writes_the_guarded_cells(excel):
    rows = [CELLS, list(reversed(CELLS)), *([cell, cell, "x"] for cell in CELLS)]
    table = export.Table(name="cells", columns=["a", "b,c", 'd"e'], rows=rows)
    expected = io.StringIO(newline="")
    writer = csv.writer(expected)
    writer.writerow(table.columns)
    for row in rows:
        writer.writerow(
            [
                "" if cell is None else csv_format.guard(cell) if isinstance(cell, str) else cell
                for cell in row
            ]
        )
    written = io.StringIO(newline="")
    assert export.write_csv(table, file=written, excel=excel) == len(rows)
    bom = "\ufeff" if excel else ""
    assert written.getvalue() == bom + expected.getvalue()
    assert "".join(export.csv_chunks(table, excel=excel)) == bom + expected.getvalue()


@pytest.mark.django_db
def test_an_export_streams_a_csv_attachment_named_for_its_filters_and_date(corpus, client):
    response = client.get(reverse("export_asks"), {"organisation": "become", "status": "partly"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="carereview-asks-organisation-become-status-partly-{today}.csv"'
    )
    snapshot = datetime.datetime.fromisoformat(response[export.SNAPSHOT_HEADER])
    assert snapshot.date().isoformat() == today and snapshot.tzinfo is not None


@pytest.mark.django_db
def test_excel_asks_for_a_bom_and_nothing_else_gets_one(corpus, client):
    with_bom = b"".join(client.get(reverse("export_asks"), {"excel": "1"}).streaming_content)
    without = b"".join(client.get(reverse("export_asks"), {"excel": "0"}).streaming_content)
    assert with_bom.startswith(b"\xef\xbb\xbforganisation,")
    assert without.startswith(b"organisation,")
    assert with_bom[3:] == without


@pytest.mark.django_db
def test_write_csv_writes_the_same_file_to_any_file_as_the_response_streams(corpus, client):
    file = io.StringIO(newline="")
    written = export.write_csv(export.asks_table(), file=file)
    streamed = b"".join(client.get(reverse("export_asks")).streaming_content).decode()
    assert file.getvalue() == streamed
    assert written == len(list(csv.reader(io.StringIO(streamed, newline="")))) - 1


def build_linked_asks(scale: int) -> None:
    """`scale` organisations and `scale` pairs of recommendations, the first of each pair
    with a government response (two quotes) and a delivery stage; each organisation has two
    documents, each with an ask linked to a pair of recommendations, carrying themes, and an
    ask with neither."""
    themes = [factories.theme() for _ in range(3)]
    for _ in range(scale):
        recommendations = [factories.recommendation() for _ in range(2)]
        for recommendation in recommendations:
            recommendation.themes.set(themes[:2])
            recommendation.sources.create(url="https://example.org/source", quote="says")
        factories.stage(
            recommendation=recommendations[0],
            quotes=[("We will.", "https://example.org/a"), ("Soon.", "https://example.org/b")],
        )
        factories.stage(recommendation=recommendations[0], stage="delivery", status="delivered")
        organisation = factories.organisation()
        for _ in range(2):
            document = factories.document(organisation=organisation)
            linked = factories.assessment(
                ask=factories.ask(document=document), status="realised", evidence=recommendations
            )
            linked.ask.themes.set(themes)
            factories.ask(document=document)


@pytest.mark.django_db
@pytest.mark.parametrize("scale", [1, 10])
@pytest.mark.parametrize(
    "make_table, queries",
    [
        # the rows; the recommendations the Government did something with; their stages
        (lambda: export.asks_table(), 3),
        # the rows, each stage once per quote
        (lambda: export.stages_table(), 1),
        # the rows; how many organisations each realised, partly realised, and either
        (lambda: export.recommendations_table(), 2),
        # the columns; overall mixes; mixes per column; organisations
        (lambda: export.matrix_table(), 4),
        (lambda: export.matrix_table(by="recommendation"), 4),
    ],
)
def test_an_export_runs_the_same_few_queries_however_many_rows(
    django_assert_num_queries, scale, make_table, queries
):
    build_linked_asks(scale)
    with django_assert_num_queries(queries):
        body = "".join(export.csv_chunks(make_table()))
    assert len(list(csv.reader(io.StringIO(body, newline="")))) > scale


@pytest.mark.django_db
def test_recommendations_export_has_a_row_per_recommendation_with_who_it_realised(corpus, client):
    _, header, rows = get_csv(client, reverse("export_recommendations"))
    assert header == [
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
    ]
    assert [row["ref"] for row in rows] == list(
        Recommendation.objects.order_by("chapter__number", "id").values_list("ref", flat=True)
    )
    for status, column in [
        ("realised", "organisations_realised"),
        ("partly", "organisations_partly"),
    ]:
        # Each (recommendation, organisation) pair once, however many asks it links.
        pairs = set(
            Evidence.objects.filter(assessment__status=status).values_list(
                "recommendation__ref", "assessment__ask__document__organisation"
            )
        )
        expected = Counter(ref for ref, _ in pairs)
        assert {row["ref"]: int(row[column]) for row in rows} == {
            row["ref"]: expected[row["ref"]] for row in rows
        }
        assert sum(expected.values()) > 0
    recommendation = Recommendation.objects.filter(themes__isnull=False).first()
    row = next(row for row in rows if row["ref"] == recommendation.ref)
    assert row["text"] == recommendation.text
    assert row["themes"] == "; ".join(sorted(recommendation.themes.values_list("slug", flat=True)))
    assert row["sources"].split(" ") == [source.url for source in recommendation.wording_sources]


@pytest.mark.django_db
def test_recommendations_export_keeps_the_recommendations_pages_filters(corpus, client):
    _, _, rows = get_csv(client, reverse("export_recommendations"), {"chapter": "5"})
    assert rows and {row["chapter"] for row in rows} == {"5"}
    assert len(rows) == Recommendation.objects.filter(chapter__number=5).count()


def parse_mix(cell: str) -> dict[str, int]:
    return (
        {status: int(n) for status, n in (part.split("=") for part in cell.split(";"))}
        if cell
        else {}
    )


@pytest.mark.django_db
def test_matrix_cells_hold_the_status_mix_of_each_organisations_asks_per_theme(corpus, client):
    _, header, rows = get_csv(client, reverse("export_matrix"))
    themes = list(Theme.objects.order_by("name"))
    assert header == ["organisation", "organisation_slug", "all_asks", *(t.slug for t in themes)]
    counted = Ask.objects.counted().with_status()
    assert [row["organisation_slug"] for row in rows] == list(
        Organisation.objects.filter(documents__asks__in=counted)
        .distinct()
        .order_by("name")
        .values_list("slug", flat=True)
    )
    for row in rows:
        asks = counted.filter(document__organisation__slug=row["organisation_slug"])
        all_asks = parse_mix(row["all_asks"])
        assert list(all_asks) == ["realised", "partly", "absent", "unclear", "not_assessed"]
        assert {k: v for k, v in all_asks.items() if v} == Counter(
            asks.values_list("status", flat=True)
        )
        for theme in themes:
            expected = Counter(asks.filter(themes=theme).values_list("status", flat=True))
            assert {k: v for k, v in parse_mix(row[theme.slug]).items() if v} == expected


@pytest.mark.django_db
def test_matrix_by_recommendation_has_a_column_per_recommendation_ref(corpus, client):
    response, header, rows = get_csv(
        client, reverse("export_matrix"), {"by": "recommendation", "judged_by": "editorial"}
    )
    refs = list(
        Recommendation.objects.order_by("chapter__number", "id").values_list("ref", flat=True)
    )
    assert header[3:] == refs
    assert (
        "carereview-matrix-by-recommendation-judged_by-editorial-"
        in response["Content-Disposition"]
    )
    editorial = Ask.objects.counted().with_status().filter(assessment__judged_by="editorial")
    for row in rows:
        for ref in refs:
            linked = editorial.filter(
                document__organisation__slug=row["organisation_slug"],
                assessment__evidence__recommendation__ref=ref,
            )
            assert sum(parse_mix(row[ref]).values()) == linked.count()


# Each export, filtered by every filter that selects through another table.
FILTERED_EXPORTS = {
    "recommendations": lambda: export.recommendations_table(),
    "recommendations of a chapter": lambda: export.recommendations_table(
        form=RecommendationFilterForm({"chapter": "5"})
    ),
    "recommendations by demand": lambda: export.recommendations_table(
        form=RecommendationFilterForm({"sort": "demand"})
    ),
    "recommendations of a theme by demand": lambda: export.recommendations_table(
        form=RecommendationFilterForm({"theme": "family-help", "sort": "demand"})
    ),
    "asks of a theme and status": lambda: export.asks_table(
        form=AskFilterForm({"theme": "family-help", "status": "partly"})
    ),
    "asks citing a recommendation": lambda: export.asks_table(
        form=AskFilterForm({"recommendation": "5.2"})
    ),
    "asks by what the Government did": lambda: export.asks_table(
        form=AskFilterForm({"government_response": "accepted", "delivery": "none"})
    ),
    "matrix by theme": lambda: export.matrix_table(
        form=AskFilterForm({"judged_by": "editorial", "theme": "family-help"})
    ),
    "matrix by recommendation": lambda: export.matrix_table(
        form=AskFilterForm({"recommendation": "5.2"}), by="recommendation"
    ),
    "stages of a theme": lambda: export.stages_table(
        form=StageFilterForm({"theme": "family-help", "stage": "delivery"})
    ),
}


def export_queries(make_table) -> list[str]:
    """The SQL of every query that making the table and reading its rows runs; a streamed
    query as itself rather than as the DECLARE of its server-side cursor."""
    with CaptureQueriesContext(connection) as captured:
        collections.deque(make_table().rows, maxlen=0)
    return [re.sub(r"^DECLARE .+? FOR ", "", query["sql"]) for query in captured]


@pytest.mark.django_db
@pytest.mark.parametrize("name", FILTERED_EXPORTS)
def test_an_export_narrows_by_exists_or_a_list_of_keys_never_by_in_over_a_subquery(corpus, name):
    # PostgreSQL may run a subquery under IN again for each row of the outer query. With
    # statistics that said every table was empty, the recommendations export's count over
    # `IN (<the page's queryset>)` ran that queryset's GROUP BY 608,139 times for the
    # corpus (2 minutes), and the asks export's `IN (<the filtered asks>)` ran all their
    # joins once per ask (3.5 minutes for 129 asks).
    queries = export_queries(FILTERED_EXPORTS[name])
    assert queries
    assert [sql for sql in queries if "IN (SELECT" in sql.upper()] == []


def plan_as_if_every_table_were_empty() -> None:
    """Give every table the statistics that autovacuum leaves when it vacuums or analyzes
    a table whose rows are rolled back or not yet committed, as it does between and during
    the tests of a full run: pages but no live rows in them. PostgreSQL then estimates
    every scan at one row, however many rows the table holds. PostgreSQL 18's
    `pg_restore_relation_stats` sets them in the test's transaction, rolled back with it."""
    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(
                "SELECT pg_restore_relation_stats('schemaname', current_schema()::text,"
                " 'relname', %s::text, 'relpages', 1::integer, 'reltuples', 0::real)",
                [table],
            )


def plan_nodes(sql: str, params: Sequence = ()) -> list[dict]:
    """Every node of the plan by which PostgreSQL ran `sql`, with its actual loops."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params or None)
        (plan,) = cursor.fetchone()
    nodes = [(json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]]
    for node in nodes:
        nodes.extend(node.get("Plans", []))
    return nodes


@pytest.mark.django_db
@pytest.mark.parametrize("name", [name for name in FILTERED_EXPORTS if "recommendations" in name])
def test_the_recommendations_export_counts_once_when_statistics_say_every_table_is_empty(
    corpus, name
):
    # pg_restore_relation_stats is PostgreSQL 18's, the server `make test` brings.
    plan_as_if_every_table_were_empty()
    for sql in export_queries(FILTERED_EXPORTS[name]):
        # Counting organisations heard over `IN (<the page's queryset>)` ran that queryset's
        # GROUP BY, and a scan of all the evidence under it, for every evidence row,
        # recommendation and pair of ask and assessment (Group loops=608,139 for the
        # corpus); sorting by demand with a subquery ran its aggregate once per row.
        aggregates = [
            (node["Node Type"], node["Actual Loops"])
            for node in plan_nodes(sql)
            if node["Node Type"] in ("Aggregate", "Group")
        ]
        assert all(loops == 1 for _, loops in aggregates), aggregates


# The exports that PostgreSQL writes, unfiltered and filtered through other tables.
COPIED_EXPORTS = {
    "asks": lambda: export.asks_table(),
    "asks of a theme": lambda: export.asks_table(form=AskFilterForm({"theme": "family-help"})),
    "asks by what the Government did": FILTERED_EXPORTS["asks by what the Government did"],
    "asks citing a recommendation": FILTERED_EXPORTS["asks citing a recommendation"],
    "stages": lambda: export.stages_table(),
    "stages of a theme": FILTERED_EXPORTS["stages of a theme"],
}


def largest_table(nodes: list[dict]) -> int:
    """How many rows the largest table that the plan's `nodes` read holds."""
    with connection.cursor() as cursor:
        counts = []
        for table in {node["Relation Name"] for node in nodes if "Relation Name" in node}:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts.append(cursor.fetchone()[0])
    return max(counts)


@pytest.mark.django_db
@pytest.mark.parametrize("name", COPIED_EXPORTS)
def test_a_copied_export_groups_once_and_never_loops_over_three_tables_when_all_seem_empty(
    corpus, name
):
    # With those statistics, the asks export filtered by what the Government did scanned
    # all the evidence once per recommendation per assessment under its EXISTS (65,625
    # times) and all the stages once per stage (177,478 times), and ran the themes'
    # GROUP BY again for each row (91 seconds in a full run, for the corpus's asks).
    plan_as_if_every_table_were_empty()
    sql, params = csv_sql.guarded_sql(COPIED_EXPORTS[name]().cells())
    nodes = plan_nodes(sql, params)
    # Every scan is planned as one row, so a nested loop may run its inner side once per
    # pair of rows of two tables; never once per pair of rows under each row of a third.
    bound = largest_table(nodes) ** 2
    assert [
        (node["Node Type"], node.get("Relation Name"), node["Actual Loops"])
        for node in nodes
        if node["Actual Loops"] > bound
    ] == []
    # A GROUP BY of many groups (rather than one value per row, for a row) runs once.
    assert [
        (node["Node Type"], node["Actual Loops"])
        for node in nodes
        if node["Node Type"] in ("Aggregate", "Group")
        and node["Actual Loops"] > 1
        and node["Actual Rows"] > 1
    ] == []
