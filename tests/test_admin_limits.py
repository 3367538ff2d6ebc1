"""Admin accepts what the documented limits accept, refuses the rest in the importers'
words, and keeps its screens bounded at those limits (issue 15, "Admin limits that
disagree")."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from responses import limits, splitting
from responses.admin.document import CANDIDATES_A_PAGE
from responses.importing import ImportRefused, read_text
from responses.models import Ask, Organisation, ResponseDocument
from tests import factories

ADD_DOCUMENT = "admin:responses_responsedocument_add"
# Django's own request limit, which refused a document of 3,000,000 characters.
DJANGO_DEFAULT_REQUEST_BYTES = 2_621_440


def _document_form(organisation, text: str) -> dict:
    return {
        "organisation": organisation.pk,
        "title": "A long response",
        "kind": "other",
        "text": text,
        "asks-TOTAL_FORMS": "0",
        "asks-INITIAL_FORMS": "0",
        "asks-MIN_NUM_FORMS": "0",
        "asks-MAX_NUM_FORMS": "1000",
    }


def _text_of(chars: int, sentence: str) -> str:
    return (sentence * (chars // len(sentence) + 1))[:chars]


def test_request_limit_holds_the_longest_document_at_four_bytes_a_character():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == limits.REQUEST_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE > 4 * limits.DOCUMENT_TEXT_CHARS


def test_document_form_is_posted_as_multipart(admin_client, db):
    page = admin_client.get(reverse(ADD_DOCUMENT)).content.decode()
    assert 'enctype="multipart/form-data"' in page


def test_a_document_of_3_000_000_characters_is_saved_through_admin(admin_client, db):
    organisation = factories.organisation()
    text = _text_of(3_000_000, "Kinship carers — grandparents, aunts — need paid leave. ")
    assert len(text.encode()) > DJANGO_DEFAULT_REQUEST_BYTES

    response = admin_client.post(reverse(ADD_DOCUMENT), _document_form(organisation, text))

    assert response.status_code == 302
    assert organisation.documents.get().text == text


def test_the_longest_document_in_four_byte_characters_is_saved_through_admin(admin_client, db):
    organisation = factories.organisation()
    text = "🏠" * limits.DOCUMENT_TEXT_CHARS

    response = admin_client.post(reverse(ADD_DOCUMENT), _document_form(organisation, text))

    assert response.status_code == 302
    assert len(organisation.documents.get().text) == limits.DOCUMENT_TEXT_CHARS


def test_a_document_of_5_000_001_characters_is_refused_naming_the_limit(admin_client, db):
    organisation = factories.organisation()
    text = _text_of(limits.DOCUMENT_TEXT_CHARS + 1, "We call for more help for families. ")

    response = admin_client.post(reverse(ADD_DOCUMENT), _document_form(organisation, text))

    assert response.status_code == 200
    assert (
        "Ensure this value has at most 5000000 characters (it has 5000001)."
        in response.content.decode()
    )
    assert not ResponseDocument.objects.exists()


def test_a_request_over_the_limit_is_refused_with_the_limit_in_words(admin_client, db):
    organisation = factories.organisation()
    text = "🏠" * (limits.REQUEST_BYTES // 4 + 1)

    response = admin_client.post(reverse(ADD_DOCUMENT), _document_form(organisation, text))

    assert response.status_code == 413
    page = response.content.decode()
    assert f"larger than the {limits.REQUEST_BYTES:,} bytes carereview accepts" in page
    assert f"a document of {limits.DOCUMENT_TEXT_CHARS:,} characters" in page
    assert "Nothing was saved" in page
    assert not ResponseDocument.objects.exists()


def test_a_form_with_too_many_fields_is_refused_in_words(admin_client, db):
    fields = {f"field_{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    response = admin_client.post(reverse(ADD_DOCUMENT), fields)

    assert response.status_code == 400
    assert (
        f"more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields" in response.content.decode()
    )


# --- Text that is not UTF-8 --------------------------------------------------------------


def _the_importers_refusal(tmp_path: Path, raw: bytes) -> str:
    path = tmp_path / "response.txt"
    path.write_bytes(raw)
    with pytest.raises(ImportRefused) as refused:
        read_text(path=path)
    return str(refused.value)


def test_invalid_utf8_posted_in_admin_is_refused_in_the_importers_words(admin_client, db, tmp_path):
    organisation = factories.organisation()
    # Form-encoded by hand: a browser sends a pasted byte that is not UTF-8 as it is, and
    # Django decodes it leniently, as U+FFFD.
    body = (
        f"organisation={organisation.pk}&title=Pasted&kind=other"
        "&text=We+call+for+caf%E9+culture.&asks-TOTAL_FORMS=0&asks-INITIAL_FORMS=0"
    )

    response = admin_client.post(
        reverse(ADD_DOCUMENT), body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    refusal = (
        "What you entered is not UTF-8 text (character 16 is U+FFFD, which stands for bytes "
        "that were not UTF-8); save it as UTF-8 and try again."
    )
    assert escape(refusal) in response.content.decode()
    importer = _the_importers_refusal(tmp_path, b"We call for caf\xe9 culture.")
    assert importer == (
        "response.txt is not UTF-8 text (byte 15 is not UTF-8); save it as UTF-8 and try again."
    )
    assert not ResponseDocument.objects.exists()


def test_the_importer_refuses_a_replacement_character_as_admin_does(tmp_path):
    refusal = _the_importers_refusal(tmp_path, "We call for caf\ufffd culture.".encode())
    assert refusal == (
        "response.txt is not UTF-8 text (character 16 is U+FFFD, which stands for bytes that "
        "were not UTF-8); save it as UTF-8 and try again."
    )


def test_an_organisation_named_in_admin_refuses_a_replacement_character(admin_client, db):
    response = admin_client.post(
        reverse("admin:responses_organisation_add"),
        {"name": "Caf\ufffd Culture", "slug": "cafe-culture", "kind": "charity"},
    )

    assert response.status_code == 200
    assert "is U+FFFD, which stands for bytes that were not UTF-8" in response.content.decode()
    assert not Organisation.objects.exists()


def test_splitting_refuses_an_ask_holding_a_replacement_character(db):
    document = factories.document(text="- We call for caf\ufffd culture in every town.")
    [candidate] = splitting.candidate_asks(text=document.text)
    with pytest.raises(ValidationError, match="is U\\+FFFD"):
        splitting.save_asks(document=document, asks=[(candidate.text, "")])
    assert not Ask.objects.exists()


# --- Split into asks at the limit ----------------------------------------------------------


def _split_url(document, page: int | None = None) -> str:
    url = reverse("admin:responses_responsedocument_split", args=[document.pk])
    return f"{url}?page={page}" if page else url


def test_split_screen_at_the_limit_shows_one_page_of_candidates(
    admin_client, db, django_assert_max_num_queries
):
    line = "- We call for kinship carers to have paid leave from work.\n"
    document = factories.document(text=_text_of(limits.DOCUMENT_TEXT_CHARS, line))
    total = len(splitting.candidate_asks(text=document.text))
    assert total > 10 * CANDIDATES_A_PAGE

    with django_assert_max_num_queries(8):
        response = admin_client.get(_split_url(document))

    assert response.status_code == 200
    assert len(response.context["rows"]) == CANDIDATES_A_PAGE
    page = response.content.decode()
    assert page.count('<blockquote class="candidate-text">') == CANDIDATES_A_PAGE
    assert f"{total:,} passages of this document look like asks" in page
    assert len(response.content) < 100_000


def test_split_screen_of_the_longest_candidates_stays_bounded(admin_client, db):
    sentence = "Families matter a great deal. "
    # A list line as long as an ask may be, then one longer, which is no candidate.
    longest = "- " + _text_of(limits.ASK_TEXT_CHARS, sentence) + "\n"
    longer = "- " + _text_of(limits.ASK_TEXT_CHARS + 1, sentence) + "\n"
    document = factories.document(text=_text_of(limits.DOCUMENT_TEXT_CHARS, longest + longer))

    response = admin_client.get(_split_url(document))

    rows = response.context["rows"]
    assert len(rows) == CANDIDATES_A_PAGE
    assert {len(row["candidate"].text) for row in rows} == {limits.ASK_TEXT_CHARS}
    # Each candidate's text twice (shown, and posted back), and the page around them.
    assert len(response.content) < 2 * CANDIDATES_A_PAGE * limits.ASK_TEXT_CHARS + 100_000


def test_asks_ticked_on_a_later_page_are_saved(admin_client, db):
    lines = [f"- We call for kinship carers to have paid leave, ask {n}.\n" for n in range(120)]
    document = factories.document(text="".join(lines))
    url = _split_url(document, page=2)
    rows = admin_client.get(url).context["rows"]
    data = {f"text_{i}": row["candidate"].text for i, row in enumerate(rows)}

    response = admin_client.post(url, data | {"pick_0": "on", "title_0": "Paid leave"})

    assert response.status_code == 302
    [ask] = document.asks.all()
    assert ask.text == lines[CANDIDATES_A_PAGE].removeprefix("- ").strip()
    assert ask.title == "Paid leave"


def test_a_list_line_with_a_long_run_of_spaces_is_one_candidate():
    text = "- We call for paid leave" + " " * 9_000 + "for kinship carers.   \n"
    [candidate] = splitting.candidate_asks(text=text)
    assert candidate.text == text[2:].rstrip()
