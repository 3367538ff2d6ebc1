"""Admin for entering what organisations asked for and judging it.

Judgements are written only through `assessments.record`, whether an editor edits an
assessment, links a suggested recommendation from an ask's page or marks an ask absent,
so the rules about whose judgement may replace whose hold here too.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from recommendations.models import Recommendation

from . import assessments, matching, splitting, suggesting
from .models import (
    HEARD,
    Ask,
    Assessment,
    Evidence,
    JudgedBy,
    Organisation,
    ResponseDocument,
    Status,
)

# Django 6 assumes https for a URL typed without a scheme; so do we, now.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


def _may_judge(request) -> bool:
    """Whether the user may write judgements: Editors may, Viewers may not."""
    return request.user.has_perms(["responses.add_assessment", "responses.change_assessment"])


def _admin_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


# --- Organisations ----------------------------------------------------------------------


class OrganisationForm(forms.ModelForm):
    website = forms.URLField(required=False, max_length=500, assume_scheme="https")
    confirm_new = forms.BooleanField(
        required=False,
        label="This is a different organisation",
        help_text="Tick only if none of the similar names above is this organisation.",
    )

    class Meta:
        model = Organisation
        fields = ["name", "slug", "kind", "website", "description"]

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name")
        if self.instance.pk or not name or cleaned.get("confirm_new"):
            return cleaned
        others = {o.name: o for o in Organisation.objects.order_by("-pk")}
        similar = matching.similar_names(name=name, names=list(others))
        if similar:
            listed = format_html_join(
                "; ",
                '<a href="{}">{}</a> ({}% alike)',
                ((_admin_url(others[other]), other, f"{score:.0f}") for other, score in similar),
            )
            raise ValidationError(
                format_html(
                    "Similar organisations already exist: {}. If this is one of them, add the "
                    "document to it instead; otherwise tick “This is a different organisation” "
                    "and save again.",
                    listed,
                )
            )
        return cleaned


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ["name", "kind", "document_count"]
    # Counting drops the model's own ordering; lists and autocomplete need one.
    ordering = ["name"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_fields(self, request, obj=None):
        fields = ["name", "slug", "kind", "website", "description"]
        return fields if obj else [*fields, "confirm_new"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(document_count=Count("documents"))

    @admin.display(description="Documents", ordering="document_count")
    def document_count(self, organisation):
        return organisation.document_count


# --- Documents and asks ------------------------------------------------------------------


class OneKindOfLineBreak(forms.ModelForm):
    """Browsers send a textarea's line breaks as CR LF; documents imported from files
    have LF. One kind keeps an ask typed in admin a verbatim span of its document."""

    def clean_text(self):
        return self.cleaned_data["text"].replace("\r\n", "\n").replace("\r", "\n")


class AskInline(admin.TabularInline):
    model = Ask
    form = OneKindOfLineBreak
    fields = ["position", "text", "title", "restates"]
    autocomplete_fields = ["restates"]
    ordering = ["position"]
    extra = 0
    show_change_link = True
    formfield_overrides = {
        # The model's TextField gives a large textarea; a row of asks needs a small one.
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 60})},
    }


class SplitForm(forms.Form):
    """The candidates a person ticked, each posted with the exact text shown, so that a
    document edited meanwhile cannot change what is saved."""

    def __init__(self, *args, candidates: list[splitting.Candidate], taken: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        self.rows = []
        for index, candidate in enumerate(candidates):
            pick = forms.BooleanField(required=False, label=f"Save candidate {index + 1} as an ask")
            title = forms.CharField(
                required=False,
                max_length=200,
                initial=candidate.default_title,
                label=f"Title of candidate {index + 1}",
            )
            text = forms.CharField(widget=forms.HiddenInput, initial=candidate.text, strip=False)
            self.fields[f"pick_{index}"] = pick
            self.fields[f"title_{index}"] = title
            self.fields[f"text_{index}"] = text
            self.rows.append(
                {
                    "candidate": candidate,
                    "taken": candidate.text in taken,
                    "pick": self[f"pick_{index}"],
                    "title": self[f"title_{index}"],
                    "text": self[f"text_{index}"],
                }
            )

    def chosen(self) -> list[tuple[str, str]]:
        """(text, title) of each ticked candidate, in the document's order."""
        chosen = []
        for index, candidate in enumerate(self.candidates):
            if not self.cleaned_data.get(f"pick_{index}"):
                continue
            if self.cleaned_data.get(f"text_{index}") != candidate.text:
                raise ValidationError(
                    "The document's text changed since the candidates were shown; "
                    "review them again."
                )
            chosen.append((candidate.text, self.cleaned_data.get(f"title_{index}", "")))
        return chosen


@admin.register(ResponseDocument)
class ResponseDocumentAdmin(admin.ModelAdmin):
    form = OneKindOfLineBreak
    list_display = ["title", "organisation", "kind", "published_display", "ask_count"]
    ordering = ["organisation__name", "published", "id"]
    list_filter = ["kind", "organisation"]
    search_fields = ["title", "organisation__name"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]
    inlines = [AskInline]
    formfield_overrides = HTTPS_URLS
    fields = [
        "organisation",
        "title",
        "kind",
        ("published", "published_precision"),
        "url",
        "notes",
        "text",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ask_count=Count("asks"))

    @admin.display(description="Published", ordering="published")
    def published_display(self, document):
        return document.published_display

    @admin.display(description="Asks", ordering="ask_count")
    def ask_count(self, document):
        return document.ask_count

    actions = ["suggest_recommendations"]

    def has_judge_permission(self, request) -> bool:
        return _may_judge(request)

    @admin.action(
        description="Suggest recommendations for their asks (automatic; never replaces "
        "a judgement by a person or the organisation)",
        permissions=["judge"],
    )
    def suggest_recommendations(self, request, queryset):
        asks = Ask.objects.counted().filter(document__in=queryset).select_related("assessment")
        stored = suggesting.store_suggestions(
            asks=list(asks),
            recommendations=list(Recommendation.objects.select_related("report")),
            user=request.user,
        )
        self.message_user(request, str(stored), messages.SUCCESS)

    def get_urls(self):
        split = path(
            "<int:document_id>/split/",
            self.admin_site.admin_view(self.split_view),
            name="responses_responsedocument_split",
        )
        return [split, *super().get_urls()]

    def split_view(self, request, document_id: int):
        """Candidate asks from the document's text; the ticked ones are saved together."""
        document = get_object_or_404(ResponseDocument, pk=document_id)
        if not request.user.has_perm("responses.add_ask"):
            raise PermissionDenied
        candidates = splitting.candidate_asks(text=document.text)
        taken = set(document.asks.values_list("text", flat=True))
        form = SplitForm(request.POST or None, candidates=candidates, taken=taken)
        if request.method == "POST" and form.is_valid():
            try:
                saved = splitting.save_asks(document=document, asks=form.chosen())
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    f"Saved {len(saved)} ask{'s' if len(saved) != 1 else ''} from “{document}”.",
                )
                return HttpResponseRedirect(_admin_url(document))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Split “{document}” into asks",
            "opts": self.model._meta,
            "document": document,
            "form": form,
            "rows": form.rows,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/responses/responsedocument/split.html", context)


class JudgeForm(forms.Form):
    """One click that judges an ask from its page, based on the judgement version the
    page showed (0 for none), so that a judgement saved meanwhile is not overwritten."""

    based_on_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    replace_organisation_judgement = forms.BooleanField(required=False)


class LinkForm(JudgeForm):
    """One click on a suggestion: link it as evidence and judge the ask."""

    recommendation = forms.ModelChoiceField(queryset=Recommendation.objects.all())
    status = forms.ChoiceField(choices=[(s.value, s.label) for s in HEARD])
    quote = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), strip=False)

    def clean(self):
        cleaned = super().clean()
        recommendation, quote = cleaned.get("recommendation"), cleaned.get("quote")
        if recommendation and quote and quote not in recommendation.text:
            self.add_error("quote", "The quote must be words of the recommendation, exactly.")
        return cleaned


@admin.register(Ask)
class AskAdmin(admin.ModelAdmin):
    form = OneKindOfLineBreak
    list_display = ["title", "document", "position", "status", "judged_by"]
    list_filter = [
        "document__kind",
        "assessment__status",
        "assessment__judged_by",
        "document__organisation",
    ]
    search_fields = ["title", "text", "document__title", "document__organisation__name"]
    autocomplete_fields = ["document", "restates", "themes"]
    list_select_related = ["document", "assessment"]

    @admin.display(description="Status", ordering="assessment__status")
    def status(self, ask):
        assessment = getattr(ask, "assessment", None)
        return assessment.get_status_display() if assessment else Status.NOT_ASSESSED.label

    @admin.display(description="Judged by", ordering="assessment__judged_by")
    def judged_by(self, ask):
        assessment = getattr(ask, "assessment", None)
        return assessment.get_judged_by_display() if assessment and assessment.judged_by else "—"

    def get_urls(self):
        urls = [
            path(
                "<int:ask_id>/link/",
                self.admin_site.admin_view(self.link_view),
                name="responses_ask_link",
            ),
            path(
                "<int:ask_id>/absent/",
                self.admin_site.admin_view(self.absent_view),
                name="responses_ask_absent",
            ),
        ]
        return [*urls, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ask = Ask.objects.filter(pk=object_id).select_related("assessment").first()
        if ask is not None:
            extra_context = {**(extra_context or {}), **self._suggestion_context(request, ask)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _suggestion_context(self, request, ask: Ask) -> dict:
        recommendations = list(Recommendation.objects.select_related("report"))
        [suggestions] = matching.suggest(texts=[ask.text], recommendations=recommendations)
        current = getattr(ask, "assessment", None)
        default_status = current.status if current and current.status in HEARD else Status.PARTLY
        rows = []
        for rank, suggestion in enumerate(suggestions, start=1):
            recommendation = suggestion.recommendation
            # The words as the recommendation writes them (its title included), not stems.
            as_written = matching.highlight(
                text=matching.recommendation_text(recommendation),
                shared_words=suggestion.shared_words,
            )
            rows.append(
                {
                    "rank": rank,
                    "suggestion": suggestion,
                    "recommendation": recommendation,
                    "pieces": matching.highlight(
                        text=recommendation.text, shared_words=suggestion.shared_words
                    ),
                    "shared": list(
                        dict.fromkeys(piece.lower() for piece, marked in as_written if marked)
                    ),
                    "quote": matching.evidence_quote(
                        recommendation_text=recommendation.text,
                        shared_words=suggestion.shared_words,
                    ),
                }
            )
        status = matching.suggest_status(suggestions=suggestions)
        return {
            "suggestion_rows": rows,
            "suggested_status": Status(status.status).label,
            "ask_pieces": matching.highlight(
                text=ask.text,
                shared_words=frozenset().union(*(s.shared_words for s in suggestions)),
            ),
            "link_url": reverse("admin:responses_ask_link", args=[ask.pk]),
            "absent_url": reverse("admin:responses_ask_absent", args=[ask.pk]),
            "heard_statuses": [(s.value, s.label) for s in HEARD],
            "default_status": default_status,
            "current_assessment": current,
            "current_evidence": list(current.evidence.select_related("recommendation"))
            if current
            else [],
            "judged_by_organisation": bool(current and current.judged_by == JudgedBy.ORGANISATION),
            "current_version": current.version if current else 0,
            "may_judge": _may_judge(request),
        }

    def _judge(self, request, ask: Ask, **judgement) -> None:
        try:
            assessments.record(
                ask=ask, judged_by=JudgedBy.EDITORIAL, user=request.user, **judgement
            )
        except assessments.JudgementProtected as error:
            messages.error(
                request, f"{error} Tick “replace the organisation's judgement” to do so."
            )
        except assessments.StaleJudgement as error:
            changes = assessments.changes_since(error.current, version=error.expected_version)
            messages.error(
                request,
                " ".join(
                    [
                        (
                            "Not saved: someone else saved this ask's judgement after you "
                            "opened the page."
                        ),
                        *changes,
                        "The page now shows their judgement; judge again if you still mean to.",
                    ]
                ),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"Judged “{ask}” {Status(judgement['status']).label.lower()}."
            )

    def _judge_form(self, request, ask_id: int, form_class):
        ask = get_object_or_404(Ask.objects.select_related("assessment"), pk=ask_id)
        if request.method != "POST" or not _may_judge(request):
            raise PermissionDenied
        form = form_class(request.POST)
        if not form.is_valid():
            errors = "; ".join(e for field_errors in form.errors.values() for e in field_errors)
            messages.error(request, f"Not saved: {errors}")
        return ask, form

    def link_view(self, request, ask_id: int):
        """Link one suggested recommendation as evidence, keeping the ask's other
        evidence, and judge the ask editorially."""
        ask, form = self._judge_form(request, ask_id, LinkForm)
        if not form.is_valid():
            return HttpResponseRedirect(_admin_url(ask))
        recommendation = form.cleaned_data["recommendation"]
        current = getattr(ask, "assessment", None)
        kept = []
        if current and current.status in HEARD:
            kept = [
                (e.recommendation, e.quote)
                for e in current.evidence.select_related("recommendation")
                if e.recommendation_id != recommendation.pk
            ]
        # An editor's reasoning stays with the editor's judgement; the organisation's
        # own words do not become an editorial rationale.
        rationale = current.rationale if current and current.judged_by == JudgedBy.EDITORIAL else ""
        self._judge(
            request,
            ask,
            status=form.cleaned_data["status"],
            rationale=rationale,
            evidence=[*kept, (recommendation, form.cleaned_data["quote"])],
            reason=f"Linked recommendation {recommendation.ref} from a suggestion in admin",
            force=form.cleaned_data["replace_organisation_judgement"],
            expected_version=form.cleaned_data["based_on_version"],
        )
        return HttpResponseRedirect(_admin_url(ask))

    def absent_view(self, request, ask_id: int):
        """Judge that no recommendation realises the ask."""
        ask, form = self._judge_form(request, ask_id, JudgeForm)
        if form.is_valid():
            self._judge(
                request,
                ask,
                status=Status.ABSENT,
                reason="Marked absent in admin",
                force=form.cleaned_data["replace_organisation_judgement"],
                expected_version=form.cleaned_data["based_on_version"],
            )
        return HttpResponseRedirect(_admin_url(ask))


# --- Assessments -------------------------------------------------------------------------


class HistoryToReadOnly(SimpleHistoryAdmin):
    """History to read, never to revert: a revert would save one row around `record`,
    without the rest of the judgement it belonged to."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


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
            '<a href="{}">{}</a>', _admin_url(evidence.assessment), evidence.assessment.ask
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
