"""Typo-tolerant search over organisations, asks and recommendations.

`search` is the one way in, so that a PostgreSQL full-text branch can later sit behind the
same signature. This one compares the query with every name, title and text in Python
(rapidfuzz), which is quick at the size of the corpus: a few hundred short texts.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from recommendations.models import Recommendation

from .models import Ask, Organisation

T = TypeVar("T")

# Shorter queries match nearly everything by accident.
MIN_QUERY_LENGTH = 3
# Out of 100; "stayng close" scores about 92 against "Staying Close", chance matches in
# long texts stay below this.
MIN_SCORE = 84


@dataclass(frozen=True)
class Hit(Generic[T]):
    item: T
    score: float


@dataclass(frozen=True)
class SearchResults:
    query: str
    organisations: list[Hit[Organisation]] = field(default_factory=list)
    asks: list[Hit[Ask]] = field(default_factory=list)
    recommendations: list[Hit[Recommendation]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.organisations) + len(self.asks) + len(self.recommendations)

    @property
    def too_short(self) -> bool:
        return len(default_process(self.query)) < MIN_QUERY_LENGTH


def search(*, query: str, limit: int = 10) -> SearchResults:
    """Organisations, asks and recommendations whose words come close to `query`,
    allowing for typos, best first, at most `limit` of each. Asks are the counted ones
    (no digest points, no earlier wordings), annotated with their `status`; a query
    shorter than three letters finds nothing."""
    results = SearchResults(query=query)
    wanted = default_process(query)
    if results.too_short:
        return results
    return SearchResults(
        query=query,
        organisations=_best(wanted, Organisation.objects.all(), lambda o: [o.name], limit=limit),
        asks=_best(
            wanted,
            Ask.objects.counted().with_status().select_related("document__organisation"),
            lambda a: [a.title, a.text],
            limit=limit,
        ),
        recommendations=_best(
            wanted,
            Recommendation.objects.select_related("chapter"),
            lambda r: [r.ref, r.title, r.text],
            limit=limit,
        ),
    )


def _best(
    wanted: str, items: Iterable[T], texts: Callable[[T], Sequence[str]], *, limit: int
) -> list[Hit[T]]:
    hits = []
    for item in items:
        score = max(_score(wanted, default_process(text)) for text in texts(item))
        if score >= MIN_SCORE:
            hits.append(Hit(item=item, score=score))
    hits.sort(key=lambda hit: -hit.score)
    return hits[:limit]


def _score(wanted: str, text: str) -> float:
    if wanted in text:
        return 100.0
    # Against a short text (a name) the whole-text ratio forgives a dropped letter better
    # than the best window of a long text does.
    return max(fuzz.ratio(wanted, text), fuzz.partial_ratio(wanted, text))
