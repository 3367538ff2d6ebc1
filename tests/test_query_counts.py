"""Every page and fragment issues as many SQL queries with ten times the data as with
the data once: nothing is fetched row by row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
