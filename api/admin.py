"""API tokens in admin: issued to a person with the secret shown once, and revoked."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "shown", "created", "last_used", "revoked"]
    list_filter = [("revoked", admin.EmptyFieldListFilter)]
    search_fields = ["name", "owner__username"]
    actions = ["revoke"]
    fields = ["name", "owner", "shown", "created", "last_used", "revoked"]
    readonly_fields = ["shown", "created", "last_used", "revoked"]

    def get_readonly_fields(self, request, obj=None):
        # Once issued, a token is only ever revoked: its owner is not changed under it.
        if obj is not None:
            return [*self.readonly_fields, "owner"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        # Kept on the request for `response_add` alone: it is never stored.
        request.api_token_secret = obj.new_secret()
        obj.save()

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "secret": request.api_token_secret,
            "title": "API token issued",
        }
        response = TemplateResponse(request, "api/token_issued.html", context)
        # The secret is on this page alone: no cache may keep a copy.
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = queryset.revoke()
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
