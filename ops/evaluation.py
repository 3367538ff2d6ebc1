"""How well the matcher agrees with judgements people made: a gold file's asks, run
through `matching.suggest`, and the figures that compare the two.

Besides recall, it measures the match threshold against the gold's absent verdicts: how
often "no close match" falls on the asks the gold says were left out, and a close match on
those it says were heard. carereview never stores "absent" from that (MATCH_THRESHOLD says
why); the figure is there to show whether the threshold could ever bear such a verdict, next
to what answering "heard" every time would score."""

from collections.abc import Sequence
from dataclasses import dataclass

import matching
from recommendations.models import Recommendation
from responses.models import Status

GOLD_STATUSES = (Status.REALISED, Status.PARTLY, Status.ABSENT)


class GoldFileError(ValueError):
    """The gold file is not a list of asks in the expected shape."""


@dataclass(frozen=True)
class GoldAsk:
    organisation: str
    ask: str
    status: str
    recommendations: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    gold: GoldAsk
    expected: frozenset[str]
    """The gold's refs that the database holds."""
    unknown: tuple[str, ...]
    """The gold's refs that the database does not hold."""
    suggestions: list[matching.Suggestion]
    close: bool
    """Whether any suggestion is a close match (`matching.close_matches`)."""

    @property
    def ranked_refs(self) -> list[str]:
        return [s.recommendation.ref for s in self.suggestions]

    @property
    def counts_for_recall(self) -> bool:
        return self.gold.status != Status.ABSENT and bool(self.expected)

    @property
    def top1(self) -> bool:
        return bool(self.expected & set(self.ranked_refs[:1]))

    @property
    def top3(self) -> bool:
        return bool(self.expected & set(self.ranked_refs[:3]))

    @property
    def threshold_agrees(self) -> bool:
        """Whether "no close match" and the gold's absent coincide (or a close match and
        the gold's heard)."""
        return (not self.close) == (self.gold.status == Status.ABSENT)


@dataclass(frozen=True)
class Figures:
    top1_recall: float
    top3_recall: float
    threshold_agreement: float
    """The share of asks whose "no close match" or close match agrees with the gold's
    absent or heard."""
    always_heard_agreement: float
    """The same share for answering "heard" every time: the threshold's bar to clear."""
    n: int

    def __str__(self):
        return (
            f"top1_recall={self.top1_recall:.2f} top3_recall={self.top3_recall:.2f} "
            f"threshold_agreement={self.threshold_agreement:.2f} "
            f"always_heard_agreement={self.always_heard_agreement:.2f} n={self.n}"
        )


def parse_gold(data: object) -> list[GoldAsk]:
    """The asks of a gold file's parsed JSON: a list of objects with `organisation`,
    `ask`, `status` (realised, partly or absent) and `recommendations` (a list of refs).
    Other keys are ignored. Raises GoldFileError naming the first bad entry."""
    if not isinstance(data, list) or not data:
        raise GoldFileError("the gold file must hold a non-empty JSON list of asks")
    asks = []
    for number, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            raise GoldFileError(f"entry {number} is not an object")
        for key in ("organisation", "ask", "status"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise GoldFileError(f"entry {number} has no {key!r} text")
        if entry["status"] not in GOLD_STATUSES:
            raise GoldFileError(
                f"entry {number} has status {entry['status']!r}; "
                f"expected one of {', '.join(GOLD_STATUSES)}"
            )
        refs = entry.get("recommendations", [])
        if not isinstance(refs, list) or not all(isinstance(ref, str) for ref in refs):
            raise GoldFileError(f"entry {number}'s 'recommendations' is not a list of refs")
        asks.append(
            GoldAsk(
                organisation=entry["organisation"],
                ask=entry["ask"],
                status=entry["status"],
                recommendations=tuple(refs),
            )
        )
    return asks


def _share(count: int, *, of: Sequence) -> float:
    return count / len(of) if of else 0.0


def evaluate(
    *, gold: Sequence[GoldAsk], recommendations: Sequence[Recommendation]
) -> tuple[list[Outcome], Figures]:
    """Run the matcher on each gold ask against `recommendations` and compare.

    Recall counts the asks the gold says were heard (not absent) and that cite at least
    one recommendation held here; the threshold's agreement, and answering "heard" every
    time, count every ask.
    """
    held = {r.ref for r in recommendations}
    ranked = matching.suggest(texts=[g.ask for g in gold], recommendations=recommendations)
    outcomes = [
        Outcome(
            gold=g,
            expected=frozenset(ref for ref in g.recommendations if ref in held),
            unknown=tuple(ref for ref in g.recommendations if ref not in held),
            suggestions=suggestions,
            close=bool(matching.close_matches(suggestions=suggestions)),
        )
        for g, suggestions in zip(gold, ranked)
    ]
    heard = [o for o in outcomes if o.counts_for_recall]
    figures = Figures(
        top1_recall=_share(sum(o.top1 for o in heard), of=heard),
        top3_recall=_share(sum(o.top3 for o in heard), of=heard),
        threshold_agreement=_share(sum(o.threshold_agrees for o in outcomes), of=outcomes),
        always_heard_agreement=_share(
            sum(o.gold.status != Status.ABSENT for o in outcomes), of=outcomes
        ),
        n=len(outcomes),
    )
    return outcomes, figures
