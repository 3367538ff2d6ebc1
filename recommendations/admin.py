from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from simple_history.admin import SimpleHistoryAdmin

from .models import Chapter, GovernmentStage, Recommendation, Report, Source, StageQuote, Theme

# Django 6 assumes https for a URL typed without a scheme; so do we, now.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class HistoryToReadOnly(SimpleHistoryAdmin):
    """History to read, never to revert: a revert would save one row without the rows
    written with it (an assessment's evidence, a stage's quotes), around the write path
    that keeps them together."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


PROVENANCE_NOTE = (
    "The Final Report's own text could not be obtained: a recommendation's wording is the "
    "closest its secondary sources give. Record each source below with the exact words it "
    "quotes, and say in the note where the wording is uncertain."
)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["short_title", "title", "published", "recommendation_count"]
    # Counting drops the model's own ordering; lists and autocomplete need one.
    ordering = ["published"]
    search_fields = ["title", "short_title"]
    prepopulated_fields = {"slug": ["short_title"]}
    formfield_overrides = HTTPS_URLS

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(recommendation_count=Count("recommendations"))

    @admin.display(description="Recommendations", ordering="recommendation_count")
    def recommendation_count(self, report):
        return report.recommendation_count


@admin.register(Chapter)
class ChapterAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "report"]
    list_filter = ["report"]
    search_fields = ["title"]
    ordering = ["report", "number"]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class SourceInline(admin.StackedInline):
    model = Source
    extra = 0
    fields = ["about", "url", "quote", "position"]
    formfield_overrides = HTTPS_URLS


class GovernmentStageInline(admin.TabularInline):
    """The stages, listed to read: each is corrected on its own page, beside the quotes
    that show it, and added from the stages' list."""

    model = GovernmentStage
    verbose_name_plural = "What the Government did (each record with its quotes on its own page)"
    fields = ["date_display", "stage", "status", "summary", "confidence"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    @admin.display(description="Date")
    def date_display(self, stage):
        return stage.date_display


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ["ref", "title", "chapter", "confidence", "source_count"]
    ordering = ["chapter__number", "id"]
    list_display_links = ["ref", "title"]
    list_filter = ["report", "confidence", "chapter", "themes"]
    search_fields = ["ref", "number", "title", "text"]
    autocomplete_fields = ["chapter", "themes"]
    inlines = [SourceInline, GovernmentStageInline]
    fieldsets = [
        (None, {"fields": ["report", "ref", "number", "chapter", "chapter_inferred", "title"]}),
        (
            "Wording, from secondary sources",
            {
                "description": PROVENANCE_NOTE,
                "fields": ["report_provenance", "text", "confidence", "note"],
            },
        ),
        (None, {"fields": ["themes", "government_response"]}),
    ]

    readonly_fields = ["report_provenance"]

    @admin.display(description="Where the report's wording comes from")
    def report_provenance(self, recommendation):
        return recommendation.report.provenance or "—"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("chapter")
            .annotate(source_count=Count("sources"))
        )

    @admin.display(description="Sources", ordering="source_count")
    def source_count(self, recommendation):
        return recommendation.source_count


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["recommendation", "about", "url", "position"]
    list_filter = ["about"]
    search_fields = ["url", "quote", "recommendation__ref", "recommendation__title"]
    autocomplete_fields = ["recommendation"]
    list_select_related = ["recommendation"]
    formfield_overrides = HTTPS_URLS


class StageQuoteInline(admin.StackedInline):
    model = StageQuote
    extra = 0
    fields = ["text", "url", "position"]
    formfield_overrides = HTTPS_URLS


@admin.register(GovernmentStage)
class GovernmentStageAdmin(HistoryToReadOnly):
    list_display = ["recommendation", "stage", "status", "date_display", "confidence"]
    list_filter = ["stage", "status", "confidence"]
    search_fields = ["recommendation__ref", "recommendation__title", "summary", "note"]
    autocomplete_fields = ["recommendation"]
    list_select_related = ["recommendation"]
    fields = [
        "recommendation",
        "stage",
        "status",
        "date",
        "date_precision",
        "summary",
        "confidence",
        "note",
    ]
    inlines = [StageQuoteInline]

    @admin.display(description="Date", ordering="date")
    def date_display(self, stage):
        return stage.date_display


@admin.register(StageQuote)
class StageQuoteAdmin(HistoryToReadOnly):
    list_display = ["stage", "url", "position"]
    search_fields = ["text", "url", "stage__recommendation__ref"]
    autocomplete_fields = ["stage"]
    list_select_related = ["stage__recommendation"]
    formfield_overrides = HTTPS_URLS
