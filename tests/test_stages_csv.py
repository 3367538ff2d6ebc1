"""What the Government did, as CSV: stages.csv out with every quote and source, and
asks.csv saying what became of each linked recommendation."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse

from browse import export
from recommendations.models import GovernmentStage, Recommendation, StageQuote
from responses.csv_format import STAGE_COLUMNS, lines, partial_date

from . import factories


def body_of(client, url: str, params: dict | None = None) -> str:
    response = client.get(url, params or {})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def read(body: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body, newline="")))


def exported_stages(client, **params) -> list[dict]:
    return read(body_of(client, reverse("export_stages"), params))


# --- stages.csv -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_stages_csv_has_one_row_per_stage_record_with_every_quote_and_source(corpus, client):
    body = body_of(client, reverse("export_stages"))
    rows = read(body)
    assert body.split("\r\n", 1)[0] == ",".join(STAGE_COLUMNS)
    stages = GovernmentStage.objects.select_related("recommendation__chapter").prefetch_related(
        "quotes"
    )
    assert len(rows) == stages.count() == 56
    by_id = {int(row["stage_id"]): row for row in rows}
    assert set(by_id) == {stage.pk for stage in stages}
    for stage in stages:
        quotes = list(stage.quotes.all())
        assert by_id[stage.pk] == {
            "ref": stage.recommendation.ref,
            "recommendation_title": stage.recommendation.title,
            "chapter": str(stage.recommendation.chapter.number),
            "stage_id": str(stage.pk),
            "stage": stage.stage,
            "status": stage.status,
            "date": partial_date(stage.date, stage.date_precision),
            "date_precision": stage.date_precision,
            "summary": stage.summary,
            "confidence": stage.confidence,
            "note": stage.note,
            "quotes": "\n".join(quote.text for quote in quotes),
            "sources": "\n".join(quote.url for quote in quotes),
        }
    assert sum(len(lines(row["quotes"])) for row in rows) == StageQuote.objects.count() == 123
    assert any(not row["quotes"] for row in rows), "a stage of the corpus has no quote"


@pytest.mark.django_db
def test_stages_csv_is_in_the_reports_order_then_by_date(corpus, client):
    rows = exported_stages(client)
    refs = list(
        Recommendation.objects.filter(stages__isnull=False)
        .distinct()
        .order_by("chapter__number", "id")
        .values_list("ref", flat=True)
    )
    assert list(dict.fromkeys(row["ref"] for row in rows)) == refs
    assert [row["date"] for row in rows if row["ref"] == "6.x3"] == [
        "2022",
        "2024-12-03",
        "2026-04-29",
    ]


@pytest.mark.django_db
def test_a_stage_without_quotes_has_empty_quotes_and_sources(client):
    stage = factories.stage(date=datetime.date(2023, 5, 1), date_precision="month")
    (row,) = exported_stages(client)
    assert (row["stage_id"], row["date"], row["quotes"], row["sources"]) == (
        str(stage.pk),
        "2023-05",
        "",
        "",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"stage": "delivery"},
        {"status": "legislated"},
        {"chapter": "6"},
        {"theme": "family-help"},
        {"stage": "government_response", "chapter": "2"},
    ],
)
def test_each_filter_exports_exactly_the_stages_it_selects(corpus, client, params):
    lookups = {
        "stage": "stage",
        "status": "status",
        "chapter": "recommendation__chapter__number",
        "theme": "recommendation__themes__slug",
    }
    selected = GovernmentStage.objects.filter(
        **{lookups[name]: value for name, value in params.items()}
    )
    expected = {str(pk) for pk in selected.values_list("pk", flat=True)}
    assert expected and len(expected) < GovernmentStage.objects.count()
    assert {row["stage_id"] for row in exported_stages(client, **params)} == expected


@pytest.mark.django_db
def test_a_stage_filter_value_that_does_not_parse_is_ignored(corpus, client):
    rows = exported_stages(client, stage="consultation", status="done", chapter="x")
    assert len(rows) == GovernmentStage.objects.count()


@pytest.mark.django_db
def test_stages_csv_is_an_attachment_named_for_its_filters_with_the_snapshot(corpus, client):
    response = client.get(reverse("export_stages"), {"stage": "delivery", "excel": "1"})
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="carereview-stages-stage-delivery-{today}.csv"'
    )
    assert datetime.datetime.fromisoformat(response[export.SNAPSHOT_HEADER]).tzinfo
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbfref,")


@pytest.mark.django_db
def test_the_recommendations_page_links_to_what_the_government_did_with_its_filters(corpus, client):
    page = client.get(reverse("recommendations"), {"chapter": "6", "sort": "demand"})
    links = re.findall(r'href="(/export/stages\.csv[^"]*)"', page.content.decode())
    assert links == ["/export/stages.csv?chapter=6"]
    rows = exported_stages(client, chapter="6")
    assert rows and {row["chapter"] for row in rows} == {"6"}


# --- asks.csv -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_asks_csv_says_what_the_government_did_with_each_linked_recommendation(client):
    followed = factories.recommendation(text="Raise the age of leaving care to twenty-five.")
    factories.stage(
        recommendation=followed,
        status="accepted_in_part",
        date=datetime.date(2023, 2, 1),
        date_precision="month",
    )
    factories.stage(
        recommendation=followed,
        stage="delivery",
        status="legislated",
        date=datetime.date(2025, 4, 29),
        summary="The Act made it law.",
    )
    factories.stage(
        recommendation=followed,
        stage="delivery",
        status="in_progress",
        date=datetime.date(2026, 1, 1),
        date_precision="year",
        summary="Pilots began.",
    )
    answered = factories.recommendation(text="Something the Government only answered.")
    factories.stage(recommendation=answered, status="not_accepted")
    ignored = factories.recommendation(text="Something the Government never answered.")
    linked = factories.assessment(status="realised", evidence=[followed, answered, ignored])
    factories.ask()  # with no link
    rows = read(body_of(client, reverse("export_asks")))
    government = {
        row["recommendation_ref"]: [
            row["government_response_status"],
            row["government_response_date"],
            row["furthest_delivery_status"],
            row["furthest_delivery_date"],
            row["furthest_delivery_summary"],
        ]
        for row in rows
    }
    assert government == {
        followed.ref: [
            "accepted_in_part",
            "2023-02",
            "legislated",
            "2025-04-29",
            "The Act made it law.",
        ],
        answered.ref: ["not_accepted", "2023-02-02", "", "", ""],
        ignored.ref: ["", "", "", "", ""],
        "": ["", "", "", "", ""],
    }
    assert {row["ask_id"] for row in rows if row["recommendation_ref"]} == {str(linked.ask_id)}


@pytest.mark.django_db
def test_every_asks_csv_row_of_the_corpus_holds_its_recommendations_response_and_delivery(
    corpus, client
):
    recommendations = {r.ref: r for r in Recommendation.objects.with_stages()}
    rows = read(body_of(client, reverse("export_asks")))
    seen = 0
    for row in rows:
        recommendation = recommendations.get(row["recommendation_ref"])
        response = recommendation and recommendation.government_response_stage
        delivery = recommendation and recommendation.furthest_delivery_stage
        assert row["government_response_status"] == (response.status if response else "")
        assert row["furthest_delivery_status"] == (delivery.status if delivery else "")
        assert row["furthest_delivery_summary"] == (delivery.summary if delivery else "")
        seen += bool(delivery)
    assert seen, "some asks of the corpus are linked to a recommendation being delivered"
