"""Assessments of the Government's response in admin, with the recommendations each names,
written through `assessments.record_government` and with their history to read. They are
kept apart from the assessment of the Final Report (admin/assessment.py).

A plain model admin rather than a judge page of its own: the recommendations named need
no suggestions nor quotes from the Report, so admin's add and change forms serve, and
their save is one call to `record_government`."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from recommendations.admin import HistoryToReadOnly

from .. import assessments, rules
from ..models import GovernmentAssessment, NamedRecommendation
from .common import STALE_THEN, TypedText, protected_refusal, stale_refusal, utf8_text


class GovernmentAssessmentForm(forms.ModelForm):
    """A verdict on the Government's response as an editor sets it. `clean` applies the
    rules `record_government` will, with the verdict locked until admin's transaction
    ends, so that a refusal shows on the form, with the editor's input kept."""

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
    # The version the editor started from (0 for a new verdict), so that a verdict saved
    # meanwhile is not overwritten unseen.
    based_on_version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={"required": "This form has no version: reload the page and edit again."},
    )

    class Meta:
        model = GovernmentAssessment
        fields = ["ask", "status", "judged_by", "rationale", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["based_on_version"].initial = self.instance.version if self.instance.pk else 0

    def clean(self):
        cleaned = super().clean()
        ask = cleaned.get("ask") or (self.instance.ask if self.instance.ask_id else None)
        version, judged_by = cleaned.get("based_on_version"), cleaned.get("judged_by")
        if ask is None or version is None or not judged_by:
            return cleaned
        current = GovernmentAssessment.objects.select_for_update().filter(ask=ask).first()
        try:
            rules.check_not_stale(current=current, expected_version=version)
            rules.check_may_replace(
                current=current,
                judged_by=judged_by,
                force=cleaned.get("replace_organisation_judgement", False),
            )
        except rules.StaleJudgement as error:
            # Based on the stored version from now on: saving again replaces it on purpose.
            self.data = self.data.copy()
            self.data[self.add_prefix("based_on_version")] = error.current.version
            raise ValidationError(stale_refusal(error, then=STALE_THEN)) from None
        except rules.JudgementProtected as error:
            raise ValidationError(protected_refusal(error)) from None
        return cleaned


class NamedRecommendationFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """For a new verdict, each recommendation is named in the words of the ask's
        document: `NamedRecommendation.clean` checks that only once there is an assessment
        to read the document from."""
        super().clean()
        if self.instance.pk or not self.instance.ask_id:
            return
        for form in self.forms:
            named_as = form.cleaned_data.get("named_as") if form.cleaned_data else None
            if not named_as or form.cleaned_data.get("DELETE"):
                continue
            try:
                rules.check_named_as_is_verbatim(
                    named_as=named_as, document=self.instance.ask.document
                )
            except ValidationError as error:
                form.add_error("named_as", error)


class NamedRecommendationInline(TypedText, admin.TabularInline):
    model = NamedRecommendation
    formset = NamedRecommendationFormSet
    fields = ["recommendation", "named_as"]
    autocomplete_fields = ["recommendation"]
    extra = 0


@admin.register(GovernmentAssessment)
class GovernmentAssessmentAdmin(TypedText, HistoryToReadOnly):
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
