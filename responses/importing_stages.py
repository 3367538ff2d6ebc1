"""Reading what the Government did back from stages.csv, so that an editor can correct
stage records in a spreadsheet, or add some, and return them.

The file is what `export.stages_table` writes: one row per stage record. `stage_id` says
which record (empty for a new one) and `ref` which recommendation it is about; `stage`,
`status`, `date` with `date_precision`, `summary`, `confidence` and `note` are its values;
`quotes` and `sources` its quotes, one a line, each source on the line of its quote.
`recommendation_title` and `chapter` are there to be read and are ignored. A record that
is not in the file is not touched: deleting one is done in admin.

Every row is checked before anything is written; then, in one transaction, each record
whose values differ is updated, its quotes with it, and each new row is added, with the
user and the reason in their history. A record that the file gives exactly as it is
stored is left alone and gains no history.

It lives here rather than in `recommendations`, whose records it writes, because it reads
a file as the other importers do: with `csv_reading`, `csv_format` and `limits`, which
`recommendations` may not import.
"""

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from recommendations.models import (
    Confidence,
    DatePrecision,
    GovernmentStage,
    Recommendation,
    Stage,
    StageQuote,
    StageStatus,
)
from recommendations.validators import web_address

from . import limits, round_trip
from .csv_format import STAGE_COLUMNS, lines, partial_date, read_partial_date
from .csv_reading import Error, Row, message, read_rows, read_text, shown

# A stage record's own values, as the file gives them and the model holds them.
FIELDS = ("stage", "status", "date", "date_precision", "summary", "confidence", "note")

# Stage ids are 64-bit integers in the database; a larger number is no stage, not an overflow.
_LARGEST_ID = 2**63 - 1

_LONGEST_URL = StageQuote._meta.get_field("url").max_length


@dataclass
class StageRow:
    """One row of the file, checked on its own: which record, and the values it gives."""

    line: int
    stage_id: int | None
    ref: str
    values: dict
    # (text, url) in order
    quotes: list[tuple[str, str]] = field(default_factory=list)
    # Found by its ref once the file is read.
    recommendation: Recommendation | None = None


@dataclass(frozen=True)
class Change:
    """A record the import changed (`changed` names what) or added (`changed` empty; its
    `stage_id` None until it is). `fields` gives each value that changes, as (name,
    before, after), the quotes a line each with their sources."""

    stage_id: int | None
    line: int
    ref: str
    changed: tuple[str, ...]
    fields: tuple[tuple[str, str, str], ...] = ()


@dataclass
class Plan:
    """What importing a file would do, computed without writing: its errors (then it
    would do nothing), each change and addition in the file's order, how many records it
    leaves alone, and the writes."""

    errors: list[Error] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    # (row, its record as stored or None for a new one, the names of what changes)
    writes: list = field(default_factory=list)


@dataclass
class ImportResult:
    """What an import found wrong (then nothing changed), in line order, or what it changed."""

    errors: list[Error] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    unchanged: int = 0


def import_stages_file(*, path: Path, user, reason: str) -> ImportResult:
    """Apply the stage records in the stages.csv at `path`, as `import_stages` does, after
    refusing a file larger than `limits.STAGES_FILE_BYTES` or not in UTF-8 (with or without
    the byte order mark of an Excel export). Raises OSError if it cannot be read."""
    text, errors = read_text(path, largest=limits.STAGES_FILE_BYTES)
    if errors:
        return ImportResult(errors=errors)
    return import_stages(file=io.StringIO(text, newline=""), user=user, reason=reason)


def plan_stages(*, file: IO[str]) -> Plan:
    """What `import_stages` would do with `file`, writing nothing: admin's preview shows
    it, and the import applies it. Call in a transaction: it locks the records it names
    until the transaction ends."""
    rows, errors = _read(file)
    plan = _plan(rows)
    if errors or plan.errors:
        return Plan(errors=sorted(errors + plan.errors))
    return plan


def import_stages(
    *, file: IO[str], user, reason: str, expected_version: int | None = None
) -> ImportResult:
    """Apply the stage records in `file` (stages.csv opened as text with `newline=""`).

    Every row is checked first: the header, that stage_id names a record of the row's
    recommendation (or is empty), the ref, stage, status (one of its stage's), date and
    precision, confidence, the sizes, and that each quote has its source. A new row that
    repeats a record already held (the same file imported twice) is an error too.
    With any error nothing changes and the result lists every error with its line;
    otherwise, in one transaction, each record whose values or quotes differ from the
    file's is updated and each new row added, with `user` and `reason` in the history.
    With `expected_version` (the data version a preview was computed at), raises
    `round_trip.DataChanged`, changing nothing, if the data changed since.
    """
    line = 0
    try:
        with transaction.atomic():
            if expected_version is not None:
                round_trip.check_unchanged(expected_version)
            plan = plan_stages(file=file)
            if plan.errors:
                return ImportResult(errors=plan.errors)
            result = ImportResult(unchanged=plan.unchanged)
            for row, stage, changed in plan.writes:
                line = row.line
                change = _write(row, stage, changed, user=user, reason=reason)
                (result.changed if change.changed else result.added).append(change)
    except IntegrityError as error:
        # The locks keep the records checked as they were; what else changed meanwhile (a
        # recommendation deleted, say) the database refuses, and the transaction undid all.
        return ImportResult(errors=[(line, f"the database refused the change: {error}")])
    return result


def _read(file: IO[str]) -> tuple[list[StageRow], list[Error]]:
    """The rows of `file` that hold a record, and every error a row has on its own."""
    rows, errors = read_rows(
        file,
        name="stages.csv",
        headers=[STAGE_COLUMNS],
        most_rows=limits.STAGES_ROWS,
        longest_cell=limits.STAGES_CELL_CHARS,
    )
    read, first_line = [], {}
    for row in rows:
        stage_row, row_errors = _read_row(row)
        errors += row_errors
        if stage_row is None:
            continue
        if stage_row.stage_id is not None:
            first = first_line.setdefault(stage_row.stage_id, row.line)
            if first != row.line:
                duplicate = f"stage_id {stage_row.stage_id} is on line {first} too; give each"
                errors.append((row.line, f"{duplicate} stage record one row."))
                continue
        read.append(stage_row)
    return read, errors


def _read_row(row: Row) -> tuple[StageRow | None, list[Error]]:
    """The row's record, or None, and what is wrong with it however the database stands."""
    cells, line = row.cells, row.line
    errors: list[Error] = []

    def wrong(text: str) -> None:
        errors.append((line, text))

    stage_id = None
    if cells["stage_id"]:
        # Not int(): it also takes "1_000", " 7" and other scripts' digits.
        if not (cells["stage_id"].isascii() and cells["stage_id"].isdigit()):
            wrong(
                f"stage_id {shown(cells['stage_id'])} is not a number; leave it empty for a "
                "new stage record."
            )
        elif int(cells["stage_id"]) > _LARGEST_ID:
            wrong(f"no stage record has stage_id {shown(cells['stage_id'])}.")
        else:
            stage_id = int(cells["stage_id"])
    if not cells["ref"]:
        wrong("ref is empty; give the ref of the recommendation the stage is about.")
    stage, status = cells["stage"], cells["status"]
    if stage not in Stage.values:
        wrong(f"unknown stage {shown(stage)}; expected {' or '.join(Stage.values)}.")
    if status not in StageStatus.values:
        wrong(f"unknown status {shown(status)}; expected one of {', '.join(StageStatus.values)}.")
    elif stage in Stage.values and status not in Stage(stage).statuses:
        wrong(
            f"a {stage} is {', '.join(Stage(stage).statuses)}, never {status}: "
            f"{status} is a {StageStatus(status).stage}'s status."
        )
    precision = cells["date_precision"]
    if precision not in DatePrecision.values:
        wrong(
            f"unknown date_precision {shown(precision)}; expected one of "
            f"{', '.join(DatePrecision.values)}."
        )
    date = None
    try:
        date, written = read_partial_date(cells["date"])
    except ValueError:
        wrong(f"date {shown(cells['date'])} is not a date written YYYY, YYYY-MM or YYYY-MM-DD.")
    else:
        if precision in DatePrecision.values and written != precision:
            wrong(
                f"date {cells['date']} is a {written}, but date_precision says {precision}; "
                "give them alike."
            )
    if not cells["summary"]:
        wrong("summary is empty; every stage record has one, in our own words.")
    for name in ("summary", "note"):
        if len(cells[name]) > limits.NOTE_CHARS:
            wrong(_too_long(f"the {name}", cells[name]))
    if cells["confidence"] not in Confidence.values:
        wrong(
            f"unknown confidence {shown(cells['confidence'])}; expected one of "
            f"{', '.join(Confidence.values)}."
        )
    quotes, quote_errors = _quotes(cells["quotes"], cells["sources"])
    errors += [(line, text) for text in quote_errors]
    if errors:
        return None, errors
    values = {name: cells[name] for name in FIELDS} | {"date": date}
    return StageRow(line, stage_id, cells["ref"], values, quotes), []


def _quotes(texts_cell: str, sources_cell: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The (text, url) of each quote, one a line of `texts_cell`, its source on the same
    line of `sources_cell`; and what is wrong with them."""
    texts, sources = lines(texts_cell), lines(sources_cell)
    if len(texts) != len(sources):
        counts = (
            f"{limits.size_in_words(len(texts), 'quote')} but "
            f"{limits.size_in_words(len(sources), 'source')}"
        )
        return [], [f"{counts}: give one quote a line, and its source on the same line of sources."]
    quotes, errors = [], []
    for number, (text, source) in enumerate(zip(texts, sources, strict=True), start=1):
        if not text:
            errors.append(f"quote {number} is empty; remove its line, and its source's.")
        elif len(text) > limits.NOTE_CHARS:
            errors.append(_too_long(f"quote {number}", text))
        if not source:
            errors.append(f"quote {number} has no source; give its web address.")
            continue
        if len(source) > _LONGEST_URL:
            limit = limits.size_in_words(_LONGEST_URL, "character")
            errors.append(f"the source of quote {number} is longer than {limit}, the longest.")
            continue
        # As stored, never completed as admin's form would: a stored address must read back
        # as itself, or an unedited file would change it.
        try:
            web_address(source)
        except ValidationError as error:
            errors.append(f"the source of quote {number}, {shown(source)}: {message(error)}")
        else:
            quotes.append((text, source))
    return quotes, errors


def _too_long(name: str, text: str) -> str:
    return (
        f"{name} is {limits.size_in_words(len(text), 'character')}; the longest accepted is "
        f"{limits.size_in_words(limits.NOTE_CHARS, 'character')}."
    )


def _plan(rows: list[StageRow]):
    """For each row that changes or adds a record, the change and the write: the row, its
    record as stored, locked (None for a new one), and what differs; the errors; how many
    rows are unchanged. Call in a transaction."""
    by_ref: dict[str, list[Recommendation]] = {}
    refs = {row.ref for row in rows}
    for recommendation in Recommendation.objects.filter(ref__in=refs).select_related("report"):
        by_ref.setdefault(recommendation.ref, []).append(recommendation)
    stages = (
        GovernmentStage.objects.select_for_update(of=("self",))
        .select_related("recommendation")
        .prefetch_related("quotes")
        .in_bulk([row.stage_id for row in rows if row.stage_id is not None])
    )
    gaining = [found for row in rows if row.stage_id is None for found in by_ref.get(row.ref, [])]
    held = {
        _identity(stage): stage.pk
        for stage in GovernmentStage.objects.filter(recommendation__in=gaining)
    }
    adding: dict[tuple, int] = {}
    plan = Plan()

    def refuse(row: StageRow, text: str) -> None:
        plan.errors.append((row.line, text))

    def change(row: StageRow, stage: GovernmentStage | None, changed: tuple[str, ...]) -> None:
        plan.writes.append((row, stage, changed))
        fields = _shown_changes(row, stage, changed)
        plan.changes.append(Change(stage and stage.pk, row.line, row.ref, changed, fields))

    for row in rows:
        found = by_ref.get(row.ref, [])
        if not found:
            refuse(row, f"no recommendation has ref {shown(row.ref)}.")
            continue
        if len(found) > 1:
            reports = ", ".join(recommendation.report.short_title for recommendation in found)
            refuse(row, f"ref {row.ref!r} is in more than one report ({reports}).")
            continue
        row.recommendation = found[0]
        if row.stage_id is None:
            # A new row that repeats a record is most likely a file imported twice.
            identity = _identity(GovernmentStage(recommendation=row.recommendation, **row.values))
            if identity in held:
                refuse(
                    row,
                    f"recommendation {row.ref} already has this stage record, stage_id "
                    f"{held[identity]}: give its stage_id to change it.",
                )
            elif identity in adding:
                refuse(row, f"line {adding[identity]} adds the same stage record.")
            else:
                adding[identity] = row.line
                change(row, None, ())
            continue
        stage = stages.get(row.stage_id)
        if stage is None:
            refuse(row, f"no stage record has stage_id {row.stage_id}.")
        elif stage.recommendation_id != row.recommendation.pk:
            refuse(
                row,
                f"stage {stage.pk} is about recommendation {stage.recommendation.ref}, not "
                f"{row.ref}; to move it, add it as a new row (stage_id empty) and delete the "
                "old record in admin.",
            )
        elif changed := _differences(row, stage):
            change(row, stage, changed)
        else:
            plan.unchanged += 1
    return plan


def _shown_changes(
    row: StageRow, stage: GovernmentStage | None, changed: tuple[str, ...]
) -> tuple[tuple[str, str, str], ...]:
    """(name, before, after) for each value that `changed` names, or every value of a new
    record (`stage` None), as stages.csv writes them."""
    names = changed or (*FIELDS, "quotes")
    shown = []
    for name in names:
        if name == "quotes":
            before = _shown_quotes(
                [(quote.text, quote.url) for quote in stage.quotes.all()] if stage else []
            )
            after = _shown_quotes(row.quotes)
        elif name == "date":
            before = partial_date(stage.date, stage.date_precision) if stage else ""
            after = partial_date(row.values["date"], row.values["date_precision"])
        else:
            before, after = (getattr(stage, name) if stage else ""), row.values[name]
        if before != after:
            shown.append((name, before, after))
    return tuple(shown)


def _shown_quotes(quotes: list[tuple[str, str]]) -> str:
    return "\n".join(f"{text} ({url})" for text, url in quotes)


def _identity(stage: GovernmentStage) -> tuple:
    """What makes a new row the same record as one held: its recommendation, stage,
    status, date and summary."""
    return (
        stage.recommendation_id,
        stage.stage,
        stage.status,
        stage.date,
        stage.date_precision,
        stage.summary,
    )


def _differences(row: StageRow, stage: GovernmentStage) -> tuple[str, ...]:
    """The names of the values, and "quotes", in which `row` differs from `stage`."""
    changed = tuple(name for name in FIELDS if getattr(stage, name) != row.values[name])
    quotes = [(quote.text, quote.url) for quote in stage.quotes.all()]
    return changed + (("quotes",) if quotes != row.quotes else ())


def _write(
    row: StageRow, stage: GovernmentStage | None, changed: tuple[str, ...], *, user, reason: str
) -> Change:
    """Add the row's record (`stage` None), or update in `stage` what is `changed`; each
    record and quote written gains one history entry naming `user` and `reason`."""
    if stage is None:
        stage = GovernmentStage(recommendation=row.recommendation, **row.values)
        _save(stage, user=user, reason=reason)
        _write_quotes(stage, row.quotes, held=[], user=user, reason=reason)
        return Change(stage.pk, row.line, row.ref, ())
    fields = [name for name in changed if name in FIELDS]
    if fields:
        for name in fields:
            setattr(stage, name, row.values[name])
        _save(stage, user=user, reason=reason, update_fields=fields)
    if "quotes" in changed:
        _write_quotes(stage, row.quotes, held=list(stage.quotes.all()), user=user, reason=reason)
    return Change(stage.pk, row.line, row.ref, changed)


def _write_quotes(
    stage: GovernmentStage,
    wanted: list[tuple[str, str]],
    *,
    held: list[StageQuote],
    user,
    reason: str,
) -> None:
    """Make `stage`'s quotes, `held` in order, the `wanted` (text, url) pairs: a quote held
    is corrected where it differs from the one in its place; those left over are deleted
    and those missing added."""
    for position, (text, url) in enumerate(wanted, start=1):
        if position <= len(held):
            quote = held[position - 1]
            if (quote.text, quote.url, quote.position) == (text, url, position):
                continue
            quote.text, quote.url, quote.position = text, url, position
        else:
            quote = StageQuote(stage=stage, text=text, url=url, position=position)
        _save(quote, user=user, reason=reason)
    for quote in held[len(wanted) :]:
        quote._history_user, quote._change_reason = user, reason
        quote.delete()


def _save(row: GovernmentStage | StageQuote, *, user, reason: str, **options) -> None:
    # simple-history reads who and why from the instance it records.
    row._history_user, row._change_reason = user, reason
    row.save(**options)
