"""The comparison's column of what the Government did with the recommendations linked to
each ask, beside the organisation's own verdict on it, and the organisation page's
filters by government response and delivery."""

import csv
import datetime
import io
import re
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommendations.models import (
    Recommendation,
    Stage,
    furthest_delivery_is,
    government_response_is,
)
from responses.models import Ask, Organisation, ResponseDocument

from . import factories

HTMX = {"HX-Request": "true"}
COLUMN = "What the Government did"
TEXT = (
    "We call for better things. We want more of them. "
    "The Government's response fell short of what we asked."
)


def page(client, url: str, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> dict[int, str]:
    """Each row of the comparison by its ask's id."""
    found = re.findall(r'<tr class="govuk-table__row" id="ask-(\d+)">(.*?)</tr>', html, re.DOTALL)
    return {int(pk): row for pk, row in found}


def cell(row: str, label: str) -> str:
    return row.split(f'data-label="{label}">')[1].split("</td>")[0]


def words(html: str) -> str:
    """The text a reader sees, spaced as one line."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").split())


def day(year: int, month: int = 1, day_: int = 1) -> datetime.date:
    return datetime.date(year, month, day_)


@pytest.fixture
def sample(db):
    """One organisation whose asks are linked to recommendations at every point of what
    the Government did, and which gave its own verdict on the Government's response."""
    legislated = factories.recommendation()
    factories.stage(recommendation=legislated, status="accepted_in_part", date=day(2023, 2, 2))
    for status, date, precision in [
        ("in_progress", day(2024), "year"),
        ("legislated", day(2026, 4, 29), "day"),
        # Later, but not as far as the Act.
        ("in_progress", day(2026, 9), "month"),
    ]:
        factories.stage(
            recommendation=legislated,
            stage="delivery",
            status=status,
            date=date,
            date_precision=precision,
            summary=(
                "The Children's Wellbeing and Schools Act 2026 puts it in law."
                if status == "legislated"
                else "Pilots are under way."
            ),
        )
    superseded = factories.recommendation()
    factories.stage(recommendation=superseded, status="not_accepted", date=day(2023, 2, 2))
    factories.stage(
        recommendation=superseded, status="accepted", date=day(2024, 12), date_precision="month"
    )
    same_day = factories.recommendation()
    # Of two responses on one day, the one recorded last is the response.
    factories.stage(recommendation=same_day, status="accepted")
    factories.stage(recommendation=same_day, status="accepted_in_part")
    delivered_only = factories.recommendation()
    factories.stage(
        recommendation=delivered_only, stage="delivery", status="delivered", date=day(2023, 5, 1)
    )
    rejected = factories.recommendation()
    factories.stage(recommendation=rejected, status="not_accepted")
    factories.stage(
        recommendation=rejected,
        stage="delivery",
        status="legislation_in_progress",
        date=day(2025, 3, 13),
    )
    nothing = factories.recommendation()

    document = factories.document(text=TEXT)

    def linked(status: str, *recommendations):
        ask = factories.ask(document=document)
        factories.assessment(ask=ask, status=status, evidence=recommendations)
        return ask

    asks = {
        "legislated": linked("realised", legislated),
        "superseded and nothing": linked("partly", superseded, nothing),
        "delivered only": linked("partly", delivered_only),
        "rejected": linked("realised", rejected),
        "same day": linked("partly", same_day),
        "nothing": linked("partly", nothing),
        "absent": linked("absent"),
        "not assessed": factories.ask(document=document),
    }
    verdict = "The Government's response fell short of what we asked."
    for name, status in [("absent", "absent"), ("legislated", "partly")]:
        factories.government_assessment(
            ask=asks[name], status=status, judged_by="organisation", rationale=verdict
        )
    return {
        "organisation": document.organisation,
        "asks": asks,
        "recommendations": {"legislated": legislated, "nothing": nothing},
    }


# --- The column ------------------------------------------------------------------------------


def test_the_column_shows_a_linked_recommendations_response_and_furthest_delivery_in_words_with_dates(
    client, sample
):
    html = page(client, sample["organisation"].get_absolute_url())
    assert (
        f'<th scope="col" class="govuk-table__header app-comparison__government">{COLUMN}</th>'
        in html
    )
    column = cell(rows(html)[sample["asks"]["legislated"].pk], COLUMN)
    legislated = sample["recommendations"]["legislated"]
    assert f'href="/recommendations/{legislated.ref}/#what-happened-next"' in column
    assert (
        '<strong class="govuk-tag govuk-tag--yellow app-status">Accepted in part</strong>' in column
    )
    assert '<strong class="govuk-tag govuk-tag--green app-status">Legislated</strong>' in column
    assert words(column).startswith(
        f"{legislated.ref} {legislated.title} : what happened next "
        "Government response Accepted in part 2 February 2023 "
        "Furthest delivery Legislated 29 April 2026 "
        "The Children's Wellbeing and Schools Act 2026 puts it in law."
    )
    # In progress, later but not as far, is on the recommendation's own page.
    assert "In progress" not in column and "Pilots" not in column


def test_each_gap_in_what_the_government_did_is_said_in_words(client, sample):
    found = rows(page(client, sample["organisation"].get_absolute_url()))
    asks = sample["asks"]
    nothing = words(cell(found[asks["nothing"].pk], COLUMN))
    assert "No government response found, and no delivery on record." in nothing
    delivered_only = words(cell(found[asks["delivered only"].pk], COLUMN))
    assert "Government response No government response found" in delivered_only
    assert "Furthest delivery Delivered 1 May 2023" in delivered_only
    superseded = words(cell(found[asks["superseded and nothing"].pk], COLUMN))
    assert "Government response Accepted December 2024" in superseded
    assert "Not accepted" not in superseded
    assert "Furthest delivery Nothing delivered yet: no delivery on record" in superseded
    assert "No government response found, and no delivery on record." in superseded
    same_day = words(cell(found[asks["same day"].pk], COLUMN))
    assert "Government response Accepted in part 2 February 2023" in same_day
    for name in ("absent", "not assessed"):
        assert "No recommendation linked to this ask, so no government response to show." in (
            words(cell(found[asks[name].pk], COLUMN))
        )


def test_the_organisations_verdict_on_the_government_is_in_the_column_in_its_own_words(
    client, sample
):
    row = rows(page(client, sample["organisation"].get_absolute_url()))[sample["asks"]["absent"].pk]
    column = words(cell(row, COLUMN))
    assert (
        "The organisation's verdict on the Government's response, not on the Final Report: "
        "Not taken up In its own words: The Government's response fell short of what we asked."
    ) in column
    # The Final Report's status stands alone, and the ask's own cell holds no verdict.
    status = cell(row, "Status and who judged")
    assert ">Absent</strong>" in status and "taken up" not in status
    assert "app-government" not in cell(row, "Asked for")


def test_the_theme_page_shows_the_column_and_a_recommendations_page_leaves_it_out_but_keeps_the_verdict(
    client, sample
):
    legislated = sample["recommendations"]["legislated"]
    theme = factories.theme()
    sample["asks"]["legislated"].themes.add(theme)
    on_theme = rows(page(client, theme.get_absolute_url()))[sample["asks"]["legislated"].pk]
    assert "Furthest delivery Legislated 29 April 2026" in words(cell(on_theme, COLUMN))

    html = page(client, legislated.get_absolute_url())
    assert "app-comparison__government" not in html
    (row,) = rows(html).values()
    assert "The organisation's verdict on the Government's response" in cell(row, "Asked for")


# --- The filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"government_response": "accepted"}, {"superseded and nothing"}),
        ({"government_response": "accepted_in_part"}, {"legislated", "same day"}),
        ({"government_response": "not_accepted"}, {"rejected"}),
        (
            {"government_response": "none"},
            {"superseded and nothing", "delivered only", "nothing"},
        ),
        ({"delivery": "delivered"}, {"legislated", "delivered only"}),
        ({"delivery": "in_progress"}, {"rejected"}),
        ({"delivery": "none"}, {"superseded and nothing", "same day", "nothing"}),
        ({"delivery": "none", "government_response": "accepted_in_part"}, {"same day"}),
        (
            {"delivery": "none", "status": "partly"},
            {"superseded and nothing", "same day", "nothing"},
        ),
        ({"delivery": "delivered", "status": "realised"}, {"legislated"}),
    ],
)
def test_each_filter_selects_the_asks_whose_linked_recommendations_got_that_far(
    client, sample, params, expected
):
    html = page(client, sample["organisation"].get_absolute_url() + "?" + urlencode(params))
    assert set(rows(html)) == {sample["asks"][name].pk for name in expected}


RESPONSE_OPTIONS = {
    "Accepted": "accepted",
    "Accepted in part": "accepted_in_part",
    "Not accepted": "not_accepted",
    None: "none",
}
DELIVERY_OPTIONS = {
    "Legislated": "delivered",
    "Delivered": "delivered",
    "Legislation in progress": "in_progress",
    "In progress": "in_progress",
    None: "none",
}


def shown(column: str) -> list[tuple[str, str]]:
    """What the column says the Government did with each linked recommendation, as the
    filters' options: (government response, delivery)."""
    found = []
    for block in column.split('<div class="app-stages">')[1:]:
        if "No government response found, and no delivery on record" in block:
            found.append(("none", "none"))
            continue
        response, delivery = (
            re.search(r'app-status">([^<]+)</strong>', dd)
            for dd in re.findall(r"<dd>(.*?)</dd>", block, re.DOTALL)
        )
        found.append(
            (
                RESPONSE_OPTIONS[response and response[1]],
                DELIVERY_OPTIONS[delivery and delivery[1]],
            )
        )
    return found


@pytest.mark.parametrize(
    "name, options, index",
    [
        ("government_response", RESPONSE_OPTIONS, 0),
        ("delivery", DELIVERY_OPTIONS, 1),
    ],
)
def test_on_the_corpus_each_filter_keeps_exactly_the_rows_whose_column_shows_that_option(
    client, corpus, name, options, index
):
    selected_somewhere = set()
    for organisation in Organisation.objects.all():
        url = organisation.get_absolute_url()
        everything = {pk: shown(cell(row, COLUMN)) for pk, row in rows(page(client, url)).items()}
        for option in set(options.values()):
            expected = {
                pk
                for pk, recommendations in everything.items()
                if any(got[index] == option for got in recommendations)
            }
            filtered = rows(page(client, f"{url}?{name}={option}"))
            assert set(filtered) == expected, (organisation.slug, option)
            if expected and expected != set(everything):
                selected_somewhere.add(option)
    assert selected_somewhere == set(options.values())


def test_the_filters_are_labelled_selects_in_the_pages_get_form(client, sample):
    html = page(client, sample["organisation"].get_absolute_url() + "?delivery=delivered")
    form = html.split('<form class="app-filters"')[1].split("</form>")[0]
    assert 'method="get"' in form and 'hx-push-url="true"' in form
    assert (
        '<label class="govuk-label" for="filter-government-response">'
        "Government response to a linked recommendation</label>"
    ) in form
    assert (
        '<select class="govuk-select" id="filter-government-response" name="government_response">'
        in form
    )
    assert (
        '<label class="govuk-label" for="filter-delivery">Delivery of a linked recommendation</label>'
        in form
    )
    assert '<option value="delivered" selected>Delivered or legislated</option>' in form
    assert '<option value="none">No government response found</option>' in form
    assert '<option value="none">Nothing delivered yet: no delivery on record</option>' in form


def test_a_filtered_comparison_comes_as_a_fragment_for_htmx(client, sample):
    url = sample["organisation"].get_absolute_url() + "?government_response=not_accepted"
    response = client.get(url, headers=HTMX)
    fragment = response.content.decode()
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="comparison">')
    assert "HX-Request" in response["Vary"]
    assert set(rows(fragment)) == {sample["asks"]["rejected"].pk}
    assert COLUMN in fragment and "Showing 1 ask" in fragment


def test_the_export_link_keeps_the_filters_and_exports_the_asks_listed(client, sample):
    url = sample["organisation"].get_absolute_url() + "?delivery=none&government_response=none"
    html = page(client, url)
    listed = set(rows(html))
    link = re.search(r'href="(/export/asks\.csv[^"]*)"', html)[1].replace("&amp;", "&")
    assert "delivery=none" in link and "government_response=none" in link
    response = client.get(link)
    exported = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert {int(row["ask_id"]) for row in exported} == listed
    names = {"superseded and nothing", "nothing"}
    assert listed == {sample["asks"][name].pk for name in names}


# Stage records as (stage, status, date): few dates, so that some fall on one day.
stage_records = st.lists(
    st.tuples(
        st.sampled_from(Stage).flatmap(
            lambda stage: st.tuples(st.just(stage), st.sampled_from(stage.statuses))
        ),
        st.sampled_from([day(2023, 2, 2), day(2024, 6, 1), day(2025, 1, 1)]),
    ),
    max_size=6,
)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    records=st.lists(stage_records, min_size=1, max_size=3),
    responses=st.sets(st.sampled_from(Stage.GOVERNMENT_RESPONSE.statuses)),
    deliveries=st.sets(st.sampled_from(Stage.DELIVERY.statuses)),
)
def test_in_sql_a_recommendations_response_and_furthest_delivery_are_those_its_page_shows(
    records, responses, deliveries
):
    with transaction.atomic():
        made = []
        for stages in records:
            recommendation = factories.recommendation()
            for (stage, status), date in stages:
                factories.stage(
                    recommendation=recommendation, stage=stage, status=status, date=date
                )
            made.append(recommendation)
        made = list(Recommendation.objects.filter(pk__in=[r.pk for r in made]).with_stages())

        def status(stage) -> str | None:
            return stage.status if stage else None

        def selected(condition) -> set[int]:
            return set(Recommendation.objects.filter(condition).values_list("pk", flat=True))

        # Given no statuses, a condition selects the gap: none on record.
        assert selected(government_response_is(responses)) == {
            r.pk for r in made if status(r.government_response_stage) in (responses or {None})
        }
        assert selected(furthest_delivery_is(deliveries)) == {
            r.pk for r in made if status(r.furthest_delivery_stage) in (deliveries or {None})
        }
        transaction.set_rollback(True)


# --- Queries ----------------------------------------------------------------------------------


def world_with_stages() -> Organisation:
    """An organisation of `factories.world`, with what the Government did with two of
    its three recommendations: a response and a delivery each."""
    (made,) = factories.world(size=1)
    linked = Recommendation.objects.filter(evidence__assessment__ask__document__organisation=made)
    for recommendation in linked.distinct().order_by("id")[:2]:
        factories.stage(recommendation=recommendation, status="accepted_in_part")
        factories.stage(recommendation=recommendation, stage="delivery", status="in_progress")
    return made


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, headers",
    [
        ("", {}),
        ("?government_response=accepted_in_part&delivery=delivered", HTMX),
        ("?government_response=none&delivery=none", {}),
    ],
)
def test_the_comparison_issues_the_same_queries_with_twice_the_asks_and_stages(
    client, django_assert_num_queries, query, headers
):
    organisation = world_with_stages()
    url = organisation.get_absolute_url() + query
    with CaptureQueriesContext(connection) as once:
        shown_once = rows(client.get(url, headers=headers).content.decode())
    assert shown_once

    # As much again, all the organisation's.
    more = world_with_stages()
    ResponseDocument.objects.filter(organisation=more).update(organisation=organisation)
    with django_assert_num_queries(len(once)):
        html = client.get(url, headers=headers).content.decode()
    assert len(rows(html)) == 2 * len(shown_once)


@pytest.mark.django_db
def test_a_theme_page_with_the_column_issues_the_same_queries_with_twice_the_asks_and_stages(
    client, django_assert_num_queries
):
    organisation = world_with_stages()
    asks = Ask.objects.filter(document__organisation=organisation)
    theme = asks.exclude(themes=None).first().themes.get()
    with CaptureQueriesContext(connection) as once:
        html = page(client, theme.get_absolute_url())
    shown_once = rows(html)
    assert shown_once and COLUMN in html

    more = world_with_stages()
    for ask in Ask.objects.filter(document__organisation=more).exclude(themes=None):
        ask.themes.set([theme])
    with django_assert_num_queries(len(once)):
        html = page(client, theme.get_absolute_url())
    assert len(rows(html)) == 2 * len(shown_once)
