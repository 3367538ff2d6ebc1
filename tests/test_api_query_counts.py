"""Every API endpoint issues as many SQL queries with ten times the data as with the data
once: nothing is fetched row by row, whichever filters and sort a list is asked for."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import ApiToken
from recommendations.models import GovernmentStage
from responses.models import Ask

from . import factories

ENDPOINTS = [
    "organisations",
    "organisations by share realised",
    "organisations, next page",
    "organisation",
    "documents",
    "document",
    "asks",
    "asks filtered",
    "asks, next page",
    "ask",
    "recommendations",
    "recommendations by demand",
    "recommendation",
    "themes",
    "theme",
]


def urls(client, organisation) -> dict:
    """Each endpoint's URL, or a function that makes what it needs and gives its URL."""
    restating = Ask.objects.get(document__organisation=organisation, restates__isnull=False)
    recommendation = GovernmentStage.objects.filter(status="legislated").first().recommendation
    theme = restating.themes.get()
    return {
        "organisations": "/api/organisations",
        "organisations by share realised": "/api/organisations?sort=realised&limit=5",
        "organisations, next page": lambda: (
            factories.organisation(name="Zed", slug="zed"),
            client.get("/api/organisations?limit=1").json()["next"],
        )[1],
        "organisation": f"/api/organisations/{organisation.slug}",
        "documents": "/api/documents",
        "document": f"/api/documents/{restating.document_id}",
        "asks": "/api/asks",
        "asks filtered": "/api/asks?status=partly&delivery=delivered&theme=" + theme.slug,
        "asks, next page": client.get("/api/asks?limit=3").json()["next"],
        "ask": f"/api/asks/{restating.pk}",
        "recommendations": "/api/recommendations",
        "recommendations by demand": "/api/recommendations?sort=demand",
        "recommendation": f"/api/recommendations/{recommendation.ref}",
        "themes": "/api/themes",
        "theme": f"/api/themes/{theme.slug}",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", ENDPOINTS)
def test_endpoint_issues_the_same_queries_with_ten_times_the_data(
    client, django_assert_num_queries, name
):
    (organisation,) = factories.world(size=1)
    url = urls(client, organisation)[name]
    url = url() if callable(url) else url
    with CaptureQueriesContext(connection) as once:
        assert client.get(url).status_code == 200

    factories.world(size=9)
    with django_assert_num_queries(len(once)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.json()


@pytest.mark.django_db
def test_a_token_costs_the_same_queries_whatever_the_data(
    client, settings, django_user_model, django_assert_num_queries
):
    settings.CAREREVIEW_REQUIRE_LOGIN = True
    owner = django_user_model.objects.create_user("researcher")
    _, secret = ApiToken.objects.issue(name="Thesis", owner=owner)
    bearer = {"Authorization": f"Bearer {secret}"}
    factories.world(size=1)
    with CaptureQueriesContext(connection) as once:
        assert client.get("/api/asks", headers=bearer).status_code == 200

    factories.world(size=9)
    with django_assert_num_queries(len(once)):
        assert client.get("/api/asks", headers=bearer).status_code == 200
