"""Long lists come a page at a time: `?page=N` in a shareable URL, GOV.UK's pagination
links that keep the filters, htmx swapping only the list, nonsense page numbers answered
with a real page, and exports that still take every filtered row."""

import csv
import io
import re

import pytest

from browse import views
from responses.models import Ask

from . import factories

HTMX = {"HX-Request": "true"}
PAGE_SIZE = 3


def page(client, url, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.content.decode()


def listed_asks(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr class="govuk-table__row" id="ask-(\d+)">', html)]


def pagination_links(html: str) -> dict[str, str]:
    """The pagination's links by their text ("1", "2", "Previous", "Next")."""
    nav = re.search(r'<nav class="govuk-pagination".*?</nav>', html, re.DOTALL)
    assert nav, "no pagination"
    links = {}
    for href, text in re.findall(
        r'<a class="govuk-link govuk-pagination__link" href="([^"]+)"[^>]*>(.*?)</a>',
        nav.group(0),
        re.DOTALL,
    ):
        label = re.sub(r"<[^>]+>|\s+", " ", text).split()[0]
        links[label] = href.replace("&amp;", "&")
    return links


def export_rows(client, html: str) -> list[dict]:
    href = re.search(r'href="(/export/[^"]*)"', html).group(1).replace("&amp;", "&")
    body = b"".join(client.get(href).streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body, newline="")))


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of three, so that a few rows make several pages."""
    for name in ("ASKS_PER_PAGE", "ORGANISATIONS_PER_PAGE", "MATRIX_COLUMNS_PER_PAGE"):
        monkeypatch.setattr(views, name, PAGE_SIZE)


@pytest.fixture
def theme_with_asks(db):
    """A theme with eight asks: five partly realised, citing one recommendation, and
    three absent."""
    theme = factories.theme()
    recommendation = factories.recommendation()
    document = factories.document(text="We call for better things. " * 8)
    for position in range(1, 9):
        ask = factories.ask(document=document, position=position, title=f"Ask {position}")
        ask.themes.add(theme)
        if position <= 5:
            factories.assessment(ask=ask, status="partly", evidence=[recommendation])
        else:
            factories.assessment(ask=ask, status="absent")
    return theme, recommendation


def test_a_theme_page_shows_a_page_of_asks_and_every_ask_across_its_pages(
    client, small_pages, theme_with_asks
):
    theme, _ = theme_with_asks
    url = theme.get_absolute_url()
    first = page(client, url)
    assert len(listed_asks(first)) == PAGE_SIZE
    assert "Showing asks 1 to 3 of 8 in this theme." in first
    assert 'aria-current="page">1</a>' in first

    seen = []
    for number in (1, 2, 3):
        seen += listed_asks(page(client, f"{url}?page={number}"))
    expected = Ask.objects.filter(themes=theme).order_by("document", "position")
    assert seen == list(expected.values_list("pk", flat=True))


def test_pagination_links_keep_the_filters_and_the_filter_form_starts_again_at_page_one(
    client, small_pages, theme_with_asks
):
    theme, _ = theme_with_asks
    html = page(client, f"{theme.get_absolute_url()}?status=partly&page=2")
    assert "Showing asks 4 to 5 of 5 in this theme that match the filters." in html
    links = pagination_links(html)
    assert links["Previous"] == f"{theme.get_absolute_url()}?status=partly&page=1"
    assert links["1"].endswith("?status=partly&page=1") and "Next" not in links
    # The filter form has no page field: choosing another status shows its first page.
    form = re.search(r'<form class="app-filters".*?</form>', html, re.DOTALL).group(0)
    assert 'name="page"' not in form


@pytest.mark.parametrize(
    "value, expected_page", [("0", 3), ("-1", 3), ("x", 1), (str(10**9), 3), ("", 1), ("2.5", 1)]
)
def test_a_page_number_that_does_not_exist_gives_the_first_or_last_page(
    client, small_pages, theme_with_asks, value, expected_page
):
    theme, _ = theme_with_asks
    html = page(client, f"{theme.get_absolute_url()}?page={value}")
    assert f'aria-current="page">{expected_page}</a>' in html


def test_the_export_link_on_a_later_page_exports_every_filtered_ask(
    client, small_pages, theme_with_asks
):
    theme, _ = theme_with_asks
    html = page(client, f"{theme.get_absolute_url()}?status=partly&page=2")
    assert "Export all 5 asks as CSV" in html
    rows = export_rows(client, html)
    partly = Ask.objects.filter(themes=theme, assessment__status="partly")
    assert {int(row["ask_id"]) for row in rows} == set(partly.values_list("pk", flat=True))


def test_an_htmx_page_link_swaps_only_the_list_and_pushes_the_url(
    client, small_pages, theme_with_asks
):
    theme, _ = theme_with_asks
    html = page(client, f"{theme.get_absolute_url()}?page=2", **HTMX)
    assert html.lstrip().startswith('<div id="comparison">') and "<html" not in html
    assert re.search(
        r'hx-get="[^"]*\?page=3"[^>]*hx-target="#comparison"[^>]*hx-push-url="true"', html
    )
    assert "Showing 4 to 6 of 8 asks." in html


def test_a_recommendation_page_pages_through_the_asks_citing_it(
    client, small_pages, theme_with_asks
):
    _, recommendation = theme_with_asks
    url = recommendation.get_absolute_url()
    first, second = page(client, url), page(client, f"{url}?page=2")
    assert "Showing asks 1 to 3 of 5." in first and "Export all 5 asks as CSV" in first
    assert set(listed_asks(first)).isdisjoint(listed_asks(second))
    assert len(listed_asks(first) + listed_asks(second)) == 5
    assert len(export_rows(client, second)) == 5


def test_the_organisations_page_pages_through_the_sorted_scorecards(db, client, small_pages):
    factories.world(size=4)
    first = page(client, "/organisations/?sort=realised")
    assert "4 organisations, highest share realised first: 1 to 3</caption>" in first
    assert pagination_links(first)["Next"] == "/organisations/?sort=realised&page=2"
    second = page(client, "/organisations/?sort=realised&page=2")
    assert second.count('<th scope="row"') == 1
    assert "Export all 4 scorecards as CSV" in second
    assert len(export_rows(client, second)) == 4


def test_the_themes_matrix_pages_through_its_organisation_columns(db, client, small_pages):
    factories.world(size=4)
    first = page(client, "/themes/")
    header = re.search(r"<thead.*?</thead>", first, re.DOTALL).group(0)
    assert header.count('scope="col"') == 1 + PAGE_SIZE
    assert "Showing organisations 1 to 3 of 4, by name." in first
    last = page(client, "/themes/?page=2")
    assert re.search(r"<thead.*?</thead>", last, re.DOTALL).group(0).count('scope="col"') == 2


def test_the_overview_charts_the_organisations_with_most_asks_and_links_to_the_rest(
    db, client, monkeypatch
):
    monkeypatch.setattr(views, "OVERVIEW_ORGANISATIONS", 2)
    organisations = factories.world(size=3)
    busiest = organisations[1]
    factories.ask(document=Ask.objects.counted().filter(document__organisation=busiest)[0].document)
    html = page(client, "/")
    assert "2 of 3 organisations, most asks first." in html
    table = re.search(r'<table class="govuk-table">.*?</table>', html, re.DOTALL).group(0)
    rows = re.findall(
        r'<th scope="row" class="govuk-table__header"><a [^>]+><bdi>([^<]+)</bdi></a>', table
    )
    assert len(rows) == 2 and rows[0] == busiest.name
    assert 'href="/organisations/">See every organisation' in html


def test_the_shipped_corpus_fits_on_one_page_with_no_pagination(client, corpus):
    for url in [
        "/",
        "/organisations/",
        "/themes/",
        "/themes/family-help/",
        "/recommendations/5.2/",
    ]:
        html = page(client, url)
        assert "govuk-pagination" not in html, url
        assert "Export all" not in html, url
