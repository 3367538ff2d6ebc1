"""Property-based tests: whatever arrives — a query string, a file to import, asks.csv
edited by hand or by accident — the answer is a page, a refusal with a message or an
import, never a server error, and a refused import changes nothing.

Hypothesis draws the inputs; each property runs a bounded number of examples without a
deadline, as the machine is shared and a database round trip varies.
"""

import csv
import io
from urllib.parse import quote, quote_from_bytes

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from browse import search
from browse.highlighting import mark_quotes
from browse.templatetags.carereview import marked
from recommendations.models import GovernmentStage, StageQuote
from responses import limits
from responses.csv_format import ASK_COLUMNS
from responses.models import Ask, Assessment, Evidence, Organisation, ResponseDocument

from . import factories

# The examples of one test share the test's database transaction and its fixtures: they
# only read, or write through an importer that is all or nothing.
examples = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text that breaks naive code: NUL and other controls, right-to-left overrides and
# zero-width characters, combining marks, astral emoji, lone surrogates, SQL and markup.
odd_text = st.one_of(
    st.text(max_size=40),
    st.text(
        alphabet=st.sampled_from(
            [
                "\x00",
                "\x07",
                "\x1b",
                "\u202e",
                "\u200b",
                "\u0301",
                "\U0001f600",
                "\udcff",
                "\ufeff",
                "'",
                '"',
                "%",
                "_",
                "\\",
                "<",
                ">",
                "&",
                ";",
                "-",
                "9",
                "a",
                " ",
            ]
        ),
        max_size=40,
    ),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "javascript:alert(1)",
            "' OR 1=1 --",
            "9" * 40,
            "-1",
            "0",
            "1e9",
            "١٢",
            "1_000",
            "NaN",
            "\u202egnp.exe",
        ]
    ),
    # Far longer than any field or form accepts.
    st.integers(min_value=1_000, max_value=20_000).map(lambda n: "x" * n),
)

FILTER_NAMES = [
    "status",
    "stage",
    "theme",
    "judged_by",
    "document",
    "document_kind",
    "organisation",
    "recommendation",
    "q",
    "kind",
    "sort",
    "chapter",
    "page",
    "expand",
    "by",
    "excel",
]


def query_string(pairs: list[tuple[str, str]], raw: bytes) -> str:
    """`pairs` percent-encoded as UTF-8 (lone surrogates as they would be escaped), then
    `raw` bytes that need not be UTF-8 at all."""
    encoded = "&".join(
        f"{quote(name, errors='surrogatepass')}={quote(value, errors='surrogatepass')}"
        for name, value in pairs
    )
    return f"{encoded}&q={quote_from_bytes(raw)}" if raw else encoded


queries = st.builds(
    query_string,
    st.lists(st.tuples(st.sampled_from(FILTER_NAMES) | st.text(max_size=10), odd_text), max_size=6),
    st.binary(max_size=20),
)


@pytest.fixture
def world(db):
    """One organisation with an ask of every kind, a recommendation the Government
    responded to and began to deliver, and the slugs, id and ref to find them by."""
    [organisation] = factories.world(size=1)
    recommendation = Evidence.objects.first().recommendation
    factories.stage(
        recommendation=recommendation,
        quotes=[("We accept it.", "https://example.org/a"), ("In full.", "https://example.org/b")],
    )
    factories.stage(recommendation=recommendation, stage="delivery", status="in_progress")
    return {
        "organisation": organisation.slug,
        "document": organisation.documents.first().pk,
        "recommendation": Evidence.objects.values_list("recommendation__ref", flat=True)[0],
        "theme": Ask.objects.filter(themes__isnull=False).values_list("themes__slug", flat=True)[0],
    }


def pages(world) -> list[str]:
    return [
        "/",
        "/organisations/",
        f"/organisations/{world['organisation']}/",
        f"/documents/{world['document']}/",
        "/recommendations/",
        f"/recommendations/{world['recommendation']}/",
        "/themes/",
        f"/themes/{world['theme']}/",
        "/search/",
        "/export/asks.csv",
        "/export/recommendations.csv",
        "/export/organisations.csv",
        "/export/matrix.csv",
        "/export/stages.csv",
    ]


def get(client, path: str, query: str, *, htmx: bool):
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(f"{path}?{query}", headers=headers)
    # A streamed export fails, if it fails, while its rows are read.
    if response.streaming:
        b"".join(response.streaming_content)
    return response


@examples
@given(query=queries, htmx=st.booleans())
def test_no_page_or_export_answers_any_query_string_with_a_server_error(client, world, query, htmx):
    for path in pages(world):
        response = get(client, path, query, htmx=htmx)
        assert response.status_code in (200, 302), (path, query, response.status_code)


@examples
@given(segment=odd_text)
def test_an_odd_slug_ref_or_id_in_a_pages_address_is_not_found_rather_than_an_error(
    client, world, segment
):
    value = quote(segment, safe="", errors="surrogatepass") or "x"
    for path in ["/organisations/{}/", "/documents/{}/", "/recommendations/{}/", "/themes/{}/"]:
        response = client.get(path.format(value))
        assert response.status_code in (200, 404), (path, segment, response.status_code)


@examples
@given(query=odd_text, limit=st.integers(min_value=-5, max_value=50))
def test_search_answers_any_query_with_results_of_at_most_the_limit(world, query, limit):
    results = search.search(query=query, limit=limit)
    for found in (results.organisations, results.asks, results.recommendations):
        assert len(found) <= max(limit, 0)


@examples
@given(
    text=st.text(max_size=300) | odd_text,
    picks=st.lists(st.tuples(st.integers(0, 300), st.integers(0, 40)), max_size=5),
    around=st.integers(min_value=0, max_value=60),
)
def test_marked_quotes_keep_the_text_whole_and_escape_everything_but_the_marks(text, picks, around):
    quotes = [text[start : start + length] for start, length in picks]
    segments = mark_quotes(text=text, quotes=[(quote, quote) for quote in quotes])
    assert "".join(segment.text for segment in segments) == text
    assert all(segment.text == segment.marked for segment in segments if segment.marked)
    for words in quotes:
        html = str(marked(text, words, around=around))
        assert "<" not in html.replace("<mark>", "").replace("</mark>", "")


def stored() -> tuple:
    """Everything an import may write, to compare before and after a refused import."""
    return (
        sorted(Organisation.objects.values_list("pk", "name", "slug")),
        sorted(ResponseDocument.objects.values_list("pk", "title", "text", "url")),
        sorted(Assessment.objects.values_list("pk", "status", "judged_by", "rationale", "version")),
        sorted(Evidence.objects.values_list("pk", "assessment_id", "recommendation_id", "quote")),
        Assessment.history.count() + Evidence.history.count(),
    )


document_bytes = st.one_of(
    st.binary(max_size=3_000),
    st.text(max_size=500).map(lambda text: text.encode("utf-8", errors="surrogatepass")),
    odd_text.map(lambda text: text.encode("utf-8", errors="surrogatepass")),
    st.text(max_size=200).map(lambda text: f"<p>{text}</p><script>{text}</script>".encode()),
)


@examples
@given(
    content=document_bytes,
    suffix=st.sampled_from([".txt", ".md", ".html", ".pdf", ""]),
    organisation=odd_text,
    title=odd_text,
    url=st.one_of(st.just(""), odd_text, st.just("https://example.org/response")),
    published=st.one_of(st.none(), odd_text, st.just("2021-08")),
)
def test_the_response_importer_imports_or_refuses_with_a_message_and_writes_nothing(
    db, tmp_path, monkeypatch, content, suffix, organisation, title, url, published
):
    # A small limit stands for the real one, so that "too large" is drawn often and cheaply.
    monkeypatch.setattr(limits, "DOCUMENT_FILE_BYTES", 2_000)
    path = tmp_path / f"response{suffix}"
    path.write_bytes(content)
    options = {"organisation": organisation, "title": title, "kind": "other", "url": url}
    if published is not None:
        options["published"] = published
    before = stored()
    try:
        call_command("import_response", str(path), stdout=io.StringIO(), **options)
    except CommandError as refused:
        assert str(refused) and "\n" not in str(refused)
        assert stored() == before
        return
    document = ResponseDocument.objects.latest("pk")
    assert document.title == title.strip()
    if suffix in (".txt", ".md"):
        text = content.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n").strip()
        assert document.text == text


@pytest.fixture
def export_rows(client, world) -> list[list[str]]:
    """asks.csv as the site exports it, header first."""
    body = b"".join(client.get("/export/asks.csv").streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body, newline="")))


# Values a person might type into asks.csv, and into stages.csv.
ASK_VALUES = [
    "realised",
    "absent",
    "not_assessed",
    "editorial",
    "organisation",
    "automatic",
    "",
    "1.1",
    "'-1",
]
STAGE_VALUES = [
    "delivery",
    "accepted_in_part",
    "legislated",
    "2024",
    "2024-06",
    "year",
    "low",
    "",
    "Checked again.",
    "'=1+1",
    "https://example.org/c",
]


def mutated(rows: list[list[str]], data, values: list[str] = ASK_VALUES) -> list[list[str]]:
    """`rows` with a few cells, rows or lengths changed as a person or a program might,
    a cell to odd text or one of `values`."""
    rows = [list(row) for row in rows]
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        change = data.draw(st.sampled_from(["cell", "drop", "repeat", "widen", "narrow"]))
        at = data.draw(st.integers(min_value=1, max_value=len(rows) - 1))
        if change == "cell" and rows[at]:
            # The row may have been narrowed or widened already.
            column = data.draw(st.integers(min_value=0, max_value=len(rows[at]) - 1))
            rows[at][column] = data.draw(odd_text | st.sampled_from(values))
        elif change == "drop" and len(rows) > 2:
            del rows[at]
        elif change == "repeat":
            rows.insert(at, list(rows[at]))
        elif change == "widen":
            rows[at].append(data.draw(odd_text))
        elif change == "narrow" and rows[at]:
            rows[at].pop()
    return rows


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8", errors="surrogatepass")


def import_file(path) -> bool:
    """Whether import_assessments took the file; a refusal must be a CommandError."""
    try:
        call_command("import_assessments", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as refused:
        assert str(refused)
        return False
    return True


@examples
@given(data=st.data())
def test_import_assessments_takes_a_mutated_export_or_refuses_it_and_changes_nothing(
    tmp_path, export_rows, data
):
    path = tmp_path / "asks.csv"
    content = as_csv(mutated(export_rows, data))
    if data.draw(st.booleans()):
        # A byte changed anywhere: broken UTF-8, a NUL, a stray quote or line break.
        at = data.draw(st.integers(min_value=0, max_value=len(content) - 1))
        content = content[:at] + bytes([data.draw(st.integers(0, 255))]) + content[at + 1 :]
    path.write_bytes(content)
    before = stored()
    if not import_file(path):
        assert stored() == before


@examples
@given(
    content=st.binary(max_size=2_000) | odd_text.map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_import_assessments_refuses_any_other_bytes_with_a_message(db, tmp_path, content):
    path = tmp_path / "asks.csv"
    path.write_bytes(content)
    before = stored()
    assert not import_file(path)
    assert stored() == before


@pytest.fixture
def stage_rows(client, world) -> list[list[str]]:
    """stages.csv as the site exports it, header first."""
    body = b"".join(client.get("/export/stages.csv").streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body, newline="")))


def stages_stored() -> tuple:
    return (
        sorted(GovernmentStage.objects.values_list()),
        sorted(StageQuote.objects.values_list()),
        GovernmentStage.history.count() + StageQuote.history.count(),
    )


def import_stages(path) -> str | None:
    """What import_stages said when it took the file, or None when it refused it with a
    CommandError."""
    out = io.StringIO()
    try:
        call_command(
            "import_stages", str(path), "--user", "editor", stdout=out, stderr=io.StringIO()
        )
    except CommandError as refused:
        assert str(refused)
        return None
    return out.getvalue()


@examples
@given(data=st.data())
def test_import_stages_takes_a_mutated_export_or_refuses_it_and_changes_nothing(
    client, tmp_path, stage_rows, data
):
    User.objects.get_or_create(username="editor")
    path = tmp_path / "stages.csv"
    content = as_csv(mutated(stage_rows, data, STAGE_VALUES))
    if data.draw(st.booleans()):
        at = data.draw(st.integers(min_value=0, max_value=len(content) - 1))
        content = content[:at] + bytes([data.draw(st.integers(0, 255))]) + content[at + 1 :]
    path.write_bytes(content)
    before = stages_stored()
    if import_stages(path) is None:
        assert stages_stored() == before
        return
    # What it took, the site now exports so that it reads back as it is.
    path.write_bytes(b"".join(client.get("/export/stages.csv").streaming_content))
    assert "0 stage records changed, 0 added" in import_stages(path)


def test_an_ask_id_left_unchanged_by_mutations_still_names_a_real_ask(export_rows):
    """The mutations above start from a real export: its ask ids are the asks'."""
    ids = {int(row[ASK_COLUMNS.index("ask_id")]) for row in export_rows[1:]}
    assert ids and ids <= set(Ask.objects.values_list("pk", flat=True))
