"""The read-only JSON API: the pages' data and filters, paginated by cursor, with
conditional requests, tokens where sign-in is needed, throttling, and every error a
problem in JSON."""

import pytest
from django.test import override_settings

from api import access, endpoints
from api.models import ApiToken
from browse.export import exported_asks
from browse.filters import AskFilterForm, OrganisationFilterForm, RecommendationFilterForm
from recommendations.models import GovernmentStage
from responses.models import Ask, Organisation

from . import factories

PROBLEM = "application/problem+json"


def everything(client, url: str) -> list[dict]:
    """Every row of a list, following `next` from page to page."""
    rows = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        page = response.json()
        rows += page["results"]
        url = page["next"]
    return rows


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"] == "about:blank"
    assert problem["title"] and problem["detail"]
    return problem


@pytest.mark.django_db
def test_following_next_reads_every_ask_once_in_a_stable_order(client):
    factories.world(size=3)
    rows = everything(client, "/api/asks?limit=4")
    expected = list(
        exported_asks().order_by("document_id", "position", "id").values_list("pk", flat=True)
    )
    assert [row["id"] for row in rows] == expected
    assert len(expected) > 8


@pytest.mark.django_db
def test_a_page_written_to_meanwhile_neither_repeats_nor_skips_a_row(client):
    factories.world(size=2)
    first = client.get("/api/themes?limit=1").json()
    # A theme sorting before the page's last is new to nobody's next page.
    factories.theme(name="AAA first", slug="aaa-first")
    rest = everything(client, first["next"])
    seen = [row["slug"] for row in first["results"] + rest]
    assert "aaa-first" not in seen
    assert len(seen) == len(set(seen)) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["status=absent", "status=partly&judged_by=organisation", "delivery=delivered"]
)
def test_ask_filters_select_what_the_page_and_asks_csv_select(client, query):
    factories.world(size=2)
    rows = everything(client, f"/api/asks?{query}")
    form = AskFilterForm(dict(pair.split("=") for pair in query.split("&")))
    assert sorted(row["id"] for row in rows) == sorted(
        exported_asks(form).values_list("pk", flat=True)
    )
    assert rows


@pytest.mark.django_db
def test_organisations_sorted_by_share_realised_page_in_that_order(client):
    factories.world(size=4)
    rows = everything(client, "/api/organisations?sort=realised&limit=3")
    form = OrganisationFilterForm({"sort": "realised"})
    expected = form.filter(Organisation.objects.with_status_counts())
    assert [row["slug"] for row in rows] == [o.slug for o in expected]


@pytest.mark.django_db
def test_recommendations_sorted_by_demand_page_in_that_order(client):
    factories.world(size=3)
    rows = everything(client, "/api/recommendations?sort=demand&limit=2")
    assert [row["demand"] for row in rows] == sorted((row["demand"] for row in rows), reverse=True)
    assert len(rows) == len({row["ref"] for row in rows}) == 9


@pytest.mark.django_db
def test_the_schema_offers_each_filter_of_the_pages_forms_with_its_choices(client):
    schema = client.get("/api/openapi.json").json()
    for path, form in [
        ("/api/asks", AskFilterForm),
        ("/api/organisations", OrganisationFilterForm),
        ("/api/recommendations", RecommendationFilterForm),
    ]:
        parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert set(parameters) == {*form.base_fields, "limit", "cursor"}
    status = {p["name"]: p for p in schema["paths"]["/api/asks"]["get"]["parameters"]}["status"]
    choices = status["schema"]["anyOf"][0]["enum"]
    assert choices == [value for value, _ in AskFilterForm.base_fields["status"].choices if value]


@pytest.mark.django_db
def test_a_choice_the_form_does_not_offer_is_a_422_problem_naming_it(client):
    problem = assert_problem(client.get("/api/asks?status=glorious"), 422)
    assert [error["parameter"] for error in problem["errors"]] == ["status"]


@pytest.mark.django_db
def test_a_value_the_form_refuses_beyond_its_type_is_a_422_problem(client):
    # NUL passes as a string, but no form field takes it.
    problem = assert_problem(client.get("/api/asks?recommendation=1%002"), 422)
    assert problem["errors"][0]["parameter"] == "recommendation"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/asks?limit=0", "/api/asks?limit=1000", "/api/asks?document=x"]
)
def test_a_parameter_of_the_wrong_type_or_range_is_a_422_problem(client, url):
    assert_problem(client.get(url), 422)


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "eyJvcmRlciI6WyJpZCJdfQ"])
def test_a_cursor_the_list_did_not_give_is_a_400_problem(client, cursor):
    problem = assert_problem(client.get(f"/api/themes?cursor={cursor}"), 400)
    assert problem["errors"][0]["parameter"] == "cursor"


@pytest.mark.django_db
def test_a_cursor_from_another_sort_is_a_400_problem(client):
    factories.world(size=3)
    following = client.get("/api/organisations?sort=realised&limit=1").json()["next"]
    assert_problem(client.get(following.replace("sort=realised", "sort=")), 400)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/organisations/nobody",
        "/api/asks/999999",
        "/api/documents/999999",
        "/api/recommendations/99.9",
        "/api/themes/nothing",
        "/api/nowhere",
        "/api/asks/1/more",
    ],
)
def test_what_is_not_there_is_a_404_problem_not_a_page(client, url):
    assert_problem(client.get(url), 404)


@pytest.mark.django_db
def test_a_method_the_api_does_not_take_is_a_405_problem(client):
    response = client.post("/api/asks", {"status": "absent"})
    assert_problem(response, 405)
    assert response["Allow"] == "GET"


@pytest.mark.django_db
def test_a_server_error_is_a_500_problem_with_the_requests_reference(client, monkeypatch):
    def broken(form):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(endpoints, "exported_asks", broken)
    response = client.get("/api/asks")
    problem = assert_problem(response, 500)
    assert response["X-Request-ID"] in problem["detail"]
    assert "database" not in problem["detail"]


@pytest.mark.django_db
def test_judgements_say_who_made_them_and_what_the_government_did(client):
    (organisation,) = factories.world(size=1)
    restating = Ask.objects.get(document__organisation=organisation, restates__isnull=False)
    ask = client.get(f"/api/asks/{restating.pk}").json()
    assert ask["status"] == "partly"
    assert ask["assessment"]["judged_by"] == "organisation"
    assert ask["assessment"]["judged_by_label"] == "The organisation itself"
    [evidence] = ask["assessment"]["evidence"]
    government = evidence["government"]
    assert government["government_response"]["status"] == "accepted_in_part"
    assert government["furthest_delivery"]["status"] == "legislated"
    verdict = ask["government_assessment"]
    assert (verdict["status"], verdict["status_label"]) == ("absent", "Not taken up")
    assert verdict["judged_by"] == "editorial"
    assert ask["restates"] == restating.restates_id


@pytest.mark.django_db
def test_an_ask_nobody_judged_has_no_assessment(client):
    ask = factories.ask()
    answer = client.get(f"/api/asks/{ask.pk}").json()
    assert (answer["status"], answer["assessment"]) == ("not_assessed", None)


@pytest.mark.django_db
def test_a_recommendation_comes_with_its_sources_stages_and_quotes(client):
    factories.world(size=1)
    legislated = GovernmentStage.objects.get(status="legislated")
    answer = client.get(f"/api/recommendations/{legislated.recommendation.ref}").json()
    assert [stage["status"] for stage in answer["stages"]] == ["accepted_in_part", "legislated"]
    assert answer["stages"][1]["quotes"] == [
        {"text": "We will legislate.", "url": "https://example.org/response"}
    ]
    assert answer["sources"] == [
        {"about": "wording", "url": "https://example.org/source", "quote": "loving home"}
    ]
    assert answer["government"]["furthest_delivery"]["date_display"] == "2025"
    assert answer["demand"] == 1


@pytest.mark.django_db
def test_a_document_comes_with_its_text_and_asks(client):
    ask = factories.ask()
    answer = client.get(f"/api/documents/{ask.document_id}").json()
    assert answer["text"] == ask.document.text
    assert [a["id"] for a in answer["asks"]] == [ask.pk]
    listed = client.get("/api/documents").json()["results"]
    assert "text" not in listed[0]


@pytest.mark.django_db
def test_an_unchanged_list_answers_304_to_its_etag_or_date_and_200_once_data_changes(client):
    factories.world(size=1)
    first = client.get("/api/themes")
    etag, modified = first["ETag"], first["Last-Modified"]
    again = client.get("/api/themes", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert client.get("/api/themes", headers={"If-Modified-Since": modified}).status_code == 304

    factories.theme()
    changed = client.get("/api/themes", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert len(changed.json()["results"]) == 2


@pytest.fixture
def sign_in_needed(settings):
    settings.CAREREVIEW_REQUIRE_LOGIN = True


@pytest.mark.django_db
@pytest.mark.usefixtures("sign_in_needed")
@pytest.mark.parametrize("url", ["/api/asks", "/api/openapi.json", "/api/docs", "/api/"])
def test_where_sign_in_is_needed_a_stranger_gets_a_401_problem_not_a_redirect(client, url):
    response = client.get(url)
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
@pytest.mark.usefixtures("sign_in_needed")
def test_a_token_issued_reads_until_it_is_revoked(client, django_user_model):
    owner = django_user_model.objects.create_user("researcher")
    token, secret = ApiToken.objects.issue(name="Thesis", owner=owner)
    bearer = {"Authorization": f"Bearer {secret}"}
    response = client.get("/api/themes", headers=bearer)
    assert response.status_code == 200
    assert "Authorization" in response["Vary"]
    token.refresh_from_db()
    assert token.last_used is not None
    # Only its hash is kept.
    assert secret not in str(ApiToken.objects.values().get())

    ApiToken.objects.filter(pk=token.pk).revoke()
    assert_problem(client.get("/api/themes", headers=bearer), 401)
    assert_problem(client.get("/api/themes", headers={"Authorization": "Bearer nope"}), 401)


@pytest.mark.django_db
def test_a_wrong_token_is_refused_even_where_the_api_is_open(client):
    assert client.get("/api/themes").status_code == 200
    assert_problem(client.get("/api/themes", headers={"Authorization": "Bearer nope"}), 401)


@pytest.mark.django_db
def test_a_client_over_its_rate_gets_a_429_problem_with_retry_after(client, monkeypatch):
    monkeypatch.setattr(access.THROTTLE, "num_requests", 2)
    assert client.get("/api/themes").status_code == 200
    assert client.get("/api/themes/x").status_code == 404
    response = client.get("/api/themes")
    assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another address is another client.
    assert client.get("/api/themes", REMOTE_ADDR="192.0.2.9").status_code == 200


@pytest.mark.django_db
@override_settings(CAREREVIEW_REQUIRE_LOGIN=True)
def test_admin_issues_a_token_showing_its_secret_once_and_revokes_it(admin_client):
    response = admin_client.post(
        "/admin/api/apitoken/add/", {"name": "Notebook", "owner": _admin_id(admin_client)}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    secret = response.context["secret"]
    assert secret.startswith(token.shown) and secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert ApiToken.objects.authenticate(secret) == token
    assert (
        secret not in admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    )

    admin_client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert ApiToken.objects.authenticate(secret) is None


def _admin_id(admin_client) -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin").pk


@pytest.mark.django_db
@pytest.mark.usefixtures("sign_in_needed")
def test_someone_signed_in_reads_the_api_and_its_docs_without_a_token(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("editor"))
    assert client.get("/api/themes").status_code == 200
    assert client.get("/api/docs").status_code == 200
