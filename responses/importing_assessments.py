"""Reading judgements back from asks.csv, so that a researcher can code statuses in a
spreadsheet and return them.

The file is the long format that `export.asks_table` writes: one row per ask and linked
recommendation, with or without the columns on what the Government did, which older
exports lack. Of its columns, `ask_id` says which ask, `status`, `judged_by` and
`rationale` are the ask's judgement (the same on each of its rows), and each row's
`recommendation_ref` and `evidence` are one link; the other columns are there to be read
and are ignored. Every row is checked before anything is written; then every changed ask
is recorded through `assessments.record`, all in one transaction or none.
"""

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction

from recommendations.models import Recommendation

from . import limits, round_trip, rules
from .assessments import record
from .csv_format import ASK_HEADERS
from .csv_reading import Error, message, read_rows, read_text, shown
from .models import Ask, JudgedBy, Status


@dataclass
class Judgement:
    """One ask's judgement as the file gives it, from the rows that name the ask."""

    ask_id: int
    line: int
    status: str
    judged_by: str
    rationale: str
    # (recommendation ref, evidence quote, line)
    links: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """An ask whose judgement the file changes: its status `before` and `after`, and each
    value that changes as (name, before, after), the evidence a link a line."""

    ask_id: int
    line: int
    before: str
    after: str
    fields: tuple[tuple[str, str, str], ...] = ()


# Ask ids are 64-bit integers in the database; a larger number is no ask, not an overflow.
_LARGEST_ID = 2**63 - 1


@dataclass
class ImportResult:
    """What an import found wrong (then nothing changed), in line order, or what it changed."""

    errors: list[Error] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0


def import_assessments_file(
    *,
    path: Path,
    force: bool = False,
    user=None,
    reason: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Apply the judgements in the asks.csv at `path`, as `import_assessments` does, after
    refusing a file larger than `limits.ASSESSMENTS_FILE_BYTES` or not in UTF-8 (with or
    without the byte order mark of an Excel export). Raises OSError if it cannot be read."""
    text, errors = read_text(path, largest=limits.ASSESSMENTS_FILE_BYTES)
    if errors:
        return ImportResult(errors=errors)
    return import_assessments(
        file=io.StringIO(text, newline=""),
        force=force,
        user=user,
        reason=reason,
        progress=progress,
    )


@dataclass
class Plan:
    """What importing a file would do, computed without writing: its errors (then it
    would do nothing), each change, how many asks it leaves alone, and the writes."""

    errors: list[Error] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    # (judgement, ask, evidence as (recommendation, quote) pairs), a change's each
    writes: list = field(default_factory=list)


def plan_assessments(*, file: IO[str], force: bool = False) -> Plan:
    """What `import_assessments` would do with `file`, writing nothing: admin's preview
    shows it, and the import applies it."""
    judgements, read_errors = _read(file)
    plan = _plan(judgements, force=force)
    if read_errors or plan.errors:
        return Plan(errors=sorted(read_errors + plan.errors))
    return plan


def import_assessments(
    *,
    file: IO[str],
    force: bool = False,
    user=None,
    reason: str = "",
    expected_version: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Apply the judgements in `file` (asks.csv opened as text with `newline=""`).

    Every row is checked first: the header, the ask id, status, judged_by (never automatic
    for absent), recommendation ref and that the evidence is quoted exactly from the
    recommendation. An ask whose judgement would not change is left alone, so it gains no
    history. The organisation's own judgement is never replaced unless `force`; without it
    such an ask is an error.
    With any error nothing changes and the result lists every error with its line;
    otherwise every changed ask is recorded with `user` and `reason`, in one transaction.
    With `expected_version` (the data version a preview was computed at), raises
    `round_trip.DataChanged`, changing nothing, if the data changed since. `progress` is
    called with how many changed asks are recorded, and of how many, after each.
    """
    try:
        with transaction.atomic():
            if expected_version is not None:
                round_trip.check_unchanged(expected_version)
            plan = plan_assessments(file=file, force=force)
            if plan.errors:
                return ImportResult(errors=plan.errors)
            for done, (judgement, ask, evidence) in enumerate(plan.writes, start=1):
                record(
                    ask=ask,
                    status=judgement.status,
                    judged_by=judgement.judged_by,
                    rationale=judgement.rationale,
                    evidence=evidence,
                    user=user,
                    reason=reason,
                    force=force,
                )
                if progress:
                    progress(done, len(plan.writes))
    except (rules.JudgementProtected, ValidationError) as error:
        # Something changed between checking and writing; the transaction undid it all.
        return ImportResult(errors=[(judgement.line, f"ask {judgement.ask_id}: {message(error)}")])
    return ImportResult(changed=plan.changes, unchanged=plan.unchanged)


def _read(file: IO[str]) -> tuple[list[Judgement], list[Error]]:
    """The judgements in `file`, by ask, and every error a row has on its own."""
    rows, errors = read_rows(
        file,
        name="asks.csv",
        headers=ASK_HEADERS,
        most_rows=limits.ASSESSMENTS_ROWS,
        longest_cell=limits.ASSESSMENTS_CELL_CHARS,
    )
    judgements: dict[int, Judgement] = {}
    for row in rows:
        errors += _read_row(row.cells, line=row.line, judgements=judgements)
    return list(judgements.values()), errors


def _read_row(row: dict[str, str], *, line: int, judgements: dict[int, Judgement]) -> list[Error]:
    errors = []
    ask_id = row["ask_id"]
    # Not int(): it also takes "1_000", " 7" and other scripts' digits.
    if not (ask_id.isascii() and ask_id.isdigit()):
        return [(line, f"ask_id {shown(ask_id)} is not a number.")]
    ask_id = int(ask_id)
    if ask_id > _LARGEST_ID:
        return [(line, f"no ask has id {shown(row['ask_id'])}.")]
    if len(row["rationale"]) > limits.NOTE_CHARS:
        errors.append(
            (
                line,
                (
                    f"the rationale is {limits.size_in_words(len(row['rationale']), 'character')}; "
                    f"the longest accepted is {limits.size_in_words(limits.NOTE_CHARS, 'character')}."
                ),
            )
        )
    status, judged_by = row["status"], row["judged_by"]
    if status not in Status.values:
        errors.append(
            (line, f"unknown status {shown(status)}; expected one of {', '.join(Status.values)}.")
        )
    if judged_by not in ("", *JudgedBy.values):
        errors.append(
            (
                line,
                (
                    f"unknown judged_by {shown(judged_by)}; expected one of "
                    f"{', '.join(JudgedBy.values)}, or empty for an ask not assessed."
                ),
            )
        )
    elif status == Status.NOT_ASSESSED and judged_by:
        errors.append(
            (line, "an ask that is not assessed is judged by nobody; leave judged_by empty.")
        )
    elif status in Status.values and status != Status.NOT_ASSESSED and not judged_by:
        errors.append(
            (line, f"an ask that is {status} needs judged_by ({', '.join(JudgedBy.values)}).")
        )
    elif status == Status.ABSENT and judged_by == JudgedBy.AUTOMATIC:
        errors.append(
            (
                line,
                (
                    "an automatic suggestion cannot say an ask is absent; give judged_by "
                    "editorial or organisation."
                ),
            )
        )
    ref, quote = row["recommendation_ref"], row["evidence"]
    if bool(ref) != bool(quote):
        errors.append(
            (
                line,
                (
                    "a link needs both recommendation_ref and evidence (the words quoted "
                    "from the recommendation), or neither."
                ),
            )
        )
    if ref and quote and status in Status.values:
        try:
            rules.check_evidence_allowed(status=status, with_evidence=True)
        except ValidationError as error:
            errors.append((line, message(error)))
    judgement = judgements.get(ask_id)
    if judgement is None:
        judgement = judgements[ask_id] = Judgement(
            ask_id=ask_id, line=line, status=status, judged_by=judged_by, rationale=row["rationale"]
        )
    else:
        for name in ("status", "judged_by", "rationale"):
            if getattr(judgement, name) != row[name]:
                errors.append(
                    (
                        line,
                        (
                            f"ask {ask_id}'s {name} differs from line {judgement.line}; "
                            "every row of one ask must give the same judgement."
                        ),
                    )
                )
    if ref and quote:
        if any(linked_ref == ref for linked_ref, _, _ in judgement.links):
            errors.append((line, f"ask {ask_id} links recommendation {ref} twice."))
        judgement.links.append((ref, quote, line))
    return errors


def _current(ask: Ask) -> tuple[str, str, str, frozenset]:
    assessment = getattr(ask, "assessment", None)
    if assessment is None:
        return (Status.NOT_ASSESSED, "", "", frozenset())
    return (
        assessment.status,
        assessment.judged_by,
        assessment.rationale,
        frozenset((link.recommendation, link.quote) for link in assessment.evidence.all()),
    )


_NAMES = ("status", "judged_by", "rationale", "evidence")


def _shown_evidence(links: frozenset) -> str:
    """Links as asks.csv gives them, one a line in ref order: ref, then the quote."""
    return "\n".join(sorted(f"{recommendation.ref}: {quote}" for recommendation, quote in links))


def _differences(current: tuple, wanted: tuple) -> tuple[tuple[str, str, str], ...]:
    """(name, before, after) for each value of a judgement that differs."""
    return tuple(
        (name, _shown_evidence(before), _shown_evidence(after))
        if name == "evidence"
        else (name, before, after)
        for name, before, after in zip(_NAMES, current, wanted, strict=True)
        if before != after
    )


def _plan(judgements: Iterable[Judgement], *, force: bool) -> Plan:
    """The changes and writes for each judgement that changes its ask; the errors; how
    many are unchanged."""
    judgements = list(judgements)
    asks = (
        Ask.objects.select_related("assessment")
        .prefetch_related("assessment__evidence__recommendation")
        .in_bulk([judgement.ask_id for judgement in judgements])
    )
    refs = {ref for judgement in judgements for ref, _, _ in judgement.links}
    by_ref: dict[str, list[Recommendation]] = {}
    for recommendation in Recommendation.objects.filter(ref__in=refs).select_related("report"):
        by_ref.setdefault(recommendation.ref, []).append(recommendation)
    plan = Plan()
    errors = plan.errors
    for judgement in judgements:
        ask = asks.get(judgement.ask_id)
        if ask is None:
            errors.append((judgement.line, f"no ask has id {judgement.ask_id}."))
            continue
        evidence = []
        for ref, quote, line in judgement.links:
            found = by_ref.get(ref, [])
            if not found:
                errors.append((line, f"no recommendation has ref {shown(ref)}."))
            elif len(found) > 1:
                reports = ", ".join(recommendation.report.short_title for recommendation in found)
                errors.append((line, f"ref {ref!r} is in more than one report ({reports})."))
            else:
                try:
                    rules.check_quote_is_verbatim(quote=quote, recommendation=found[0])
                except ValidationError as error:
                    errors.append((line, message(error)))
                else:
                    evidence.append((found[0], quote))
        current = _current(ask)
        wanted = (judgement.status, judgement.judged_by, judgement.rationale, frozenset(evidence))
        if wanted == current:
            plan.unchanged += 1
            continue
        try:
            rules.check_may_replace(
                current=getattr(ask, "assessment", None),
                judged_by=judgement.judged_by,
                force=force,
            )
        except rules.JudgementProtected as error:
            hint = " Use --force to replace it." if error.forceable else ""
            errors.append((judgement.line, message(error) + hint))
            continue
        plan.writes.append((judgement, ask, evidence))
        plan.changes.append(
            Change(
                judgement.ask_id,
                judgement.line,
                current[0],
                judgement.status,
                _differences(current, wanted),
            )
        )
    return plan
