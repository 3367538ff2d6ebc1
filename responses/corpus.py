"""Adding what the shipped corpus gained later to a database that already holds an earlier
corpus: what the Government did with each recommendation (`add_missing_stages`) and
round 2's documents (`add_missing_documents`). Rows are matched by their natural keys,
written as admin writes them (judgements through `assessments.record` and
`record_government`), and nothing already there is changed."""

import json
from collections import defaultdict
from pathlib import Path

from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.base import DeserializationError
from django.db import transaction

from recommendations.models import GovernmentStage, Recommendation, StageQuote

from . import assessments
from .models import (
    Ask,
    Assessment,
    Evidence,
    GovernmentAssessment,
    NamedRecommendation,
    Organisation,
    OrganisationNote,
    ResponseDocument,
)

LOADED = "Loaded from the shipped corpus"
# What names a shipped stage record in a database that may have renumbered it.
STAGE_KEY = ("recommendation_id", "stage", "status", "date")


@transaction.atomic
def add_missing_stages(*, fixture: Path) -> int:
    """Add, with their quotes, the stage records of `fixture` that the database has never
    held (by recommendation, stage, status and date), and say how many; change no other
    row. A record an editor corrected or deleted is in its history under its shipped key,
    so it does not come back. All or nothing: if a record's recommendation is not held,
    ValidationError, and none is added."""
    try:
        shipped = [item.object for item in serializers.deserialize("json", fixture.read_text())]
    except DeserializationError as error:
        raise ValidationError(
            "A stage record of the shipped corpus is about a recommendation this database "
            f"does not hold. Add it, then run load_corpus again. ({error})"
        ) from error
    held = set(GovernmentStage.history.values_list(*STAGE_KEY))
    held |= set(GovernmentStage.objects.values_list(*STAGE_KEY))
    stages = {
        stage.pk: stage
        for stage in shipped
        if isinstance(stage, GovernmentStage)
        and tuple(getattr(stage, field) for field in STAGE_KEY) not in held
    }
    quotes = [q for q in shipped if isinstance(q, StageQuote) and q.stage_id in stages]
    # New primary keys: the shipped ones may belong to stages an editor added.
    for row in (*stages.values(), *quotes):
        row.pk = None
    GovernmentStage.objects.bulk_create(stages.values())
    for quote in quotes:
        quote.stage = stages[quote.stage_id]
    StageQuote.objects.bulk_create(quotes)
    GovernmentStage.history.bulk_history_create(list(stages.values()), default_change_reason=LOADED)
    StageQuote.history.bulk_history_create(quotes, default_change_reason=LOADED)
    return len(stages)


@transaction.atomic
def add_missing_documents(
    *, fixture: Path, recommendations_fixture: Path
) -> list[ResponseDocument]:
    """Add the documents of `fixture` (Django's JSON fixture format) that the database
    does not hold, each with its asks, their judgements and its notes, and return them.

    An organisation is matched by its slug and kept as it is; a document by its
    organisation and title. A document already held is left as it is with everything
    under it: below a document, a row that is missing is one an editor deleted. The
    fixture's primary keys only tie its rows together; its recommendations are found by
    their refs, read from `recommendations_fixture`. Every row is validated as admin
    validates it; whatever fails, nothing is written.
    """
    rows = defaultdict(list)
    for row in serializers.deserialize("json", fixture.read_text(encoding="utf-8")):
        rows[type(row.object)].append(row)
    recommendation = _recommendations_by_fixture_pk(recommendations_fixture)

    # Each keyed by its primary key in the fixture.
    organisations, documents, asks = {}, {}, {}
    for row in rows[Organisation]:
        organisation, key = row.object, row.object.pk
        held = Organisation.objects.filter(slug=organisation.slug).first()
        organisations[key] = held or _added(organisation)

    for row in rows[ResponseDocument]:
        document, key = row.object, row.object.pk
        document.organisation = organisations[document.organisation_id]
        if not ResponseDocument.objects.filter(
            organisation=document.organisation, title=document.title
        ).exists():
            documents[key] = _added(document)

    for row in rows[Ask]:
        ask, key = row.object, row.object.pk
        if ask.document_id not in documents:
            continue
        ask.document = documents[ask.document_id]
        # An ask restates an earlier one of the same organisation's, added here too.
        ask.restates = asks[ask.restates_id] if ask.restates_id else None
        asks[key] = _added(ask)
        asks[key].themes.set(row.m2m_data.get("themes", []))

    evidence = defaultdict(list)
    for row in rows[Evidence]:
        evidence[row.object.assessment_id].append(
            (recommendation(row.object.recommendation_id), row.object.quote)
        )
    for row in rows[Assessment]:
        judgement = row.object
        if judgement.ask_id in asks:
            assessments.record(
                ask=asks[judgement.ask_id],
                status=judgement.status,
                judged_by=judgement.judged_by,
                rationale=judgement.rationale,
                note=judgement.note,
                evidence=evidence[judgement.pk],
                reason=LOADED,
            )

    named = defaultdict(list)
    for row in rows[NamedRecommendation]:
        named[row.object.assessment_id].append(
            (recommendation(row.object.recommendation_id), row.object.named_as)
        )
    for row in rows[GovernmentAssessment]:
        judgement = row.object
        if judgement.ask_id in asks:
            assessments.record_government(
                ask=asks[judgement.ask_id],
                status=judgement.status,
                judged_by=judgement.judged_by,
                rationale=judgement.rationale,
                note=judgement.note,
                named=named[judgement.pk],
                reason=LOADED,
            )

    for row in rows[OrganisationNote]:
        note = row.object
        if note.document_id in documents:
            note.document = documents[note.document_id]
            _added(note)
    return list(documents.values())


def _added(row):
    """`row` saved as a new row, the database choosing its key, once admin's checks pass."""
    row.pk = None
    row.full_clean()
    row._change_reason = LOADED
    row.save()
    return row


def _recommendations_by_fixture_pk(path: Path):
    """A function from a primary key of `path`'s fixture to the recommendation held under
    the same report and ref, which need not have kept its key."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    reports = {r["pk"]: r["fields"]["slug"] for r in rows if r["model"] == "recommendations.report"}
    refs = {
        r["pk"]: (reports[r["fields"]["report"]], r["fields"]["ref"])
        for r in rows
        if r["model"] == "recommendations.recommendation"
    }

    def recommendation(pk: int) -> Recommendation:
        report, ref = refs[pk]
        held = Recommendation.objects.filter(report__slug=report, ref=ref).first()
        if held is None:
            raise ValidationError(
                f"The shipped corpus cites recommendation {ref}, which this database no "
                "longer holds."
            )
        return held

    return recommendation
