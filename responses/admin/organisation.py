"""Organisations in admin: adding one warns of near-duplicate names."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.html import format_html, format_html_join

import matching

from ..models import (
    Organisation,
)
from .common import TypedText, admin_url


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
                ((admin_url(others[other]), other, f"{score:.0f}") for other, score in similar),
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
class OrganisationAdmin(TypedText, admin.ModelAdmin):
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
