"""Assessments and their evidence in admin, written through `assessments.record`, with
their history to read."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.html import format_html

from recommendations.admin import HistoryToReadOnly

from .. import assessments
from ..models import (
    HEARD,
    Assessment,
    Evidence,
    JudgedBy,
)
from .common import admin_url


class AssessmentForm(forms.ModelForm):
    # The version the editor started from (0 for a new judgement): see `clean`.
    based_on_version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={"required": "This form has no version: reload the page and edit again."},
    )
    replace_organisation_judgement = forms.BooleanField(
        required=False,
        help_text="The organisation's own judgement is replaced only when this is ticked.",
    )
    change_reason = forms.CharField(
        required=False,
        max_length=100,
        label="Reason for the change",
        help_text="Kept in the history.",
    )

    class Meta:
        model = Assessment
        fields = ["ask", "status", "judged_by", "rationale", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["based_on_version"].initial = self.instance.version if self.instance.pk else 0

    def clean(self):
        cleaned = super().clean()
        self._refuse_if_stale(cleaned.get("based_on_version"))
        ask, judged_by = (
            cleaned.get("ask") or getattr(self.instance, "ask", None),
            cleaned.get("judged_by"),
        )
        if ask is None or judged_by is None:
            return cleaned
        current = Assessment.objects.filter(ask=ask).first()
        if not assessments.may_replace(
            current=current,
            judged_by=judged_by or JudgedBy.EDITORIAL,
            force=cleaned.get("replace_organisation_judgement", False),
        ):
            raise ValidationError(
                f"This ask is judged by {current.get_judged_by_display().lower()}; "
                "that judgement may not be replaced this way."
            )
        return cleaned

    def _refuse_if_stale(self, version: int | None) -> None:
        """Refuse a save based on an older version than the stored one, saying what the
        other editor changed. The editor's input stays in the form, now based on the
        stored version: saving again replaces the other change on purpose, not unseen."""
        if version is None or not self.instance.pk:
            return
        # Locked until the admin's transaction ends, so nobody saves between check and write.
        current = Assessment.objects.select_for_update().get(pk=self.instance.pk)
        if current.version == version:
            return
        self.data = self.data.copy()
        self.data[self.add_prefix("based_on_version")] = current.version
        raise ValidationError(
            [
                (
                    "Someone else saved this judgement while you were editing it, so yours "
                    "was not saved."
                ),
                *assessments.changes_since(current, version=version),
                (
                    "Your changes are still in the form below. Compare them with the above, "
                    "then save again to replace them with yours, or reload the page to start "
                    "from the saved judgement."
                ),
            ]
        )


class EvidenceFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        # `record` refuses this too; saying so here keeps the editor's form on screen.
        if kept and self.instance.status not in HEARD:
            raise ValidationError("Only realised or partly realised asks carry evidence.")


class EvidenceInline(admin.TabularInline):
    model = Evidence
    formset = EvidenceFormSet
    fields = ["recommendation", "quote"]
    autocomplete_fields = ["recommendation"]
    extra = 0


@admin.register(Assessment)
class AssessmentAdmin(HistoryToReadOnly):
    form = AssessmentForm
    list_display = ["ask", "organisation", "status", "judged_by", "evidence_count", "updated_at"]
    ordering = ["ask__document__organisation__name", "ask__document", "ask__position"]
    list_filter = ["status", "judged_by", "ask__document__organisation"]
    search_fields = ["ask__title", "ask__text", "rationale", "evidence__recommendation__ref"]
    autocomplete_fields = ["ask"]
    list_select_related = ["ask__document__organisation"]
    inlines = [EvidenceInline]
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

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(evidence_count=Count("evidence"))

    @admin.display(description="Organisation", ordering="ask__document__organisation__name")
    def organisation(self, assessment):
        return assessment.ask.document.organisation

    @admin.display(description="Evidence", ordering="evidence_count")
    def evidence_count(self, assessment):
        return assessment.evidence_count

    def save_model(self, request, obj, form, change):
        # Written in save_related, with its evidence, through the one write path.
        pass

    def save_related(self, request, form, formsets, change):
        evidence = [
            (f.cleaned_data["recommendation"], f.cleaned_data["quote"])
            for formset in formsets
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        cleaned = form.cleaned_data
        assessment = assessments.record(
            ask=cleaned.get("ask") or form.instance.ask,
            status=cleaned["status"],
            judged_by=cleaned["judged_by"] or JudgedBy.EDITORIAL,
            rationale=cleaned["rationale"],
            note=cleaned["note"],
            evidence=evidence,
            user=request.user,
            reason=cleaned["change_reason"] or "Edited in admin",
            force=cleaned["replace_organisation_judgement"],
            expected_version=cleaned["based_on_version"],
        )
        form.instance.pk = assessment.pk
        form.instance._state.adding = False
        # The admin's change message reads these; `record` did the saving.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(Evidence)
class EvidenceAdmin(HistoryToReadOnly):
    """Read only: evidence is changed with its assessment, so that both stay one judgement."""

    list_display = ["recommendation", "ask", "quote"]
    list_filter = ["assessment__status", "assessment__judged_by"]
    search_fields = ["quote", "recommendation__ref", "assessment__ask__title"]
    list_select_related = ["recommendation", "assessment__ask"]

    @admin.display(description="Ask", ordering="assessment__ask__title")
    def ask(self, evidence):
        return format_html(
            '<a href="{}">{}</a>', admin_url(evidence.assessment), evidence.assessment.ask
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
