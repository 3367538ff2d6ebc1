"""Recording judgements: the one place that writes an assessment and its evidence.

Admin actions, the matcher's bulk suggestions and the CSV import all come through
`record`, so the rules about whose judgement may replace whose live in one place. A
judgement of the Government's response is written by `record_government`, under the same
rules (`refuse_unless_writable`).
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from recommendations.models import Recommendation

from .models import (
    HEARD,
    Ask,
    Assessment,
    Evidence,
    GovernmentAssessment,
    JudgedBy,
    NamedRecommendation,
    Status,
)

# Either judgement of an ask: the Final Report's, or the Government's response's.
Judgement = Assessment | GovernmentAssessment


class JudgementProtected(Exception):
    """The ask already carries a judgement that this write may not replace."""


class StaleJudgement(Exception):
    """Someone else changed the judgement since the writer read it: writing now would
    overwrite their change unseen."""

    def __init__(self, current: Judgement, *, expected_version: int):
        self.current = current
        self.expected_version = expected_version
        super().__init__(
            f"Ask {current.ask_id}'s judgement changed while you were editing it "
            f"(version {expected_version} became {current.version})."
        )


def may_replace(*, current: Judgement | None, judged_by: str, force: bool = False) -> bool:
    """Whether a judgement by `judged_by` may replace `current`.

    - Anything may replace "not assessed" or another automatic suggestion.
    - An automatic suggestion never replaces a judgement made by a person or by the
      organisation itself, even with `force`.
    - The organisation's own judgement is replaced only by the organisation or with `force`.
    """
    if current is None or current.status == Status.NOT_ASSESSED:
        return True
    if current.judged_by == JudgedBy.AUTOMATIC:
        return True
    if judged_by == JudgedBy.AUTOMATIC:
        return False
    if current.judged_by == JudgedBy.ORGANISATION and judged_by != JudgedBy.ORGANISATION:
        return force
    return True


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

    The evidence replaces any evidence the ask had. Each quote must occur verbatim in its
    recommendation's text, and only realised or partly realised asks carry evidence.
    With `expected_version` (the version the writer read; 0 for "no judgement yet"), a
    judgement that has moved on since raises StaleJudgement.
    Raises JudgementProtected when `may_replace` refuses, ValidationError on bad values,
    among them an automatic suggestion of absent (Assessment's constraints, checked by
    `full_clean` with their messages); whatever is raised, nothing is written. The history records `user` and `reason`.
    """
    current = Assessment.objects.select_for_update().filter(ask=ask).first()
    refuse_unless_writable(
        current=current,
        ask=ask,
        judged_by=judged_by,
        force=force,
        expected_version=expected_version,
    )
    if evidence and status not in HEARD:
        raise ValidationError(
            {"status": f"Only realised or partly realised asks carry evidence, not {status!r}."}
        )
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

    The same rules as `record`'s (`refuse_unless_writable`): a stale edit raises
    StaleJudgement, a judgement `may_replace` refuses to replace raises
    JudgementProtected. ValidationError on bad values, among them an organisation's own
    judgement whose rationale does not quote its document word for word; whatever is
    raised, nothing is written. The history records `user` and `reason`.
    """
    current = GovernmentAssessment.objects.select_for_update().filter(ask=ask).first()
    refuse_unless_writable(
        current=current,
        ask=ask,
        judged_by=judged_by,
        force=force,
        expected_version=expected_version,
    )
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


def refuse_unless_writable(
    *,
    current: Judgement | None,
    ask: Ask,
    judged_by: str,
    force: bool,
    expected_version: int | None,
) -> None:
    """Raise unless a judgement by `judged_by` may now replace `current`, the judgement
    of `ask` as locked by the writer: StaleJudgement (or ValidationError, when it is gone)
    if it is no longer at `expected_version` (0 for "no judgement yet"; None not to
    check), JudgementProtected if `may_replace` refuses."""
    if expected_version is not None and expected_version != (current.version if current else 0):
        if current is None:
            raise ValidationError("The judgement you were editing no longer exists.")
        raise StaleJudgement(current, expected_version=expected_version)
    if not may_replace(current=current, judged_by=judged_by, force=force):
        raise JudgementProtected(
            f"Ask {ask.pk} is already judged by {current.get_judged_by_display().lower()}; "
            f"{JudgedBy(judged_by).label.lower() if judged_by in JudgedBy.values else judged_by} "
            "may not replace that judgement."
        )


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


def changes_since(assessment: Judgement, *, version: int) -> list[str]:
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


def _label(assessment: Judgement, field: str, value: str) -> str:
    """A status or judge as the assessment's own form words it: the Government's response
    takes an ask up, the Final Report realises it."""
    return dict(type(assessment)._meta.get_field(field).choices).get(value, value)
