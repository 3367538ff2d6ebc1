"""The rules that asks and judgements obey, one function each, each with its message.

`assessments.record` and `record_government`, the models' `clean()`, the splitter, the CSV
importer, the matcher's suggestions and admin's forms all call these, so that a rule and
what it tells people change in one place. Each `check_*` returns nothing when the rule
holds and raises when it does not: a ValidationError, or for judgements (of the Final
Report or of the Government's response) one of the two exceptions below, which callers
tell apart because they offer different ways on.

A module of its own rather than part of `assessments`: the models' `clean()` needs the
verbatim rules too, and `assessments` imports the models.
"""

from django.core.exceptions import ValidationError

from .models import HEARD, Assessment, GovernmentAssessment, JudgedBy, Status

# Either judgement of an ask: the Final Report's, or the Government's response's. The
# rules about stale edits and whose judgement may replace whose hold for both alike.
Judgement = Assessment | GovernmentAssessment


class JudgementProtected(Exception):
    """The ask already carries a judgement that this write may not replace. `forceable`
    says whether the writer may replace it by saying so explicitly (`force`)."""

    def __init__(self, message: str, *, forceable: bool):
        self.forceable = forceable
        super().__init__(message)


class StaleJudgement(Exception):
    """Someone else changed the judgement since the writer read it: writing now would
    overwrite their change unseen."""

    def __init__(self, current: Judgement, *, expected_version: int):
        self.current = current
        self.expected_version = expected_version
        super().__init__(
            "Someone else saved this ask's judgement while you were editing it, so yours "
            "was not saved."
        )


def not_utf8(what: str, *, where: str) -> str:
    """How text that is not UTF-8 is refused, by importers and admin alike: `what` is
    not, `where` shows it, and what to do."""
    return f"{what} is not UTF-8 text ({where}); save it as UTF-8 and try again."


def check_is_utf8_text(text: str, *, what: str) -> None:
    """Text holds no U+FFFD, the replacement character: it stands for bytes that were not
    UTF-8, put there when a form or a file was decoded leniently (Django decodes a form
    so, and an editor may paste from a file that was). Importers refuse such bytes as they
    read them; text that arrives already decoded is refused here, in the same words.
    Nothing in the corpus holds one, so a genuine U+FFFD is refused too."""
    if (index := text.find("\ufffd")) >= 0:
        raise ValidationError(
            not_utf8(
                what,
                where=f"character {index + 1:,} is U+FFFD, which stands for bytes that were not UTF-8",
            ),
            code="not_utf8",
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


def missing_lines(text: str, *, source: str) -> list[str]:
    """The lines of `text` that do not occur word for word in `source`: none when `text`
    quotes it faithfully, a sentence or passage a line."""
    return [line for line in text.splitlines() if line.strip() and line not in source]


def check_own_verdict_is_verbatim(*, rationale: str, judged_by: str, document) -> None:
    """The organisation's own verdict on the Government's response gives its reasons in
    its document's words, one sentence or passage a line, each found there word for word.
    An editor's rationale is in our words, and not checked."""
    if judged_by != JudgedBy.ORGANISATION:
        return
    if missing := missing_lines(rationale, source=document.text):
        raise ValidationError(
            "The organisation's own judgement quotes its document word for word, one "
            "sentence a line; not found there: “%(line)s”.",
            code="verdict_not_verbatim",
            params={"line": missing[0]},
        )


def check_named_as_is_verbatim(*, named_as: str, document) -> None:
    """A recommendation that a verdict on the Government's response names is named in the
    words of the ask's document, exactly."""
    if named_as not in document.text:
        raise ValidationError(
            "The words naming a recommendation must be quoted exactly from the ask's document.",
            code="named_as_not_verbatim",
        )


def check_note_is_verbatim(*, evidence: str, document) -> None:
    """An organisation's note rests on a sentence of its document, quoted exactly."""
    if evidence not in document.text:
        raise ValidationError(
            "The evidence must be quoted exactly from the document's text.",
            code="note_not_verbatim",
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


def check_may_replace(*, current: Judgement | None, judged_by: str, force: bool = False) -> None:
    """Raise JudgementProtected unless a judgement by `judged_by` may replace `current`,
    an ask's judgement of the Final Report or of the Government's response.

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


def check_not_stale(*, current: Judgement | None, expected_version: int | None) -> None:
    """A write based on the judgement (of either kind) at `expected_version` (0 for "no judgement yet";
    None for a writer that does not say) is refused when the judgement has moved on:
    StaleJudgement, or ValidationError if it was deleted meanwhile."""
    if expected_version is None or expected_version == (current.version if current else 0):
        return
    if current is None:
        raise ValidationError("The judgement you were editing no longer exists.")
    raise StaleJudgement(current, expected_version=expected_version)
