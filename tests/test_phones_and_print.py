"""Phones and paper: every page reflows at phone widths without scrolling sideways, the
service navigation folds into a "Menu" that works from the keyboard, a printed comparison
reads as a briefing, and every page's title and description name what it shows."""

import html
import io
import re
import unicodedata

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from browse import caching
from recommendations.models import Chapter, Recommendation
from responses.models import Ask, ResponseDocument
from tests.conftest import load_axe, refused_by_csp

ORGANISATION = "together-trust"
ROWS = "table.app-comparison tbody tr[id^=ask-]"
AXE_SERIOUS = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations
        .filter(v => v.impact === "serious" || v.impact === "critical")
        .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join("; ")}`);
}"""


def load_corpus() -> None:
    call_command("load_corpus", stdout=io.StringIO())


def every_page() -> list[str]:
    """Every route of browse/urls.py with the shipped corpus, sign-in, and the error pages
    that a browser can reach by a link (404) or by a failing view (500, tests/failing_urls)."""
    document = ResponseDocument.objects.filter(organisation__slug=ORGANISATION).first()
    recommendation = Recommendation.objects.get(ref="2.x1")
    return [
        "/",
        "/organisations/",
        f"/organisations/{ORGANISATION}/",
        document.get_absolute_url(),
        "/recommendations/",
        recommendation.get_absolute_url(),
        "/what-happened/",
        "/themes/",
        "/themes/family-help/",
        "/search/?q=stayng+close",
        "/sign-in/",
        "/organisations/nobody-by-this-name/",
        "/fail/",
    ]


def too_wide(page, width: int) -> str | None:
    """What makes the page wider than `width`, or None: the document's width and the first
    elements outside a scrolling region that reach past the viewport's right edge."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width <= width:
        return None
    culprits = page.evaluate(
        """(width) => [...document.querySelectorAll("body *")]
            .filter(e => e.getBoundingClientRect().right > width && !e.closest(".app-scroll"))
            .slice(0, 3).map(e => `${e.tagName.toLowerCase()}.${e.className}`)""",
        width,
    )
    return f"{scroll_width}px wide ({', '.join(culprits)})"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.failing_urls")
def test_no_page_scrolls_sideways_at_phone_widths_and_axe_finds_nothing_serious(
    browser, live_server
):
    load_corpus()
    paths = every_page()
    failures = []
    # 320 CSS px at a device scale factor of 4 is also 1280 px zoomed to 400% (WCAG 1.4.10):
    # Chromium's zoom is a larger device scale factor over a viewport of fewer CSS pixels.
    for width, scale, axe in ((320, 4, True), (390, 1, False)):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": 844},
            device_scale_factor=scale,
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        refusals = refused_by_csp(page)
        for path in paths:
            page.goto(path)
            if wide := too_wide(page, width):
                failures.append(f"{path} at {width}px: {wide}")
            if axe:
                load_axe(page)
                failures += [f"{path} at {width}px: {v}" for v in page.evaluate(AXE_SERIOUS)]
        # The form-expired page: a sign-in whose CSRF cookie has gone.
        page.goto("/sign-in/")
        context.clear_cookies()
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="That form could not be accepted").wait_for()
        if wide := too_wide(page, width):
            failures.append(f"403 (form expired) at {width}px: {wide}")
        failures += [f"refused by the Content-Security-Policy: {r}" for r in refusals]
        context.close()
    assert failures == [], "\n".join(failures)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_menu_opens_and_closes_from_the_keyboard_on_a_phone_and_without_script_links_show(
    browser, live_server
):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    refusals = refused_by_csp(page)
    page.goto("/")
    toggle = page.get_by_role("button", name="Menu")
    links = page.locator("#navigation")
    toggle.wait_for()
    assert links.is_hidden(), "on a phone the links start folded under the menu"

    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.govuk-service-navigation__toggle')"):
            break
    assert page.evaluate("document.activeElement.textContent.trim()") == "Menu"
    assert toggle.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert links.get_by_role("link", name="Organisations").is_visible()
    page.keyboard.press("Space")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert links.is_hidden()

    # On a wide screen the links show and the button does not.
    page.set_viewport_size({"width": 1280, "height": 900})
    links.get_by_role("link", name="Organisations").wait_for()
    assert toggle.is_hidden()
    context.close()
    assert refusals == []

    without_script = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = without_script.new_page()
    page.goto("/")
    assert page.locator(".govuk-service-navigation__toggle").is_hidden()
    assert page.locator("#navigation").get_by_role("link", name="Organisations").is_visible()
    without_script.close()


def normalised(text: str) -> str:
    """Text without whitespace or hyphens, ligatures spelled out: a PDF's lines break where
    the page did, the hyphen that ends a line (as in a long address) may be read as part of
    the break, and the font draws "fi" as one glyph."""
    return re.sub(r"[\s-]+", "", unicodedata.normalize("NFKC", text))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_printed_comparison_reads_as_a_briefing(browser, live_server):
    load_corpus()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    refusals = refused_by_csp(page)

    # Filtered, to see the filters in words: the theme by its name, not its slug.
    page.goto(f"/organisations/{ORGANISATION}/?theme=family-help")
    rows = page.locator(ROWS)
    count = Ask.objects.counted().filter(
        document__organisation__slug=ORGANISATION, themes__slug="family-help"
    )
    assert rows.count() == count.count() > 1
    titles = rows.locator(".app-comparison__asked p.govuk-\\!-font-weight-bold").all_inner_texts()
    statuses = rows.locator(".app-comparison__status .app-status").all_inner_texts()
    assert len(titles) == len(statuses) == rows.count()

    # "Print this page" is a button beside the export that calls the browser's print.
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1 } }")
    page.get_by_role("button", name="Print this page").click()
    assert page.evaluate("window.printed") == 1

    page.emulate_media(media="print")
    for hidden in (
        ".govuk-header",
        ".govuk-service-navigation",
        ".app-filters",
        ".govuk-footer",
        ".app-print-action",
    ):
        assert page.locator(hidden).first.is_hidden(), f"{hidden} is printed"
    assert page.locator("h1").inner_text() == "Together Trust"
    assert page.get_by_text("Filtered by theme: Family Help.").is_visible()
    meta = page.locator(".app-print-meta").inner_text()
    assert f"data version {caching.data_version():x}" in meta

    # Every row is printed expanded: its recommendations in full, its rationale.
    details = rows.locator(".app-print-detail")
    assert details.count() == rows.count()
    assert all(detail.is_visible() for detail in details.all())
    assert all(link.is_hidden() for link in rows.locator(".app-detail").all())
    sources = page.locator(".app-print-detail .app-provenance a[href^='http']")
    addresses = [link.get_attribute("href") for link in sources.all()]
    assert addresses, "the printed rows cite sources"

    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    text = normalised("".join(sheet.extract_text() for sheet in pdf.pages))
    position = 0
    for title, status in zip(titles, statuses, strict=True):
        position = text.find(normalised(title), position)
        assert position >= 0, f"the ask {title!r} is not printed"
        position = text.find(normalised(status), position)
        assert position >= 0, f"the ask {title!r} is not printed with its status {status!r}"
    for address in addresses:
        assert normalised(f"({address})") in text, f"{address} is not printed"
    for gone in ("Apply filters", "Skip to main content", "Print this page"):
        assert normalised(gone) not in text
    context.close()
    assert refusals == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_printed_charts_tell_their_statuses_apart_by_pattern_not_colour_alone(browser, live_server):
    load_corpus()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/")
    page.emulate_media(media="print")
    chart = page.locator("svg.app-chart").first
    fills = chart.evaluate(
        """svg => [...svg.querySelectorAll(".app-chart__segment")]
            .map(rect => [rect.getAttribute("fill"), getComputedStyle(rect).fill])"""
    )
    # Each colour prints as a pattern of its own, the same in the bars and the legend.
    patterns = dict(fills)
    assert all(re.fullmatch(r'url\("#app-pattern-\d"\)', fill) for fill in patterns.values())
    assert len(set(patterns.values())) == len(patterns) > 2
    assert page.locator("#app-pattern-1").count() == 1
    context.close()


def title_and_description(client, path: str) -> tuple[str, str, str, str]:
    page = client.get(path).content.decode()

    def found(pattern: str) -> str:
        # Without the isolates around names that people typed (FSI, PDI).
        return (
            html.unescape(re.search(pattern, page).group(1))
            .replace("\u2068", "")
            .replace("\u2069", "")
        )

    return (
        found(r"<title>(.*?)</title>"),
        found(r'<meta name="description" content="([^"]*)">'),
        found(r'<meta property="og:title" content="([^"]*)">'),
        found(r'<meta property="og:description" content="([^"]*)">'),
    )


def test_each_page_has_a_title_and_description_naming_what_it_shows(client, corpus):
    recommendation = Recommendation.objects.get(ref="2.x1")
    document = ResponseDocument.objects.filter(organisation__slug=ORGANISATION).first()
    chapter = Chapter.objects.get(number=2)
    expected = {
        f"/organisations/{ORGANISATION}/": ("Together Trust", "What Together Trust asked"),
        f"/organisations/{ORGANISATION}/?status=absent&theme=family-help": (
            "Together Trust: asks and recommendations (status: Absent; theme: Family Help)",
            "Together Trust",
        ),
        recommendation.get_absolute_url(): (
            f"2.x1 {recommendation.title}",
            f"Recommendation 2.x1 of the Final Report of England's children's social care review, {recommendation.title}",
        ),
        document.get_absolute_url(): (document.title, document.organisation.name),
        "/themes/family-help/": ("Family Help", "The theme Family Help"),
        f"/recommendations/?chapter={chapter.number}": (
            f"Recommendations (chapter: {chapter})",
            str(chapter),
        ),
        "/recommendations/?theme=family-help": (
            "Recommendations (theme: Family Help)",
            "recommendations (theme: Family Help)",
        ),
        "/what-happened/?response=accepted": (
            "What happened to the Review's recommendations (government response: Accepted)",
            "What the Government did",
        ),
        "/search/?q=staying+close": ("Search: staying close", "staying close"),
        "/organisations/?kind=charity": ("Organisations (kind: Charity)", "organisation"),
    }
    wrong = {}
    for path, (in_title, in_description) in expected.items():
        title, description, og_title, og_description = title_and_description(client, path)
        if not (
            in_title in title
            and in_description in description
            and title == f"{og_title} – carereview"
            and description == og_description
        ):
            wrong[path] = (title, description, og_title, og_description)
    assert wrong == {}
