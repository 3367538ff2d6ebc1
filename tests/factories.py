"""Small builders for test data: each makes a valid row and lets the test say what matters."""

import datetime
import itertools

from recommendations.models import (
    Chapter,
    GovernmentStage,
    Recommendation,
    Report,
    StageQuote,
    Theme,
)
from responses.models import (
    Ask,
    Assessment,
    Evidence,
    GovernmentAssessment,
    NamedRecommendation,
    Organisation,
    OrganisationNote,
    ResponseDocument,
)

_n = itertools.count(1)


def report(**fields) -> Report:
    n = next(_n)
    defaults = {
        "title": f"Report {n}",
        "short_title": f"Report {n}",
        "slug": f"report-{n}",
        "published": datetime.date(2022, 5, 23),
    }
    return Report.objects.create(**defaults | fields)


def chapter(**fields) -> Chapter:
    n = next(_n)
    if "report" not in fields:
        fields["report"] = report()
    return Chapter.objects.create(**{"number": n, "title": f"Chapter {n}"} | fields)


def theme(**fields) -> Theme:
    n = next(_n)
    return Theme.objects.create(**{"name": f"Theme {n}", "slug": f"theme-{n}"} | fields)


def recommendation(**fields) -> Recommendation:
    n = next(_n)
    if "chapter" not in fields:
        fields["chapter"] = chapter(**({"report": fields["report"]} if "report" in fields else {}))
    fields.setdefault("report", fields["chapter"].report)
    defaults = {
        "ref": f"{fields['chapter'].number}.x{n}",
        "title": f"Recommendation {n}",
        "text": f"Recommendation {n} says something specific.",
        "confidence": "high",
    }
    return Recommendation.objects.create(**defaults | fields)


def stage(*, quotes=(), **fields) -> GovernmentStage:
    """A government response (accepted, on 2 February 2023) unless `fields` say otherwise,
    with `quotes` as (text, url) pairs."""
    if "recommendation" not in fields:
        fields["recommendation"] = recommendation()
    defaults = {
        "stage": "government_response",
        "status": "accepted",
        "date": datetime.date(2023, 2, 2),
        "date_precision": "day",
        "summary": "The Government said it would.",
        "confidence": "high",
    }
    made = GovernmentStage.objects.create(**defaults | fields)
    for position, (text, url) in enumerate(quotes, 1):
        StageQuote.objects.create(stage=made, text=text, url=url, position=position)
    return made


def organisation(**fields) -> Organisation:
    n = next(_n)
    defaults = {"name": f"Organisation {n}", "slug": f"organisation-{n}", "kind": "charity"}
    return Organisation.objects.create(**defaults | fields)


def document(**fields) -> ResponseDocument:
    n = next(_n)
    if "organisation" not in fields:
        fields["organisation"] = organisation()
    defaults = {
        "title": f"Document {n}",
        "kind": "case_for_change_response",
        "published": datetime.date(2021, 1, 1),
        "published_precision": "year",
        "text": "We call for better things. We want more of them.",
    }
    return ResponseDocument.objects.create(**defaults | fields)


def ask(**fields) -> Ask:
    if "document" not in fields:
        fields["document"] = document()
    document_ = fields["document"]
    defaults = {
        "position": document_.asks.count() + 1,
        "text": document_.text.split(".")[0] + ".",
        "title": "An ask",
    }
    return Ask.objects.create(**defaults | fields)


def assessment(*, evidence=(), **fields) -> Assessment:
    if "ask" not in fields:
        fields["ask"] = ask()
    defaults = {"status": "partly", "judged_by": "editorial", "rationale": "Because."}
    made = Assessment.objects.create(**defaults | fields)
    for recommendation_ in evidence:
        Evidence.objects.create(
            assessment=made, recommendation=recommendation_, quote=recommendation_.text[:20]
        )
    return made


def government_assessment(*, named=(), **fields) -> GovernmentAssessment:
    """A judgement of the Government's response, naming each recommendation of `named` in
    the first words of the ask's document."""
    if "ask" not in fields:
        fields["ask"] = ask()
    defaults = {"status": "partly", "judged_by": "editorial", "rationale": "Because."}
    made = GovernmentAssessment.objects.create(**defaults | fields)
    for recommendation_ in named:
        NamedRecommendation.objects.create(
            assessment=made,
            recommendation=recommendation_,
            named_as=made.ask.document.text.split(" ")[0],
        )
    return made


def organisation_note(**fields) -> OrganisationNote:
    if "document" not in fields:
        fields["document"] = document()
    defaults = {
        "note": "An overall remark.",
        "evidence": fields["document"].text.split(".")[0] + ".",
    }
    return OrganisationNote.objects.create(**defaults | fields)


def judge_form(assessment: Assessment | None, **fields) -> dict:
    """What admin's judge page for an ask posts when saved unchanged, its evidence rows
    included (`assessment` None for an ask not judged yet): `fields` say what the editor
    changed."""
    links = list(assessment.evidence.all()) if assessment else []
    data = {
        "status": assessment.status if assessment else "not_assessed",
        "judged_by": (assessment.judged_by if assessment else "") or "editorial",
        "rationale": assessment.rationale if assessment else "",
        "note": assessment.note if assessment else "",
        "change_reason": "",
        "based_on_version": assessment.version if assessment else 0,
        "evidence-TOTAL_FORMS": str(len(links)),
        "evidence-INITIAL_FORMS": str(len(links)),
        "evidence-MIN_NUM_FORMS": "0",
        "evidence-MAX_NUM_FORMS": "1000",
    }
    for index, link in enumerate(links):
        data |= {
            f"evidence-{index}-recommendation": str(link.recommendation_id),
            f"evidence-{index}-quote": link.quote,
        }
    return data | fields


def world(*, size: int) -> list[Organisation]:
    """`size` organisations, each with everything the pages show: a response whose asks
    cover every status (with themes, evidence from sourced recommendations, an absent
    ask and one restating an earlier wording, which also carries a judgement of the
    Government's response), a note that is no verdict, a digest whose points are not
    asks, and what the Government did (a recommendation accepted in part and legislated,
    one delivered with no response on record, one with nothing on record). Call again to
    add as much again; returns the organisations made."""
    from recommendations.models import Source

    made = []
    for _ in range(size):
        shared_theme = theme()
        chapter_ = chapter()
        recommendations = [
            recommendation(
                chapter=chapter_, text="Every child should have a loving home and better things."
            )
            for _ in range(3)
        ]
        for recommendation_ in recommendations:
            recommendation_.themes.add(shared_theme)
            Source.objects.create(
                recommendation=recommendation_,
                url="https://example.org/source",
                quote="loving home",
            )
        said = [("We will legislate.", "https://example.org/response")]
        stage(recommendation=recommendations[0], status="accepted_in_part", quotes=said)
        for recommendation_ in recommendations[:2]:
            stage(
                recommendation=recommendation_,
                stage="delivery",
                status="legislated" if recommendation_ == recommendations[0] else "delivered",
                date=datetime.date(2025, 1, 1),
                date_precision="year",
                quotes=said,
            )
        organisation_ = organisation()
        earlier = document(organisation=organisation_, published_precision="day")
        later = document(
            organisation=organisation_,
            published=datetime.date(2022, 5, 1),
            published_precision="month",
        )
        first_wording = ask(document=earlier)
        for status, evidence in [
            ("realised", recommendations[:2]),
            ("partly", recommendations[2:]),
            ("absent", ()),
            ("unclear", ()),
        ]:
            assessment(ask=_themed_ask(later, shared_theme), status=status, evidence=evidence)
        restating = _themed_ask(later, shared_theme, restates=first_wording)
        assessment(
            ask=restating, status="partly", judged_by="organisation", evidence=recommendations[:1]
        )
        government_assessment(ask=restating, status="absent", named=recommendations[1:2])
        organisation_note(document=later)
        _themed_ask(later, shared_theme)
        digest = document(organisation=organisation_, kind="case_for_change_digest")
        ask(document=digest)
        made.append(organisation_)
    return made


def _themed_ask(document_: ResponseDocument, theme_: Theme, **fields) -> Ask:
    made = ask(document=document_, **fields)
    made.themes.add(theme_)
    return made
