"""Assessments of the Government's response in admin, with the recommendations each names,
written through `assessments.record_government` and with their history to read. They are
kept apart from the assessment of the Final Report (admin/assessment.py)."""

from django.contrib import admin

from .. import assessments
from ..models import GovernmentAssessment, NamedRecommendation
from .common import HistoryToReadOnly, JudgementForm


class GovernmentAssessmentForm(JudgementForm):
    class Meta:
        model = GovernmentAssessment
        fields = ["ask", "status", "judged_by", "rationale", "note"]


class NamedRecommendationInline(admin.TabularInline):
    model = NamedRecommendation
    fields = ["recommendation", "named_as"]
    autocomplete_fields = ["recommendation"]
    extra = 0


@admin.register(GovernmentAssessment)
class GovernmentAssessmentAdmin(HistoryToReadOnly):
    form = GovernmentAssessmentForm
    list_display = ["ask", "organisation", "status", "judged_by", "updated_at"]
    ordering = ["ask__document__organisation__name", "ask__document", "ask__position"]
    list_filter = ["status", "judged_by", "ask__document__organisation"]
    search_fields = ["ask__title", "ask__text", "rationale", "named__recommendation__ref"]
    autocomplete_fields = ["ask"]
    list_select_related = ["ask__document__organisation"]
    inlines = [NamedRecommendationInline]
    history_list_display = ["status", "judged_by"]
    fields = [
        "ask",
        "status",
        "judged_by",
        "rationale",
        "note",
        "replace_organisation_judgement",
        "change_reason",
        "based_on_version",
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["ask"] if obj else []

    @admin.display(description="Organisation", ordering="ask__document__organisation__name")
    def organisation(self, assessment):
        return assessment.ask.document.organisation

    def save_model(self, request, obj, form, change):
        # Written in save_related, with the recommendations it names, through the one
        # write path.
        pass

    def save_related(self, request, form, formsets, change):
        named = [
            (f.cleaned_data["recommendation"], f.cleaned_data["named_as"])
            for formset in formsets
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        cleaned = form.cleaned_data
        assessment = assessments.record_government(
            ask=cleaned.get("ask") or form.instance.ask,
            status=cleaned["status"],
            judged_by=cleaned["judged_by"],
            rationale=cleaned["rationale"],
            note=cleaned["note"],
            named=named,
            user=request.user,
            reason=cleaned["change_reason"] or "Edited in admin",
            force=cleaned["replace_organisation_judgement"],
            expected_version=cleaned["based_on_version"],
        )
        form.instance.pk = assessment.pk
        form.instance._state.adding = False
        # The admin's change message reads these; `record_government` did the saving.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(NamedRecommendation)
class NamedRecommendationAdmin(HistoryToReadOnly):
    """Read only: a recommendation named is changed with its assessment, so that both stay
    one judgement."""

    list_display = ["recommendation", "assessment", "named_as"]
    search_fields = ["named_as", "recommendation__ref", "assessment__ask__title"]
    list_select_related = ["recommendation", "assessment__ask"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
