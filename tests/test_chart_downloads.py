"""Every chart can be taken away: "Download as SVG" gives it as an SVG file of its own, and
"Its data as CSV" the numbers it draws, both from what its page computed."""

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from recommendations.models import Stage, StageStatus
from responses.models import Ask, Organisation, Status
from tests import factories
from tests.conftest import refused_by_csp

SVG = "{http://www.w3.org/2000/svg}"
# Each chart: the page that draws it, and the path of its downloads without the extension.
PAGE_CHARTS = [
    ("/", "/charts/overview-status"),
    ("/", "/charts/overview-organisations"),
    ("/", "/charts/overview-chain"),
    ("/what-happened/", "/charts/what-happened-responses"),
    ("/what-happened/", "/charts/what-happened-deliveries"),
]


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode(), newline="")))


def inline_chart(page: str, title: str) -> ET.Element:
    """The chart titled `title` among the page's inline SVGs."""
    for svg in re.findall(r'<svg class="app-chart".*?</svg>', page, re.DOTALL):
        element = ET.fromstring(svg)
        if element.get("aria-label", "").startswith(f"{title}. "):
            return element
    raise AssertionError(f"no chart titled {title!r}")


def drawn(svg: ET.Element) -> tuple[list[dict], list[str]]:
    """What a chart draws: its bars' rectangles, and every number and word written."""
    rects = [dict(rect.attrib) for rect in svg.iter(f"{SVG}rect")]
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    return rects, texts


@pytest.mark.django_db
def test_every_chart_on_the_pages_has_its_two_download_links(corpus, client):
    organisation = Organisation.objects.filter(documents__isnull=False).first()
    pages = {
        "/": 3,
        "/what-happened/": 2,
        organisation.get_absolute_url(): 1,
    }
    for url, charts in pages.items():
        page = client.get(url).content.decode()
        assert page.count('<svg class="app-chart"') == charts
        assert page.count(">Download as SVG<") == page.count(">Its data as CSV<") == charts


@pytest.mark.django_db
@pytest.mark.parametrize("page_url, chart", PAGE_CHARTS)
def test_a_charts_svg_is_a_file_of_its_own_drawing_what_the_page_draws(
    corpus, client, page_url, chart
):
    response = client.get(f"{chart}.svg")
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    name = chart.removeprefix("/charts/")
    today = timezone.now().date().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="carereview-chart-{name}-{today}.svg"'
    )
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns=')
    standalone = ET.fromstring(response.content)
    assert standalone.tag == f"{SVG}svg"
    title = standalone.find(f"{SVG}title").text
    on_page = inline_chart(client.get(page_url).content.decode(), title)
    rects, texts = drawn(standalone)
    # The file's first rectangle is its white ground; then the page's drawing, unchanged.
    assert rects[0] == {"width": "100%", "height": "100%", "fill": "#ffffff"}
    assert (rects[1:], texts) == drawn(on_page)
    described = f"{title}. {standalone.find(f'{SVG}desc').text}"
    assert described == on_page.get("aria-label")


@pytest.mark.django_db
@pytest.mark.parametrize("page_url, chart", PAGE_CHARTS)
def test_a_charts_csv_holds_every_number_the_page_draws(corpus, client, page_url, chart):
    response = client.get(f"{chart}.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('.csv"')
    header, *rows = rows_of(response)
    svg = ET.fromstring(client.get(f"{chart}.svg").content)
    on_page = inline_chart(client.get(page_url).content.decode(), svg.find(f"{SVG}title").text)
    totals = [text.text for text in on_page.iter(f"{SVG}text") if "total" in text.get("class")]
    numbers = [text.text for text in on_page.iter(f"{SVG}text") if "number" in text.get("class")]
    if header == ["step", "count"]:
        assert [count for _, count in rows] == totals
    else:
        assert header[-1] == "total"
        assert [row[-1] for row in rows] == totals
        # A segment's number is written on it where it fits: each is one of its bar's counts.
        assert set(numbers) <= {count for row in rows for count in row[1:-1]}
        for row in rows:
            assert sum(map(int, row[1:-1])) == int(row[-1])


@pytest.mark.django_db
def test_the_overviews_status_csv_is_the_mix_of_the_assessed_asks(corpus, client):
    mix = Ask.objects.counted().with_status().status_mix()
    header, row = rows_of(client.get("/charts/overview-status.csv"))
    assert header == ["bar", *Status.values, "total"]
    assert dict(zip(header[1:-1], map(int, row[1:-1]))) == {
        **{status: n for status, n in mix.items() if status != Status.NOT_ASSESSED},
        Status.NOT_ASSESSED: 0,
    }


@pytest.mark.django_db
def test_an_organisations_chart_downloads_under_its_slug(corpus, client):
    organisation = Organisation.objects.with_status_counts().filter(asks_total__gt=0).first()
    page = client.get(organisation.get_absolute_url()).content.decode()
    assert f'href="/charts/organisation/{organisation.slug}.svg"' in page
    header, row = rows_of(client.get(f"/charts/organisation/{organisation.slug}.csv"))
    assert header == ["bar", *Status.values, "total"]
    assert row == [
        organisation.name,
        *(str(n) for n in organisation.status_mix.values()),
        str(organisation.asks_total),
    ]
    svg = client.get(f"/charts/organisation/{organisation.slug}.svg")
    assert f"carereview-chart-organisation-{organisation.slug}-" in svg["Content-Disposition"]


@pytest.mark.django_db
def test_a_name_a_spreadsheet_would_run_is_guarded_in_a_charts_csv(client):
    organisation = factories.organisation(name='=HYPERLINK("http://x")', slug="formula")
    factories.ask(document=factories.document(organisation=organisation))
    [_, row] = rows_of(client.get("/charts/organisation/formula.csv"))
    assert row[0] == '\'=HYPERLINK("http://x")'


@pytest.mark.django_db
def test_a_download_reads_what_its_page_computed_for_the_same_query_string(
    corpus, client, django_assert_num_queries
):
    client.get("/what-happened/?status=accepted")
    # The data version only: the rest is what the page kept.
    with django_assert_num_queries(1):
        client.get("/charts/what-happened-responses.svg?status=accepted")
    client.get("/")
    with django_assert_num_queries(1):
        client.get("/charts/overview-chain.csv")


@pytest.mark.django_db
def test_the_page_links_its_charts_with_its_own_query_string(corpus, client):
    page = client.get("/what-happened/?status=accepted&sort=ref").content.decode()
    assert 'href="/charts/what-happened-responses.svg?status=accepted&amp;sort=ref"' in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/charts/no-such-chart.svg",
        "/charts/no-such-chart.csv",
        "/charts/organisation/no-such-organisation.svg",
        "/charts/overview-status/some-organisation.csv",
        "/charts/organisation.svg",
    ],
)
def test_a_chart_that_does_not_exist_is_not_found(client, url):
    assert client.get(url).status_code == 404


def test_reverse_names_both_kinds_of_chart():
    assert reverse("chart_svg", args=["overview-chain"]) == "/charts/overview-chain.svg"
    assert reverse("chart_csv", args=["organisation", "become"]) == (
        "/charts/organisation/become.csv"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reader_downloads_a_chart_and_its_numbers_from_the_page(browser, live_server):
    call_command("load_corpus", stdout=io.StringIO())
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    refusals = refused_by_csp(page)
    page.goto("/what-happened/")
    figure = page.locator("figure").filter(
        has=page.locator("svg[aria-label^='Government response']")
    )
    on_page = ET.fromstring(figure.locator("svg").evaluate("svg => svg.outerHTML"))

    with page.expect_download() as svg_download:
        figure.get_by_role("link", name="Download as SVG").click()
    svg = ET.parse(svg_download.value.path()).getroot()
    assert svg_download.value.suggested_filename.startswith("carereview-chart-what-happened-")
    assert svg.find(f"{SVG}title").text == "Government response of each recommendation"
    assert drawn(svg)[0][1:] == drawn(on_page)[0]

    with page.expect_download() as csv_download:
        figure.get_by_role("link", name="Its data as CSV").click()
    with open(csv_download.value.path(), newline="", encoding="utf-8") as file:
        header, row = list(csv.reader(file))
    counts = dict(zip(header[1:-1], map(int, row[1:-1])))
    # The numbers the page writes on the bars and in the chart's text alternative.
    said = on_page.get("aria-label").split(". ", 1)[1].removesuffix(".")
    none_found = Stage.GOVERNMENT_RESPONSE.none_found.lower()
    labels = {status: StageStatus(status).short_label for status in counts if status != "none"}
    assert said == f"\u2068{row[0]}\u2069: " + ", ".join(
        f"{n} {labels.get(status, none_found)}" for status, n in counts.items() if n
    )
    assert [t.text for t in on_page.iter(f"{SVG}text") if "total" in t.get("class")] == [row[-1]]
    context.close()
    assert refusals == []
