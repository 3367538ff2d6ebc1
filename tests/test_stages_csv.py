"""What the Government did, as CSV: stages.csv out with every quote and source, asks.csv
saying what became of each linked recommendation, and import_stages reading stages.csv
back — every row checked first, then all of it in one transaction or nothing."""

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from browse import export
from recommendations.models import GovernmentStage, Recommendation, StageQuote
from responses import limits
from responses.csv_format import STAGE_COLUMNS, lines, partial_date

from . import factories

GOV_UK = "https://www.gov.uk/government/publications/stable-homes-built-on-love"


def body_of(client, url: str, params: dict | None = None) -> str:
    response = client.get(url, params or {})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def read(body: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body, newline="")))


def exported_stages(client, **params) -> list[dict]:
    return read(body_of(client, reverse("export_stages"), params))


def write(tmp_path, rows: list[dict], *, header=STAGE_COLUMNS, bom: bool = False) -> str:
    path = tmp_path / "stages.csv"
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def first_lines(rows: list[dict]) -> list[int]:
    """The line of the file on which each row starts, as `write` writes them: a line break
    inside a cell (between quotes) makes a row longer than one line."""
    lines, line = [], 2
    for row in rows:
        lines.append(line)
        line += 1 + sum(str(value).count("\n") for value in row.values())
    return lines


@pytest.fixture
def editor(db) -> User:
    return User.objects.create_user("editor")


def run(path: str, user: str = "editor") -> str:
    out = io.StringIO()
    call_command("import_stages", path, "--user", user, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def run_failing(path: str, user: str = "editor") -> str:
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_stages", path, "--user", user, stdout=io.StringIO(), stderr=err)
    return err.getvalue() + str(failure.value)


def stored() -> dict[int, dict]:
    """Every stage record as stored, field by field, with its quotes, by its id."""
    return {
        stage.pk: {
            "recommendation": stage.recommendation_id,
            "stage": stage.stage,
            "status": stage.status,
            "date": stage.date,
            "date_precision": stage.date_precision,
            "summary": stage.summary,
            "confidence": stage.confidence,
            "note": stage.note,
            "quotes": [(q.pk, q.text, q.url, q.position) for q in stage.quotes.all()],
        }
        for stage in GovernmentStage.objects.prefetch_related("quotes")
    }


def history_count() -> int:
    return GovernmentStage.history.count() + StageQuote.history.count()


def row_of(rows: list[dict], **wanted) -> dict:
    return next(row for row in rows if all(row[key] == value for key, value in wanted.items()))


# --- stages.csv -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_stages_csv_has_one_row_per_stage_record_with_every_quote_and_source(corpus, client):
    body = body_of(client, reverse("export_stages"))
    rows = read(body)
    assert body.split("\r\n", 1)[0] == ",".join(STAGE_COLUMNS)
    stages = GovernmentStage.objects.select_related("recommendation__chapter").prefetch_related(
        "quotes"
    )
    assert len(rows) == stages.count() == 56
    by_id = {int(row["stage_id"]): row for row in rows}
    assert set(by_id) == {stage.pk for stage in stages}
    for stage in stages:
        quotes = list(stage.quotes.all())
        assert by_id[stage.pk] == {
            "ref": stage.recommendation.ref,
            "recommendation_title": stage.recommendation.title,
            "chapter": str(stage.recommendation.chapter.number),
            "stage_id": str(stage.pk),
            "stage": stage.stage,
            "status": stage.status,
            "date": partial_date(stage.date, stage.date_precision),
            "date_precision": stage.date_precision,
            "summary": stage.summary,
            "confidence": stage.confidence,
            "note": stage.note,
            "quotes": "\n".join(quote.text for quote in quotes),
            "sources": "\n".join(quote.url for quote in quotes),
        }
    assert sum(len(lines(row["quotes"])) for row in rows) == StageQuote.objects.count() == 123
    assert any(not row["quotes"] for row in rows), "a stage of the corpus has no quote"


@pytest.mark.django_db
def test_stages_csv_is_in_the_reports_order_then_by_date(corpus, client):
    rows = exported_stages(client)
    refs = list(
        Recommendation.objects.filter(stages__isnull=False)
        .distinct()
        .order_by("chapter__number", "id")
        .values_list("ref", flat=True)
    )
    assert list(dict.fromkeys(row["ref"] for row in rows)) == refs
    assert [row["date"] for row in rows if row["ref"] == "6.x3"] == [
        "2022",
        "2024-12-03",
        "2026-04-29",
    ]


@pytest.mark.django_db
def test_a_stage_without_quotes_has_empty_quotes_and_sources(client):
    stage = factories.stage(date=datetime.date(2023, 5, 1), date_precision="month")
    (row,) = exported_stages(client)
    assert (row["stage_id"], row["date"], row["quotes"], row["sources"]) == (
        str(stage.pk),
        "2023-05",
        "",
        "",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"stage": "delivery"},
        {"status": "legislated"},
        {"chapter": "6"},
        {"theme": "family-help"},
        {"stage": "government_response", "chapter": "2"},
    ],
)
def test_each_filter_exports_exactly_the_stages_it_selects(corpus, client, params):
    lookups = {
        "stage": "stage",
        "status": "status",
        "chapter": "recommendation__chapter__number",
        "theme": "recommendation__themes__slug",
    }
    selected = GovernmentStage.objects.filter(
        **{lookups[name]: value for name, value in params.items()}
    )
    expected = {str(pk) for pk in selected.values_list("pk", flat=True)}
    assert expected and len(expected) < GovernmentStage.objects.count()
    assert {row["stage_id"] for row in exported_stages(client, **params)} == expected


@pytest.mark.django_db
def test_a_stage_filter_value_that_does_not_parse_is_ignored(corpus, client):
    rows = exported_stages(client, stage="consultation", status="done", chapter="x")
    assert len(rows) == GovernmentStage.objects.count()


@pytest.mark.django_db
def test_stages_csv_is_an_attachment_named_for_its_filters_with_the_snapshot(corpus, client):
    response = client.get(reverse("export_stages"), {"stage": "delivery", "excel": "1"})
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="carereview-stages-stage-delivery-{today}.csv"'
    )
    assert datetime.datetime.fromisoformat(response[export.SNAPSHOT_HEADER]).tzinfo
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbfref,")


@pytest.mark.django_db
def test_the_recommendations_page_links_to_what_the_government_did_with_its_filters(corpus, client):
    page = client.get(reverse("recommendations"), {"chapter": "6", "sort": "demand"})
    links = re.findall(r'href="(/export/stages\.csv[^"]*)"', page.content.decode())
    assert links == ["/export/stages.csv?chapter=6"]
    rows = exported_stages(client, chapter="6")
    assert rows and {row["chapter"] for row in rows} == {"6"}


# --- asks.csv -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_asks_csv_says_what_the_government_did_with_each_linked_recommendation(client):
    followed = factories.recommendation(text="Raise the age of leaving care to twenty-five.")
    factories.stage(
        recommendation=followed,
        status="accepted_in_part",
        date=datetime.date(2023, 2, 1),
        date_precision="month",
    )
    factories.stage(
        recommendation=followed,
        stage="delivery",
        status="legislated",
        date=datetime.date(2025, 4, 29),
        summary="The Act made it law.",
    )
    factories.stage(
        recommendation=followed,
        stage="delivery",
        status="in_progress",
        date=datetime.date(2026, 1, 1),
        date_precision="year",
        summary="Pilots began.",
    )
    answered = factories.recommendation(text="Something the Government only answered.")
    factories.stage(recommendation=answered, status="not_accepted")
    ignored = factories.recommendation(text="Something the Government never answered.")
    linked = factories.assessment(status="realised", evidence=[followed, answered, ignored])
    factories.ask()  # with no link
    rows = read(body_of(client, reverse("export_asks")))
    government = {
        row["recommendation_ref"]: [
            row["government_response_status"],
            row["government_response_date"],
            row["furthest_delivery_status"],
            row["furthest_delivery_date"],
            row["furthest_delivery_summary"],
        ]
        for row in rows
    }
    assert government == {
        followed.ref: [
            "accepted_in_part",
            "2023-02",
            "legislated",
            "2025-04-29",
            "The Act made it law.",
        ],
        answered.ref: ["not_accepted", "2023-02-02", "", "", ""],
        ignored.ref: ["", "", "", "", ""],
        "": ["", "", "", "", ""],
    }
    assert {row["ask_id"] for row in rows if row["recommendation_ref"]} == {str(linked.ask_id)}


@pytest.mark.django_db
def test_every_asks_csv_row_of_the_corpus_holds_its_recommendations_response_and_delivery(
    corpus, client
):
    recommendations = {r.ref: r for r in Recommendation.objects.with_stages()}
    rows = read(body_of(client, reverse("export_asks")))
    seen = 0
    for row in rows:
        recommendation = recommendations.get(row["recommendation_ref"])
        response = recommendation and recommendation.government_response_stage
        delivery = recommendation and recommendation.furthest_delivery_stage
        assert row["government_response_status"] == (response.status if response else "")
        assert row["furthest_delivery_status"] == (delivery.status if delivery else "")
        assert row["furthest_delivery_summary"] == (delivery.summary if delivery else "")
        seen += bool(delivery)
    assert seen, "some asks of the corpus are linked to a recommendation being delivered"


# --- import_stages: the round trip ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("excel", [False, True])
def test_importing_an_unedited_export_changes_nothing_and_writes_no_history(
    corpus, client, tmp_path, editor, excel
):
    path = tmp_path / "stages.csv"
    params = {"excel": "1"} if excel else {}
    path.write_bytes(b"".join(client.get(reverse("export_stages"), params).streaming_content))
    before, history = stored(), history_count()
    out = run(str(path))
    assert stored() == before and history_count() == history
    assert "0 stage records changed, 0 added, 56 unchanged" in out


@pytest.mark.django_db
def test_cells_guarded_against_formulas_read_back_as_they_are_stored(client, tmp_path, editor):
    factories.stage(summary="=1+1", note="'-already quoted", quotes=[("@SUM(A1)", GOV_UK)])
    path = tmp_path / "stages.csv"
    path.write_bytes(b"".join(client.get(reverse("export_stages")).streaming_content))
    (row,) = read(path.read_text())
    assert (row["summary"], row["note"], row["quotes"]) == (
        "'=1+1",
        "''-already quoted",
        "'@SUM(A1)",
    )
    history = history_count()
    assert "0 stage records changed, 0 added, 1 unchanged" in run(str(path))
    assert history_count() == history


@pytest.mark.django_db
def test_export_edit_a_summary_and_a_status_import_changes_exactly_that_record(
    corpus, client, tmp_path, editor
):
    rows = exported_stages(client)
    row = row_of(rows, ref="6.x3", status="accepted_in_part")
    row |= {"summary": "=Corrected: the response accepted it.", "status": "accepted"}
    pk = int(row["stage_id"])
    before, history = stored(), history_count()

    out = run(write(tmp_path, rows))

    after = stored()
    assert {key for key in after if after[key] != before[key]} == {pk}
    assert after[pk] == before[pk] | {
        "summary": "=Corrected: the response accepted it.",
        "status": "accepted",
    }
    assert history_count() == history + 1
    latest = GovernmentStage.objects.get(pk=pk).history.latest("history_date")
    assert latest.history_user == editor
    assert latest.history_change_reason == f"import_stages {tmp_path / 'stages.csv'}"
    assert latest.history_type == "~"
    assert f"Stage {pk} of 6.x3 (line " in out and "changed status, summary" in out
    assert "1 stage records changed, 0 added, 55 unchanged" in out


@pytest.mark.django_db
def test_a_stages_quotes_are_corrected_removed_and_added_by_editing_their_lines(
    corpus, client, tmp_path, editor
):
    rows = exported_stages(client)
    row = next(row for row in rows if row["quotes"].count("\n") >= 1)
    pk = int(row["stage_id"])
    quotes, sources = row["quotes"].split("\n"), row["sources"].split("\n")
    # The first quote corrected, the second replaced by a new one, any others removed.
    row["quotes"] = f"{quotes[0]} (corrected)\nA new quote."
    row["sources"] = f"{sources[0]}\n{GOV_UK}"
    before = stored()
    held = StageQuote.objects.filter(stage_id=pk).count()

    out = run(write(tmp_path, rows))

    after = stored()
    assert {key for key in after if after[key] != before[key]} == {pk}
    assert [(text, url, position) for _, text, url, position in after[pk]["quotes"]] == [
        (f"{quotes[0]} (corrected)", sources[0], 1),
        ("A new quote.", GOV_UK, 2),
    ]
    assert after[pk]["quotes"][0][0] == before[pk]["quotes"][0][0]
    assert {k: v for k, v in after[pk].items() if k != "quotes"} == {
        k: v for k, v in before[pk].items() if k != "quotes"
    }
    written = StageQuote.history.filter(stage_id=pk, history_user=editor)
    assert sorted(written.values_list("history_type", flat=True)) == ["-"] * (held - 2) + ["~"] * 2
    assert not GovernmentStage.history.filter(id=pk, history_user=editor).exists()
    assert "changed quotes" in out


@pytest.mark.django_db
def test_a_row_with_an_empty_stage_id_adds_a_record_and_importing_it_again_is_refused(
    corpus, client, tmp_path, editor
):
    recommendation = Recommendation.objects.get(ref="5.2")
    rows = exported_stages(client)
    new = {
        "ref": "5.2",
        "recommendation_title": "",
        "chapter": "",
        "stage_id": "",
        "stage": "delivery",
        "status": "in_progress",
        "date": "2025-09",
        "date_precision": "month",
        "summary": "Pathfinders began in three more areas.",
        "confidence": "medium",
        "note": "",
        "quotes": "Three more areas will join.\r\nFunding follows.",
        "sources": f"{GOV_UK}\r\n{GOV_UK}#funding",
    }
    before, history = stored(), history_count()
    path = write(tmp_path, [*rows, new])

    out = run(path)

    added = GovernmentStage.objects.exclude(pk__in=before).get()
    assert stored() == before | {added.pk: stored()[added.pk]}
    assert (added.recommendation, added.date, added.date_precision, added.status) == (
        recommendation,
        datetime.date(2025, 9, 1),
        "month",
        "in_progress",
    )
    assert [(q.text, q.url, q.position) for q in added.quotes.all()] == [
        ("Three more areas will join.", GOV_UK, 1),
        ("Funding follows.", f"{GOV_UK}#funding", 2),
    ]
    assert history_count() == history + 3
    assert {h.history_user for h in added.history.all()} == {editor}
    line = first_lines([*rows, new])[-1]
    assert f"Stage {added.pk} of 5.2 (line {line}): added" in out

    message = run_failing(path)
    assert (
        f"line {line}: recommendation 5.2 already has this stage record, stage_id {added.pk}"
    ) in message
    assert GovernmentStage.objects.count() == 57


@pytest.mark.django_db
def test_records_left_out_of_the_file_are_not_touched(corpus, client, tmp_path, editor):
    rows = exported_stages(client, stage="delivery")
    rows[0]["note"] = "Checked again."
    before = stored()
    run(write(tmp_path, rows))
    after = stored()
    assert {key for key in after if after[key] != before[key]} == {int(rows[0]["stage_id"])}
    assert len(after) == len(before) == 56


# --- import_stages: what it refuses -------------------------------------------------------------


def government_response_row(rows: list[dict]) -> int:
    """The index of a row for a government response dated to the day, with one quote, not
    the first row (so its line number is worth checking)."""
    return next(
        index
        for index, row in enumerate(rows)
        if index > 2
        and row["stage"] == "government_response"
        and row["date_precision"] == "day"
        and row["quotes"]
        and "\n" not in row["quotes"]
    )


def other_ref(rows: list[dict], ref: str) -> str:
    return next(row["ref"] for row in rows if row["ref"] != ref)


BAD_ROWS = [
    ({"ref": "99.99"}, "no recommendation has ref '99.99'."),
    ({"ref": ""}, "ref is empty"),
    (
        {"stage": "consultation"},
        "unknown stage 'consultation'; expected government_response or delivery.",
    ),
    ({"status": "rejected"}, "unknown status 'rejected'; expected one of accepted,"),
    (
        {"status": "legislated"},
        (
            "a government_response is accepted, accepted_in_part, not_accepted, never "
            "legislated: legislated is a delivery's status."
        ),
    ),
    (
        {"date": "2023-02-30"},
        "date '2023-02-30' is not a date written YYYY, YYYY-MM or YYYY-MM-DD.",
    ),
    (
        {"date": "02/02/2023"},
        "date '02/02/2023' is not a date written YYYY, YYYY-MM or YYYY-MM-DD.",
    ),
    ({"date": ""}, "date '' is not a date written"),
    ({"date": "2023-02"}, "date 2023-02 is a month, but date_precision says day; give them alike."),
    (
        {"date_precision": "week"},
        "unknown date_precision 'week'; expected one of year, month, day.",
    ),
    ({"confidence": "certain"}, "unknown confidence 'certain'; expected one of high, medium, low."),
    ({"summary": ""}, "summary is empty"),
    (
        {"summary": "x" * 20_001},
        "the summary is 20,001 characters; the longest accepted is 20,000 characters.",
    ),
    (
        {"quotes": "One.\nTwo."},
        "2 quotes but 1 source: give one quote a line, and its source on the same line of sources.",
    ),
    ({"sources": ""}, "1 quote but 0 sources"),
    (
        {"sources": "javascript:alert(1)"},
        "the source of quote 1, 'javascript:alert(1)': enter a web address starting http://",
    ),
    ({"sources": "https://" + "x" * 500 + ".org"}, "the source of quote 1 is longer than 500"),
    ({"quotes": "\nTwo.", "sources": f"{GOV_UK}\n{GOV_UK}"}, "quote 1 is empty"),
    ({"stage_id": "999999"}, "no stage record has stage_id 999999."),
    ({"stage_id": "9" * 30}, f"no stage record has stage_id '{'9' * 30}'."),
    (
        {"stage_id": "12.0"},
        "stage_id '12.0' is not a number; leave it empty for a new stage record.",
    ),
    ({"note": "Because\x00"}, "note contains a NUL character, which cannot be stored."),
]


@pytest.mark.django_db
@pytest.mark.parametrize("change, expected", BAD_ROWS)
def test_each_kind_of_bad_row_is_refused_with_its_line_and_nothing_changes(
    corpus, client, tmp_path, editor, change, expected
):
    rows = exported_stages(client)
    index = government_response_row(rows)
    rows[index] |= change
    before, history = stored(), history_count()
    message = run_failing(write(tmp_path, rows))
    assert f"line {first_lines(rows)[index]}: {expected}" in message
    assert "Nothing imported: 1 error in" in message
    assert stored() == before and history_count() == history


@pytest.mark.django_db
def test_a_stage_id_of_another_recommendations_record_is_refused(corpus, client, tmp_path, editor):
    rows = exported_stages(client)
    index = government_response_row(rows)
    ref = rows[index]["ref"]
    rows[index]["ref"] = moved = other_ref(rows, ref)
    message = run_failing(write(tmp_path, rows))
    assert (
        f"line {first_lines(rows)[index]}: stage {rows[index]['stage_id']} is about "
        f"recommendation {ref}, not {moved}; to move it, add it as a new row"
    ) in message


@pytest.mark.django_db
def test_a_record_given_twice_is_refused_on_its_second_line(corpus, client, tmp_path, editor):
    rows = exported_stages(client)
    rows.append(dict(rows[0]))
    message = run_failing(write(tmp_path, rows))
    assert (
        f"line {first_lines(rows)[-1]}: stage_id {rows[0]['stage_id']} is on line 2 too; give "
        "each stage record one row."
    ) in message


@pytest.mark.django_db
def test_every_bad_row_is_listed_not_only_the_first(corpus, client, tmp_path, editor):
    rows = exported_stages(client)
    rows[0]["status"] = "done"
    rows[-1]["ref"] = "99.99"
    rows[-1]["confidence"] = "sure"
    lines = first_lines(rows)
    message = run_failing(write(tmp_path, rows))
    assert "line 2: unknown status 'done'" in message
    assert f"line {lines[-1]}: unknown confidence 'sure'" in message
    assert "Nothing imported: 2 errors" in message


@pytest.mark.django_db
def test_a_file_that_is_not_stages_csv_is_refused_by_its_header(corpus, client, tmp_path, editor):
    path = tmp_path / "asks.csv"
    path.write_bytes(b"".join(client.get(reverse("export_asks")).streaming_content))
    message = run_failing(str(path))
    assert "line 1: the header is not stages.csv's (missing ref," in message
    assert "Expected: " + ",".join(STAGE_COLUMNS) in message
    rows = exported_stages(client)
    header = [name if name != "status" else "verdict" for name in STAGE_COLUMNS]
    renamed = [{("verdict" if k == "status" else k): v for k, v in row.items()} for row in rows]
    message = run_failing(write(tmp_path, renamed, header=header))
    assert "line 1: the header is not stages.csv's (missing status; unexpected verdict)" in message


@pytest.mark.django_db
def test_bytes_that_are_not_utf_8_are_refused_on_their_line(corpus, client, tmp_path, editor):
    path = tmp_path / "stages.csv"
    path.write_bytes(",".join(STAGE_COLUMNS).encode() + b"\r\n5.2,Caf\xe9" + b",x" * 11 + b"\r\n")
    assert "line 2: the file is not UTF-8 text; save it as CSV UTF-8." in run_failing(str(path))


@pytest.mark.django_db
def test_a_cell_row_count_or_file_over_its_limit_is_refused(
    corpus, client, tmp_path, editor, monkeypatch
):
    rows = exported_stages(client)
    path = write(tmp_path, rows)
    monkeypatch.setattr(limits, "STAGES_ROWS", 10)
    eleventh = first_lines(rows)[10]
    assert f"line {eleventh}: the file has more than 10 rows, the most accepted." in (
        run_failing(path)
    )
    monkeypatch.setattr(limits, "STAGES_ROWS", 10_000)
    monkeypatch.setattr(limits, "STAGES_CELL_CHARS", 50)
    assert "line 2: a cell is longer than 50 characters, the longest accepted." in run_failing(path)
    monkeypatch.setattr(limits, "STAGES_CELL_CHARS", 100_000)
    size = (tmp_path / "stages.csv").stat().st_size
    monkeypatch.setattr(limits, "STAGES_FILE_BYTES", size - 1)
    assert f"the file is {size:,} bytes; the largest accepted is {size - 1:,} bytes." in (
        run_failing(path)
    )


@pytest.mark.django_db
def test_an_unknown_user_or_none_is_refused_before_the_file_is_read(corpus, tmp_path):
    with pytest.raises(CommandError, match="No user is called 'nobody'"):
        call_command("import_stages", str(tmp_path / "stages.csv"), "--user", "nobody")
    with pytest.raises(CommandError, match="--user"):
        call_command("import_stages", str(tmp_path / "stages.csv"))
