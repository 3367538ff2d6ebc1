"""Documents in admin, their asks inline, and splitting a document's text into asks."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path

from recommendations.models import Recommendation

from .. import splitting, suggesting
from ..models import (
    Ask,
    ResponseDocument,
)
from .common import HTTPS_URLS, OneKindOfLineBreak, TypedText, admin_url, may_judge, utf8_text

# A document near the longest accepted offers some ten thousand candidates: all on one page
# were 13 MB of HTML and half a minute to render, and more fields than Django accepts in a
# request. A page of them is a few hundred kilobytes, 3 fields each.
CANDIDATES_A_PAGE = 50


class AskInline(TypedText, admin.TabularInline):
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
                validators=[utf8_text],
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

    def clean(self):
        cleaned = super().clean()
        for index, candidate in enumerate(self.candidates):
            if cleaned.get(f"pick_{index}") and cleaned.get(f"text_{index}") != candidate.text:
                raise ValidationError(
                    "The document's text changed since the candidates were shown; "
                    "review them again."
                )
        return cleaned

    def chosen(self) -> list[tuple[str, str]]:
        """(text, title) of each ticked candidate, in the document's order."""
        return [
            (candidate.text, self.cleaned_data.get(f"title_{index}", ""))
            for index, candidate in enumerate(self.candidates)
            if self.cleaned_data.get(f"pick_{index}")
        ]


class DocumentForm(OneKindOfLineBreak):
    def is_multipart(self):
        # So the browser posts the text as its UTF-8 bytes, at most 4 a character, where
        # form-encoding takes up to 12: limits.REQUEST_BYTES, Django's request limit,
        # counts on it.
        return True


@admin.register(ResponseDocument)
class ResponseDocumentAdmin(TypedText, admin.ModelAdmin):
    form = DocumentForm
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
        return may_judge(request)

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
        """Candidate asks from the document's text, CANDIDATES_A_PAGE at a time; the ticked
        ones of a page are saved together."""
        document = get_object_or_404(ResponseDocument, pk=document_id)
        if not request.user.has_perm("responses.add_ask"):
            raise PermissionDenied
        candidates = splitting.candidate_asks(text=document.text)
        page = Paginator(candidates, CANDIDATES_A_PAGE).get_page(request.GET.get("page"))
        taken = set(
            document.asks.filter(
                text__in=[candidate.text for candidate in page.object_list]
            ).values_list("text", flat=True)
        )
        form = SplitForm(request.POST or None, candidates=page.object_list, taken=taken)
        if request.method == "POST" and form.is_valid():
            try:
                saved = splitting.save_asks(document=document, asks=form.chosen())
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(
                    request,
                    f"Saved {len(saved)} ask{'s' if len(saved) != 1 else ''} from “{document}”.",
                )
                return HttpResponseRedirect(admin_url(document))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Split “{document}” into asks",
            "opts": self.model._meta,
            "document": document,
            "form": form,
            "rows": form.rows,
            "page": page,
            "candidate_count": f"{page.paginator.count:,}",
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/responses/responsedocument/split.html", context)
