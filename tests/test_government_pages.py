"""What happened next: a recommendation's timeline of what the Government did, the page of
every recommendation's government response and delivery, the overview's chain from ask to
delivery, and search finding the stages' summaries."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from recommendations.models import GovernmentStage, Recommendation, StageStatus
from responses.models import Ask

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


# --- What happened to every recommendation --------------------------------------------------


def statuses_from_stage_rows() -> dict[int, tuple[str | None, str | None]]:
    """Each recommendation's government response and furthest delivery, worked out here
    from the stage rows themselves: the latest response, and the furthest delivery (of
    two as far, the later; on one day, the first recorded)."""
    responses, deliveries = {}, {}
    for stage in GovernmentStage.objects.filter(stage="government_response").order_by("date", "id"):
        responses[stage.recommendation_id] = stage.status
    for stage in GovernmentStage.objects.filter(stage="delivery").order_by("-date", "id"):
        best = deliveries.get(stage.recommendation_id)
        if best is None or StageStatus(stage.status).rank < StageStatus(best).rank:
            deliveries[stage.recommendation_id] = stage.status
    return {
        pk: (responses.get(pk), deliveries.get(pk))
        for pk in Recommendation.objects.values_list("pk", flat=True)
    }


def listed_refs(html: str) -> list[str]:
    """The refs of the recommendations the results list, in their order."""
    results = html[html.index('<div id="results">') :]
    return re.findall(r'<td class="govuk-table__cell">([^<]+)</td>\s*<th scope="row"', results)


def refs(pks) -> set[str]:
    return set(Recommendation.objects.filter(pk__in=pks).values_list("ref", flat=True))


def test_the_counts_per_status_are_those_of_the_stage_rows(corpus, client):
    found = statuses_from_stage_rows()
    html = page(client, "/what-happened/")
    shown = {
        (name, value): int(count)
        for name, value, count in re.findall(
            r'href="/what-happened/\?(response|delivery)=(\w+)">(\d+)<', html
        )
    }
    expected = {}
    for response, delivery in found.values():
        for key in (("response", response or "none"), ("delivery", delivery or "none")):
            expected[key] = expected.get(key, 0) + 1
    assert shown == {key: expected.get(key, 0) for key in shown}
    assert set(expected) <= set(shown)
    # The corpus as README.md counts it: 29 responses and 25 recommendations with delivery.
    assert shown[("response", "none")] == 21 and shown[("delivery", "none")] == 25
    # The charts' text alternatives say the same numbers.
    assert ": 10 accepted, 15 accepted in part, 4 not accepted, 21 no government response" in html
    assert (
        ": 6 legislated, 6 delivered, 2 legislation in progress, 11 in progress, 25 nothing" in html
    )


def test_the_gap_links_list_the_recommendations_in_each_gap(corpus, client):
    found = statuses_from_stage_rows()
    html = page(client, "/what-happened/")
    gaps = {
        text: href.replace("&amp;", "&")
        for href, text in re.findall(r'<li><a class="govuk-link" href="([^"]+)">([^<]+)</a>', html)
    }
    accepted = page(client, gaps["Accepted (in full or in part), nothing delivered yet"])
    assert (
        set(listed_refs(accepted))
        == refs(
            pk
            for pk, (response, delivery) in found.items()
            if response in ("accepted", "accepted_in_part") and delivery is None
        )
        == {"3.x1", "4.x6", "4.x7", "5.x3", "5.x5", "5.x6", "8.x2", "9.x1"}
    )
    assert "nothing delivered yet</a>: 8 recommendations</li>" in html
    assert "No government response found</a>: 21 recommendations</li>" in html
    unanswered = page(client, gaps["No government response found"])
    assert set(listed_refs(unanswered)) == refs(
        pk for pk, (response, _) in found.items() if response is None
    )
    assert len(listed_refs(unanswered)) == 21


@pytest.mark.parametrize(
    "name, value",
    [
        ("response", "accepted"),
        ("response", "accepted_in_part"),
        ("response", "not_accepted"),
        ("response", "accepted_any"),
        ("response", "none"),
        ("delivery", "legislated"),
        ("delivery", "delivered"),
        ("delivery", "legislation_in_progress"),
        ("delivery", "in_progress"),
        ("delivery", "none"),
    ],
)
def test_each_status_filter_lists_the_recommendations_with_that_status(corpus, client, name, value):
    index = 0 if name == "response" else 1
    wanted = {"accepted_any": ("accepted", "accepted_in_part"), "none": (None,)}.get(
        value, (value,)
    )
    expected = refs(
        pk for pk, found in statuses_from_stage_rows().items() if found[index] in wanted
    )
    assert expected
    assert set(listed_refs(page(client, f"/what-happened/?{name}={value}"))) == expected


def test_chapter_and_theme_filters_narrow_the_list_and_combine_with_a_status(corpus, client):
    chapter = page(client, "/what-happened/?chapter=6")
    assert set(listed_refs(chapter)) == {f"6.x{n}" for n in range(1, 11)}
    themed = page(client, "/what-happened/?theme=family-networks-and-kinship&delivery=none")
    expected = refs(
        pk
        for pk, (_, delivery) in statuses_from_stage_rows().items()
        if delivery is None
        and Recommendation.objects.filter(pk=pk, themes__slug="family-networks-and-kinship")
    )
    assert set(listed_refs(themed)) == expected == {"4.x4", "4.x6", "4.x7"}


@pytest.mark.parametrize("sort", ["response", "delivery"])
def test_sorting_by_status_puts_the_best_or_furthest_first_and_none_found_last(
    corpus, client, sort
):
    listed = listed_refs(page(client, f"/what-happened/?sort={sort}"))
    found = statuses_from_stage_rows()
    by_ref = {
        r.ref: found[r.pk][0 if sort == "response" else 1] for r in Recommendation.objects.all()
    }
    ranks = [StageStatus(by_ref[ref]).rank if by_ref[ref] else 99 for ref in listed]
    assert ranks == sorted(ranks) and len(listed) == 50


def test_the_results_come_alone_to_htmx_and_the_page_is_in_the_navigation(corpus, client):
    url = "/what-happened/?response=accepted&sort=delivery"
    fragment = page(client, url, **HTMX)
    assert fragment.lstrip().startswith('<div id="results">') and "<html" not in fragment
    assert 'id="results-status" hx-swap-oob="innerHTML">Showing 10 recommendations.' in fragment
    whole = page(client, url)
    assert listed_refs(whole) == listed_refs(fragment)
    assert re.search(
        r'href="/what-happened/" aria-current="page">\s*<strong[^>]*>What happened next<', whole
    )
    form = re.search(r'<form class="app-filters".*?</form>', whole, re.DOTALL).group(0)
    assert 'hx-get="/what-happened/"' in form and 'hx-push-url="true"' in form
    assert 'method="get" action="/what-happened/"' in form
    for control in ("response", "delivery", "chapter", "theme", "sort"):
        assert f'<label class="govuk-label" for="filter-{control}">' in form


@pytest.mark.django_db
def test_a_stage_corrected_shows_at_once_on_the_page_and_on_the_timeline(client):
    stage = factories.stage(summary="The Government said it would.")
    timeline_url = stage.recommendation.get_absolute_url()
    assert "The Government said it would." in page(client, timeline_url)
    assert 'href="/what-happened/?response=accepted">1<' in page(client, "/what-happened/")
    GovernmentStage.objects.update(status="not_accepted", summary="It said it would not.")
    assert "It said it would not." in page(client, timeline_url)
    listed = page(client, "/what-happened/")
    assert 'href="/what-happened/?response=accepted">0<' in listed
    assert 'href="/what-happened/?response=not_accepted">1<' in listed


# --- From ask to delivery, on the overview --------------------------------------------------


def chain_by_hand() -> dict[int | None, dict[str, int]]:
    """The chain of the overview worked out here, ask by ask in Python: by organisation,
    and for all of them under None."""
    found = statuses_from_stage_rows()
    chains: dict[int | None, dict[str, int]] = {}
    asks = Ask.objects.counted().select_related("document", "assessment")
    for ask in asks.prefetch_related("assessment__evidence"):
        status = getattr(getattr(ask, "assessment", None), "status", "not_assessed")
        if status == "not_assessed":
            continue
        heard = status in ("realised", "partly")
        linked = [e.recommendation_id for e in ask.assessment.evidence.all()] if heard else []
        steps = {
            "asked": True,
            "recommended": heard,
            "accepted": any(found[pk][0] in ("accepted", "accepted_in_part") for pk in linked),
            "delivered": any(found[pk][1] in ("delivered", "legislated") for pk in linked),
        }
        for key in (None, ask.document.organisation_id):
            chain = chains.setdefault(key, dict.fromkeys(steps, 0))
            for step, reached in steps.items():
                chain[step] += reached
    return chains


def test_the_overview_chain_is_the_asks_counted_one_by_one(corpus, client):
    # Beside the corpus, the cases it lacks: an ask whose recommendation was delivered
    # with no response on record, and one whose accepting response a later one replaced.
    delivered_only, superseded = factories.recommendation(), factories.recommendation()
    factories.stage(recommendation=delivered_only, stage="delivery", status="delivered")
    factories.stage(recommendation=superseded, status="accepted")
    factories.stage(
        recommendation=superseded, status="not_accepted", date=datetime.date(2024, 1, 1)
    )
    document = factories.document(text="We call for better things. We want more of them.")
    for recommendation in (delivered_only, superseded):
        factories.assessment(ask=factories.ask(document=document), evidence=[recommendation])
    factories.assessment(ask=factories.ask(document=document), status="absent")

    context = client.get("/").context
    expected = chain_by_hand()
    assert context["chain"] == expected[None]
    assert expected[None] == {"asked": 34, "recommended": 25, "accepted": 21, "delivered": 5}
    for organisation in context["organisations"]:
        assert organisation.chain == expected.get(organisation.pk, dict.fromkeys(expected[None], 0))
    assert expected[document.organisation_id] == {
        "asked": 3,
        "recommended": 2,
        "accepted": 0,
        "delivered": 1,
    }
    html = page(client, "/")
    chain = expected[None]
    assert (
        f"Asked: {chain['asked']}; Recommended by the Review: {chain['recommended']}; "
        f"Accepted by the Government: {chain['accepted']}; "
        f"Delivered or legislated: {chain['delivered']}."
    ) in html


# --- Every page stays at a constant number of queries ---------------------------------------

GOVERNMENT_PAGES = {
    "overview": ("/", {}),
    "what happened": ("/what-happened/", {}),
    "what happened by delivery": ("/what-happened/?sort=delivery", {}),
    "what happened filtered": ("/what-happened/?response=accepted_any&delivery=none", HTMX),
    "search": ("/search/?q=legislate", {}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", [*GOVERNMENT_PAGES, "timeline"])
def test_each_page_issues_the_same_queries_with_twice_the_data(
    client, django_assert_num_queries, name
):
    factories.world(size=1)
    legislated = Recommendation.objects.filter(stages__status="legislated").get()
    url, headers = GOVERNMENT_PAGES.get(name, (legislated.get_absolute_url(), {}))
    with CaptureQueriesContext(connection) as once:
        assert client.get(url, headers=headers).status_code == 200

    factories.world(size=1)
    cache.clear()
    with django_assert_num_queries(len(once)):
        response = client.get(url, headers=headers)
    assert response.status_code == 200
