"""What the admin's screens share: who may judge, what a refused judgement says, links
between them, and text as typed."""

from django import forms
from django.db import models
from django.urls import reverse

from .. import assessments, rules
from ..models import Status

# Django 6 assumes https for a URL typed without a scheme; so do we, now.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


def may_judge(request) -> bool:
    """Whether the user may write judgements: Editors may, Viewers may not."""
    return request.user.has_perms(["responses.add_assessment", "responses.change_assessment"])


def judged_message(ask, *, status: str) -> str:
    return f"Judged “{ask}” {Status(status).label.lower()}."


def protected_refusal(error: rules.JudgementProtected) -> str:
    """The refusal, and how to replace the judgement after all where an editor may."""
    if error.forceable:
        return f"{error} Tick “Replace the organisation's own judgement” to replace it."
    return str(error)


# What an editor's form says after a stale refusal, when it keeps the editor's input.
STALE_THEN = (
    "Your changes are still in the form below. Compare them with the above, then save "
    "again to replace them with yours, or reload the page to start from the saved judgement."
)


def stale_refusal(error: rules.StaleJudgement, *, then: str) -> list[str]:
    """The refusal, what the other editor changed, and `then`: what the editor sees now."""
    return [
        str(error),
        *assessments.changes_since(error.current, version=error.expected_version),
        then,
    ]


def admin_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


class OneKindOfLineBreak(forms.ModelForm):
    """Browsers send a textarea's line breaks as CR LF; documents imported from files
    have LF. One kind keeps an ask typed in admin a verbatim span of its document."""

    def clean_text(self):
        return self.cleaned_data["text"].replace("\r\n", "\n").replace("\r", "\n")


def utf8_text(value: str) -> None:
    """A form field's validator: `rules.check_is_utf8_text`, for what an editor typed."""
    rules.check_is_utf8_text(value, what="What you entered")


class TypedText:
    """For a ModelAdmin or an inline: each of its text fields refuses what was not UTF-8
    (Django decodes a form leniently, bad bytes becoming U+FFFD), as the importers do."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(field, forms.CharField):
            field.validators.append(utf8_text)
        return field
