"""What the Review recommended.

This app knows nothing of the organisations that responded to the Review: `responses`
points at it, never the other way round.
"""

from django.db import models
from django.urls import reverse


class Report(models.Model):
    """A report that makes recommendations: the Final Report today, the government's
    response or a later review tomorrow."""

    title = models.CharField(max_length=300)
    short_title = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    published = models.DateField()
    url = models.URLField(max_length=500, blank=True)
    provenance = models.TextField(
        blank=True,
        help_text="Where the wording of this report's recommendations comes from, "
        "shown wherever a recommendation is.",
    )

    class Meta:
        ordering = ["published"]

    def __str__(self):
        return self.short_title


class Chapter(models.Model):
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="chapters")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "number"], name="chapter_number_unique_in_report"
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class Theme(models.Model):
    """A policy area shared by recommendations and asks, so that one can be set
    beside the other."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("theme", args=[self.slug])


class Confidence(models.TextChoices):
    HIGH = "high", "High: a source quotes or closely reproduces it"
    MEDIUM = "medium", "Medium: described by a source, not quoted"
    LOW = "low", "Low"


class RecommendationQuerySet(models.QuerySet):
    def with_provenance(self):
        """Everything needed to show a recommendation with where its wording comes from."""
        return self.select_related("report", "chapter").prefetch_related(
            "themes", "sources"
        )


class Recommendation(models.Model):
    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="recommendations"
    )
    ref = models.CharField(
        max_length=20,
        help_text="Stable reference used in URLs and exports: the official number "
        "where known (e.g. 5.2), otherwise chapter.x<k> (e.g. 6.x3). Never renumber.",
    )
    number = models.CharField(
        max_length=20, blank=True, help_text="The report's own number, where known."
    )
    chapter = models.ForeignKey(
        Chapter, on_delete=models.PROTECT, related_name="recommendations"
    )
    chapter_inferred = models.BooleanField(
        default=False, help_text="The chapter is inferred from the topic, not stated by a source."
    )
    title = models.CharField(max_length=200)
    text = models.TextField(
        help_text="The closest wording the sources give; not necessarily the report's own."
    )
    themes = models.ManyToManyField(Theme, related_name="recommendations", blank=True)
    confidence = models.CharField(max_length=10, choices=Confidence.choices)
    note = models.TextField(blank=True, help_text="Caveats about the wording or placement.")
    government_response = models.TextField(
        blank=True,
        help_text="What the government later did, where known. Not part of whether "
        "the Review realised an ask.",
    )

    objects = RecommendationQuerySet.as_manager()

    class Meta:
        ordering = ["chapter__number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "ref"], name="recommendation_ref_unique_in_report"
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__in=Confidence.values),
                name="recommendation_confidence_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(ref=""), name="recommendation_ref_not_empty"
            ),
        ]

    def __str__(self):
        return f"{self.ref} {self.title}"

    def get_absolute_url(self):
        return reverse("recommendation", args=[self.ref])

    @property
    def wording_sources(self):
        return [s for s in self.sources.all() if s.about == SourceAbout.WORDING]

    @property
    def government_response_sources(self):
        return [s for s in self.sources.all() if s.about == SourceAbout.GOVERNMENT_RESPONSE]


class SourceAbout(models.TextChoices):
    WORDING = "wording", "Wording of the recommendation"
    GOVERNMENT_RESPONSE = "government_response", "Government response"


class Source(models.Model):
    """A published page that a recommendation's wording (or the government's response
    to it) was taken from, with the exact words quoted from it where there are any."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="sources"
    )
    about = models.CharField(max_length=20, choices=SourceAbout.choices, default=SourceAbout.WORDING)
    url = models.URLField(max_length=500)
    quote = models.TextField(blank=True, help_text="Exact words quoted from this source.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["recommendation", "about", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(about__in=SourceAbout.values), name="source_about_valid"
            ),
        ]

    def __str__(self):
        return self.url
