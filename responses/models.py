"""What organisations asked the Review for, and whether the Review delivered it."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from simple_history.models import HistoricalRecords

from recommendations.models import Recommendation, Theme


class Status(models.TextChoices):
    REALISED = "realised", "Realised"
    PARTLY = "partly", "Partly realised"
    ABSENT = "absent", "Absent"
    UNCLEAR = "unclear", "Unclear: too vague to judge"
    NOT_ASSESSED = "not_assessed", "Not assessed"


# Statuses that say the Review recommended (some of) what was asked.
HEARD = (Status.REALISED, Status.PARTLY)


class JudgedBy(models.TextChoices):
    ORGANISATION = "organisation", "The organisation itself"
    EDITORIAL = "editorial", "Editorial"
    AUTOMATIC = "automatic", "Automatic suggestion"


class OrganisationKind(models.TextChoices):
    CHARITY = "charity", "Charity"
    MEMBERSHIP_FORUM = "membership_forum", "Membership forum"
    PROFESSIONAL_BODY = "professional_body", "Professional body"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    PUBLIC_BODY = "public_body", "Public body"
    RESEARCH = "research", "Research or academic"
    OTHER = "other", "Other"


class DocumentKind(models.TextChoices):
    CASE_FOR_CHANGE_RESPONSE = "case_for_change_response", "Response to the Case for Change"
    # A digest quotes the Review back to its readers: its points are not asks.
    CASE_FOR_CHANGE_DIGEST = "case_for_change_digest", "Digest of the Case for Change"
    FINAL_REPORT_ASSESSMENT = "final_report_assessment", "Assessment of the Final Report"
    OTHER = "other", "Other"


class OrganisationQuerySet(models.QuerySet):
    def with_status_counts(self):
        """Annotate `asks_total` and `asks_<status>` for each status, over the
        organisation's counted asks (see `AskQuerySet.counted`)."""
        counted = (
            Q(documents__asks__isnull=False)
            & Q(documents__asks__restated_by__isnull=True)
            & ~Q(documents__kind=DocumentKind.CASE_FOR_CHANGE_DIGEST)
        )
        assessed_as = {
            value: Q(documents__asks__assessment__status=value) for value in Status.values
        }
        assessed_as[Status.NOT_ASSESSED] |= Q(documents__asks__assessment__isnull=True)
        return self.annotate(
            asks_total=Count("documents__asks", filter=counted, distinct=True),
            **{
                f"asks_{value}": Count("documents__asks", filter=counted & q, distinct=True)
                for value, q in assessed_as.items()
            },
        )


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=OrganisationKind.choices)
    website = models.URLField(max_length=500, blank=True)
    description = models.TextField(blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganisationKind.values), name="organisation_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="organisation_name_not_empty"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organisation", args=[self.slug])


class DatePrecision(models.TextChoices):
    YEAR = "year", "Year"
    MONTH = "month", "Month"
    DAY = "day", "Day"


class ResponseDocument(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=40, choices=DocumentKind.choices)
    published = models.DateField(
        null=True,
        blank=True,
        help_text="For a year or month only, the first day of it, with the precision below.",
    )
    published_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, blank=True
    )
    url = models.URLField("source URL", max_length=500, blank=True)
    notes = models.TextField(blank=True, help_text="How to read this document.")
    text = models.TextField(help_text="The full text, verbatim, without page furniture.")

    class Meta:
        ordering = ["organisation__name", "published", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=DocumentKind.values), name="document_kind_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(published__isnull=True, published_precision="")
                    | models.Q(
                        published__isnull=False,
                        published_precision__in=DatePrecision.values,
                    )
                ),
                name="document_published_has_precision",
            ),
            models.UniqueConstraint(
                fields=["organisation", "title"], name="document_title_unique_per_organisation"
            ),
            models.CheckConstraint(condition=~models.Q(text=""), name="document_text_not_empty"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("document", args=[self.pk])

    @property
    def counts_asks(self) -> bool:
        return self.kind != DocumentKind.CASE_FOR_CHANGE_DIGEST

    @property
    def published_display(self) -> str:
        return format_partial_date(self.published, self.published_precision)


def format_partial_date(date: datetime.date | None, precision: str) -> str:
    """A date only as precise as it is known: "2021", "May 2022", "27 August 2021"."""
    if date is None:
        return "Date unknown"
    if precision == DatePrecision.YEAR:
        return str(date.year)
    if precision == DatePrecision.MONTH:
        return date.strftime("%B %Y")
    return f"{date.day} {date.strftime('%B %Y')}"


class AskQuerySet(models.QuerySet):
    def counted(self):
        """Asks that count once each: not a digest's points, and not an earlier wording
        of an ask that the organisation restated (and judged) later."""
        return self.exclude(document__kind=DocumentKind.CASE_FOR_CHANGE_DIGEST).filter(
            restated_by__isnull=True
        )

    def with_status(self):
        """Annotate `status`: an ask with no assessment is not assessed."""
        return self.annotate(
            status=Coalesce("assessment__status", Value(Status.NOT_ASSESSED)),
        )

    def with_comparison(self):
        """Everything a comparison row shows, in a constant number of queries."""
        return self.select_related(
            "document__organisation", "assessment", "restates__document"
        ).prefetch_related(
            "themes",
            models.Prefetch(
                "assessment__evidence",
                queryset=Evidence.objects.select_related("recommendation__chapter"),
            ),
        )


class Ask(models.Model):
    document = models.ForeignKey(
        ResponseDocument, on_delete=models.CASCADE, related_name="asks"
    )
    position = models.PositiveSmallIntegerField(help_text="Order within the document, from 1.")
    text = models.TextField(help_text="The ask exactly as worded in the document.")
    title = models.CharField(max_length=200, help_text="A short title, in our words.")
    themes = models.ManyToManyField(Theme, related_name="asks", blank=True)
    restates = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="restated_by",
        help_text="The same ask in an earlier document of the organisation's.",
    )

    objects = AskQuerySet.as_manager()

    class Meta:
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "position"], name="ask_position_unique_in_document"
            ),
            models.CheckConstraint(condition=~models.Q(text=""), name="ask_text_not_empty"),
            models.CheckConstraint(
                condition=models.Q(position__gte=1), name="ask_position_from_one"
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.document_id and self.text and self.text not in self.document.text:
            raise ValidationError(
                {"text": "The ask must be quoted exactly as it appears in the document's text."}
            )
        if self.restates_id and self.restates_id == self.pk:
            raise ValidationError({"restates": "An ask cannot restate itself."})


class Assessment(models.Model):
    """Whether the Review realised an ask, who says so, and on what evidence."""

    ask = models.OneToOneField(Ask, on_delete=models.PROTECT, related_name="assessment")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_ASSESSED)
    judged_by = models.CharField(max_length=20, choices=JudgedBy.choices, blank=True)
    rationale = models.TextField(
        blank=True,
        help_text="The judge's reasoning. For the organisation's own judgement, its own words.",
    )
    note = models.TextField(
        blank=True,
        help_text="Editorial note, e.g. a recommendation the judge cites that carereview does not yet hold.",
    )
    recommendations = models.ManyToManyField(
        Recommendation, through="Evidence", related_name="assessments", blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="assessment_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(judged_by__in=["", *JudgedBy.values]),
                name="assessment_judged_by_valid",
            ),
            # A judgement always says whose it is; "not assessed" is nobody's.
            models.CheckConstraint(
                condition=(
                    models.Q(status=Status.NOT_ASSESSED, judged_by="")
                    | (~models.Q(status=Status.NOT_ASSESSED) & ~models.Q(judged_by=""))
                ),
                name="assessment_judged_by_iff_assessed",
            ),
        ]

    def __str__(self):
        return f"{self.ask}: {self.get_status_display()}"


class Evidence(models.Model):
    """A recommendation that (partly) realises an ask, with the words of the
    recommendation that show it."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="evidence"
    )
    quote = models.TextField(help_text="Words quoted exactly from the recommendation's text.")

    # Kept with the assessment's own history: a judgement is its status and its evidence.
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["assessment", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "recommendation"],
                name="evidence_recommendation_once_per_assessment",
            ),
            models.CheckConstraint(condition=~models.Q(quote=""), name="evidence_quote_not_empty"),
        ]

    def __str__(self):
        return f"{self.recommendation.ref}: {self.quote[:60]}"

    def clean(self):
        if self.recommendation_id and self.quote and self.quote not in self.recommendation.text:
            raise ValidationError(
                {"quote": "The evidence must be quoted exactly from the recommendation's text."}
            )
