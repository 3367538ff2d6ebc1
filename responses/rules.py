"""The rules that asks and judgements obey, one function each, each with its message.

`assessments.record`, the models' `clean()`, the splitter, the CSV importer, the matcher's
suggestions and admin's forms all call these, so that a rule and what it tells people
change in one place. Each `check_*` returns nothing when the rule holds and raises when
it does not: a ValidationError, or for judgements one of the two exceptions below, which
callers tell apart because they offer different ways on.

A module of its own rather than part of `assessments`: the models' `clean()` needs the
verbatim rules too, and `assessments` imports the models.
"""

from django.core.exceptions import ValidationError

from .models import HEARD, Assessment, JudgedBy, Status


class JudgementProtected(Exception):
    """The ask already carries a judgement that this write may not replace. `forceable`
    says whether the writer may replace it by saying so explicitly (`force`)."""

    def __init__(self, message: str, *, forceable: bool):
        self.forceable = forceable
        super().__init__(message)


class StaleJudgement(Exception):
    """Someone else changed the judgement since the writer read it: writing now would
    overwrite their change unseen."""

    def __init__(self, current: Assessment, *, expected_version: int):
        self.current = current
        self.expected_version = expected_version
        super().__init__(
            "Someone else saved this ask's judgement while you were editing it, so yours "
            "was not saved."
        )


def check_ask_is_verbatim(*, text: str, document) -> None:
    """An ask is quoted exactly as it appears in its document's text."""
    if text not in document.text:
        raise ValidationError(
            "The ask must be quoted exactly as it appears in the document's text.",
            code="ask_not_verbatim",
        )


def check_quote_is_verbatim(*, quote: str, recommendation) -> None:
    """Evidence quotes its recommendation's text word for word."""
    if quote not in recommendation.text:
        raise ValidationError(
            "The evidence is not quoted exactly from recommendation %(ref)s's text.",
            code="quote_not_verbatim",
            params={"ref": recommendation.ref},
        )


def check_evidence_allowed(*, status: str, with_evidence: bool) -> None:
    """Only realised or partly realised asks carry evidence: a recommendation cannot show
    that the Review left an ask out."""
    if with_evidence and status not in HEARD:
        shown = Status(status).label.lower() if status in Status.values else repr(status)
        raise ValidationError(
            "Only realised or partly realised asks carry evidence, not an ask that is %(status)s.",
            code="evidence_not_allowed",
            params={"status": shown},
        )


def check_may_replace(*, current: Assessment | None, judged_by: str, force: bool = False) -> None:
    """Raise JudgementProtected unless a judgement by `judged_by` may replace `current`.

    - Anything may replace "not assessed" or another automatic suggestion.
    - An automatic suggestion never replaces a judgement made by a person or by the
      organisation itself, even with `force`.
    - The organisation's own judgement is replaced only with `force`, even by a write that
      says it is the organisation's: that is an editor or a spreadsheet speaking for the
      organisation, and its judgement should not change unless they mean it to.
    """
    if current is None or current.status == Status.NOT_ASSESSED:
        return
    if current.judged_by == JudgedBy.AUTOMATIC:
        return
    if judged_by == JudgedBy.AUTOMATIC:
        whose = (
            "the organisation's own"
            if current.judged_by == JudgedBy.ORGANISATION
            else current.get_judged_by_display().lower()
        )
        raise JudgementProtected(
            f"An automatic suggestion may not replace ask {current.ask_id}'s {whose} judgement.",
            forceable=False,
        )
    if current.judged_by == JudgedBy.ORGANISATION and not force:
        raise JudgementProtected(
            f"Ask {current.ask_id} holds the organisation's own judgement, which is replaced "
            "only on purpose.",
            forceable=True,
        )


def check_not_stale(*, current: Assessment | None, expected_version: int | None) -> None:
    """A write based on the judgement at `expected_version` (0 for "no judgement yet";
    None for a writer that does not say) is refused when the judgement has moved on:
    StaleJudgement, or ValidationError if it was deleted meanwhile."""
    if expected_version is None or expected_version == (current.version if current else 0):
        return
    if current is None:
        raise ValidationError("The judgement you were editing no longer exists.")
    raise StaleJudgement(current, expected_version=expected_version)
