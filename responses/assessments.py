"""Recording judgements: the one place that writes an assessment and its evidence.

Admin's judge, link and absent views, the matcher's bulk suggestions and the CSV import
all come through `record`, which enforces the rules in `rules` on every write.
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from recommendations.models import Recommendation

from . import rules
from .models import Ask, Assessment, Evidence, JudgedBy, Status


@transaction.atomic
def record(
    *,
    ask: Ask,
    status: str,
    judged_by: str,
    rationale: str = "",
    note: str | None = None,
    evidence: Sequence[tuple[Recommendation, str]] = (),
    user=None,
    reason: str = "",
    force: bool = False,
    expected_version: int | None = None,
) -> Assessment:
    """Set `ask`'s judgement to `status` by `judged_by`, with its evidence, and return it.

    The evidence replaces any evidence the ask had. Before anything is written, every rule
    of `rules` that a judgement obeys is checked: with `expected_version` (the version the
    writer read; 0 for "no judgement yet"), a judgement that has moved on since raises
    StaleJudgement; one that `judged_by` may not replace raises JudgementProtected; each
    quote must occur verbatim in its recommendation's text (via Evidence.clean), only
    realised or partly realised asks carry evidence, and an automatic suggestion is never
    absent (Assessment's constraints, checked by `full_clean` with their messages), else
    ValidationError, as for any other bad value. Whatever is raised, nothing is written.
    The history records `user` and `reason`.
    """
    current = Assessment.objects.select_for_update().filter(ask=ask).first()
    rules.check_not_stale(current=current, expected_version=expected_version)
    rules.check_may_replace(current=current, judged_by=judged_by, force=force)
    rules.check_evidence_allowed(status=status, with_evidence=bool(evidence))
    assessment = current or Assessment(ask=ask, version=0)
    assessment.version += 1
    assessment.status = status
    assessment.judged_by = "" if status == Status.NOT_ASSESSED else judged_by
    assessment.rationale = rationale
    if note is not None:
        assessment.note = note
    assessment.full_clean()
    assessment._history_user = user
    assessment._change_reason = reason
    assessment.save()

    links = [
        Evidence(assessment=assessment, recommendation=recommendation, quote=quote)
        for recommendation, quote in evidence
    ]
    for link in links:
        link.full_clean(exclude=["assessment"], validate_unique=False)
    if len({link.recommendation_id for link in links}) != len(links):
        raise ValidationError({"evidence": "A recommendation can be linked once per ask."})
    for old in assessment.evidence.all():
        old._history_user = user
        old.delete()
    for link in links:
        link._history_user = user
        link.save()
    return assessment


def changes_since(assessment: Assessment, *, version: int) -> list[str]:
    """What happened to `assessment` after `version`, in sentences for an editor whose
    write was refused as stale: who saved it and when, then each field and the evidence
    as they were at `version` and as they are now."""
    history = assessment.history.order_by("history_date", "history_id")
    read = history.filter(version=version).last()
    later = list(history.filter(version__gt=version).select_related("history_user"))
    lines = []
    if later:
        names = sorted({str(h.history_user) if h.history_user else "someone" for h in later})
        when = timezone.localtime(later[-1].history_date).strftime("%d %B %Y at %H:%M")
        lines.append(f"Saved since by {', '.join(names)}, last on {when}.")
    labels = {"status": Status, "judged_by": JudgedBy}
    for field in ("status", "judged_by", "rationale", "note"):
        before = getattr(read, field) if read else None
        after = getattr(assessment, field)
        if before == after:
            continue
        name = Assessment._meta.get_field(field).verbose_name.capitalize()
        if field in labels:
            shown = [labels[field](v).label if v else "nobody" for v in (before, after)]
            lines.append(f"{name}: {shown[0] if read else 'unknown'} → {shown[1]}.")
        else:
            lines.append(f"{name} now reads: “{Truncator(after).chars(300) or '(empty)'}”.")
    now = sorted(assessment.evidence.values_list("recommendation__ref", flat=True))
    if later:
        then = sorted(
            Evidence.history.as_of(later[0].history_date)
            .filter(assessment_id=assessment.pk)
            .values_list("recommendation__ref", flat=True)
        )
        if then != now:
            lines.append(f"Evidence: {', '.join(then) or 'none'} → {', '.join(now) or 'none'}.")
    return lines
