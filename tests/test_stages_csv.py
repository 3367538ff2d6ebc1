"""What the Government did, as CSV: asks.csv saying what became of each linked
recommendation."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from recommendations.models import Recommendation

from . import factories


def body_of(client, url: str, params: dict | None = None) -> str:
    response = client.get(url, params or {})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def read(body: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body, newline="")))


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
