"""Hostile input: markup and scripts render as text, right-to-left overrides stay inside
their element, javascript: links are refused and never linked, NUL bytes and text over
the documented limits are refused with a message that names the limit and the size, and
odd but valid Unicode is stored exactly as given."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.forms import modelform_factory
from django.urls import reverse

from recommendations.models import Source
from responses import limits
from responses.csv_format import ASK_COLUMNS
from responses.models import (
    Ask,
    Assessment,
    Evidence,
    Organisation,
    ResponseDocument,
)

from . import factories

SCRIPT = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
ATTRIBUTE = '" onmouseover="alert(1)'
RLO = "\u202e"


@pytest.fixture
def hostile(db):
    """An organisation whose every text a person typed carries a script, an attribute
    breakout and a right-to-left override, with an ask quoted from its document, a
    theme and a recommendation it is judged against."""
    theme = factories.theme(name=f"{RLO}Theme {SCRIPT}", slug="hostile-theme")
    recommendation = factories.recommendation(
        title=f"{RLO}Recommendation {SCRIPT}",
        text=f"Care leavers should have {SCRIPT} support {ATTRIBUTE} for life.",
    )
    recommendation.themes.add(theme)
    organisation = factories.organisation(name=f"{RLO}Hostile {SCRIPT}", slug="hostile")
    quoted = f"We call for {SCRIPT} and {ATTRIBUTE} everywhere."
    document = factories.document(
        organisation=organisation,
        title=f"{RLO}Response {SCRIPT}",
        text=f"Introduction {SCRIPT}. {quoted} The end.",
    )
    ask = factories.ask(document=document, text=quoted, title=f"{RLO}Ask {SCRIPT}")
    ask.themes.add(theme)
    assessment = factories.assessment(
        ask=ask, status="partly", rationale=f"Because {SCRIPT}", note=f"Note {SCRIPT}"
    )
    Evidence.objects.create(
        assessment=assessment, recommendation=recommendation, quote=f"{SCRIPT} support"
    )
    return {
        "organisation": organisation,
        "document": document,
        "ask": ask,
        "theme": theme,
        "recommendation": recommendation,
    }


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def assert_inert(html: str) -> None:
    assert SCRIPT not in html
    assert 'onmouseover="alert' not in html
    assert ESCAPED in html


@pytest.mark.parametrize(
    "url",
    [
        lambda h: h["organisation"].get_absolute_url(),
        lambda h: h["organisation"].get_absolute_url() + f"?expand={h['ask'].pk}",
        lambda h: h["document"].get_absolute_url(),
        lambda h: h["theme"].get_absolute_url(),
        lambda h: h["recommendation"].get_absolute_url(),
        lambda h: "/",
        lambda h: "/organisations/",
        lambda h: "/themes/",
        lambda h: "/recommendations/",
        lambda h: "/search/?q=Hostile",
        lambda h: "/search/?q=everywhere",
        lambda h: "/search/?q=leavers",
    ],
    ids=[
        "organisation",
        "organisation-expanded",
        "document",
        "theme",
        "recommendation",
        "overview",
        "organisations",
        "themes",
        "recommendations",
        "search-organisation",
        "search-ask",
        "search-recommendation",
    ],
)
def test_script_and_attribute_text_renders_escaped_on_every_page(client, hostile, url):
    assert_inert(page(client, url(hostile)))


def test_the_document_reader_marks_a_hostile_ask_as_escaped_text(client, hostile):
    html = page(client, hostile["document"].get_absolute_url())
    marked = re.search(r'<mark class="app-ask[^"]*" id="quote-\d+">(.*?)</mark>', html, re.DOTALL)
    assert marked and "We call for &lt;script&gt;alert(&quot;x&quot;)" in marked.group(1)
    assert "&quot; onmouseover=&quot;alert(1)" in marked.group(1)


def test_a_search_that_only_the_hostile_words_match_answers_with_them_escaped(client, hostile):
    html = page(client, "/search/?q=" + SCRIPT)
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html


def test_the_admin_suggestions_page_shows_hostile_recommendations_escaped(client, hostile):
    editor = User.objects.create_user("editor", password="pw-editor-1", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    html = page(client, reverse("admin:responses_ask_change", args=[hostile["ask"].pk]))
    assert SCRIPT not in html
    assert "Recommendation &lt;script&gt;alert(&quot;x&quot;)" in html


def outside_isolates(html: str) -> str:
    """`html` without what is isolated from the text around it: <bdi> elements, Unicode's
    first-strong isolates (in <title> and a chart's text alternative, which hold text only),
    a select's options and an
    SVG chart's <text> elements, each laid out on its own, and attribute values, which are
    not laid out as text."""
    for isolated in (
        r"<bdi>.*?</bdi>",
        "(?:&#x2068;|\u2068).*?(?:&#x2069;|\u2069)",
        r"<option[^>]*>.*?</option>",
        r"<text[^>]*>.*?</text>",
        r'="[^"]*"',
    ):
        html = re.sub(isolated, "", html, flags=re.DOTALL)
    return html


@pytest.mark.parametrize(
    "url",
    [
        lambda h: h["organisation"].get_absolute_url() + f"?expand={h['ask'].pk}",
        lambda h: h["document"].get_absolute_url(),
        lambda h: h["theme"].get_absolute_url(),
        lambda h: h["recommendation"].get_absolute_url(),
        lambda h: "/",
        lambda h: "/organisations/",
        lambda h: "/themes/",
        lambda h: "/search/?q=Hostile",
        lambda h: "/search/?q=everywhere",
        lambda h: "/search/?q=leavers",
    ],
    ids=[
        "organisation",
        "document",
        "theme",
        "recommendation",
        "overview",
        "organisations",
        "themes",
        "search-organisation",
        "search-ask",
        "search-recommendation",
    ],
)
def test_a_right_to_left_override_in_user_text_never_escapes_its_element(client, hostile, url):
    html = page(client, url(hostile))
    assert RLO in html
    assert RLO not in outside_isolates(html)


def test_the_isolate_check_sees_an_override_left_outside_an_element():
    assert RLO in outside_isolates(f"<p><a href='/'>{RLO}name</a> status</p>")
    assert RLO not in outside_isolates(f"<p><a href='/'><bdi>{RLO}name</bdi></a> status</p>")


# Links


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>x</script>",
        "ftp://example.org/response.txt",
        "vbscript:msgbox(1)",
    ],
)
def test_only_http_and_https_addresses_are_accepted_as_links(db, url):
    organisation = factories.organisation()
    for record, field in [
        (Organisation(name="Org", slug="org", kind="charity", website=url), "website"),
        (
            ResponseDocument(organisation=organisation, title="T", kind="other", text="x", url=url),
            "url",
        ),
        (Source(recommendation=factories.recommendation(), url=url), "url"),
    ]:
        with pytest.raises(ValidationError) as refused:
            record.full_clean()
        assert (
            "Enter a web address starting http:// or https://."
            in (refused.value.message_dict[field])
        )


def test_an_https_address_is_accepted(db):
    ResponseDocument(
        organisation=factories.organisation(),
        title="T",
        kind="other",
        text="x",
        url="https://example.org/response",
    ).full_clean()


def test_a_javascript_url_stored_before_it_was_checked_is_shown_but_never_linked(client, db):
    document = factories.document(url="javascript:alert(1)")
    source = Source.objects.create(
        recommendation=factories.recommendation(), url="javascript:alert(2)"
    )
    html = page(client, document.get_absolute_url())
    assert 'href="javascript:' not in html
    assert "javascript:alert(1)</bdi> (not a web address, so not linked)" in html
    html = page(client, source.recommendation.get_absolute_url())
    assert 'href="javascript:' not in html
    assert "javascript:alert(2)</bdi> (not linked)" in html


def test_the_importer_refuses_a_javascript_url(db, tmp_path):
    path = tmp_path / "response.txt"
    path.write_text("We call for things.")
    with pytest.raises(CommandError, match="is not an http\\(s\\) URL"):
        import_response(path, url="javascript:alert(1)")
    assert not ResponseDocument.objects.exists()


# The response importer


def import_response(path, **options):
    defaults = {"organisation": "Coram Voice", "title": "Our response", "kind": "other"}
    call_command("import_response", str(path), stdout=io.StringIO(), **defaults | options)


def test_odd_unicode_in_a_document_is_stored_exactly_as_given(db, tmp_path):
    text = (
        f"We call for {RLO}reversed{RLO} text, zero\u200bwidth\u200djoiners, "
        "combining e\u0301 marks, astral \U0001f600 emoji,\tand a\u2028line separator."
    )
    path = tmp_path / "response.txt"
    path.write_bytes(text.encode())
    import_response(path, organisation=f"{RLO}Coram Voice \U0001f600", title=f"T\u0301 {RLO}")
    document = ResponseDocument.objects.get()
    assert document.text == text
    assert document.title == f"T\u0301 {RLO}"
    assert document.organisation.name == f"{RLO}Coram Voice \U0001f600"


def test_a_document_over_the_limit_is_refused_naming_the_limit_and_its_size(db, tmp_path):
    path = tmp_path / "response.txt"
    path.write_bytes(b"x" * (limits.DOCUMENT_FILE_BYTES + 1))
    with pytest.raises(
        CommandError,
        match="response.txt is 5,000,001 bytes; the largest document accepted is 5,000,000 bytes",
    ):
        import_response(path)
    assert not Organisation.objects.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"title": "Our\x00response"}, "The title contains a NUL character"),
        ({"organisation": "Coram\x00Voice"}, "The organisation's name contains a NUL character"),
        ({"url": "https://example.org/\x00"}, "The URL contains a NUL character"),
        # A name in another encoding arrives from the command line with lone surrogates.
        ({"title": "Caf\udce9"}, "The title is not valid UTF-8 text"),
        (
            {"organisation": "x" * 201},
            "The organisation's name is 201 characters long; the longest accepted is 200",
        ),
        ({"title": "x" * 301}, "The title is 301 characters long; the longest accepted is 300"),
    ],
)
def test_the_importer_refuses_what_the_database_cannot_store_on_either_database(
    db, tmp_path, options, message
):
    path = tmp_path / "response.txt"
    path.write_text("We call for things.")
    with pytest.raises(CommandError, match=re.escape(message)):
        import_response(path, **options)
    assert not Organisation.objects.exists() and not ResponseDocument.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"We call\x00 for things.", "is a binary file, not text (a NUL byte at byte 7)"),
        (b"We call\x07 for things.", "contains the control character U+0007 (character 8)"),
        # A lone surrogate, encoded as UTF-8 encodes other characters: not valid UTF-8.
        (b"We call \xed\xa0\x80 for things.", "is not UTF-8 text (byte 8 is not UTF-8)"),
    ],
)
def test_the_importer_refuses_nul_control_characters_and_broken_utf_8(
    db, tmp_path, content, message
):
    path = tmp_path / "response.txt"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=re.escape(message)):
        import_response(path)
    assert not ResponseDocument.objects.exists()


# Admin's forms: the models' validators


@pytest.mark.parametrize(
    ("model", "field", "limit"),
    [
        (ResponseDocument, "text", limits.DOCUMENT_TEXT_CHARS),
        (ResponseDocument, "notes", limits.NOTE_CHARS),
        (Ask, "text", limits.ASK_TEXT_CHARS),
        (Assessment, "rationale", limits.NOTE_CHARS),
        (Assessment, "note", limits.NOTE_CHARS),
        (Organisation, "description", limits.NOTE_CHARS),
        (Organisation, "name", limits.ORGANISATION_NAME_CHARS),
        (ResponseDocument, "title", limits.DOCUMENT_TITLE_CHARS),
        (Ask, "title", limits.ASK_TITLE_CHARS),
    ],
)
def test_a_form_refuses_text_over_its_limit_naming_the_limit_and_the_length(
    db, model, field, limit
):
    form = modelform_factory(model, fields=[field])(data={field: "x" * (limit + 1)})
    assert not form.is_valid()
    assert form.errors[field] == [
        f"Ensure this value has at most {limit} characters (it has {limit + 1})."
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "description",
            "x" * (limits.NOTE_CHARS + 1),
            "Ensure this value has at most 20000 characters (it has 20001).",
        ),
        ("name", "x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
        ("name", "Coram\x00Voice", "Null characters are not allowed."),
        ("website", "javascript:alert(1)", "Enter a valid URL."),
        ("website", "ftp://example.org/", "Enter a valid URL."),
    ],
)
def test_admin_shows_why_it_refuses_an_organisation(admin_client, field, value, message):
    data = {"name": "Coram Voice", "slug": "coram-voice", "kind": "charity"} | {field: value}
    response = admin_client.post(reverse("admin:responses_organisation_add"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Organisation.objects.exists()


def test_a_form_refuses_a_nul_character(db):
    form = modelform_factory(Ask, fields=["title", "text"])(data={"title": "a\x00", "text": "b"})
    assert not form.is_valid()
    assert form.errors["title"] == ["Null characters are not allowed."]


# import_assessments


def export_rows(client) -> list[list[str]]:
    body = b"".join(client.get("/export/asks.csv").streaming_content).decode()
    return list(csv.reader(io.StringIO(body, newline="")))


def write_csv(tmp_path, rows) -> str:
    path = tmp_path / "asks.csv"
    with open(path, "w", encoding="utf-8", newline="", errors="surrogatepass") as file:
        csv.writer(file).writerows(rows)
    return str(path)


def judgements() -> tuple:
    return (
        sorted(Assessment.objects.values_list("pk", "status", "judged_by", "rationale")),
        sorted(Evidence.objects.values_list("pk", "quote")),
        Assessment.history.count(),
    )


def refused(path: str) -> str:
    """What import_assessments wrote to stderr when it refused `path`."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_assessments", path, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


@pytest.fixture
def exported(client, hostile) -> list[list[str]]:
    return export_rows(client)


def with_cell(rows, column: str, value: str) -> list[list[str]]:
    rows = [list(row) for row in rows]
    rows[1][ASK_COLUMNS.index(column)] = value
    return rows


def test_a_nul_in_asks_csv_is_refused_with_its_line_and_nothing_changes(tmp_path, exported):
    before = judgements()
    errors = refused(write_csv(tmp_path, with_cell(exported, "rationale", "Because\x00")))
    assert "line 2: rationale contains a NUL character, which cannot be stored." in errors
    assert judgements() == before


def test_a_lone_surrogate_in_asks_csv_bytes_is_a_decoding_error_on_its_line(tmp_path, exported):
    path = write_csv(tmp_path, with_cell(exported, "rationale", "Because \udc80"))
    assert "line 2: the file is not UTF-8 text" in refused(path)


def test_an_ask_id_too_large_for_the_database_is_no_ask_rather_than_an_overflow(tmp_path, exported):
    errors = refused(write_csv(tmp_path, with_cell(exported, "ask_id", "9" * 30)))
    assert f"line 2: no ask has id '{'9' * 30}'." in errors


@pytest.mark.parametrize("ask_id", ["1_0", "١", " 1", "-1"])
def test_an_ask_id_is_ascii_digits_only(tmp_path, exported, ask_id):
    assert "is not a number" in refused(write_csv(tmp_path, with_cell(exported, "ask_id", ask_id)))


def test_a_rationale_over_the_limit_is_refused_naming_the_limit_and_its_length(tmp_path, exported):
    long = "x" * (limits.NOTE_CHARS + 1)
    errors = refused(write_csv(tmp_path, with_cell(exported, "rationale", long)))
    assert "the rationale is 20,001 characters; the longest accepted is 20,000 characters" in errors


def test_asks_csv_over_the_size_limit_is_refused_naming_both_sizes(tmp_path, exported, monkeypatch):
    path = write_csv(tmp_path, exported)
    size = (tmp_path / "asks.csv").stat().st_size
    monkeypatch.setattr(limits, "ASSESSMENTS_FILE_BYTES", size - 1)
    errors = refused(path)
    assert f"asks.csv: the file is {size:,} bytes; the largest accepted is {size - 1:,} bytes." in (
        errors
    )


def test_asks_csv_with_more_rows_than_the_limit_is_refused(tmp_path, exported, monkeypatch):
    monkeypatch.setattr(limits, "ASSESSMENTS_ROWS", 1)
    errors = refused(write_csv(tmp_path, [*exported, exported[1]]))
    assert "line 3: the file has more than 1 row, the most accepted." in errors


def test_a_cell_over_the_limit_is_refused_and_csvs_own_limit_is_restored(
    tmp_path, exported, monkeypatch
):
    csvs_limit = csv.field_size_limit()
    monkeypatch.setattr(limits, "ASSESSMENTS_CELL_CHARS", 50)
    errors = refused(write_csv(tmp_path, with_cell(exported, "ask_text", "x" * 51)))
    assert "line 2: a cell is longer than 50 characters, the longest accepted." in errors
    assert csv.field_size_limit() == csvs_limit


def test_hostile_text_in_asks_csv_round_trips_exactly(client, tmp_path, exported):
    rationale = f"{RLO}Because {SCRIPT} \U0001f600 e\u0301 =cmd|' /C calc'!A0"
    call_command(
        "import_assessments",
        write_csv(tmp_path, with_cell(exported, "rationale", rationale)),
        stdout=io.StringIO(),
    )
    assert Assessment.objects.get().rationale == rationale


# In a real browser

# For each text node holding an override: the nearest inline element that isolates it (a
# <bdi>, anything styled unicode-bidi: isolate; an SVG <text>, laid out on its own) or,
# failing that, the block it sits in, which must then hold nothing but that text.
ESCAPED_OVERRIDES = """() => {
    const escaped = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        if (!node.data.includes("\\u202e")) continue;
        for (let element = node.parentElement; element; element = element.parentElement) {
            const style = getComputedStyle(element);
            if (element instanceof SVGTextElement) break;
            // A block's unicode-bidi (browsers isolate <p> and <div>) does not isolate
            // its content from the rest of that content.
            if (!["inline", "contents"].includes(style.display)) {
                if (element.textContent.trim() !== node.data.trim()) {
                    escaped.push(element.outerHTML.slice(0, 200));
                }
                break;
            }
            if (["isolate", "isolate-override", "plaintext"].includes(style.unicodeBidi)) break;
        }
    }
    return escaped;
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_no_hostile_script_runs_and_no_override_escapes_its_element(
    browser, live_server, hostile
):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    urls = [
        hostile["organisation"].get_absolute_url() + f"?expand={hostile['ask'].pk}",
        hostile["document"].get_absolute_url(),
        hostile["theme"].get_absolute_url(),
        hostile["recommendation"].get_absolute_url(),
        "/",
        "/organisations/",
        "/themes/",
        "/search/?q=Hostile",
        "/search/?q=everywhere",
    ]
    # The check itself sees an override that escapes, and one that a <bdi> holds.
    page.set_content(f"<p><a href='#'>{RLO}name</a> status</p>")
    assert page.evaluate(ESCAPED_OVERRIDES) != []
    page.set_content(f"<p><a href='#'><bdi>{RLO}name</bdi></a> status</p>")
    assert page.evaluate(ESCAPED_OVERRIDES) == []
    for url in urls:
        page.goto(url)
        assert "<script>" in page.locator("body").inner_text(), url
        # The would-be handler is text: pointing at it runs nothing.
        written = page.get_by_text("onmouseover")
        if written.count():
            written.first.hover()
        assert page.evaluate(ESCAPED_OVERRIDES) == [], url
    context.close()
    assert dialogs == []
