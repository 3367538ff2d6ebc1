"""asks.csv and stages.csv brought back in admin: a preview of exactly what would change,
then applied through the importers, all or nothing, with the editor in the history; and
import_assessments' progress on a terminal and off one."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from recommendations.models import GovernmentStage
from responses import limits
from responses.assessments import record
from responses.csv_format import ASK_COLUMNS, STAGE_COLUMNS
from responses.management.commands import import_assessments as command
from responses.models import Assessment, Evidence
from tests import factories

ASKS_URL = "admin:responses_assessment_import"
STAGES_URL = "admin:recommendations_governmentstage_import"


@pytest.fixture
def editor(db) -> User:
    editor = User.objects.create_user("editor", password="pw-editor-1", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    return editor


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def asks(db):
    """Two asks: one judged partly, with evidence, and one not assessed."""
    recommendation = factories.recommendation(text="Kinship carers should have paid leave.")
    judged = factories.assessment(
        status="partly", rationale="Leave, not pay.", evidence=[recommendation]
    )
    return judged.ask, factories.ask(document=judged.ask.document, text="We want more of them.")


def _exported(client, name: str) -> list[dict]:
    response = client.get(reverse(name))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body, newline="")))


def _file(rows: list[dict], *, header) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _post(client, url_name: str, content: bytes, *, name: str, **fields):
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(reverse(url_name), {"file": upload} | fields)


def _preview(client, content: bytes, *, url_name=ASKS_URL, name="asks.csv", **fields):
    return _post(client, url_name, content, name=name, step="preview", **fields)


def _apply(client, preview, content: bytes, *, url_name=ASKS_URL, name="asks.csv"):
    token = preview.context["apply_form"].initial["preview"]
    return _post(client, url_name, content, name=name, step="apply", preview=token)


def _judgements() -> dict:
    return {
        assessment.ask_id: (
            assessment.status,
            assessment.judged_by,
            assessment.rationale,
            sorted((link.recommendation.ref, link.quote) for link in assessment.evidence.all()),
        )
        for assessment in Assessment.objects.prefetch_related("evidence__recommendation")
    }


def _history() -> int:
    return Assessment.history.count() + Evidence.history.count()


def _edited_asks(client, asks) -> bytes:
    """asks.csv with the unassessed ask judged absent."""
    rows = _exported(client, "export_asks")
    row = next(row for row in rows if row["ask_id"] == str(asks[1].pk))
    row |= {"status": "absent", "judged_by": "editorial", "rationale": "Not in the report."}
    return _file(rows, header=ASK_COLUMNS)


def _change_rows(page: str) -> list[list[str]]:
    """The cells of each row of the preview's table of changes, as text."""
    table = page.split('id="import-changes"')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
    ]


def test_both_changelists_link_to_importing_from_csv(editor_client, admin_client):
    page = editor_client.get(reverse("admin:responses_assessment_changelist")).content.decode()
    assert f'href="{reverse(ASKS_URL)}">Import from CSV</a>' in page
    page = admin_client.get(
        reverse("admin:recommendations_governmentstage_changelist")
    ).content.decode()
    assert f'href="{reverse(STAGES_URL)}">Import from CSV</a>' in page


def test_preview_shows_each_changed_value_before_and_after_and_changes_nothing(editor_client, asks):
    content = _edited_asks(editor_client, asks)
    before, history = _judgements(), _history()

    response = _preview(editor_client, content)

    assert response.status_code == 200
    page = response.content.decode()
    line = str(response.context["plan"].changes[0].line)
    assert _change_rows(page) == [
        [line, f"Ask {asks[1].pk}", "status", "not_assessed", "absent"],
        [line, f"Ask {asks[1].pk}", "judged_by", "empty", "editorial"],
        [line, f"Ask {asks[1].pk}", "rationale", "empty", "Not in the report."],
    ]
    assert "would change 1 ask and leave 1 as it is" in page
    assert (_judgements(), _history()) == (before, history)


def test_preview_shows_evidence_removed_a_link_a_line(editor_client, asks):
    rows = _exported(editor_client, "export_asks")
    row = next(row for row in rows if row["ask_id"] == str(asks[0].pk))
    ref = row["recommendation_ref"]
    row |= {"status": "unclear", "recommendation_ref": "", "evidence": ""}

    response = _preview(editor_client, _file(rows, header=ASK_COLUMNS))

    assert [cells[2:] for cells in _change_rows(response.content.decode())] == [
        ["status", "partly", "unclear"],
        ["evidence", f"{ref}: Kinship carers shoul", "empty"],
    ]


def test_cancelling_a_preview_changes_nothing(editor_client, asks):
    content = _edited_asks(editor_client, asks)
    before, history = _judgements(), _history()
    page = _preview(editor_client, content).content.decode()
    changelist = reverse("admin:responses_assessment_changelist")
    assert f'<a href="{changelist}" class="closelink">Cancel</a>' in page

    assert editor_client.get(changelist).status_code == 200

    assert (_judgements(), _history()) == (before, history)


def test_applying_changes_exactly_the_previewed_asks_with_the_editor_in_history(
    editor_client, editor, asks
):
    content = _edited_asks(editor_client, asks)
    before = _judgements()
    preview = _preview(editor_client, content)

    response = _apply(editor_client, preview, content)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:responses_assessment_changelist")
    after = _judgements()
    assert after == before | {asks[1].pk: ("absent", "editorial", "Not in the report.", [])}
    latest = Assessment.objects.get(ask=asks[1]).history.latest("history_date")
    assert latest.history_user == editor
    assert latest.history_change_reason == "admin import of asks.csv"
    assert Assessment.objects.get(ask=asks[0]).history.count() == 1
    message = "Imported asks.csv: 1 asks changed, 1 unchanged."
    assert message in editor_client.get(response["Location"]).content.decode()


def test_a_file_with_errors_lists_them_by_line_and_offers_nothing_to_apply(editor_client, asks):
    rows = _exported(editor_client, "export_asks")
    rows[1] |= {"status": "maybe"}
    rows[0] |= {"ask_id": "99999999"}
    before, history = _judgements(), _history()

    response = _preview(editor_client, _file(rows, header=ASK_COLUMNS))

    page = response.content.decode()
    assert response.context["errors"] == [
        (2, "no ask has id 99999999."),
        (
            3,
            (
                "unknown status 'maybe'; expected one of realised, partly, absent, unclear, "
                "not_assessed."
            ),
        ),
    ]
    assert "has 2 errors, so none of it can be applied" in page
    assert "<tr><td>3</td><td>unknown status &#x27;maybe&#x27;" in page
    assert 'id="apply-form"' not in page
    assert (_judgements(), _history()) == (before, history)


def test_a_file_not_in_utf8_is_refused_as_the_command_refuses_it(editor_client, asks):
    response = _preview(editor_client, "ask_id\ncaf\xe9\n".encode("latin-1"))

    assert response.context["errors"] == [(2, "the file is not UTF-8 text; save it as CSV UTF-8.")]


def test_a_file_over_the_limit_is_refused_as_the_command_refuses_it(
    editor_client, asks, monkeypatch, tmp_path
):
    content = _edited_asks(editor_client, asks)
    monkeypatch.setattr(limits, "ASSESSMENTS_FILE_BYTES", len(content) - 1)
    path = tmp_path / "asks.csv"
    path.write_bytes(content)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_assessments", str(path), stdout=io.StringIO(), stderr=err)

    response = _preview(editor_client, content)

    [(line, message)] = response.context["errors"]
    assert (line, message) == (
        0,
        f"the file is {len(content):,} bytes; the largest accepted is {len(content) - 1:,} bytes.",
    )
    assert err.getvalue() == f"{path}: {message}\n"


def test_a_stale_preview_is_refused_and_applies_nothing(editor_client, editor, asks):
    content = _edited_asks(editor_client, asks)
    preview = _preview(editor_client, content)
    # Someone judges the first ask meanwhile.
    record(ask=asks[0], status="unclear", judged_by="editorial", rationale="Unsure.", user=editor)
    before, history = _judgements(), _history()

    response = _apply(editor_client, preview, content)

    assert response.status_code == 200
    assert "The data changed since the preview" in response.content.decode()
    assert (_judgements(), _history()) == (before, history)


def test_applying_another_file_than_the_one_previewed_is_refused(editor_client, asks):
    content = _edited_asks(editor_client, asks)
    preview = _preview(editor_client, content)
    other = content.replace(b"Not in the report.", b"Not in the report at all.")
    before = _judgements()

    response = _apply(editor_client, preview, other)

    assert "That is not the file you previewed (asks.csv)" in response.content.decode()
    assert _judgements() == before


def test_a_viewer_cannot_import(client, db):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Viewers"))
    client.force_login(viewer)
    assert client.get(reverse(ASKS_URL)).status_code == 403


# --- stages.csv ---------------------------------------------------------------------------


def test_stages_preview_then_apply_changes_that_record_with_the_editor_in_history(admin_client):
    stage = factories.stage(quotes=[("We accept it.", "https://example.org/response")])
    other = factories.stage(summary="Another.")
    editor = User.objects.get(username="admin")
    rows = _exported(admin_client, "export_stages")
    row = next(row for row in rows if row["stage_id"] == str(stage.pk))
    row |= {"summary": "The Government accepted it in full.", "date": "2023-02"}
    row |= {"date_precision": "month"}
    new = dict(row, stage_id="", status="accepted_in_part", summary="A second response.")
    content = _file([*rows, new], header=STAGE_COLUMNS)

    preview = _preview(admin_client, content, url_name=STAGES_URL, name="stages.csv")

    rows_shown = _change_rows(preview.content.decode())
    changed = [cells[1:] for cells in rows_shown if cells[1].startswith("Stage")]
    assert changed == [
        [f"Stage {stage.pk} of {stage.recommendation.ref}", "date", "2023-02-02", "2023-02"],
        [f"Stage {stage.pk} of {stage.recommendation.ref}", "date_precision", "day", "month"],
        [
            f"Stage {stage.pk} of {stage.recommendation.ref}",
            "summary",
            "The Government said it would.",
            "The Government accepted it in full.",
        ],
    ]
    added = [cells[2:] for cells in rows_shown if cells[1].startswith("New")]
    assert ["summary", "empty", "A second response."] in added
    assert ["quotes", "empty", "We accept it. (https://example.org/response)"] in added
    assert GovernmentStage.objects.count() == 2

    response = _apply(admin_client, preview, content, url_name=STAGES_URL, name="stages.csv")

    assert response.status_code == 302
    stage.refresh_from_db()
    assert stage.summary == "The Government accepted it in full."
    assert GovernmentStage.objects.get(summary="A second response.").quotes.count() == 1
    assert other.history.count() == 1
    latest = stage.history.latest("history_date")
    assert (latest.history_user, latest.history_change_reason) == (
        editor,
        "admin import of stages.csv",
    )


# --- import_assessments' progress ----------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _three_changed_asks(tmp_path) -> str:
    document = factories.document(text="We want a. We want b. We want c.")
    rows = [
        {column: "" for column in ASK_COLUMNS}
        | {"ask_id": str(factories.ask(document=document, text=text).pk), "status": "unclear"}
        | {"judged_by": "editorial"}
        for text in ("We want a.", "We want b.", "We want c.")
    ]
    path = tmp_path / "asks.csv"
    path.write_bytes(_file(rows, header=ASK_COLUMNS))
    return str(path)


def test_import_assessments_prints_plain_progress_lines_off_a_terminal(db, tmp_path, monkeypatch):
    monkeypatch.setattr(command, "PROGRESS_EVERY_ASKS", 2)
    out = io.StringIO()

    call_command("import_assessments", _three_changed_asks(tmp_path), stdout=out)

    assert "\r" not in out.getvalue()
    lines = out.getvalue().splitlines()
    assert [line for line in lines if line.startswith("recorded")] == [
        "recorded 2 of 3 changed asks",
        "recorded 3 of 3 changed asks",
    ]


def test_import_assessments_shows_a_progress_bar_on_a_terminal(db, tmp_path):
    out = Terminal()

    call_command("import_assessments", _three_changed_asks(tmp_path), stdout=out)

    shown = out.getvalue()
    assert "\r" in shown
    assert "Recording changed asks: 100%" in shown and "3/3" in shown
    assert "recorded 3 of 3" not in shown
