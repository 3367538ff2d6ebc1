"""Storing the matcher's suggestions as automatic judgements, for many asks at once.

Both `suggest_matches` and the admin's "suggest recommendations" action come here; the
writing itself goes through `assessments.record`, which never lets an automatic
suggestion replace a judgement made by a person or by the organisation itself, nor say
that an ask is absent.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import transaction

import matching
from recommendations.models import Recommendation

from . import assessments, rules
from .models import Ask, JudgedBy, Status


@dataclass(frozen=True)
class Stored:
    partly: int
    """Asks stored as partly realised, citing their close matches as evidence."""
    no_close_match: int
    """Asks with no close match, left not assessed for a person to judge."""
    withdrawn: int
    """Of those, asks whose earlier automatic suggestion was withdrawn."""
    skipped: int
    """Asks left alone because a person or the organisation had judged them."""

    def __str__(self):
        withdrawn = (
            f" ({self.withdrawn} earlier automatic suggestion"
            f"{'s' if self.withdrawn != 1 else ''} withdrawn)"
            if self.withdrawn
            else ""
        )
        return (
            f"Stored {self.partly} automatic suggestion{'s' if self.partly != 1 else ''}, "
            f"partly realised with evidence. {self.no_close_match} "
            f"ask{'s' if self.no_close_match != 1 else ''} with no close match among the "
            f"recommendations held, left for a person{withdrawn}. Skipped {self.skipped} "
            f"ask{'s' if self.skipped != 1 else ''} judged by a person or by the "
            "organisation itself."
        )


def _rationale(matches: list[matching.Suggestion]) -> str:
    cited = ", ".join(f"{m.recommendation.ref} ({m.score:.1f})" for m in matches)
    return f"Automatic suggestion from shared words: {cited}. Not checked by a person."


@transaction.atomic
def store_suggestions(
    *,
    asks: Sequence[Ask],
    recommendations: Sequence[Recommendation],
    user=None,
    on_progress: Callable[[int], None] = lambda done: None,
) -> Stored:
    """Store, for each of `asks` (with their assessments selected) that has close
    matches, an automatic suggestion: partly realised, citing them as evidence; all in
    one transaction. An ask with no close match is never stored as absent: the matcher
    cannot tell that the Review left it out, so it is left not assessed, and counted.
    Asks that a person or the organisation judged are skipped and counted. `on_progress`
    is told how many more asks are dealt with, the skipped ones first."""
    open_asks, skipped = [], 0
    for ask in asks:
        try:
            rules.check_may_replace(
                current=getattr(ask, "assessment", None), judged_by=JudgedBy.AUTOMATIC
            )
        except rules.JudgementProtected:
            skipped += 1
        else:
            open_asks.append(ask)

    on_progress(skipped)

    partly = no_close_match = withdrawn = 0
    for start in range(0, len(open_asks), matching.BATCH_SIZE):
        batch = open_asks[start : start + matching.BATCH_SIZE]
        ranked = matching.suggest(texts=[a.text for a in batch], recommendations=recommendations)
        for ask, suggestions in zip(batch, ranked):
            matches = matching.close_matches(suggestions=suggestions)
            if matches:
                # Never realised: shared words cannot tell whether all of the ask was.
                assessments.record(
                    ask=ask,
                    status=Status.PARTLY,
                    judged_by=JudgedBy.AUTOMATIC,
                    rationale=_rationale(matches),
                    evidence=[
                        (
                            m.recommendation,
                            matching.evidence_quote(
                                recommendation_text=m.recommendation.text,
                                shared_words=m.shared_words,
                            ),
                        )
                        for m in matches
                    ],
                    user=user,
                    reason="Automatic suggestion",
                )
                partly += 1
                continue
            no_close_match += 1
            current = getattr(ask, "assessment", None)
            # An earlier suggestion whose evidence the matcher no longer finds (the
            # recommendations or the matcher changed since) would go on showing as if it
            # still held, so it is withdrawn; its history keeps what it said.
            if current is not None and current.judged_by == JudgedBy.AUTOMATIC:
                assessments.record(
                    ask=ask,
                    status=Status.NOT_ASSESSED,
                    judged_by=JudgedBy.AUTOMATIC,
                    user=user,
                    reason="Automatic suggestion withdrawn: no close match",
                )
                withdrawn += 1
        on_progress(len(batch))
    return Stored(
        partly=partly, no_close_match=no_close_match, withdrawn=withdrawn, skipped=skipped
    )
