"""The API's interactive docs in a real browser: Swagger UI from the files the
django-ninja wheel ships (no CDN), inside the Content-Security-Policy, able to try an
endpoint against the live data."""

import pytest

from tests.conftest import refused_by_csp

from . import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_load_from_this_site_with_no_csp_violation_and_try_an_endpoint(
    browser, live_server
):
    factories.world(size=1)
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    refusals = refused_by_csp(page)
    elsewhere = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server.url) else elsewhere.append(request.url)
        ),
    )
    page.goto("/api/docs")
    page.get_by_text("/api/themes", exact=True).first.wait_for()
    assert page.locator(".opblock").count() == 10

    # Try one endpoint, as a researcher would.
    page.locator("#operations-default-themes").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    status = page.locator(".live-responses-table tbody .response-col_status").first
    assert status.inner_text().strip() == "200"

    context.close()
    assert refusals == [], "the Content-Security-Policy blocked part of the docs"
    assert elsewhere == [], "the docs asked another site for something"
