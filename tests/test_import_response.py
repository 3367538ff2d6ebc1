import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from responses import importing, limits
from responses.models import Organisation, ResponseDocument
from tests import factories


def _import(
    path, *extra, organisation="Coram Voice", title="Our response", kind="case_for_change_response"
):
    out = io.StringIO()
    call_command(
        "import_response",
        str(path),
        "--organisation",
        organisation,
        "--title",
        title,
        "--kind",
        kind,
        *extra,
        stdout=out,
    )
    return out.getvalue()


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "response.txt"
    path.write_text("We call for Staying Close for every child.\n\nThank you.\n", encoding="utf-8")
    return path


def test_a_text_file_becomes_a_document_of_a_new_organisation(db, text_file):
    output = _import(text_file, "--published", "2021-08", "--url", "https://example.org/response")

    document = ResponseDocument.objects.get(title="Our response")
    assert document.text == "We call for Staying Close for every child.\n\nThank you."
    assert document.organisation.name == "Coram Voice"
    assert document.organisation.slug == "coram-voice"
    assert (document.published, document.published_precision) == (
        datetime.date(2021, 8, 1),
        "month",
    )
    assert document.url == "https://example.org/response"
    assert "Created organisation Coram Voice" in output


def test_an_existing_organisation_is_found_whatever_the_case_of_its_name(db, text_file):
    existing = factories.organisation(name="Coram Voice", slug="coram")
    _import(text_file, organisation="coram voice")
    assert Organisation.objects.count() == 1
    assert ResponseDocument.objects.get().organisation == existing


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2022", (datetime.date(2022, 1, 1), "year")),
        ("2022-05", (datetime.date(2022, 5, 1), "month")),
        ("2022-05-23", (datetime.date(2022, 5, 23), "day")),
        (None, (None, "")),
    ],
)
def test_publication_dates_keep_their_precision(given, expected):
    assert importing.parse_published(given) == expected


def test_html_is_reduced_to_its_readable_text(db, tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Tab</title><style>p {color: red}</style></head><body>"
        "<h1>Our asks</h1><script>alert('x')</script><p>We want  more &amp; better</p>"
        "<ul><li>Kinship leave</li><li>Staying Close</li></ul></body></html>",
        encoding="utf-8",
    )
    _import(path)
    assert ResponseDocument.objects.get().text == (
        "Our asks\nWe want more & better\n- Kinship leave\n- Staying Close"
    )


def test_markdown_is_kept_as_written(db, tmp_path):
    path = tmp_path / "asks.md"
    path.write_text(
        "# Asks\n\n1. Pay kinship carers.\n2. Extend Staying Close.\n", encoding="utf-8"
    )
    _import(path)
    assert (
        ResponseDocument.objects.get().text
        == "# Asks\n\n1. Pay kinship carers.\n2. Extend Staying Close."
    )


def _write(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("name", "content", "extra", "message"),
    [
        ("empty.txt", b"  \n\n ", [], "has no text"),
        ("binary.txt", b"GIF89a\x00\x01\x02", [], "is a binary file"),
        ("latin.txt", "Caf\u00e9 asks".encode("latin-1"), [], "is not UTF-8 text"),
        ("scan.pdf", b"%PDF-1.4", [], r"only \.htm, \.html, \.md, \.txt files"),
        ("ok.txt", b"Asks.", ["--published", "2022-13"], "'2022-13' is not a date"),
        ("ok.txt", b"Asks.", ["--published", "May 2022"], "is not a date"),
        ("ok.txt", b"Asks.", ["--url", "not a url"], r"is not an http\(s\) URL"),
        ("only-script.html", b"<script>x()</script>", [], "has no text"),
    ],
)
def test_bad_input_is_refused_in_one_line_and_nothing_is_written(
    db, tmp_path, name, content, extra, message
):
    path = _write(tmp_path, name, content)
    with pytest.raises(CommandError, match=message) as refused:
        _import(path, *extra)
    assert "\n" not in str(refused.value)
    assert not Organisation.objects.exists() and not ResponseDocument.objects.exists()


def test_an_unknown_kind_is_refused(db, text_file):
    with pytest.raises(CommandError, match="Unknown kind 'letter'"):
        _import(text_file, kind="letter")
    assert not Organisation.objects.exists()


def test_a_missing_file_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*No such file"):
        _import(tmp_path / "missing.txt")


def test_an_oversized_file_is_refused(db, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "DOCUMENT_FILE_BYTES", 10)
    with pytest.raises(
        CommandError, match="is 35 bytes; the largest document accepted is 10 bytes"
    ):
        _import(_write(tmp_path, "long.txt", b"We call for a great deal of things."))


def test_a_duplicate_document_is_refused_and_a_new_organisation_is_not_left_behind(db, text_file):
    _import(text_file)
    with pytest.raises(
        CommandError, match="Coram Voice already has a document titled 'Our response'"
    ):
        _import(text_file)
    with pytest.raises(CommandError, match="already has a document with exactly this text"):
        _import(text_file, title="Another title")
    assert ResponseDocument.objects.count() == 1


def test_a_refused_import_into_a_new_organisation_creates_no_organisation(
    db, text_file, monkeypatch
):
    def refuse(*args, **kwargs):
        raise importing.ImportRefused("refused after the organisation was created")

    monkeypatch.setattr(importing.ResponseDocument, "full_clean", refuse)
    with pytest.raises(CommandError, match="refused after"):
        _import(text_file, organisation="Brand New Charity")
    assert not Organisation.objects.filter(name="Brand New Charity").exists()
