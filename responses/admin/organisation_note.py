"""Organisations' notes in admin: remarks that judge no particular ask, each with the
sentence of its document that makes it, and their history."""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import OrganisationNote
from .common import TypedText


class OrganisationNoteForm(forms.ModelForm):
    # Browsers send a textarea's line breaks as CR LF, documents have LF: one kind keeps
    # the evidence a verbatim span of its document (as OneKindOfLineBreak does for asks).
    def clean_evidence(self):
        return self.cleaned_data["evidence"].replace("\r\n", "\n").replace("\r", "\n")


@admin.register(OrganisationNote)
class OrganisationNoteAdmin(TypedText, SimpleHistoryAdmin):
    form = OrganisationNoteForm
    list_display = ["note", "organisation", "document"]
    list_filter = ["document__organisation"]
    search_fields = ["note", "evidence", "document__title", "document__organisation__name"]
    autocomplete_fields = ["document"]
    list_select_related = ["document__organisation"]
    fields = ["document", "note", "evidence"]

    @admin.display(description="Organisation", ordering="document__organisation__name")
    def organisation(self, note):
        return note.document.organisation
