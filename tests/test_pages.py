"""Every page renders on the shipped corpus, says what it must, and answers nonsense
with a 404 or by ignoring it, never a 500."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from recommendations.models import Recommendation, Theme
from responses.models import Ask, Assessment, Organisation, ResponseDocument

from . import factories


def page(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.content.decode()


def every_page_url():
    together_trust = Organisation.objects.get(slug="together-trust")
    return [
        "/",
        "/organisations/",
        together_trust.get_absolute_url(),
        together_trust.documents.first().get_absolute_url(),
        "/recommendations/",
        Recommendation.objects.get(ref="5.2").get_absolute_url(),
        "/what-happened/",
        "/themes/",
        Theme.objects.get(slug="family-help").get_absolute_url(),
        "/search/?q=kinship",
    ]


def test_every_page_has_a_skip_link_service_navigation_and_one_main_heading(client, corpus):
    for url in every_page_url():
        html = page(client, url)
        assert 'href="#main-content"' in html and 'id="main-content"' in html, url
        assert 'class="govuk-service-navigation"' in html, url
        assert len(re.findall(r"<h1\b", html)) == 1, url
        assert "govuk-frontend.min.css" in html and "https://" not in _asset_urls(html), url


def _asset_urls(html: str) -> str:
    return " ".join(re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html))


def test_the_current_section_is_marked_in_the_navigation(client, corpus):
    html = page(client, "/recommendations/5.2/")
    current = re.search(
        r'<a class="govuk-service-navigation__link" href="([^"]+)" aria-current="page"', html
    )
    assert current and current.group(1) == "/recommendations/"


def test_overview_shows_totals_the_status_mix_and_the_gaps_both_ways(client, corpus):
    html = page(client, "/")
    # Round 2 adds two realised: NYAS's and the Children's Commissioner's own verdicts on
    # the Final Report. Its verdicts on the Government's response are no status here.
    assert "8 realised, 15 partly realised, 7 absent, 1 unclear" in html
    assert 'role="img"' in html
    # Recommendations no assessment cites, e.g. the windfall tax.
    assert "Windfall tax on the largest private care providers" in html
    assert "Asked for by several organisations, left out by the Review" in html


def test_organisations_page_shows_each_scorecard_and_filters_by_kind(client, corpus):
    html = page(client, "/organisations/")
    assert "14 asks: 2 realised, 7 partly realised, 4 absent, 1 not assessed" in html
    assert "Residential Forum (England)" in html

    charities_only = page(client, "/organisations/?kind=charity")
    assert "Residential Forum (England)" not in charities_only
    assert "Together Trust" in charities_only


def test_organisations_sort_by_share_realised_puts_the_highest_first(client, corpus):
    html = page(client, "/organisations/?sort=realised")
    order = [name for name in ("Become", "Together Trust", "Action for Children") if name in html]
    positions = [html.index(f"><bdi>{name}</bdi></a>") for name in order]
    # Become: 4 of 10 realised; Together Trust: 2 of 14; Action for Children: none.
    assert positions == sorted(positions)


def test_document_page_highlights_each_ask_coloured_by_status_and_links_to_its_comparison(
    client, corpus
):
    document = ResponseDocument.objects.get(
        title="Did the Care Review listen to the people we support?"
    )
    html = page(client, document.get_absolute_url())
    assert html.count('class="app-ask app-ask--') == document.asks.count()
    assert "app-ask--absent" in html and "app-ask--realised" in html
    assert "/organisations/together-trust/?expand=" in html


def test_digest_page_labels_its_points_as_not_asks(client, corpus):
    digest = ResponseDocument.objects.get(kind="case_for_change_digest")
    html = page(client, digest.get_absolute_url())
    assert "Digest point, not an ask" in html
    assert "app-ask--digest" in html


def test_recommendations_page_groups_by_chapter_and_sorts_by_demand(client, corpus):
    html = page(client, "/recommendations/")
    assert "Chapter 2. A revolution in Family Help" in html
    assert "could not be obtained" in html

    by_demand = page(client, "/recommendations/?sort=demand")
    demand = [int(n) for n in re.findall(r'govuk-table__cell--numeric">(\d+)</td>', by_demand)]
    assert len(demand) == Recommendation.objects.count()
    assert demand == sorted(demand, reverse=True) and demand[0] >= 2


def test_recommendations_filter_by_chapter_keeps_only_that_chapter(client, corpus):
    html = page(client, "/recommendations/?chapter=4")
    assert "4.x1" in html and "5.2" not in html


def test_recommendation_page_shows_its_sources_and_the_asks_it_realises(client, corpus):
    html = page(client, "/recommendations/5.2/")
    assert "Establish Regional Care Co-operatives" in html
    assert "Sources of its wording" in html
    assert "not the Final Report's own text" in html
    assert "Keep children&#x27;s homes in the long-term vision" in html
    assert "Children in their own communities" in html


def test_recommendation_refs_with_an_x_resolve(client, corpus):
    html = page(client, "/recommendations/6.x10/")
    assert "Lifelong Links" in html


def test_themes_matrix_links_each_cell_to_the_organisations_asks_in_that_theme(client, corpus):
    html = page(client, "/themes/")
    assert 'href="/organisations/action-for-children/?theme=family-help"' in html
    assert "<caption" in html and 'scope="row"' in html


def test_theme_page_sets_asks_beside_the_themes_recommendations(client, corpus):
    html = page(client, "/themes/family-help/")
    assert "A single long-term fund for family help" in html
    assert "About £2bn over five years to fund Family Help" in html


@pytest.mark.parametrize(
    "url",
    [
        "/organisations/no-such-organisation/",
        "/documents/999999/",
        "/recommendations/99.x99/",
        "/themes/no-such-theme/",
        "/organisations/together-trust/extra/",
        "/recommendations/%00/",
        "/documents/99999999999999999999999/",
    ],
)
def test_unknown_slugs_refs_and_ids_give_the_404_page(client, corpus, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/organisations/?kind=nonsense&sort=%00",
        "/organisations/together-trust/?status=nonsense&document=abc&theme=%2F%2F&expand=99999999999999",
        "/organisations/together-trust/?document=99999999999999999999&judged_by=x",
        "/recommendations/?chapter=-1&theme=&sort=nonsense",
        "/what-happened/?response=legislated&delivery=%00&chapter=x&sort=nonsense",
        "/themes/family-help/?status=%00",
        "/search/?q=%00%01",
        "/organisations/together-trust/?expand=%C2%B2&recommendation=%00",
        "/search/?q=" + "x" * 5000,
    ],
)
def test_bad_filter_values_are_ignored_not_an_error(client, corpus, url):
    assert client.get(url).status_code == 200


def test_htmx_requests_get_only_the_fragment_and_responses_vary_on_it(client, corpus):
    full = client.get("/organisations/together-trust/?status=absent")
    fragment = client.get(
        "/organisations/together-trust/?status=absent", headers={"HX-Request": "true"}
    )
    assert "HX-Request" in fragment["Vary"] and "HX-Request" in full["Vary"]
    assert "<html" in full.content.decode()
    html = fragment.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<div id="comparison">')


def test_pages_load_htmx_2_from_this_site_with_their_nonce(client, db):
    html = page(client, "/")
    [script] = [s for s in re.findall(r"<script\b[^>]*>", html) if "htmx" in s]
    [src] = re.findall(r'src="([^"]+)"', script)
    assert 'nonce="' in script
    assert src == static("django_htmx/htmx-2.min.js")
    served = Path(finders.find("django_htmx/htmx-2.min.js")).read_text()
    assert re.search(r"""version:\s*["']2\.\d+\.\d+["']""", served), "htmx 2 in the wheel's htmx-2"


def test_a_history_restore_gets_the_whole_page(client, corpus):
    response = client.get(
        "/organisations/together-trust/",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.content.decode()


def listed_refs(html: str) -> list[str]:
    """The refs of the recommendations a recommendations table lists, in its order."""
    row_start = r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell">([^<]+)</td>'
    return re.findall(row_start, html)


@pytest.mark.django_db
def test_recommendations_are_listed_by_chapter_then_in_the_reports_order(corpus, client):
    listed = listed_refs(client.get(reverse("recommendations")).content.decode())
    assert listed == list(
        Recommendation.objects.order_by("chapter__number", "id").values_list("ref", flat=True)
    )
    assert listed.index("6.x10") < listed.index("7.x1")


@pytest.mark.django_db
def test_organisations_are_listed_by_name(corpus, client):
    factories.organisation(name="Aardvark Trust", slug="aardvark-trust")
    listed = client.get(reverse("organisations")).context["organisations"]
    assert [o.name for o in listed] == sorted(o.name for o in listed)
    assert listed[0].name == "Aardvark Trust"


@pytest.mark.django_db
def test_the_overview_names_the_themes_that_several_organisations_asked_for_and_the_review_left_out(
    corpus, client
):
    left_out = client.get(reverse("home")).context["left_out"]
    # In the corpus: Together Trust's UNCRC and campaign asks, Become's ethnicity ask (rights);
    # Together Trust's step up/step down and Action for Children's reunification (placements).
    assert [(row["themes__slug"], row["organisations"], row["asks"]) for row in left_out] == [
        ("rights-and-equality", 2, 3),
        ("care-placements-and-homes", 2, 2),
    ]


@pytest.mark.django_db
def test_the_overview_counts_every_assessed_ask_once_by_status(corpus, client):
    context = client.get(reverse("home")).context
    # The first corpus's 30 asks, 29 of them assessed, and round 2's 7, of which the 2 that
    # judge the Final Report are assessed.
    assert context["asks_total"] == 30 + 7
    assert context["assessed_total"] == 29 + 2
    # Recounted one ask at a time.
    counted = [
        ask
        for ask in Ask.objects.all()
        if ask.document.kind != "case_for_change_digest" and not ask.restated_by.exists()
    ]
    assert context["asks_total"] == len(counted)
    assert context["assessed_total"] == len(
        [
            ask
            for ask in counted
            if Assessment.objects.filter(ask=ask).exclude(status="not_assessed")
        ]
    )


def test_links_worked_out_once_follow_the_script_prefix_the_site_is_served_under():
    from django.urls import set_script_prefix

    from recommendations.models import url_of

    assert url_of("theme", "kinship-care") == "/themes/kinship-care/"
    set_script_prefix("/carereview/")
    try:
        assert url_of("theme", "kinship-care") == "/carereview/themes/kinship-care/"
        assert url_of("document", 12) == "/carereview/documents/12/"
    finally:
        set_script_prefix("/")
    assert url_of("theme", "kinship-care") == "/themes/kinship-care/"
