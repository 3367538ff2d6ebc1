"""What happened next: a recommendation's timeline of what the Government did, the page of
every recommendation's government response and delivery, the overview's chain from ask to
delivery, and search finding the stages' summaries."""

import datetime
import re

import pytest
from django.utils.html import escape

from recommendations.models import Recommendation, StageStatus

from . import factories

HTMX = {"HX-Request": "true"}


def page(client, url, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.content.decode()


def timeline(html: str) -> str:
    """The part of a recommendation's page that says what happened next."""
    return re.search(r'<ol class="app-timeline">.*?</ol>', html, re.DOTALL).group(0)


# --- A recommendation's timeline ------------------------------------------------------------


def test_every_stage_record_shows_on_its_recommendations_page_with_its_quotes_and_sources(
    corpus, client
):
    recommendations = Recommendation.objects.with_stages().exclude(stages=None)
    assert len(recommendations) == 37
    for recommendation in recommendations:
        shown = timeline(page(client, recommendation.get_absolute_url()))
        assert shown.startswith('<ol class="app-timeline">')
        assert 'Recommended <span class="app-timeline__date">23 May 2022</span>' in shown
        at = 0
        for stage in recommendation.stages.all():
            status = StageStatus(stage.status)
            # In date order: each stage's summary after the one before.
            at = shown.index(escape(stage.summary), at)
            heading = shown.rindex("<h3", 0, at)
            assert f'app-timeline__date">{stage.date_display}</span>' in shown[heading:at]
            assert (
                f'govuk-tag--{status.tag_colour} app-status">{status.tag_label}<'
                in (shown[heading:at])
            )
            item = shown[at : shown.index("</li>", at)]
            for quote in stage.quotes.all():
                assert escape(quote.text) in item
                # The address itself is the link's text: a reader sees where it leads.
                url = escape(quote.url)
                assert f'href="{url}" rel="noreferrer">{url}</a>' in item
            if not stage.quotes.all():
                assert "No quote is recorded for this step." in item
            assert f"Confidence: {escape(stage.confidence_words)}." in item
            assert escape(stage.note) in item


def test_a_recommendation_with_no_stage_says_no_government_response_found(corpus, client):
    recommendations = Recommendation.objects.filter(stages=None)
    assert len(recommendations) == 13
    for recommendation in recommendations:
        shown = timeline(page(client, recommendation.get_absolute_url()))
        assert "No government response found" in shown
        assert "Nothing delivered yet" in shown
        assert not any(f">{s.tag_label}<" in shown for s in StageStatus), recommendation.ref


def test_delivery_without_a_response_on_record_says_no_response_was_found(corpus, client):
    shown = timeline(page(client, "/recommendations/4.x5/"))
    assert shown.index("No government response found") < shown.index(">Delivered<")
    assert "Nothing delivered yet" not in shown


def test_the_earlier_free_text_record_is_no_longer_shown(corpus, client):
    recommendation = Recommendation.objects.get(ref="2.x3")
    assert recommendation.government_response
    html = page(client, recommendation.get_absolute_url())
    assert escape(recommendation.government_response) not in html
    assert "What the government did later" not in html


@pytest.mark.django_db
def test_a_superseded_response_is_shown_and_marked_so(client):
    recommendation = factories.recommendation()
    factories.stage(recommendation=recommendation, status="accepted_in_part")
    factories.stage(
        recommendation=recommendation, status="accepted", date=datetime.date(2024, 5, 1)
    )
    shown = timeline(page(client, recommendation.get_absolute_url()))
    assert shown.count("Superseded by the later response below.") == 1
    assert shown.index("Superseded") < shown.index(">Accepted<")
