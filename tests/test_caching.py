"""The data version and the pages cached under it: every way of writing gives the version a
fresh token, so no page is ever served from data that has changed; an unchanged page is
served from the cache, the same page as computed afresh."""

import csv
import io
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from browse import caching, views
from recommendations.models import Chapter, Recommendation, Source, Theme
from responses import assessments
from responses.models import Ask, Assessment, DataVersion, Organisation, Status

from . import factories

QUIET = {"stdout": io.StringIO(), "stderr": io.StringIO()}


def watched_tables() -> set[str]:
    """The tables of both apps whose rows pages show: every model's, many-to-many tables
    included, except history (simple_history's models carry `instance_type`) and the
    data version itself."""
    return {
        model._meta.db_table
        for label in ("recommendations", "responses")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if not hasattr(model, "instance_type") and model is not DataVersion
    }


def tables_renewing_the_version() -> set[str]:
    """The tables with a statement-level trigger that renews the data version on insert,
    update, delete and truncate, as the database reports them."""
    with connection.cursor() as cursor:
        # tgtype: bit 0 row-level; 4 insert, 8 delete, 16 update, 32 truncate.
        cursor.execute(
            "SELECT tgrelid::regclass::text FROM pg_trigger t JOIN pg_proc p "
            "ON p.oid = t.tgfoid WHERE p.proname = 'renew_data_version' "
            "AND t.tgtype & 1 = 0 AND t.tgtype & 60 = 60 AND t.tgenabled = 'O'"
        )
        return {table.strip('"') for (table,) in cursor.fetchall()}


@pytest.mark.django_db
def test_every_table_that_pages_show_renews_the_data_version_whenever_it_is_written():
    watched = watched_tables()
    assert {"responses_ask", "responses_ask_themes", "recommendations_source"} <= watched
    assert tables_renewing_the_version() == watched


# Each write: what it needs is made before its `yield`, the write itself after.


def saving_a_model():
    organisation = factories.organisation()
    yield
    organisation.name = "Renamed"
    organisation.save()


def bulk_creating():
    document = factories.document()
    yield
    Ask.objects.bulk_create(
        [Ask(document=document, position=1, text="We call for better things.", title="An ask")]
    )


def updating_a_queryset():
    factories.assessment()
    yield
    Assessment.objects.update(rationale="Changed.")


def deleting_a_queryset():
    factories.theme()
    yield
    Theme.objects.all().delete()


def adding_to_a_many_to_many():
    ask, theme = factories.ask(), factories.theme()
    yield
    ask.themes.add(theme)


def removing_from_a_many_to_many():
    recommendation, theme = factories.recommendation(), factories.theme()
    recommendation.themes.add(theme)
    yield
    recommendation.themes.remove(theme)


def raw_sql():
    factories.chapter()
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Chapter._meta.db_table} SET title = 'Renamed'")


def loading_the_corpus():
    yield
    call_command("load_corpus", **QUIET)


def seeding_a_synthetic_corpus():
    call_command("load_corpus", **QUIET)
    yield
    call_command("seed_synthetic", "--organisations", "2", "--seed", "1", **QUIET)


def clearing_the_synthetic_corpus():
    call_command("load_corpus", **QUIET)
    call_command("seed_synthetic", "--organisations", "2", "--seed", "1", **QUIET)
    yield
    call_command("seed_synthetic", "--clear", **QUIET)


def adding_a_source():
    recommendation = factories.recommendation()
    yield
    Source.objects.create(recommendation=recommendation, url="https://example.org/")


def judging_the_governments_response():
    ask = factories.ask()
    yield
    assessments.record_government(ask=ask, status="absent", judged_by="editorial")


def adding_round_2_to_an_earlier_corpus():
    call_command("loaddata", "recommendations.json", "responses.json", verbosity=0)
    yield
    call_command("load_corpus", **QUIET)


def correcting_a_stages_quote():
    stage = factories.stage(quotes=[("We will.", "https://example.org/")])
    yield
    stage.quotes.update(text="We will, in time.")


WRITES = [
    saving_a_model,
    bulk_creating,
    updating_a_queryset,
    deleting_a_queryset,
    adding_to_a_many_to_many,
    removing_from_a_many_to_many,
    raw_sql,
    loading_the_corpus,
    seeding_a_synthetic_corpus,
    clearing_the_synthetic_corpus,
    adding_a_source,
    judging_the_governments_response,
    adding_round_2_to_an_earlier_corpus,
    correcting_a_stages_quote,
]


@pytest.mark.django_db
@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
def test_every_way_of_writing_gives_the_data_version_a_fresh_token(write):
    steps = write()
    next(steps)
    before = caching.data_version()
    next(steps, None)
    assert caching.data_version() != before


@pytest.mark.django_db
def test_reading_leaves_the_data_version_as_it_was(corpus, client):
    before = caching.data_version()
    for url in ("/", "/recommendations/", "/themes/", "/organisations/"):
        assert client.get(url).status_code == 200
    assert caching.data_version() == before


@pytest.mark.django_db
def test_a_rolled_back_write_gives_back_the_token_of_the_data_it_gives_back():
    theme = factories.theme()
    before = caching.data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Theme.objects.filter(pk=theme.pk).update(name="Renamed")
        assert caching.data_version() != before
        raise RuntimeError("rolled back")
    assert caching.data_version() == before


@pytest.mark.django_db
def test_a_data_version_whose_row_is_gone_comes_back_with_a_fresh_token():
    before = caching.data_version()
    # As a flush leaves it: every table emptied, the version's row with them.
    DataVersion.objects.all().delete()
    after = caching.data_version()
    assert after != before
    factories.theme()
    assert caching.data_version() != after


@pytest.mark.django_db
def test_cached_computes_once_per_state_of_the_data(rf):
    computed = []

    def compute():
        computed.append(Theme.objects.count())
        return computed[-1]

    assert caching.cached(rf.get("/themes/"), compute=compute) == 0
    assert caching.cached(rf.get("/themes/"), compute=compute) == 0
    assert computed == [0]
    factories.theme()
    assert caching.cached(rf.get("/themes/"), compute=compute) == 1
    assert computed == [0, 1]


@pytest.mark.django_db
def test_cached_keeps_apart_what_different_paths_and_parameters_compute_but_not_their_order(rf):
    def cached(url, value):
        return caching.cached(rf.get(url), compute=lambda: value)

    assert cached("/a/?status=absent&page=2", "first") == "first"
    assert cached("/a/?page=2&status=absent", "second") == "first"
    assert cached("/a/?status=absent&page=3", "third") == "third"
    assert cached("/b/?status=absent&page=2", "fourth") == "fourth"
    # A parameter that no view reads today still has an entry of its own.
    assert cached("/a/?status=absent&page=2&sort=new", "fifth") == "fifth"
    # Of a repeated parameter a view reads the last value: their order is kept.
    assert cached("/a/?status=absent&status=partly", "sixth") == "sixth"
    assert cached("/a/?status=partly&status=absent", "seventh") == "seventh"


# The pages that are cached.

HTMX = {"HX-Request": "true"}


def cached_pages() -> dict[str, tuple[str, dict]]:
    theme = Theme.objects.get(slug="rights-and-equality").get_absolute_url()
    return {
        "overview": ("/", {}),
        "organisations": ("/organisations/", {}),
        "organisations by share realised": ("/organisations/?sort=realised", HTMX),
        "recommendations": ("/recommendations/", {}),
        "recommendations by demand": ("/recommendations/?sort=demand", HTMX),
        "recommendation": ("/recommendations/5.2/", {}),
        "recommendation second page": ("/recommendations/5.2/?page=2", HTMX),
        "theme": (theme, {}),
        "theme filtered": (f"{theme}?status=absent", HTMX),
        "theme second page": (f"{theme}?page=2", {}),
        "what happened": ("/what-happened/", {}),
        "what happened filtered": ("/what-happened/?response=none&sort=delivery", HTMX),
        "organisation": (Organisation.objects.order_by("pk").first().get_absolute_url(), {}),
        "themes": ("/themes/", {}),
        "search": ("/search/?q=family+help", {}),
        "search fragment": ("/search/?q=stayng+close", HTMX),
    }


def without_nonces(html: str) -> str:
    """The page without what differs on every response: the CSP nonce."""
    return re.sub(r'nonce="[^"]*"', 'nonce=""', html)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "overview",
        "organisations",
        "organisations by share realised",
        "recommendations",
        "recommendations by demand",
        "recommendation",
        "recommendation second page",
        "theme",
        "theme filtered",
        "theme second page",
        "what happened",
        "what happened filtered",
        "organisation",
        "themes",
        "search",
        "search fragment",
    ],
)
def test_an_unchanged_page_comes_from_the_cache_the_same_as_computed_afresh(
    corpus, client, monkeypatch, name
):
    # Pages of one ask, so that a theme and a recommendation have a second page.
    monkeypatch.setattr(views, "ASKS_PER_PAGE", 1)
    url, headers = cached_pages()[name]
    with CaptureQueriesContext(connection) as afresh:
        first = client.get(url, headers=headers)
    with CaptureQueriesContext(connection) as again:
        second = client.get(url, headers=headers)
    assert first.status_code == second.status_code == 200
    assert without_nonces(second.content.decode()) == without_nonces(first.content.decode())
    # The data version alone: the page is kept whole.
    read = [query["sql"] for query in again.captured_queries]
    assert len(read) < len(afresh.captured_queries)
    assert len(read) == 1
    assert "responses_dataversion" in read[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["overview", "organisations by share realised", "recommendation second page", "theme"]
)
def test_a_page_asked_with_another_parameter_is_computed_afresh_not_taken_from_the_cache(
    corpus, client, monkeypatch, name
):
    monkeypatch.setattr(views, "ASKS_PER_PAGE", 1)
    url, headers = cached_pages()[name]
    assert client.get(url, headers=headers).status_code == 200
    # Parameters the view does not read: it cannot forget to key on them either.
    other = f"{url}{'&' if '?' in url else '?'}unread=1"
    with CaptureQueriesContext(connection) as queries:
        assert client.get(other, headers=headers).status_code == 200
    assert len(queries.captured_queries) > 1


@pytest.mark.django_db
def test_a_kept_page_carries_each_responses_own_nonce_that_its_policy_names(corpus, client):
    nonces = []
    for _ in range(2):
        response = client.get("/recommendations/")
        in_page = set(re.findall(r'nonce="([^"]+)"', response.content.decode()))
        assert len(in_page) == 1
        assert f"'nonce-{next(iter(in_page))}'" in response["Content-Security-Policy"]
        assert "\x00" not in response.content.decode()
        nonces += in_page
    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_a_signed_in_users_page_is_made_afresh_and_never_shown_to_others(
    corpus, client, admin_client
):
    assert "Signed in as" not in client.get("/organisations/").content.decode()
    # Kept for visitors, the page is still made for the user, whose name it shows...
    assert "Signed in as admin" in admin_client.get("/organisations/").content.decode()
    # ...and what was made for the user is never kept for visitors.
    assert "Signed in as" not in client.get("/organisations/").content.decode()


@pytest.mark.django_db
def test_a_fragment_and_its_whole_page_are_kept_apart(corpus, client):
    for _ in range(2):
        whole = client.get("/organisations/").content.decode()
        fragment = client.get("/organisations/", headers=HTMX).content.decode()
        assert "<html" in whole and "<html" not in fragment
        restored = client.get(
            "/organisations/", headers=HTMX | {"HX-History-Restore-Request": "true"}
        ).content.decode()
        assert "<html" in restored


@pytest.mark.django_db
def test_a_page_kept_yesterday_is_made_afresh_with_todays_date(corpus, client, monkeypatch):
    import datetime

    monkeypatch.setattr(caching.timezone, "localdate", lambda: datetime.date(2026, 11, 29))
    client.get("/themes/")
    monkeypatch.setattr(caching.timezone, "localdate", lambda: datetime.date(2026, 11, 30))
    with CaptureQueriesContext(connection) as queries:
        client.get("/themes/")
    assert len(queries.captured_queries) > 1


@pytest.mark.django_db
def test_two_pages_of_a_theme_never_share_an_entry(corpus, client, monkeypatch):
    monkeypatch.setattr(views, "ASKS_PER_PAGE", 1)
    theme, _ = cached_pages()["theme"]
    first, second = (client.get(f"{theme}?page={n}").content.decode() for n in (1, 2))
    assert re.findall(r'id="ask-\d+"', first) != re.findall(r'id="ask-\d+"', second)


# Every kind of write shows on the pages at once.


def overview_figures(client) -> str:
    html = client.get("/").content.decode()
    return re.search(r'<dl class="app-totals">.*?</dl>', html, re.DOTALL).group(0)


@pytest.mark.django_db
def test_a_judgement_recorded_shows_at_once_on_the_overview_and_the_recommendations_pages(
    corpus, client
):
    figures = overview_figures(client)
    listed = client.get("/recommendations/?sort=demand").content.decode()
    ask = Ask.objects.counted().filter(assessment__isnull=True).first()
    assert f'id="ask-{ask.pk}"' not in client.get("/recommendations/5.2/").content.decode()
    recommendation = Recommendation.objects.get(ref="5.2")
    assessments.record(
        ask=ask,
        status=Status.REALISED,
        judged_by="editorial",
        rationale="Now judged.",
        evidence=[(recommendation, recommendation.text[:25])],
    )
    assert overview_figures(client) != figures
    assert client.get("/recommendations/?sort=demand").content.decode() != listed
    assert f'id="ask-{ask.pk}"' in client.get("/recommendations/5.2/").content.decode()


@pytest.mark.django_db
def test_a_judgement_changed_in_admin_shows_at_once_on_its_theme_page(corpus, admin_client):
    assessment = Assessment.objects.filter(
        status=Status.ABSENT, judged_by="editorial", ask__themes__isnull=False
    ).first()
    url = f"{assessment.ask.themes.first().get_absolute_url()}?status=unclear"
    before = admin_client.get(url).content.decode()
    assert f'id="ask-{assessment.ask_id}"' not in before
    response = admin_client.post(
        reverse("admin:responses_assessment_judge", args=[assessment.ask_id]),
        factories.judge_form(assessment, status=Status.UNCLEAR),
    )
    assert response.status_code == 302
    assert f'id="ask-{assessment.ask_id}"' in admin_client.get(url).content.decode()


@pytest.mark.django_db
def test_a_title_changed_by_a_queryset_update_shows_at_once_on_the_recommendations(corpus, client):
    assert "A new title" not in client.get("/recommendations/").content.decode()
    Recommendation.objects.filter(ref="5.2").update(title="A new title")
    assert "A new title" in client.get("/recommendations/").content.decode()


@pytest.mark.django_db
def test_judgements_imported_show_at_once_on_the_overview(corpus, client, tmp_path):
    figures = overview_figures(client)
    body = b"".join(client.get(reverse("export_asks")).streaming_content).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    unassessed = next(row for row in rows if row["status"] == Status.NOT_ASSESSED)
    unassessed.update(status=Status.ABSENT, judged_by="editorial", rationale="Left out.")
    path = tmp_path / "asks.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = caching.data_version()
    call_command("import_assessments", str(path), **QUIET)
    assert caching.data_version() != before
    assert overview_figures(client) != figures


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/organisations/", "/organisations/?sort=realised"])
def test_an_organisation_renamed_shows_at_once_on_the_pages_that_list_it(corpus, client, url):
    assert "Become Renamed" not in client.get(url).content.decode()
    Organisation.objects.filter(slug="become").update(name="Become Renamed")
    assert "Become Renamed" in client.get(url).content.decode()
