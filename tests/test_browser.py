"""What only a real browser shows: htmx swapping fragments, the URL following the filters,
the back button, live search, and axe-core finding no serious accessibility problem."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect

from tests.conftest import load_axe, refused_by_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "test-artefacts" / "screenshots"
ROWS = "table.app-comparison tbody tr[id^=ask-]"
# Waits are Playwright's `expect`, never `wait_for_function`: a string predicate that is
# not true at once is polled by `eval`, which the pages' policy refuses.


@pytest.fixture
def page(browser, live_server):
    call_command("load_corpus", stdout=io.StringIO())
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    refusals = refused_by_csp(page)
    yield page
    context.close()
    assert refusals == [], "the Content-Security-Policy blocked part of a page"


def check(page, name: str) -> None:
    """Save a screenshot of the page and fail on any serious or critical axe violation."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret leaves a style attribute behind, which htmx's history
    # snapshot would restore and the Content-Security-Policy rightly refuse.
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, caret="initial")
    load_axe(page)
    violations = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join("; ")}`);
        }"""
    )
    assert violations == [], f"{name}: {violations}"


def mark_header(page) -> None:
    """Remember the page's header node, to tell a swapped fragment from a page load."""
    page.evaluate("window.markedHeader = document.querySelector('header')")


def header_is_the_same_node(page) -> bool:
    return page.evaluate("window.markedHeader === document.querySelector('header')")


def test_filter_expand_follow_come_back_and_search_with_a_typo(page):
    page.goto("/organisations/together-trust/")
    assert page.locator("h1").inner_text() == "Together Trust"
    assert page.locator(ROWS).count() == 14
    check(page, "organisation")
    mark_header(page)

    page.select_option("#filter-status", "absent")
    page.wait_for_url(re.compile(r"\?status=absent$"))
    expect(page.locator(ROWS)).to_have_count(4)
    tags = page.locator(f"{ROWS} .app-status").all_inner_texts()
    assert tags == ["Absent"] * 4
    assert header_is_the_same_node(page), "the filter reloaded the page instead of swapping rows"
    # Screen readers hear what the swap changed, from a live region outside the fragment.
    assert page.locator("#results-status").inner_text() == "Showing 4 asks."
    assert page.locator("#comparison #results-status").count() == 0
    check(page, "organisation-absent")

    first_row = page.locator(ROWS).first
    first_row.get_by_role("link", name=re.compile("Show the full recommendation text")).click()
    expanded = first_row.locator(".app-expanded")
    expanded.wait_for()
    assert "Rationale (the organisation itself)" in expanded.inner_text()
    # htmx moves focus once the swap has settled, a moment after the row appears.
    expect(page.locator("summary:focus")).to_have_count(1)
    assert page.url.endswith("?status=absent"), "expanding a row is not a new place in history"
    assert header_is_the_same_node(page)
    check(page, "organisation-expanded")

    nearest = first_row.locator(".app-nearest a").first
    ref = nearest.inner_text().split()[0]
    nearest.click()
    page.wait_for_url(f"**/recommendations/{ref}/")
    assert page.locator("h1").inner_text().startswith(ref)
    assert "secondary sources" in page.locator("main").inner_text()
    check(page, "recommendation")

    page.go_back()
    page.wait_for_url(re.compile(r"/organisations/together-trust/\?status=absent$"))
    assert page.locator(ROWS).count() == 4
    assert page.locator("#filter-status").input_value() == "absent"

    # Back again, past the filter that htmx pushed onto the history, and forward.
    page.go_back()
    page.wait_for_url(re.compile(r"/organisations/together-trust/$"))
    expect(page.locator(ROWS)).to_have_count(14)
    assert page.locator("#filter-status").input_value() == ""
    page.go_forward()
    page.wait_for_url(re.compile(r"\?status=absent$"))
    expect(page.locator(ROWS)).to_have_count(4)

    page.get_by_role("link", name="Search").click()
    page.wait_for_url("**/search/")
    mark_header(page)
    page.get_by_label("Organisations, asks and recommendations").press_sequentially("stayng close")
    result = page.get_by_role("link", name=re.compile(r"^6\.x3 Staying Put and Staying Close"))
    result.wait_for()
    page.wait_for_url(re.compile(r"/search/\?q=stayng(\+|%20)close$"))
    assert header_is_the_same_node(page), "search reloaded the page instead of swapping results"
    assert re.fullmatch(r"\d+ results?\.", page.locator("#results-status").inner_text())
    for link in page.locator("#results a").all():
        assert link.is_visible()
    check(page, "search")

    result.click()
    page.wait_for_url("**/recommendations/6.x3/")


PAGES = {
    "overview": "/",
    "organisations": "/organisations/?sort=realised",
    "become": "/organisations/become/",
    # Verdicts on the Government's response and notes, beside the Final Report's.
    "nyas": "/organisations/nyas/",
    "document": "/documents/4/",
    "digest": "/documents/3/",
    "recommendations": "/recommendations/",
    "recommendations-by-demand": "/recommendations/?sort=demand",
    "themes": "/themes/",
    "theme": "/themes/family-help/",
    "not-found": "/organisations/nobody/",
}


def test_every_page_has_no_serious_accessibility_problem(page):
    for name, url in PAGES.items():
        page.goto(url)
        check(page, name)


def test_selecting_an_ask_in_the_source_reader_shows_its_comparison_beside_the_text(page):
    page.goto("/documents/4/")
    mark_header(page)
    page.locator("mark.app-ask--absent a").first.click()
    panel = page.locator("#comparison-panel")
    panel.locator(".app-expanded").wait_for()
    assert "Absent" in panel.inner_text()
    assert page.url.endswith("/documents/4/")
    assert header_is_the_same_node(page)
    check(page, "document-with-comparison")


def test_paging_through_organisations_swaps_the_list_and_the_back_button_returns(page):
    call_command(
        "seed_synthetic",
        organisations=60,
        asks_per_organisation=2,
        recommendations=5,
        seed=1,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    scorecards = "table.app-scorecards tbody th[scope=row]"
    page.goto("/organisations/?sort=realised")
    first_page = page.locator(scorecards).all_inner_texts()
    assert len(first_page) == 50
    check(page, "organisations-paginated")
    mark_header(page)

    page.locator(".govuk-pagination").get_by_role("link", name="Next page").click()
    page.wait_for_url(re.compile(r"/organisations/\?sort=realised&page=2$"))
    expect(page.locator("#results-status")).to_have_text(re.compile(r"^Showing 51 to "))
    assert header_is_the_same_node(page), "the page link reloaded the page instead of swapping"
    assert set(page.locator(scorecards).all_inner_texts()).isdisjoint(first_page)
    assert page.locator("#results-status").inner_text().startswith("Showing 51 to ")
    assert page.locator(".govuk-pagination__item--current").inner_text() == "2"

    page.go_back()
    page.wait_for_url(re.compile(r"/organisations/\?sort=realised$"))
    expect(page.locator(scorecards)).to_have_count(50)
    assert page.locator(scorecards).all_inner_texts() == first_page


def test_with_sign_in_required_a_reader_signs_in_browses_and_signs_out(page, settings):
    settings.CAREREVIEW_REQUIRE_LOGIN = True
    User.objects.create_user("reader", password="a-long-reader-password")

    page.goto("/themes/")
    page.wait_for_url(re.compile(r"/sign-in/\?next=/themes/$"))
    check(page, "sign-in")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password").fill("a-wrong-password")
    page.get_by_role("button", name="Sign in").click()
    assert "There is a problem" in page.locator(".govuk-error-summary").inner_text()
    check(page, "sign-in-error")

    page.get_by_label("Password").fill("a-long-reader-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/themes/$"))
    assert "Signed in as reader" in page.locator("header").inner_text()

    page.get_by_role("button", name="Sign out").click()
    page.goto("/organisations/")
    page.wait_for_url(re.compile(r"/sign-in/\?next=/organisations/$"))


def test_pages_run_htmx_2_the_major_version_base_html_names(page):
    page.goto("/")
    assert page.evaluate("htmx.version").split(".")[0] == "2"


def test_an_unknown_address_shows_a_page_that_helps(page):
    response = page.goto("/organisations/no-such-organisation/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    check(page, "not-found")


def test_an_ask_leads_to_what_the_government_did_with_its_recommendation_and_back(page):
    page.goto("/organisations/together-trust/?status=partly")
    row = page.locator(ROWS).filter(has=page.locator('a[href="/recommendations/6.x3/"]'))
    # The recommendation's own link, not the Government column's to its timeline.
    row.locator('a[href="/recommendations/6.x3/"]').click()
    page.wait_for_url("**/recommendations/6.x3/")
    timeline = page.locator("ol.app-timeline")
    steps = timeline.locator("h3").all_inner_texts()
    assert steps[0] == "Recommended 23 May 2022"
    assert [step.split()[0] for step in steps[1:]] == ["Delivery", "Government", "Delivery"]
    assert timeline.locator(".app-status").all_inner_texts() == [
        "In progress",
        "Accepted in part",
        "Legislated",
    ]
    quote_link = timeline.locator("figcaption a").first
    assert quote_link.inner_text() == quote_link.get_attribute("href")
    check(page, "timeline")

    page.get_by_role("link", name="What happened to every recommendation").click()
    page.wait_for_url("**/what-happened/")
    check(page, "what-happened")
    mark_header(page)
    page.select_option("#filter-response", "none")
    page.wait_for_url(re.compile(r"/what-happened/\?response=none$"))
    expect(page.locator("#results tbody tr")).to_have_count(21)
    assert header_is_the_same_node(page), "the filter reloaded the page instead of swapping rows"
    assert page.locator("#results-status").inner_text() == "Showing 21 recommendations."
    check(page, "what-happened-no-response")

    page.go_back()
    page.wait_for_url(re.compile(r"/what-happened/$"))
    page.go_back()
    page.wait_for_url("**/recommendations/6.x3/")
    page.go_back()
    page.wait_for_url(re.compile(r"/organisations/together-trust/\?status=partly$"))
    assert page.locator(ROWS).filter(has=page.locator('a[href="/recommendations/6.x3/"]')).count()
