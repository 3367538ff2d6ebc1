"""Recording judgements: the one place that writes an assessment and its evidence.

Admin's judge, link and absent views, the matcher's bulk suggestions and the CSV import
all come through `record`, which enforces the rules in `rules` on every write. A
judgement of the Government's response is written by `record_government`, in admin and
by `load_corpus`, under the same rules about stale edits and whose judgement may replace
whose.
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from recommendations.models import Recommendation

from . import rules
from .models import (
    Ask,
    Assessment,
    Evidence,
    GovernmentAssessment,
    NamedRecommendation,
    Status,
)


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

    _replace_links(
        old=assessment.evidence.all(),
        new=[
            Evidence(assessment=assessment, recommendation=recommendation, quote=quote)
            for recommendation, quote in evidence
        ],
        user=user,
    )
    return assessment


@transaction.atomic
def record_government(
    *,
    ask: Ask,
    status: str,
    judged_by: str,
    rationale: str = "",
    note: str | None = None,
    named: Sequence[tuple[Recommendation, str]] = (),
    user=None,
    reason: str = "",
    force: bool = False,
    expected_version: int | None = None,
) -> GovernmentAssessment:
    """Set `ask`'s judgement of the Government's response to `status` by `judged_by`,
    naming the recommendations in `named` (each with the words of the ask's document that
    name it), and return it. The ask's judgement of the Final Report is left as it is.

    The same rules of `rules` as `record`'s: with `expected_version`, a judgement that has
    moved on since raises StaleJudgement; one that `judged_by` may not replace raises
    JudgementProtected. ValidationError on bad values, among them an organisation's own
    verdict whose rationale does not quote its document word for word, or a recommendation
    named in words the document does not hold (via the models' `clean`). Whatever is
    raised, nothing is written. The history records `user` and `reason`.
    """
    current = GovernmentAssessment.objects.select_for_update().filter(ask=ask).first()
    rules.check_not_stale(current=current, expected_version=expected_version)
    rules.check_may_replace(current=current, judged_by=judged_by, force=force)
    assessment = current or GovernmentAssessment(ask=ask, version=0)
    assessment.version += 1
    assessment.status = status
    assessment.judged_by = judged_by
    assessment.rationale = rationale
    if note is not None:
        assessment.note = note
    assessment.full_clean()
    assessment._history_user = user
    assessment._change_reason = reason
    assessment.save()
    _replace_links(
        old=assessment.named.all(),
        new=[
            NamedRecommendation(
                assessment=assessment, recommendation=recommendation, named_as=named_as
            )
            for recommendation, named_as in named
        ],
        user=user,
    )
    return assessment


def _replace_links(*, old, new: list, user) -> None:
    """Replace a judgement's links to recommendations (`old`, a queryset) with `new`,
    unsaved and each checked first; each deletion and addition is kept in the links'
    history under `user`."""
    for link in new:
        link.full_clean(exclude=["assessment"], validate_unique=False)
    if len({link.recommendation_id for link in new}) != len(new):
        raise ValidationError({"evidence": "A recommendation can be linked once per ask."})
    for link in old:
        link._history_user = user
        link.delete()
    for link in new:
        link._history_user = user
        link.save()


def changes_since(assessment: rules.Judgement, *, version: int) -> list[str]:
    """What happened to `assessment` (of the Final Report or of the Government's
    response) after `version`, in sentences for an editor whose write was refused as
    stale: who saved it and when, then each field and the recommendations it links as
    they were at `version` and as they are now."""
    history = assessment.history.order_by("history_date", "history_id")
    read = history.filter(version=version).last()
    later = list(history.filter(version__gt=version).select_related("history_user"))
    lines = []
    if later:
        names = sorted({str(h.history_user) if h.history_user else "someone" for h in later})
        when = timezone.localtime(later[-1].history_date).strftime("%d %B %Y at %H:%M")
        lines.append(f"Saved since by {', '.join(names)}, last on {when}.")
    for field in ("status", "judged_by", "rationale", "note"):
        before = getattr(read, field) if read else None
        after = getattr(assessment, field)
        if before == after:
            continue
        name = type(assessment)._meta.get_field(field).verbose_name.capitalize()
        if field in ("status", "judged_by"):
            shown = [_label(assessment, field, v) if v else "nobody" for v in (before, after)]
            lines.append(f"{name}: {shown[0] if read else 'unknown'} → {shown[1]}.")
        else:
            lines.append(f"{name} now reads: “{Truncator(after).chars(300) or '(empty)'}”.")
    links = Evidence if isinstance(assessment, Assessment) else NamedRecommendation
    now = sorted(
        links.objects.filter(assessment=assessment).values_list("recommendation__ref", flat=True)
    )
    if later:
        then = sorted(
            links.history.as_of(later[0].history_date)
            .filter(assessment_id=assessment.pk)
            .values_list("recommendation__ref", flat=True)
        )
        if then != now:
            name = str(links._meta.verbose_name_plural).capitalize()
            lines.append(f"{name}: {', '.join(then) or 'none'} → {', '.join(now) or 'none'}.")
    return lines


def _label(assessment: rules.Judgement, field: str, value: str) -> str:
    """A status or judge as the assessment's own form words it: the Government's response
    takes an ask up, the Final Report realises it."""
    return dict(type(assessment)._meta.get_field(field).choices).get(value, value)
