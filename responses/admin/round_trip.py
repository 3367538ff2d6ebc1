"""Bringing an edited asks.csv or stages.csv back in admin: upload it, see exactly what it
would change, then apply it, through the importers the commands use.

The preview keeps no copy of the file. To apply, the editor chooses the same file again;
it is applied only if it is the file previewed (its SHA-256, signed into the page with the
data version, the kind of file, the editor and the options) and the data has not changed
since (`round_trip.check_unchanged`, in the import's own transaction). Why not keep the
file between the two: in the session it would be loaded with every request of the editor's
until applied, and asks.csv may be 100 MB; in a signed hidden field the page and the next
request would carry it, beyond the request limit; on the server's disk another app server
would not find it. Choosing the file twice costs a click, and nothing from the browser is
trusted: the file is read, checked and planned again.
"""

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .. import importing_assessments, importing_stages, limits, round_trip
from ..csv_reading import decode

# A preview may be applied for an hour; after that, preview again.
PREVIEW_SECONDS = 3600
# The most changed records a preview lists; applying applies every one, and says so.
PREVIEW_RECORDS = 500
_SALT = "responses.admin.round_trip"


@dataclass(frozen=True)
class Kind:
    """A file that admin reads back: how to plan and apply it, and in whose words."""

    slug: str
    name: str
    # The name of its limit in `limits`, read when a file is read.
    limit: str
    record: str
    plural: str
    changelist: str
    permissions: tuple[str, ...]
    plan: Callable
    apply: Callable

    @property
    def largest(self) -> int:
        return getattr(limits, self.limit)


def _plan_asks(text: str, *, force: bool):
    return importing_assessments.plan_assessments(file=_opened(text), force=force)


def _apply_asks(text: str, *, force: bool, **options):
    return importing_assessments.import_assessments(file=_opened(text), force=force, **options)


def _plan_stages(text: str, *, force: bool):
    return importing_stages.plan_stages(file=_opened(text))


def _apply_stages(text: str, *, force: bool, **options):
    return importing_stages.import_stages(file=_opened(text), **options)


def _opened(text: str) -> io.StringIO:
    return io.StringIO(text, newline="")


ASKS = Kind(
    slug="asks",
    name="asks.csv",
    limit="ASSESSMENTS_FILE_BYTES",
    record="ask",
    plural="asks",
    changelist="admin:responses_assessment_changelist",
    permissions=("responses.add_assessment", "responses.change_assessment"),
    plan=_plan_asks,
    apply=_apply_asks,
)
STAGES = Kind(
    slug="stages",
    name="stages.csv",
    limit="STAGES_FILE_BYTES",
    record="stage record",
    plural="stage records",
    changelist="admin:recommendations_governmentstage_changelist",
    permissions=("recommendations.add_governmentstage", "recommendations.change_governmentstage"),
    plan=_plan_stages,
    apply=_apply_stages,
)


class UploadForm(forms.Form):
    file = forms.FileField(label="The edited file")

    def __init__(self, *args, kind: Kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"{kind.name} as carereview exports it, edited, saved as CSV UTF-8; at most "
            f"{limits.size_in_words(kind.largest, 'byte')}."
        )
        if kind is ASKS:
            self.fields["force"] = forms.BooleanField(
                required=False,
                label="Replace the organisation's own judgements (as --force does)",
                help_text="Without this, a row that would replace one is an error.",
            )


class ApplyForm(forms.Form):
    file = forms.FileField(label="The same file again")
    preview = forms.CharField(widget=forms.HiddenInput)


def import_view(request, *, model_admin, kind: Kind):
    """Upload, preview and apply `kind` of file. Nothing is written but by applying."""
    if not request.user.has_perms(kind.permissions):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"Import {kind.name}",
        "kind": kind,
        "changelist": reverse(kind.changelist),
        "has_view_permission": True,
    }
    step = request.POST.get("step")
    if request.method == "POST" and step == "apply":
        form = ApplyForm(request.POST, request.FILES)
        if form.is_valid():
            return _apply(request, form, kind=kind, context=context)
        context["problem"] = "Choose the file you previewed to apply it. Nothing was applied."
        context["form"] = UploadForm(kind=kind)
    elif request.method == "POST":
        form = UploadForm(request.POST, request.FILES, kind=kind)
        if form.is_valid():
            return _preview(request, form, kind=kind, context=context)
        context["form"] = form
    else:
        context["form"] = UploadForm(kind=kind)
    return _render(request, context)


def _read(upload, *, kind: Kind) -> tuple[str, str, list]:
    """The upload's text, its SHA-256 and why it is refused, as the commands read a file."""
    raw = upload.read(kind.largest + 1) if upload.size <= kind.largest else b""
    text, errors = decode(raw, largest=kind.largest, size=upload.size)
    return text, hashlib.sha256(raw).hexdigest(), errors


def _preview(request, form: UploadForm, *, kind: Kind, context: dict):
    force = form.cleaned_data.get("force", False)
    text, digest, errors = _read(form.cleaned_data["file"], kind=kind)
    if errors:
        return _render(request, context | {"errors": errors, "form": UploadForm(kind=kind)})
    # The version first: a write committed meanwhile makes the preview look older than
    # it is, and applying it is refused, never the other way round.
    with transaction.atomic():
        version = round_trip.data_version()
        plan = kind.plan(text, force=force)
    if plan.errors:
        return _render(request, context | {"errors": plan.errors, "form": UploadForm(kind=kind)})
    token = signing.dumps(
        {
            "kind": kind.slug,
            "sha256": digest,
            "version": version,
            "force": force,
            "user": request.user.pk,
            "name": form.cleaned_data["file"].name,
        },
        salt=_SALT,
    )
    return _render(
        request,
        context
        | {
            "plan": plan,
            "shown": plan.changes[:PREVIEW_RECORDS],
            "file_name": form.cleaned_data["file"].name,
            "apply_form": ApplyForm(initial={"preview": token}) if plan.changes else None,
        },
    )


def _apply(request, form: ApplyForm, *, kind: Kind, context: dict):
    def refuse(problem: str):
        return _render(request, context | {"problem": problem, "form": UploadForm(kind=kind)})

    try:
        preview = signing.loads(form.cleaned_data["preview"], salt=_SALT, max_age=PREVIEW_SECONDS)
    except signing.BadSignature:
        return refuse(
            "This preview is more than an hour old, or not carereview's: preview the file again."
        )
    if preview["kind"] != kind.slug or preview["user"] != request.user.pk:
        return refuse(
            "This preview is not of this kind of file, or not yours: preview the file again."
        )
    text, digest, errors = _read(form.cleaned_data["file"], kind=kind)
    if errors or digest != preview["sha256"]:
        return refuse(
            f"That is not the file you previewed ({preview['name']}), so nothing was applied: "
            "choose the same file, or preview this one."
        )
    try:
        result = kind.apply(
            text,
            force=preview["force"],
            user=request.user,
            # The history's change reason holds 100 characters.
            reason=f"admin import of {preview['name']}"[:100],
            expected_version=preview["version"],
        )
    except round_trip.DataChanged as error:
        return refuse(str(error))
    if result.errors:
        return _render(request, context | {"errors": result.errors})
    summary = f"{len(result.changed):,} {kind.plural} changed"
    if kind is STAGES:
        summary += f", {len(result.added):,} added"
    messages.success(
        request, f"Imported {preview['name']}: {summary}, {result.unchanged:,} unchanged."
    )
    return HttpResponseRedirect(context["changelist"])


def _render(request, context: dict):
    context.setdefault("form", None)
    return TemplateResponse(request, "admin/responses/import_csv.html", context)
