"""Every page and fragment issues as many SQL queries with ten times the data as with
the data once: nothing is fetched row by row."""

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from browse import views
from recommendations.models import Recommendation
from responses.models import Ask

from . import factories

HTMX = {"HX-Request": "true"}
PAGE_NAMES = [
    "overview",
    "organisations",
    "organisations fragment",
    "comparison",
    "comparison fragment",
    "expanded row",
    "expanded row without javascript",
    "expanded beside the document",
    "source reader",
    "recommendations",
    "recommendations fragment",
    "recommendation",
    "themes",
    "theme",
    "theme fragment",
    "search",
    "search fragment",
]


def pages(organisation):
    document = organisation.documents.order_by("id").last()
    absent = Ask.objects.get(document__organisation=organisation, assessment__status="absent")
    theme = absent.themes.get()
    recommendation = theme.recommendations.first()
    slug = organisation.get_absolute_url()
    return {
        "overview": ("/", {}),
        "organisations": ("/organisations/", {}),
        "organisations fragment": ("/organisations/?sort=realised", HTMX),
        "comparison": (slug, {}),
        "comparison fragment": (f"{slug}?status=absent", HTMX),
        "expanded row": (f"{slug}?expand={absent.pk}", HTMX),
        "expanded row without javascript": (f"{slug}?expand={absent.pk}", {}),
        "expanded beside the document": (
            f"{slug}?expand={absent.pk}",
            HTMX | {"HX-Target": "comparison-panel"},
        ),
        "source reader": (document.get_absolute_url(), {}),
        "recommendations": ("/recommendations/", {}),
        "recommendations fragment": ("/recommendations/?sort=demand", HTMX),
        "recommendation": (recommendation.get_absolute_url(), {}),
        "themes": ("/themes/", {}),
        "theme": (theme.get_absolute_url(), {}),
        "theme fragment": (f"{theme.get_absolute_url()}?status=partly", HTMX),
        "search": ("/search/?q=better+things", {}),
        "search fragment": ("/search/?q=organisatoin", HTMX),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_issues_the_same_queries_with_ten_times_the_data(
    client, django_assert_num_queries, name
):
    (organisation,) = factories.world(size=1)
    url, headers = pages(organisation)[name]
    with CaptureQueriesContext(connection) as once:
        assert client.get(url, headers=headers).status_code == 200

    factories.world(size=9)
    with django_assert_num_queries(len(once)):
        response = client.get(url, headers=headers)
    assert response.status_code == 200


SECOND_PAGE_NAMES = [
    "organisations",
    "organisations fragment",
    "recommendation",
    "recommendation fragment",
    "themes",
    "themes fragment",
    "theme",
    "theme fragment",
]


def second_pages(organisation):
    theme = (
        Ask.objects.filter(document__organisation=organisation).exclude(themes=None)[0].themes.get()
    )
    # Cited by two of the organisation's asks: the one it realises and the restated one.
    recommendation = Recommendation.objects.annotate(citing=Count("evidence")).get(
        themes=theme, citing=2
    )
    return {
        "organisations": ("/organisations/?page=2", {}),
        "organisations fragment": ("/organisations/?sort=realised&page=2", HTMX),
        "recommendation": (f"{recommendation.get_absolute_url()}?page=2", {}),
        "recommendation fragment": (f"{recommendation.get_absolute_url()}?page=2", HTMX),
        "themes": ("/themes/?page=2", {}),
        "themes fragment": ("/themes/?page=2", HTMX),
        "theme": (f"{theme.get_absolute_url()}?page=2", {}),
        "theme fragment": (f"{theme.get_absolute_url()}?status=partly&page=2", HTMX),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", SECOND_PAGE_NAMES)
def test_a_second_page_issues_the_same_queries_with_ten_times_the_data(
    client, django_assert_num_queries, monkeypatch, name
):
    # Pages of one, so that the smaller world already has a second page of everything.
    for size in ("ASKS_PER_PAGE", "ORGANISATIONS_PER_PAGE", "MATRIX_COLUMNS_PER_PAGE"):
        monkeypatch.setattr(views, size, 1)
    organisation, _ = factories.world(size=2)
    url, headers = second_pages(organisation)[name]
    with CaptureQueriesContext(connection) as once:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert 'aria-current="page">2</a>' in response.content.decode()

    factories.world(size=18)
    with django_assert_num_queries(len(once)):
        response = client.get(url, headers=headers)
    assert response.status_code == 200
