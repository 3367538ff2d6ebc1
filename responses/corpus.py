"""Adding the shipped corpus's later documents to a database that already holds the earlier
ones: rows are matched by their natural keys, written as admin writes them (judgements
through `assessments.record` and `record_government`), and nothing already there is
changed."""

import json
from collections import defaultdict
from pathlib import Path

from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import transaction

from recommendations.models import Recommendation

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
