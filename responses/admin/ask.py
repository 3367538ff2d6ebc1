"""Asks in admin: the recommendations the matcher finds closest, linked with one click."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

import matching
from recommendations.models import Recommendation

from .. import assessments, rules
from ..models import (
    HEARD,
    Ask,
    JudgedBy,
    Status,
)
from .common import (
    OneKindOfLineBreak,
    TypedText,
    admin_url,
    judged_message,
    may_judge,
    protected_refusal,
    stale_refusal,
    utf8_text,
)


class JudgeForm(forms.Form):
    """One click that judges an ask from its page, based on the judgement version the
    page showed (0 for none), so that a judgement saved meanwhile is not overwritten."""

    based_on_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    replace_organisation_judgement = forms.BooleanField(required=False)


class LinkForm(JudgeForm):
    """One click on a suggestion: link it as evidence and judge the ask."""

    recommendation = forms.ModelChoiceField(queryset=Recommendation.objects.all())
    status = forms.ChoiceField(choices=[(s.value, s.label) for s in HEARD])
    quote = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), strip=False, validators=[utf8_text]
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


@admin.register(Ask)
class AskAdmin(TypedText, admin.ModelAdmin):
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
        return {
            "suggestion_rows": rows,
            # Offered as evidence to read, never as a status: the person judges.
            "close_matches": matching.close_matches(suggestions=suggestions),
            "match_threshold": matching.MATCH_THRESHOLD,
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
            "may_judge": may_judge(request),
        }

    def _judge(self, request, ask: Ask, **judgement) -> None:
        try:
            assessments.record(
                ask=ask, judged_by=JudgedBy.EDITORIAL, user=request.user, **judgement
            )
        except rules.JudgementProtected as error:
            messages.error(request, protected_refusal(error))
        except rules.StaleJudgement as error:
            then = "The page now shows their judgement; judge again if you still mean to."
            messages.error(request, " ".join(stale_refusal(error, then=then)))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, judged_message(ask, status=judgement["status"]))

    def _judge_form(self, request, ask_id: int, form_class):
        ask = get_object_or_404(Ask.objects.select_related("assessment"), pk=ask_id)
        if request.method != "POST" or not may_judge(request):
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
            return HttpResponseRedirect(admin_url(ask))
        recommendation = form.cleaned_data["recommendation"]
        current = getattr(ask, "assessment", None)
        kept = (
            [
                (e.recommendation, e.quote)
                for e in current.evidence.select_related("recommendation")
                if e.recommendation_id != recommendation.pk
            ]
            if current
            else []
        )
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
        return HttpResponseRedirect(admin_url(ask))

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
        return HttpResponseRedirect(admin_url(ask))
