"""Storing the matcher's suggestions as automatic judgements, for many asks at once.

Both `suggest_matches` and the admin's "suggest recommendations" action come here; the
writing itself goes through `assessments.record`, which never lets an automatic
suggestion replace a judgement made by a person or by the organisation itself.
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
    absent: int
    skipped: int
    """Asks left alone because a person or the organisation had judged them."""

    @property
    def stored(self) -> int:
        return self.partly + self.absent

    def __str__(self):
        return (
            f"Stored {self.stored} automatic suggestion{'s' if self.stored != 1 else ''}: "
            f"{self.partly} partly realised, {self.absent} absent. Skipped {self.skipped} "
            f"ask{'s' if self.skipped != 1 else ''} judged by a person or by the "
            "organisation itself."
        )


def _rationale(status: matching.StatusSuggestion, best: matching.Suggestion | None) -> str:
    if status.status == Status.ABSENT:
        closest = f" (closest: {best.recommendation.ref}, {best.score:.1f})" if best else ""
        return (
            f"Automatic suggestion: no recommendation scored {matching.MATCH_THRESHOLD:.0f} "
            f"or more out of 100{closest}. Not checked by a person."
        )
    cited = ", ".join(f"{m.recommendation.ref} ({m.score:.1f})" for m in status.matches)
    return f"Automatic suggestion from shared words: {cited}. Not checked by a person."


@transaction.atomic
def store_suggestions(
    *,
    asks: Sequence[Ask],
    recommendations: Sequence[Recommendation],
    user=None,
    on_progress: Callable[[int], None] = lambda done: None,
) -> Stored:
    """Suggest a status and evidence for each of `asks` (with their assessments
    selected) and store it as an automatic suggestion, all in one transaction. Asks that
    a person or the organisation judged are skipped and counted. `on_progress` is told
    how many more asks are dealt with, the skipped ones first."""
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

    counts = {Status.PARTLY: 0, Status.ABSENT: 0}
    for start in range(0, len(open_asks), matching.BATCH_SIZE):
        batch = open_asks[start : start + matching.BATCH_SIZE]
        ranked = matching.suggest(texts=[a.text for a in batch], recommendations=recommendations)
        for ask, suggestions in zip(batch, ranked):
            status = matching.suggest_status(suggestions=suggestions)
            assessments.record(
                ask=ask,
                status=status.status,
                judged_by=JudgedBy.AUTOMATIC,
                rationale=_rationale(status, suggestions[0] if suggestions else None),
                evidence=[
                    (
                        m.recommendation,
                        matching.evidence_quote(
                            recommendation_text=m.recommendation.text,
                            shared_words=m.shared_words,
                        ),
                    )
                    for m in status.matches
                ],
                user=user,
                reason="Automatic suggestion",
            )
            counts[status.status] += 1
        on_progress(len(batch))
    return Stored(partly=counts[Status.PARTLY], absent=counts[Status.ABSENT], skipped=skipped)
