"""What the API answers with, as pydantic schemas (so its OpenAPI schema), and the query
parameters of each list, derived from the filter forms that the pages and the CSV
exports parse: a filter added to a form appears in all three at once."""

import datetime
from typing import Annotated, Any, Literal

from django import forms
from ninja import Schema
from pydantic import BeforeValidator, Field, StringConstraints, create_model

from recommendations.models import (
    STAGE_CONFIDENCE,
    Confidence,
    DatePrecision,
    SourceAbout,
    Stage,
    StageStatus,
)
from responses.models import (
    GOVERNMENT_STATUSES,
    DocumentKind,
    JudgedBy,
    OrganisationKind,
    Status,
)


def _one_of(values) -> Any:
    return Literal[tuple(str(value) for value in values)]


# Django's own slug pattern (`validate_slug`), for the schema to say.
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


def _empty_is_none(value):
    # An empty parameter means "any", as the pages' forms read it.
    return None if value == "" else value


def _parameter(field: forms.Field) -> Any:
    """The type of a query parameter that `field` parses, with its constraints."""
    if isinstance(field, forms.ChoiceField):
        return _one_of(value for value, _ in field.choices if value != "")
    if isinstance(field, forms.IntegerField):
        return Annotated[int, Field(ge=field.min_value, le=field.max_value)]
    if isinstance(field, forms.SlugField):
        return Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=field.max_length)]
    if isinstance(field, forms.CharField):
        return Annotated[str, StringConstraints(max_length=field.max_length)]
    raise TypeError(f"The API cannot yet describe a {type(field).__name__} as a parameter.")


def _described(name: str, field: forms.Field) -> str:
    words = str(field.label or name.replace("_", " ").capitalize())
    if isinstance(field, forms.ChoiceField):
        options = "; ".join(f"`{value}`: {label}" for value, label in field.choices if value != "")
        words += f". One of {options}."
    return words


def filter_parameters(form_class: type[forms.Form]) -> type[Schema]:
    """The query parameters of `form_class`, one per field, each optional: its type,
    choices and limits from the field, for the OpenAPI schema and a first check of types.
    The form itself then parses them, as the page and the CSV export do."""
    fields = {
        name: (
            Annotated[_parameter(field) | None, BeforeValidator(_empty_is_none)],
            Field(None, description=_described(name, field)),
        )
        for name, field in form_class.base_fields.items()
    }
    return create_model(
        form_class.__name__.replace("Form", "Parameters"), __base__=Schema, **fields
    )


class Problem(Schema):
    """An error, as RFC 9457 problem details."""

    type: str = Field(description="A URI naming the kind of problem; about:blank for HTTP's own.")
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = Field(
        None, description="Each parameter that is wrong, and why."
    )


# References from one record to another.


class OrganisationRef(Schema):
    slug: str
    name: str


class ThemeRef(Schema):
    slug: str
    name: str


class RecommendationRef(Schema):
    ref: str
    title: str


class DocumentRef(Schema):
    id: int
    title: str
    kind: _one_of(DocumentKind.values)
    published: datetime.date | None
    published_precision: _one_of(DatePrecision.values) | None
    published_display: str

    @staticmethod
    def resolve_published_precision(document) -> str | None:
        return document.published_precision or None


# Themes


class ThemeOut(ThemeRef):
    page: str

    @staticmethod
    def resolve_page(theme) -> str:
        return theme.get_absolute_url()


class ThemeDetail(ThemeOut):
    recommendations: list[RecommendationRef]


# Organisations


class AskCounts(Schema):
    """How many of the organisation's asks have each status: counted asks only, as the
    pages count them (not a digest's points, not an earlier wording restated)."""

    total: int
    realised: int
    partly: int
    absent: int
    unclear: int
    not_assessed: int


class OrganisationOut(OrganisationRef):
    kind: _one_of(OrganisationKind.values)
    kind_label: str
    website: str
    description: str
    asks: AskCounts
    page: str

    @staticmethod
    def resolve_kind_label(organisation) -> str:
        return organisation.get_kind_display()

    @staticmethod
    def resolve_asks(organisation) -> dict:
        return {"total": organisation.asks_total, **organisation.status_mix}

    @staticmethod
    def resolve_page(organisation) -> str:
        return organisation.get_absolute_url()


class OrganisationDetail(OrganisationOut):
    documents: list[DocumentRef]


# Documents


class AskRef(Schema):
    id: int
    position: int
    title: str
    status: _one_of(Status.values)


class DocumentOut(DocumentRef):
    organisation: OrganisationRef
    source_url: str = Field(description="Where the document was published, if known.")
    notes: str
    counts_asks: bool = Field(
        description="False for a digest, whose points quote the Review back and are not asks."
    )
    page: str

    @staticmethod
    def resolve_source_url(document) -> str:
        return document.link

    @staticmethod
    def resolve_page(document) -> str:
        return document.get_absolute_url()


class DocumentDetail(DocumentOut):
    text: str = Field(description="The full text, verbatim.")
    asks: list[AskRef]


# What the Government did with a recommendation


class StageSummary(Schema):
    status: _one_of(StageStatus.values)
    status_label: str
    date: datetime.date
    date_precision: _one_of(DatePrecision.values)
    date_display: str

    @staticmethod
    def resolve_status_label(stage) -> str:
        return StageStatus(stage.status).tag_label


class StageQuoteOut(Schema):
    text: str
    url: str


class StageOut(StageSummary):
    stage: _one_of(Stage.values)
    summary: str
    confidence: _one_of(Confidence.values)
    confidence_label: str
    note: str
    quotes: list[StageQuoteOut]

    @staticmethod
    def resolve_confidence_label(stage) -> str:
        return STAGE_CONFIDENCE[stage.confidence]


class GovernmentOutcome(Schema):
    """The recommendation's government response (the latest) and its furthest delivery,
    each null where none is on record."""

    government_response: StageSummary | None
    furthest_delivery: StageSummary | None


# Asks and their judgements


class EvidenceOut(Schema):
    recommendation: RecommendationRef
    quote: str = Field(description="The words of the recommendation that realise the ask.")
    government: GovernmentOutcome = Field(
        description="What the Government did with the recommendation."
    )

    @staticmethod
    def resolve_government(evidence) -> dict:
        return {
            "government_response": evidence.recommendation.government_response_stage,
            "furthest_delivery": evidence.recommendation.furthest_delivery_stage,
        }


class Judge(Schema):
    judged_by: _one_of(JudgedBy.values) = Field(
        description="Who made the judgement: the organisation itself, an editor, or the "
        "matcher's automatic suggestion."
    )
    judged_by_label: str

    @staticmethod
    def resolve_judged_by_label(judgement) -> str:
        return judgement.get_judged_by_display()


class AssessmentOut(Judge):
    """Whether the Review's Final Report realised the ask."""

    status: _one_of(Status.values)
    status_label: str
    rationale: str
    note: str
    evidence: list[EvidenceOut]

    @staticmethod
    def resolve_status_label(assessment) -> str:
        return assessment.get_status_display()


class NamedOut(Schema):
    recommendation: RecommendationRef
    named_as: str = Field(description="The words of the ask's document that name it.")


class GovernmentAssessmentOut(Judge):
    """Whether the Government's response took the ask up: a judgement apart from the
    Final Report's."""

    status: _one_of(s.value for s in GOVERNMENT_STATUSES)
    status_label: str
    rationale: str
    note: str
    named: list[NamedOut] = Field(description="The recommendations the judgement names.")

    @staticmethod
    def resolve_status_label(assessment) -> str:
        return Status(assessment.status).government_label


class AskOut(Schema):
    id: int
    organisation: OrganisationRef
    document: DocumentRef
    position: int
    title: str = Field(description="A short title, in carereview's words.")
    text: str = Field(description="The ask exactly as worded in the document.")
    themes: list[ThemeRef]
    restates: int | None = Field(description="The same ask in an earlier document: its id.")
    status: _one_of(Status.values) = Field(description="Whether the Review realised it.")
    status_label: str
    assessment: AssessmentOut | None = Field(description="Null while nobody has judged it.")
    government_assessment: GovernmentAssessmentOut | None
    page: str

    @staticmethod
    def resolve_organisation(ask):
        return ask.document.organisation

    @staticmethod
    def resolve_restates(ask) -> int | None:
        return ask.restates_id

    @staticmethod
    def resolve_status_label(ask) -> str:
        return Status(ask.status).label

    @staticmethod
    def resolve_assessment(ask):
        assessment = getattr(ask, "assessment", None)
        return assessment if assessment and assessment.status != Status.NOT_ASSESSED else None

    @staticmethod
    def resolve_government_assessment(ask):
        return getattr(ask, "government_assessment", None)

    @staticmethod
    def resolve_page(ask) -> str:
        return f"{ask.document.organisation.get_absolute_url()}?expand={ask.pk}#ask-{ask.pk}"


# Recommendations


class ReportRef(Schema):
    slug: str
    short_title: str


class ChapterRef(Schema):
    number: int
    title: str


class SourceOut(Schema):
    about: _one_of(SourceAbout.values)
    url: str
    quote: str


class RecommendationOut(RecommendationRef):
    report: ReportRef
    number: str
    chapter: ChapterRef
    chapter_inferred: bool
    text: str = Field(description="The closest wording the sources give.")
    themes: list[ThemeRef]
    confidence: _one_of(Confidence.values)
    note: str
    sources: list[SourceOut]
    demand: int = Field(
        description="How many organisations have an ask it realises or partly realises."
    )
    stages: list[StageOut] = Field(description="What the Government did with it, by date.")
    government: GovernmentOutcome
    page: str

    @staticmethod
    def resolve_government(recommendation) -> dict:
        return {
            "government_response": recommendation.government_response_stage,
            "furthest_delivery": recommendation.furthest_delivery_stage,
        }

    @staticmethod
    def resolve_page(recommendation) -> str:
        return recommendation.get_absolute_url()


def page_of(item: type[Schema]) -> type[Schema]:
    """A page of a list: its items, and the link to the next page (null on the last)."""
    return create_model(
        f"{item.__name__.removesuffix('Out')}Page",
        __base__=Schema,
        results=(list[item], ...),
        next=(str | None, Field(description="The next page's URL; null on the last page.")),
    )
