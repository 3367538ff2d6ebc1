"""What the admin's screens share: who may judge, the form of a judgement, links between
them, and text as typed."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from .. import assessments
from ..models import JudgedBy

# Django 6 assumes https for a URL typed without a scheme; so do we, now.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


def may_judge(request) -> bool:
    """Whether the user may write judgements: Editors may, Viewers may not."""
    return request.user.has_perms(["responses.add_assessment", "responses.change_assessment"])


def admin_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


class OneKindOfLineBreak(forms.ModelForm):
    """Browsers send a textarea's line breaks as CR LF; documents imported from files
    have LF. One kind keeps an ask typed in admin a verbatim span of its document."""

    def clean_text(self):
        return self.cleaned_data["text"].replace("\r\n", "\n").replace("\r", "\n")


class HistoryToReadOnly(SimpleHistoryAdmin):
    """History to read, never to revert: a revert would save one row around `record`,
    without the rest of the judgement it belonged to."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class JudgementForm(forms.ModelForm):
    """The form of a judgement of an ask, of the Final Report or of the Government's
    response: saved only when based on the stored version, and replacing the
    organisation's own judgement only when the editor says so (`assessments.may_replace`).
    Subclasses name the model and its fields in Meta."""

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
        current = self._meta.model.objects.filter(ask=ask).first()
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
        current = self._meta.model.objects.select_for_update().get(pk=self.instance.pk)
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
