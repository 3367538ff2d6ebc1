"""Judging an ask in admin, on a page of its own that writes through `assessments.record`
once; judgements brought back from asks.csv (`round_trip`); assessments and their evidence
otherwise to read, with their history."""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from recommendations.admin import HistoryToReadOnly
from recommendations.models import Recommendation

from .. import assessments, limits, rules
from ..models import Ask, Assessment, Evidence, JudgedBy, Status
from . import round_trip
from .common import (
    STALE_THEN,
    admin_url,
    judged_message,
    may_judge,
    protected_refusal,
    stale_refusal,
    utf8_text,
)


class JudgementForm(forms.Form):
    """An ask's judgement as an editor sets it; its evidence comes in `EvidenceFormSet`."""

    status = forms.ChoiceField(choices=Status.choices)
    judged_by = forms.ChoiceField(
        choices=JudgedBy.choices,
        help_text="Whose judgement this is. An ask not assessed is nobody's.",
    )
    rationale = forms.CharField(
        required=False,
        max_length=limits.NOTE_CHARS,
        validators=[utf8_text],
        widget=forms.Textarea,
        help_text=Assessment._meta.get_field("rationale").help_text,
    )
    note = forms.CharField(
        required=False,
        max_length=limits.NOTE_CHARS,
        validators=[utf8_text],
        widget=forms.Textarea,
        help_text=Assessment._meta.get_field("note").help_text,
    )
    replace_organisation_judgement = forms.BooleanField(
        required=False,
        label="Replace the organisation's own judgement",
        help_text="The organisation's own judgement is replaced only when this is ticked.",
    )
    change_reason = forms.CharField(
        required=False,
        # The length of the history's change reason.
        max_length=100,
        validators=[utf8_text],
        label="Reason for the change",
        help_text="Kept in the history.",
    )
    # The version the editor started from (0 for a new judgement), so that a judgement
    # saved meanwhile is not overwritten unseen.
    based_on_version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={"required": "This form has no version: reload the page and edit again."},
    )

    @staticmethod
    def initial_for(current: Assessment | None) -> dict:
        if current is None:
            return {"judged_by": JudgedBy.EDITORIAL, "based_on_version": 0}
        return {
            "status": current.status,
            "judged_by": current.judged_by or JudgedBy.EDITORIAL,
            "rationale": current.rationale,
            "note": current.note,
            "based_on_version": current.version,
        }

    def based_on(self, version: int) -> None:
        """Base the form on `version` from now on, keeping all the editor typed: saving it
        again then replaces that version on purpose."""
        self.data = self.data.copy()
        self.data[self.add_prefix("based_on_version")] = version


class RecommendationSearch(AutocompleteSelect):
    """Admin's autocomplete, with a placeholder: select2 names its box by what the box
    shows, which in an empty row is nothing but the placeholder."""

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        return attrs | {"data-placeholder": "Choose a recommendation"}


class EvidenceForm(forms.Form):
    """One recommendation that shows the ask (partly) realised, and its words that do."""

    recommendation = forms.ModelChoiceField(
        queryset=Recommendation.objects.all(),
        # Searches recommendations as Evidence's own field would (RecommendationAdmin's search).
        widget=RecommendationSearch(Evidence._meta.get_field("recommendation"), admin.site),
    )
    quote = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        # As typed, or as stored: saving a judgement unchanged leaves its quotes unchanged.
        strip=False,
        validators=[utf8_text],
        help_text=Evidence._meta.get_field("quote").help_text,
    )

    def clean(self):
        cleaned = super().clean()
        recommendation, quote = cleaned.get("recommendation"), cleaned.get("quote")
        if recommendation and quote:
            try:
                rules.check_quote_is_verbatim(quote=quote, recommendation=recommendation)
            except ValidationError as error:
                self.add_error("quote", error)
        return cleaned


# Rows left blank are ignored; "Remove" drops a row of evidence already linked.
EvidenceFormSet = forms.formset_factory(EvidenceForm, extra=2, can_delete=True)


class EvidenceInline(admin.TabularInline):
    """The evidence, to read: it is changed with its judgement, on the judge page."""

    model = Evidence
    fields = ["recommendation", "quote"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def judge_url(ask: Ask) -> str:
    return reverse("admin:responses_assessment_judge", args=[ask.pk])


@admin.register(Assessment)
class AssessmentAdmin(HistoryToReadOnly):
    """Assessments to list and read. Editors who open one are taken to the judge page,
    where a judgement is written, with its evidence, through `assessments.record`."""

    list_display = ["ask", "organisation", "status", "judged_by", "evidence_count", "updated_at"]
    ordering = ["ask__document__organisation__name", "ask__document", "ask__position"]
    list_filter = ["status", "judged_by", "ask__document__organisation"]
    search_fields = ["ask__title", "ask__text", "rationale", "evidence__recommendation__ref"]
    list_select_related = ["ask__document__organisation"]
    inlines = [EvidenceInline]
    history_list_display = ["status", "judged_by"]
    fields = ["ask", "status", "judged_by", "rationale", "note", "version", "updated_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(evidence_count=Count("evidence"))

    @admin.display(description="Organisation", ordering="ask__document__organisation__name")
    def organisation(self, assessment):
        return assessment.ask.document.organisation

    @admin.display(description="Evidence", ordering="evidence_count")
    def evidence_count(self, assessment):
        return assessment.evidence_count

    # Judgements start from their ask and change only on the judge page, never through
    # the model form, so that every write is one call to `record`.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        assessment = Assessment.objects.filter(pk=object_id).first()
        if assessment is not None and may_judge(request):
            return HttpResponseRedirect(judge_url(assessment.ask))
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        judge = path(
            "judge/<int:ask_id>/",
            self.admin_site.admin_view(self.judge_view),
            name="responses_assessment_judge",
        )
        upload = path(
            "import/",
            self.admin_site.admin_view(
                partial(round_trip.import_view, model_admin=self, kind=round_trip.ASKS)
            ),
            name="responses_assessment_import",
        )
        return [judge, upload, *super().get_urls()]

    def judge_view(self, request, ask_id: int):
        """Judge an ask: its status, whose judgement it is, why, and the evidence. A save
        is one call to `record`; when refused, the page says why and keeps the input."""
        ask = get_object_or_404(
            Ask.objects.select_related("document__organisation", "assessment"), pk=ask_id
        )
        if not may_judge(request):
            raise PermissionDenied
        current = getattr(ask, "assessment", None)
        data = request.POST if request.method == "POST" else None
        form = JudgementForm(data, initial=JudgementForm.initial_for(current))
        evidence = EvidenceFormSet(
            data,
            prefix="evidence",
            initial=[
                {"recommendation": link.recommendation_id, "quote": link.quote}
                for link in (current.evidence.all() if current else [])
            ],
        )
        # Both validated, so that every error shows at once.
        if data is not None and all([form.is_valid(), evidence.is_valid()]):
            cleaned = form.cleaned_data
            try:
                assessments.record(
                    ask=ask,
                    status=cleaned["status"],
                    judged_by=cleaned["judged_by"],
                    rationale=cleaned["rationale"],
                    note=cleaned["note"],
                    evidence=[
                        (row.cleaned_data["recommendation"], row.cleaned_data["quote"])
                        for row in evidence.forms
                        if row.cleaned_data and not row.cleaned_data.get("DELETE")
                    ],
                    user=request.user,
                    reason=cleaned["change_reason"] or "Judged in admin",
                    force=cleaned["replace_organisation_judgement"],
                    expected_version=cleaned["based_on_version"],
                )
            except rules.StaleJudgement as error:
                form.based_on(error.current.version)
                form.add_error(None, stale_refusal(error, then=STALE_THEN))
            except rules.JudgementProtected as error:
                form.add_error(None, protected_refusal(error))
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, judged_message(ask, status=cleaned["status"]))
                return HttpResponseRedirect(admin_url(ask))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Judge “{ask}”",
            "opts": self.model._meta,
            "ask": ask,
            "current": current,
            "form": form,
            "evidence": evidence,
            "media": self.media + form.media + evidence.media,
            "errors": bool(form.errors or evidence.total_error_count()),
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/responses/assessment/judge.html", context)


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
