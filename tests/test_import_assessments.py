"""import_assessments: asks.csv back in, every row checked first, all or nothing."""

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from recommendations.models import Recommendation
from responses.assessments import record
from responses.csv_format import ASK_COLUMNS, GOVERNMENT_COLUMNS
from responses.models import Ask, Assessment, Evidence

from . import factories


def judgements() -> dict[int, tuple]:
    """Every ask's judgement as stored: status, judged_by, rationale and evidence."""
    return {
        ask.pk: (
            ask.assessment.status,
            ask.assessment.judged_by,
            ask.assessment.rationale,
            sorted((e.recommendation.ref, e.quote) for e in ask.assessment.evidence.all()),
        )
        if hasattr(ask, "assessment")
        else ("not_assessed", "", "", [])
        for ask in Ask.objects.select_related("assessment").prefetch_related(
            "assessment__evidence__recommendation"
        )
    }


def history_count() -> int:
    return Assessment.history.count() + Evidence.history.count()


def exported(client, **params) -> list[dict]:
    body = b"".join(client.get(reverse("export_asks"), params).streaming_content).decode(
        "utf-8-sig"
    )
    return list(csv.DictReader(io.StringIO(body, newline="")))


def write(tmp_path, rows: list[dict], *, header=ASK_COLUMNS, bom: bool = False) -> str:
    path = tmp_path / "asks.csv"
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def run(path: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_assessments", path, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(path: str, *args: str) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_assessments", path, *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue() + str(failure.value)


def first_row(rows: list[dict], **wanted) -> dict:
    return next(row for row in rows if all(row[key] == value for key, value in wanted.items()))


@pytest.mark.django_db
@pytest.mark.parametrize("excel", [False, True])
def test_importing_an_unedited_export_changes_nothing_and_writes_no_history(
    corpus, client, tmp_path, excel
):
    params = {"excel": "1"} if excel else {}
    path = tmp_path / "asks.csv"
    path.write_bytes(b"".join(client.get(reverse("export_asks"), params).streaming_content))
    before, history = judgements(), history_count()
    out, _ = run(str(path))
    assert judgements() == before
    assert history_count() == history
    assert f"0 asks changed, {Ask.objects.counted().count()} unchanged" in out


@pytest.mark.django_db
def test_asks_csv_as_exported_before_it_said_what_the_government_did_is_still_read(
    corpus, client, tmp_path
):
    older = [name for name in ASK_COLUMNS if name not in GOVERNMENT_COLUMNS]
    assert older == list(ASK_COLUMNS[:18])
    rows = exported(client)
    ask_id = first_row(rows, status="absent", judged_by="editorial")["ask_id"]
    rows = [
        {name: row[name] for name in older}
        | ({"status": "unclear"} if row["ask_id"] == ask_id else {})
        for row in rows
    ]
    out, _ = run(write(tmp_path, rows, header=older))
    assert "1 asks changed" in out
    assert judgements()[int(ask_id)][0] == "unclear"


@pytest.mark.django_db
def test_asks_csv_with_only_some_of_the_governments_columns_is_refused(corpus, client, tmp_path):
    header = ASK_COLUMNS[:-2]
    rows = [{name: row[name] for name in header} for row in exported(client)]
    message = run_failing(write(tmp_path, rows, header=header))
    assert (
        "line 1: the header is not asks.csv's "
        "(missing furthest_delivery_date, furthest_delivery_summary)"
    ) in message


@pytest.mark.django_db
def test_export_edit_two_statuses_import_changes_exactly_those_two(corpus, client, tmp_path):
    rows = exported(client)
    realised = first_row(rows, status="realised", judged_by="editorial")
    absent = first_row(rows, status="absent", judged_by="editorial")
    edited = {int(realised["ask_id"]): "partly", int(absent["ask_id"]): "unclear"}
    for row in rows:
        if int(row["ask_id"]) in edited:
            row["status"] = edited[int(row["ask_id"])]
    editor = User.objects.create_user("researcher")
    before, history = judgements(), history_count()

    out, _ = run(write(tmp_path, rows), "--user", "researcher")

    after = judgements()
    assert {pk for pk in after if after[pk] != before[pk]} == set(edited)
    for pk, status in edited.items():
        assert after[pk] == (status, *before[pk][1:])
        latest = Assessment.objects.get(ask_id=pk).history.latest("history_date")
        assert (latest.status, latest.history_user) == (status, editor)
        assert "import_assessments" in latest.history_change_reason
    # Two assessments saved; the realised ask's evidence rewritten (removed, then added again).
    evidence_rows = len(before[int(realised["ask_id"])][3])
    assert history_count() == history + 2 + 2 * evidence_rows
    assert "2 asks changed" in out


@pytest.mark.django_db
def test_evidence_can_be_added_and_removed_by_editing_rows(corpus, client, tmp_path):
    recommendation = Recommendation.objects.get(ref="5.2")
    rows = exported(client)
    unclear = first_row(rows, status="unclear")
    unclear.update(status="partly", recommendation_ref="5.2", evidence=recommendation.text[:30])
    linked = first_row(rows, status="realised", judged_by="editorial")
    rows = [row for row in rows if row["ask_id"] != linked["ask_id"]]
    rows.append(
        linked
        | {
            "status": "absent",
            "recommendation_ref": "",
            "recommendation_title": "",
            "recommendation_chapter": "",
            "evidence": "",
        }
    )
    run(write(tmp_path, rows))
    after = judgements()
    assert after[int(unclear["ask_id"])][0::3] == ("partly", [("5.2", recommendation.text[:30])])
    assert after[int(linked["ask_id"])][0::3] == ("absent", [])


@pytest.mark.django_db
def test_every_bad_row_is_reported_with_its_line_and_nothing_changes(client, tmp_path):
    recommendation = factories.recommendation(text="Create regional care co-operatives.")
    absent = [
        factories.assessment(status="absent", judged_by="editorial", rationale="Not found.").ask.pk
        for _ in range(5)
    ]
    linked = factories.assessment(evidence=[recommendation]).ask.pk
    row = {int(row["ask_id"]): row for row in exported(client)}
    rows = [
        row[absent[0]] | {"status": "unclear"},  # line 2, a good edit
        row[absent[1]] | {"ask_id": "999999"},
        row[absent[2]] | {"status": "done"},
        row[absent[3]] | {"judged_by": "robot"},
        row[absent[4]] | {"recommendation_ref": recommendation.ref, "evidence": "regional care"},
        row[linked] | {"recommendation_ref": "99.99"},
        row[linked]
        | {"recommendation_ref": recommendation.ref, "evidence": "Words never written."},
    ]
    before, history = judgements(), history_count()

    message = run_failing(write(tmp_path, rows))

    assert judgements() == before and history_count() == history
    assert "line 3: no ask has id 999999" in message
    assert "line 4: unknown status 'done'" in message
    assert "line 5: unknown judged_by 'robot'" in message
    assert (
        "line 6: only realised or partly realised asks carry evidence, not an ask that is absent"
        in message
    )
    assert "line 7: no recommendation has ref '99.99'" in message
    assert "line 8: the evidence is not quoted exactly" in message
    assert "Nothing imported: 6 errors" in message


@pytest.mark.django_db
def test_a_file_whose_header_is_not_asks_csvs_is_refused(corpus, client, tmp_path):
    rows = exported(client)
    header = [name for name in ASK_COLUMNS if name != "judged_by"] + ["verdict"]
    for row in rows:
        row["verdict"] = row.pop("judged_by")
    message = run_failing(write(tmp_path, rows, header=header))
    assert "line 1: the header is not asks.csv's (missing judged_by; unexpected verdict)" in message


@pytest.mark.django_db
def test_the_organisations_own_judgement_is_replaced_only_with_force(corpus, client, tmp_path):
    rows = exported(client)
    own = first_row(rows, status="absent", judged_by="organisation")
    editorial = first_row(rows, status="absent", judged_by="editorial")
    for row in (own, editorial):
        row["status"] = "unclear"
        row["judged_by"] = "editorial"
    path = write(tmp_path, rows)
    before = judgements()

    message = run_failing(path)
    assert f"ask {own['ask_id']} holds the organisation's own judgement" in message
    assert "Use --force to replace it." in message
    assert judgements() == before

    run(path, "--force")
    after = judgements()
    assert {pk for pk in after if after[pk] != before[pk]} == {
        int(own["ask_id"]),
        int(editorial["ask_id"]),
    }
    assert after[int(own["ask_id"])][:2] == ("unclear", "editorial")


@pytest.mark.django_db
def test_a_row_in_the_organisations_name_changes_its_judgement_only_with_force(
    corpus, client, tmp_path
):
    rows = exported(client)
    own = first_row(rows, status="absent", judged_by="organisation")
    own["status"] = "unclear"
    path = write(tmp_path, rows)
    before = judgements()

    assert f"ask {own['ask_id']} holds the organisation's own judgement" in run_failing(path)
    assert judgements() == before

    run(path, "--force")
    assert judgements()[int(own["ask_id"])][:2] == ("unclear", "organisation")


@pytest.mark.django_db
def test_a_hostile_rationale_round_trips_through_the_injection_guard(client, tmp_path):
    ask = factories.ask(text="=cmd|' /C calc'!A0")
    record(ask=ask, status="absent", judged_by="editorial", rationale="-not found, anywhere\n@ all")
    rows = exported(client)
    assert rows[0]["rationale"].startswith("'-")
    rows[0]["status"] = "unclear"
    run(write(tmp_path, rows, bom=True))
    ask.assessment.refresh_from_db()
    assert (ask.assessment.status, ask.assessment.rationale) == (
        "unclear",
        "-not found, anywhere\n@ all",
    )


@pytest.mark.django_db
def test_rows_of_one_ask_that_disagree_are_an_error(corpus, client, tmp_path):
    rows = exported(client)
    ask_ids = [row["ask_id"] for row in rows]
    twice = next(pk for pk in ask_ids if ask_ids.count(pk) > 1)
    second = [i for i, row in enumerate(rows) if row["ask_id"] == twice][1]
    rows[second]["status"] = "absent" if rows[second]["status"] != "absent" else "partly"
    message = run_failing(write(tmp_path, rows))
    assert f"line {second + 2}: ask {twice}'s status differs from line" in message


@pytest.mark.django_db
def test_an_unknown_user_or_a_file_not_in_utf_8_is_a_clear_error(corpus, client, tmp_path):
    path = write(tmp_path, exported(client))
    assert "No user is called 'nobody'" in run_failing(path, "--user", "nobody")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(",".join(ASK_COLUMNS).encode() + b"\r\nCaf\xe9" + b",x" * 17 + b"\r\n")
    assert "not UTF-8" in run_failing(str(latin))
    assert "Cannot read" in run_failing(str(tmp_path / "missing.csv"))


@pytest.mark.django_db
def test_an_error_names_the_line_a_row_starts_on_after_cells_with_line_breaks(client, tmp_path):
    first = factories.assessment(
        status="absent", judged_by="editorial", rationale="One\nTwo\nThree"
    )
    second = factories.assessment(status="absent", judged_by="editorial", rationale="Plain.")
    row = {int(row["ask_id"]): row for row in exported(client)}
    rows = [row[first.ask.pk], row[second.ask.pk] | {"status": "done"}]
    assert "line 5: unknown status 'done'" in run_failing(write(tmp_path, rows))


@pytest.mark.django_db
def test_an_automatic_suggestion_never_replaces_a_persons_judgement_even_with_force(
    client, tmp_path
):
    assessment = factories.assessment(status="absent", judged_by="editorial")
    (row,) = exported(client)
    row |= {"status": "unclear", "judged_by": "automatic"}
    message = run_failing(write(tmp_path, [row]), "--force")
    assert "line 2: an automatic suggestion may not replace" in message
    assessment.refresh_from_db()
    assert assessment.status == "absent"


@pytest.mark.django_db
def test_a_row_making_an_automatic_suggestion_absent_is_refused_with_its_line(client, tmp_path):
    # An automatic suggestion, which another automatic one may replace, so only this is wrong.
    assessment = factories.assessment(status="unclear", judged_by="automatic")
    (row,) = exported(client)
    row |= {"status": "absent", "judged_by": "automatic"}
    message = run_failing(write(tmp_path, [row]))
    assert "line 2: an automatic suggestion cannot say an ask is absent" in message
    assert "Nothing imported: 1 error" in message
    assessment.refresh_from_db()
    assert (assessment.status, assessment.judged_by) == ("unclear", "automatic")
