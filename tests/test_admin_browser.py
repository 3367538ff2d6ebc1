"""The admin flow in real Chromium: a staff editor enters a new organisation's response,
splits it into asks, accepts a suggested recommendation, judges the ask on its own page
with one more piece of evidence, and finds both on the public page."""

import io
import re
from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from tests.conftest import load_axe, refused_by_csp

define_groups = import_module("responses.migrations.0002_editor_and_viewer_groups").define_groups

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ASK = "Make Staying Put and Staying Close a legal entitlement for young people in residential care until 25."
TEXT = (
    f"Our response to the Case for Change\n\nWhat we ask for:\n- {ASK}\n\nThank you for listening."
)


@pytest.fixture
def page(browser, live_server):
    # The groups come from a data migration, which an earlier transactional test's flush
    # takes away with everything else.
    define_groups(apps)
    call_command("load_corpus", stdout=io.StringIO())
    editor = User.objects.create_user("editor", password="a-long-editor-password", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 1000}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    refusals = refused_by_csp(page)
    yield page
    context.close()
    assert refusals == [], "the Content-Security-Policy blocked part of a page"


def _serious_problems(page, selector: str) -> list[str]:
    """axe-core's serious and critical findings inside `selector`: the markup carereview
    adds to admin, not Django admin's own. Nor select2's, admin's autocomplete: it marks
    the text shown in its box as a textbox without a name (the box itself is named)."""
    load_axe(page)
    return page.evaluate(
        """async (selector) => {
            const context = {include: [selector], exclude: [".select2-selection__rendered"]};
            const results = await axe.run(context, {resultTypes: ["violations"]});
            return results.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => `${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(" ")).join("; ")}`);
        }""",
        selector,
    )


def _success(page) -> str:
    return page.locator("ul.messagelist li.success").inner_text()


def test_an_editor_enters_a_response_splits_it_judges_it_and_sees_it_published(page):
    page.goto("/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "a-long-editor-password")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))

    page.goto("/admin/responses/organisation/add/")
    page.locator("#id_name").press_sequentially("Coram Voice")
    assert page.input_value("#id_slug") == "coram-voice"  # filled in as the name is typed
    page.select_option("#id_kind", "charity")
    page.click("input[name=_save]")
    assert "Coram Voice" in _success(page)

    page.goto("/admin/responses/responsedocument/add/")
    page.click("#id_organisation + .select2 .select2-selection")
    page.fill(".select2-search__field", "Coram")
    page.click(".select2-results__option:has-text('Coram Voice')")
    page.fill("#id_title", "Our response to the Case for Change")
    page.select_option("#id_kind", "case_for_change_response")
    page.fill("#id_text", TEXT)
    page.click("input[name=_continue]")
    assert "was added successfully" in _success(page)

    page.click("text=Split into asks")
    candidates = page.locator("#candidates tbody tr")
    row = candidates.filter(has_text=ASK)
    assert row.count() == 1
    assert _serious_problems(page, "#split-form") == []
    row.locator("input[type=checkbox]").check()
    row.locator("input[type=text]").fill("Staying Close until 25 in residential care")
    page.click("input[value='Save the ticked asks']")
    assert "Saved 1 ask" in _success(page)

    page.click("a.inlinechangelink")
    page.wait_for_url(re.compile(r"/admin/responses/ask/\d+/change/$"))
    assert _serious_problems(page, "section.suggestions") == []
    suggestion = page.locator("#suggestions tbody tr").filter(has_text="6.x3")
    assert suggestion.locator("mark").count() >= 2
    quote = suggestion.locator("textarea[name=quote]").input_value()
    assert quote
    suggestion.locator("input[value='Link 6.x3']").click()
    assert "partly realised" in _success(page)

    page.click("text=Judge this ask")
    page.wait_for_url(re.compile(r"/admin/responses/assessment/judge/\d+/$"))
    assert _serious_problems(page, "#judge-form") == []
    assert page.input_value("#id_evidence-0-quote") == quote
    page.fill("#id_rationale", "Staying Close is extended to 23, not 25.")
    page.fill("#id_change_reason", "Kinship allowance too")
    page.click("#id_evidence-1-recommendation + .select2 .select2-selection")
    page.fill(".select2-search__field", "kinship")
    page.click(".select2-results__option:has-text('4.x3')")
    page.fill("#id_evidence-1-quote", "an allowance at the same rate as their fostering allowance")
    page.click("input[value='Save the judgement']")
    assert "partly realised" in _success(page)

    page.goto("/organisations/coram-voice/")
    body = page.locator("body").inner_text()
    assert ASK in body
    assert "6.x3" in body and "4.x3" in body
