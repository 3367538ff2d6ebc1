"""What organisations asked the Review for, whether the Review delivered it, and whether
the Government took it up."""

from collections.abc import Collection

from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Count, Q, Value
from django.db.models.functions import Coalesce
from simple_history.models import HistoricalRecords

from recommendations.models import (
    ACCEPTED,
    DELIVERED,
    DatePrecision,
    GovernmentStage,
    Recommendation,
    ShownStatus,
    Theme,
    format_partial_date,
    furthest_delivery_is,
    government_response_is,
    url_of,
)
from recommendations.validators import is_web_address, web_address
from recommendations.words import words_vector

from . import limits


class Status(ShownStatus):
    """Whether the Review realised an ask. Declared in the order a status mix is always
    read in, best outcome first: charts, tags and exports take the order (iterating
    `Status`), the words and the colours from here."""

    REALISED = "realised", "Realised"
    PARTLY = "partly", "Partly realised"
    ABSENT = "absent", "Absent"
    UNCLEAR = "unclear", "Unclear: too vague to judge"
    NOT_ASSESSED = "not_assessed", "Not assessed"

    def looks(self) -> tuple[str, str, str]:
        return _STATUS_COLOURS[self]

    @property
    def government_label(self) -> str:
        """The status as a judgement of the Government's response, which takes an ask up
        rather than realising it."""
        return {
            "realised": "Taken up",
            "partly": "Partly taken up",
            "absent": "Not taken up",
        }.get(self.value, self.label)


# Fill, ink and tag per status, from GOV.UK Frontend's palette. The highlights of asks in
# a document are paler tints of the same hues, in carereview.css (`app-ask--<status>`):
# the Content-Security-Policy allows no style attributes.
_STATUS_COLOURS = {
    Status.REALISED: ("#00703c", "#ffffff", "green"),
    Status.PARTLY: ("#ffdd00", "#0b0c0c", "yellow"),
    Status.ABSENT: ("#d4351c", "#ffffff", "red"),
    Status.UNCLEAR: ("#4c2c92", "#ffffff", "purple"),
    Status.NOT_ASSESSED: ("#b1b4b6", "#0b0c0c", "grey"),
}


# Statuses that say the Review recommended (some of) what was asked.
HEARD = (Status.REALISED, Status.PARTLY)
# The statuses a judgement of the Government's response takes; an ask nobody has judged
# that way has none, rather than one saying "not assessed".
GOVERNMENT_STATUSES = (Status.REALISED, Status.PARTLY, Status.ABSENT, Status.UNCLEAR)
# Statuses of a judgement made: every one but "not assessed".
ASSESSED = tuple(status for status in Status if status != Status.NOT_ASSESSED)


class JudgedBy(models.TextChoices):
    ORGANISATION = "organisation", "The organisation itself"
    EDITORIAL = "editorial", "Editorial"
    AUTOMATIC = "automatic", "Automatic suggestion"


# The matcher compares an ask with the Final Report's recommendations only: what the
# Government did is judged by the organisation or an editor.
GOVERNMENT_JUDGES = (JudgedBy.ORGANISATION, JudgedBy.EDITORIAL)


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
    CASE_FOR_CHANGE_DIGEST = "case_for_change_digest", "Digest of the Case for Change"
    FINAL_REPORT_ASSESSMENT = "final_report_assessment", "Assessment of the Final Report"
    GOVERNMENT_RESPONSE_ASSESSMENT = (
        "government_response_assessment",
        "Assessment of the Government's response",
    )
    OTHER = "other", "Other"


# Documents whose points are shown but are not asks: a digest quotes the Review back to
# its readers.
POINTS_NOT_ASKS = (DocumentKind.CASE_FOR_CHANGE_DIGEST,)


def counted_asks(*, ask: str = "", document: str = "document__", in_count: bool = False) -> Q:
    """Which asks count, once each, wherever asks are counted or listed: not a digest's
    points (`POINTS_NOT_ASKS`), and not an earlier wording of an ask that the organisation
    restated (and judged) later. A condition on the ask at the lookup path `ask` and on
    its document at `document`, as seen from the queryset's model: the defaults for asks
    themselves, `ask="documents__asks__", document="documents__"` from organisations.

    `in_count` is for the filter of a count over asks already joined: there a LEFT JOIN
    to the later wordings is read once per row, where NOT EXISTS would be a subquery per
    count per row (4x slower for the organisations' counts at 40k asks). In a WHERE,
    NOT EXISTS rather than that LEFT JOIN ... IS NULL, which PostgreSQL estimates as one
    row and then plans every page's query around (4x slower at 40k asks).

    The stored counts (`OrganisationCounts`, `ThemeCounts`) are kept by views that say
    this in SQL (`responses.migration_operations`); `verify_counts` recounts them through
    this function and reports any difference, so a change here must come with a
    migration that changes those views."""
    if in_count:
        not_restated = Q(**{f"{ask}restated_by__isnull": True})
    else:
        not_restated = ~models.Exists(Ask.objects.filter(restates=models.OuterRef(f"{ask}pk")))
    return ~Q(**{f"{document}kind__in": POINTS_NOT_ASKS}) & not_restated


class OrganisationQuerySet(models.QuerySet):
    def with_status_counts(self):
        """Annotate `asks_total` and `asks_<status>` for each status, over the
        organisation's counted asks (`counted_asks`): read from its stored counts
        (`OrganisationCounts`), which equal `recount_status_counts`."""
        # By name, explicitly: a queryset annotated with counts does not take Meta.ordering.
        return self.annotate(
            **{name: models.F(f"counts__{name}") for name in _STATUS_COUNTS}
        ).order_by("name", "id")

    def recount_status_counts(self):
        """`with_status_counts` counted afresh over every ask, as the stored counts are
        checked against (`responses.stored_counts`)."""
        counted = Q(documents__asks__isnull=False) & counted_asks(
            ask="documents__asks__", document="documents__", in_count=True
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
        ).order_by("name", "id")


_STATUS_COUNTS = ("asks_total", *(f"asks_{status}" for status in Status.values))


class Organisation(models.Model):
    name = models.CharField(max_length=limits.ORGANISATION_NAME_CHARS)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=OrganisationKind.choices)
    website = models.URLField(max_length=limits.URL_CHARS, blank=True, validators=[web_address])
    description = models.TextField(blank=True, validators=[MaxLengthValidator(limits.NOTE_CHARS)])
    synthetic = models.BooleanField(
        default=False,
        help_text="Generated by seed_synthetic for load tests, with all its documents and asks.",
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        # Search's trigram and full-text indexes (browse/search.py); see the migrations
        # 0005_search_indexes and 0010_search_words_as_typed.
        indexes = [
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="organisation_name_trgm"),
            GinIndex(words_vector("name"), name="organisation_words"),
        ]
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
        return url_of("organisation", self.slug)

    @property
    def status_mix(self) -> dict[str, int]:
        """How many of its asks have each status; needs `with_status_counts()` (or
        `recount_status_counts()`)."""
        return {status: getattr(self, f"asks_{status}") for status in Status.values}


class ResponseDocument(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(max_length=limits.DOCUMENT_TITLE_CHARS)
    kind = models.CharField(max_length=40, choices=DocumentKind.choices)
    published = models.DateField(
        null=True,
        blank=True,
        help_text="For a year or month only, the first day of it, with the precision below.",
    )
    published_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    url = models.URLField(
        "source URL", max_length=limits.URL_CHARS, blank=True, validators=[web_address]
    )
    notes = models.TextField(
        blank=True,
        help_text="How to read this document.",
        validators=[MaxLengthValidator(limits.NOTE_CHARS)],
    )
    text = models.TextField(
        help_text="The full text, verbatim, without page furniture.",
        validators=[MaxLengthValidator(limits.DOCUMENT_TEXT_CHARS)],
    )

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
        return url_of("document", self.pk)

    @property
    def link(self) -> str:
        """The source URL if a page may link to it (see `is_web_address`), else ""."""
        return self.url if is_web_address(self.url) else ""

    @property
    def counts_asks(self) -> bool:
        """Whether its points are asks (`counted_asks`), or a digest's quotes."""
        return self.kind not in POINTS_NOT_ASKS

    @property
    def published_display(self) -> str:
        return format_partial_date(self.published, self.published_precision)


class AskQuerySet(models.QuerySet):
    def counted(self):
        """Asks that count once each (`counted_asks`)."""
        return self.filter(counted_asks())

    def with_status(self):
        """Annotate `status`: an ask with no assessment is not assessed."""
        return self.annotate(
            status=Coalesce("assessment__status", Value(Status.NOT_ASSESSED)),
        )

    def of_status(self, status: str):
        """Asks whose status (as `with_status` reads it) is `status`. A condition on the
        assessment itself rather than on the annotation: PostgreSQL cannot estimate how
        many rows COALESCE(...) = 'absent' keeps, guesses a handful, and then reads every
        assessment to find them."""
        if status == Status.NOT_ASSESSED:
            return self.filter(
                Q(assessment__isnull=True) | Q(assessment__status=Status.NOT_ASSESSED)
            )
        return self.filter(assessment__status=status)

    def of_government_response(self, statuses: Collection[str]):
        """Asks with a recommendation linked as evidence whose government response has
        one of `statuses`, or given none, with one that has no government response found
        (`government_response_is`). Asks with no recommendation linked have neither."""
        return self.filter(_links_recommendation(government_response_is(statuses)))

    def of_furthest_delivery(self, statuses: Collection[str]):
        """Asks with a recommendation linked as evidence whose furthest delivery has one
        of `statuses`, or given none, with one that has no delivery on record
        (`furthest_delivery_is`). Asks with no recommendation linked have neither."""
        return self.filter(_links_recommendation(furthest_delivery_is(statuses)))

    def with_comparison(self):
        """Everything a comparison row shows, in a constant number of queries: with the
        evidence's recommendations, what the Government did with each (their stages, in
        date order, for `government_response_stage` and `furthest_delivery_stage`)."""
        return (
            self.select_related(
                "document__organisation",
                "assessment",
                "government_assessment",
                "restates__document",
            )
            # A row never shows its document's whole text: a heavy column to sort and send.
            .defer("document__text", "restates__document__text")
            .prefetch_related(
                "themes",
                models.Prefetch(
                    "assessment__evidence",
                    queryset=Evidence.objects.select_related(
                        "recommendation__chapter", "recommendation__report"
                    ).prefetch_related(
                        "recommendation__sources",
                        models.Prefetch(
                            "recommendation__stages",
                            queryset=GovernmentStage.objects.order_by("date", "id"),
                        ),
                    ),
                ),
                models.Prefetch(
                    "government_assessment__named",
                    queryset=NamedRecommendation.objects.select_related("recommendation"),
                ),
            )
        )

    def for_organisation(self, organisation):
        return self.filter(document__organisation=organisation)

    def digest_points(self):
        """A digest's points: they quote the Review back, so they are shown but never
        counted as asks."""
        return self.filter(document__kind__in=POINTS_NOT_ASKS)

    def status_counts(self, *fields: str):
        """Rows of `fields` + `status` + `asks` (how many asks), for status mixes by
        organisation, theme or both. Call on a queryset annotated `with_status()`."""
        return (
            self.values(*fields, "status")
            .annotate(asks=Count("id", distinct=True))
            .order_by(*fields, "status")
        )

    def status_mix(self) -> dict[str, int]:
        """How many asks have each status, every status present. Call on a queryset
        annotated `with_status()`."""
        mix = dict.fromkeys(Status.values, 0)
        for row in self.status_counts():
            mix[row["status"]] += row["asks"]
        return mix

    def chain_counts(self, *fields: str) -> list[dict]:
        """How far the assessed asks got, from the Review to the Government:

        - `asked`: every assessed ask (`ASSESSED`);
        - `recommended`: those the Review realised or partly realised (`HEARD`);
        - `accepted`: of those, the ones with a recommendation that (partly) realises
          them whose government response is accepted, in full or in part (`ACCEPTED`);
        - `delivered`: of those recommended, the ones with a recommendation whose furthest
          delivery is delivered or legislated (`DELIVERED`), whether or not a response is
          on record: a recommendation delivered with no response found makes an ask
          delivered, not accepted.

        A response and a delivery are a recommendation's as `with_government_statuses`
        reads them. Rows of `fields` and the four counts, one per combination of their
        values that has assessed asks; with no `fields`, one row for them all. Two
        queries: the recommendations that are accepted and delivered, then every count
        at once, each step an EXISTS over the ask's evidence. Call on counted asks."""
        # Each recommendation's statuses once, not once per piece of evidence citing it:
        # a few hundred recommendations against tens of thousands of links (4x faster).
        statuses = Recommendation.objects.with_government_statuses().values_list(
            "pk", "response_status", "delivery_status"
        )
        accepted, delivered = [], []
        for pk, response, delivery in statuses:
            if response in ACCEPTED:
                accepted.append(pk)
            if delivery in DELIVERED:
                delivered.append(pk)
        evidence = Evidence.objects.filter(assessment=models.OuterRef("assessment"))
        recommended = Q(assessment__status__in=HEARD)
        steps = {
            "asked": Count("pk"),
            "recommended": Count("pk", filter=recommended),
            "accepted": Count(
                "pk",
                filter=recommended & models.Exists(evidence.filter(recommendation__in=accepted)),
            ),
            "delivered": Count(
                "pk",
                filter=recommended & models.Exists(evidence.filter(recommendation__in=delivered)),
            ),
        }
        assessed = self.filter(assessment__status__in=ASSESSED)
        if not fields:
            return [assessed.aggregate(**steps)]
        return list(assessed.values(*fields).annotate(**steps).order_by(*fields))

    def left_out_by_several(self, *, organisations: int = 2):
        """The themes in which at least `organisations` organisations have an ask the
        Review left out (absent), with how many organisations and asks: most first. Call
        on a queryset annotated `with_status()`."""
        return (
            self.of_status(Status.ABSENT)
            .filter(themes__isnull=False)
            .values("themes__name", "themes__slug")
            .annotate(
                organisations=Count("document__organisation", distinct=True),
                asks=Count("id", distinct=True),
            )
            .filter(organisations__gte=organisations)
            .order_by("-organisations", "-asks", "themes__name")
        )


def _links_recommendation(condition: Q) -> models.Exists:
    """Whether a recommendation that the ask's evidence links to meets `condition`: an
    EXISTS per ask, which never repeats an ask however many links it has.

    The recommendations that meet it are read first, as a list of keys (a few hundred at
    most), and the EXISTS looks only at the ask's assessment's evidence. Asked inside it,
    with joins to the assessments, recommendations and stages, statistics that held every
    table empty made PostgreSQL scan all the evidence once per recommendation per
    assessment, and all the stages once per stage (1.5 s for the corpus's asks in a test
    database, 91 s in a full run)."""
    keys = list(Recommendation.objects.filter(condition).values_list("pk", flat=True))
    linked = Evidence.objects.filter(
        assessment=models.OuterRef("assessment"), recommendation__in=keys
    )
    return models.Exists(linked)


class Ask(models.Model):
    document = models.ForeignKey(ResponseDocument, on_delete=models.CASCADE, related_name="asks")
    position = models.PositiveSmallIntegerField(help_text="Order within the document, from 1.")
    text = models.TextField(
        help_text="The ask exactly as worded in the document.",
        validators=[MaxLengthValidator(limits.ASK_TEXT_CHARS)],
    )
    title = models.CharField(
        max_length=limits.ASK_TITLE_CHARS, help_text="A short title, in our words."
    )
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
        # Search's full-text and trigram indexes (browse/search.py).
        indexes = [
            GinIndex(words_vector("title", "text"), name="ask_words"),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="ask_title_trgm"),
            GinIndex(fields=["text"], opclasses=["gin_trgm_ops"], name="ask_text_trgm"),
        ]
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
        # Here, not at the top: the rules module imports this one.
        from .rules import check_ask_is_verbatim

        if self.document_id and self.text:
            try:
                check_ask_is_verbatim(text=self.text, document=self.document)
            except ValidationError as error:
                raise ValidationError({"text": error}) from None
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
        validators=[MaxLengthValidator(limits.NOTE_CHARS)],
    )
    note = models.TextField(
        blank=True,
        help_text="Editorial note, e.g. a recommendation the judge cites that carereview does not yet hold.",
        validators=[MaxLengthValidator(limits.NOTE_CHARS)],
    )
    recommendations = models.ManyToManyField(
        Recommendation, through="Evidence", related_name="assessments", blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: each write adds one, and a write based on an older version is
    # refused (responses/assessments.py), so two editors never overwrite each other unseen.
    version = models.PositiveIntegerField(default=1, editable=False)

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
            # Nothing below the matcher's threshold tells an ask the Review left out from
            # one it took up (matching/suggestions.py, MATCH_THRESHOLD): absent is always
            # a person's or the organisation's judgement.
            models.CheckConstraint(
                condition=~models.Q(judged_by=JudgedBy.AUTOMATIC, status=Status.ABSENT),
                name="assessment_automatic_never_absent",
                violation_error_message=(
                    "An automatic suggestion cannot say an ask is absent: only a person or "
                    "the organisation itself judges that the Final Report left an ask out."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.ask}: {self.get_status_display()}"


def heard(evidence: str = "") -> Q:
    """Evidence that the Review heard an ask: its recommendation realises or partly
    realises it. A condition on the evidence at the lookup path `evidence`."""
    return Q(**{f"{evidence}assessment__status__in": HEARD})


def demand(evidence: str = "", *, status: str | None = None) -> Count:
    """Demand for a recommendation: how many organisations have an ask that it realises
    or partly realises, counted over the evidence at the lookup path `evidence`
    ("evidence__" from recommendations, "" on evidence itself). With `status` (one of
    `HEARD`), only those with an ask that it realises, or partly realises, so."""
    condition = heard(evidence)
    if status is not None:
        condition &= Q(**{f"{evidence}assessment__status": status})
    return Count(
        f"{evidence}assessment__ask__document__organisation", filter=condition, distinct=True
    )


class EvidenceQuerySet(models.QuerySet):
    def heard(self):
        """The evidence that counts towards demand (`heard`)."""
        return self.filter(heard())

    def demand(self, *fields: str):
        """Rows of `fields` and `organisations`, the demand (`demand`) for each
        combination of `fields`' values; none where there is no heard evidence."""
        return self.heard().values(*fields).annotate(organisations=demand()).order_by()


class Evidence(models.Model):
    """A recommendation that (partly) realises an ask, with the words of the
    recommendation that show it."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="evidence"
    )
    quote = models.TextField(help_text="Words quoted exactly from the recommendation's text.")

    objects = EvidenceQuerySet.as_manager()

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
        # Here, not at the top: the rules module imports this one.
        from .rules import check_quote_is_verbatim

        if self.recommendation_id and self.quote:
            try:
                check_quote_is_verbatim(quote=self.quote, recommendation=self.recommendation)
            except ValidationError as error:
                raise ValidationError({"quote": error}) from None


class GovernmentAssessment(models.Model):
    """Whether the Government's response took an ask up, who says so, and the
    recommendations that judgement names. Apart from the ask's `Assessment`, which judges
    the Final Report: an ask may carry both, each with its own judge and evidence, and
    neither's status ever stands for the other's."""

    ask = models.OneToOneField(Ask, on_delete=models.PROTECT, related_name="government_assessment")
    status = models.CharField(
        max_length=20, choices=[(s.value, s.government_label) for s in GOVERNMENT_STATUSES]
    )
    judged_by = models.CharField(
        max_length=20, choices=[(j.value, j.label) for j in GOVERNMENT_JUDGES]
    )
    rationale = models.TextField(
        blank=True,
        help_text=(
            "The judge's reasoning. For the organisation's own judgement, sentences of its "
            "document exactly as written, one a line."
        ),
        validators=[MaxLengthValidator(limits.NOTE_CHARS)],
    )
    note = models.TextField(
        blank=True,
        help_text="Editorial note, in our words.",
        validators=[MaxLengthValidator(limits.NOTE_CHARS)],
    )
    recommendations = models.ManyToManyField(
        Recommendation,
        through="NamedRecommendation",
        related_name="government_assessments",
        blank=True,
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking, as on Assessment (responses/assessments.py).
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "assessment of the Government's response"
        verbose_name_plural = "assessments of the Government's response"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=GOVERNMENT_STATUSES),
                name="government_assessment_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(judged_by__in=GOVERNMENT_JUDGES),
                name="government_assessment_judged_by_valid",
            ),
        ]

    def __str__(self):
        return f"{self.ask}: {self.get_status_display()} (Government's response)"

    def clean(self):
        # Here, not at the top: the rules module imports this one.
        from .rules import check_own_verdict_is_verbatim

        if self.ask_id:
            try:
                check_own_verdict_is_verbatim(
                    rationale=self.rationale, judged_by=self.judged_by, document=self.ask.document
                )
            except ValidationError as error:
                raise ValidationError({"rationale": error}) from None


class NamedRecommendation(models.Model):
    """A recommendation that an assessment of the Government's response is about, with
    the words of the organisation's document that name it."""

    assessment = models.ForeignKey(
        GovernmentAssessment, on_delete=models.CASCADE, related_name="named"
    )
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="named_by_government_assessments"
    )
    named_as = models.TextField(
        help_text="The words of the ask's document that name the recommendation, exactly.",
        validators=[MaxLengthValidator(limits.ASK_TEXT_CHARS)],
    )

    # Kept with the assessment's own history, as Evidence is.
    history = HistoricalRecords()

    class Meta:
        verbose_name = "recommendation named"
        verbose_name_plural = "recommendations named"
        ordering = ["assessment", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "recommendation"],
                name="named_recommendation_once_per_assessment",
            ),
            models.CheckConstraint(
                condition=~models.Q(named_as=""), name="named_recommendation_named_as_not_empty"
            ),
        ]

    def __str__(self):
        return f"{self.recommendation.ref}: {self.named_as[:60]}"

    def clean(self):
        # Here, not at the top: the rules module imports this one.
        from .rules import check_named_as_is_verbatim

        if self.assessment_id and self.named_as:
            try:
                check_named_as_is_verbatim(
                    named_as=self.named_as, document=self.assessment.ask.document
                )
            except ValidationError as error:
                raise ValidationError({"named_as": error}) from None


class OrganisationNoteQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(document__organisation=organisation).select_related("document")


class OrganisationNote(models.Model):
    """A remark in one of an organisation's documents that judges no particular ask, such
    as an overall verdict or an aside: shown as a note, never as a verdict or counted."""

    document = models.ForeignKey(
        ResponseDocument, on_delete=models.CASCADE, related_name="organisation_notes"
    )
    note = models.TextField(
        help_text="What the remark says, in our words.",
        validators=[MaxLengthValidator(limits.NOTE_CHARS)],
    )
    evidence = models.TextField(
        help_text="The sentence of the document that makes the remark, exactly as written.",
        validators=[MaxLengthValidator(limits.ASK_TEXT_CHARS)],
    )

    objects = OrganisationNoteQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["document", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(note=""), name="organisation_note_not_empty"
            ),
            models.CheckConstraint(
                condition=~models.Q(evidence=""), name="organisation_note_evidence_not_empty"
            ),
        ]

    def __str__(self):
        return self.note[:80]

    def clean(self):
        # Here, not at the top: the rules module imports this one.
        from .rules import check_note_is_verbatim

        if self.document_id and self.evidence:
            try:
                check_note_is_verbatim(evidence=self.evidence, document=self.document)
            except ValidationError as error:
                raise ValidationError({"evidence": error}) from None


def with_demand(recommendations):
    """Annotate each recommendation with its `demand` (`demand`), read from its stored
    counts (`RecommendationCounts`), which equal `recount_demand`."""
    return recommendations.annotate(demand=models.F("counts__demand"))


def recount_demand(recommendations):
    """`with_demand` counted afresh over all the evidence, by a join (a subquery per
    recommendation takes nearly twice as long for the whole list)."""
    return recommendations.annotate(demand=demand("evidence__"))


def with_stored_government_statuses(recommendations):
    """Annotate `response_status` and `delivery_status` as
    `Recommendation.objects.with_government_statuses()` does, read from the stored counts
    (`RecommendationCounts`) rather than worked out from every stage: the same values, to
    filter, sort and count by (`government_status_counts`)."""
    return recommendations.annotate(
        response_status=models.F("counts__response_status"),
        delivery_status=models.F("counts__delivery_status"),
    )


def without_demand(recommendations):
    """The recommendations that no organisation has an ask realised or partly realised
    by: those `with_demand` gives a demand of 0."""
    return recommendations.filter(counts__demand=0)


class DataVersion(models.Model):
    """One row naming the current state of the data that pages show: its `token` is a
    fresh random number after every write to those tables, set by database triggers
    (migration 0009), so whatever writes (the ORM, bulk writes, raw SQL, loaddata, a
    restore) cannot forget to. Random rather than counted: a counter would go back when a
    transaction rolls back, and the same number would then name different data. Pages
    cached under a token (browse/caching.py) are served only while it is current."""

    token = models.BigIntegerField()

    class Meta:
        verbose_name = "data version"

    def __str__(self):
        return f"data version {self.token}"


# Stored counts. Pages used to count over every ask whenever the data changed; these
# tables hold those counts, and the database keeps them: statement-level triggers on
# every table they are counted from recount the rows of the organisations and
# recommendations a statement touched, in the writing transaction, from views that say
# in SQL what `counted_asks`, `demand` and `chain_counts` say here (migration 0016,
# `responses.migration_operations.StoredCounts`). Nothing else writes them, so no write
# path can forget them; `python manage.py verify_counts` recounts everything with those
# querysets and reports any difference (`responses.stored_counts`). Keys are plain
# columns rather than foreign keys: a row goes when the trigger finds its organisation
# or recommendation gone, not by a cascade that Django would have to know about.


class OrganisationCountsQuerySet(models.QuerySet):
    def totals(self) -> dict[str, int]:
        """Every count summed over the organisations: the status mix of all counted asks
        (`asks_<status>`, `asks_total`) and the chain (`asked` … `delivered`)."""
        return self.aggregate(
            **{name: Coalesce(models.Sum(name), 0) for name in OrganisationCounts.COUNTS}
        )


class OrganisationCounts(models.Model):
    """An organisation's counted asks (`counted_asks`) by status, as
    `OrganisationQuerySet.recount_status_counts` counts them, and how far they got, as
    `AskQuerySet.chain_counts` does. Written by database triggers only (see above)."""

    organisation = models.OneToOneField(
        Organisation,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="counts",
    )
    asks_total = models.IntegerField()
    asks_realised = models.IntegerField()
    asks_partly = models.IntegerField()
    asks_absent = models.IntegerField()
    asks_unclear = models.IntegerField()
    asks_not_assessed = models.IntegerField()
    asked = models.IntegerField()
    recommended = models.IntegerField()
    accepted = models.IntegerField()
    delivered = models.IntegerField()

    COUNTS = (*_STATUS_COUNTS, "asked", "recommended", "accepted", "delivered")

    objects = OrganisationCountsQuerySet.as_manager()

    class Meta:
        verbose_name = "organisation's stored counts"
        verbose_name_plural = "organisations' stored counts"

    def __str__(self):
        return f"counts of organisation {self.organisation_id}"


class RecommendationCounts(models.Model):
    """A recommendation's demand (`demand`), in all and by status, and the statuses of
    its government response and furthest delivery, as `with_government_statuses` reads
    them (None: none on record). Written by database triggers only (see above)."""

    recommendation = models.OneToOneField(
        Recommendation,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="counts",
    )
    demand = models.IntegerField()
    demand_realised = models.IntegerField()
    demand_partly = models.IntegerField()
    response_status = models.CharField(max_length=30, null=True)
    delivery_status = models.CharField(max_length=30, null=True)

    class Meta:
        verbose_name = "recommendation's stored counts"
        verbose_name_plural = "recommendations' stored counts"

    def __str__(self):
        return f"counts of recommendation {self.recommendation_id}"


class ThemeCountsQuerySet(models.QuerySet):
    def of_theme(self, theme, *, status: str | None = None) -> int:
        """How many counted asks `theme` has, or of them how many have `status`."""
        counts = self.filter(theme=theme)
        if status is not None:
            counts = counts.filter(status=status)
        return counts.aggregate(asks=Coalesce(models.Sum("asks"), 0))["asks"]

    def left_out_by_several(self, *, organisations: int = 2):
        """The themes in which at least `organisations` organisations have a counted ask
        the Review left out (absent), with how many organisations and asks: most first."""
        return (
            self.filter(status=Status.ABSENT)
            .values(themes__name=models.F("theme__name"), themes__slug=models.F("theme__slug"))
            .annotate(organisations=Count("organisation_id"), asks=models.Sum("asks"))
            .filter(organisations__gte=organisations)
            .order_by("-organisations", "-asks", "themes__name")
        )


class ThemeCounts(models.Model):
    """How many of an organisation's counted asks in a theme have a status, as
    `AskQuerySet.status_counts("themes", "document__organisation")` counts them; no row
    where there are none. Written by database triggers only (see above)."""

    theme = models.ForeignKey(
        Theme, on_delete=models.DO_NOTHING, db_constraint=False, related_name="counts"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.DO_NOTHING, db_constraint=False, related_name="theme_counts"
    )
    status = models.CharField(max_length=20)
    asks = models.IntegerField()

    objects = ThemeCountsQuerySet.as_manager()

    class Meta:
        verbose_name = "theme's stored counts"
        verbose_name_plural = "themes' stored counts"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "theme", "status"], name="theme_counts_once_per_key"
            ),
        ]
        indexes = [models.Index(fields=["theme", "status"], name="theme_counts_by_theme")]

    def __str__(self):
        return f"counts of theme {self.theme_id} for organisation {self.organisation_id}"
