"""Typo-tolerant search over organisations, asks and recommendations.

`search` is the one way in. What it finds is defined once, here, in terms PostgreSQL
answers from its GIN indexes.

Words are runs of letters and digits, compared lowercased (`recommendations.words`). An
item is found by the query when one of its fields

1. holds the query's words in their order, one after another: a *phrase*, score 100;
2. holds all the query's words, in any order (full-text search: words as typed, digits
   apart from letters); or
3. has a stretch that is like the query, letter by letter (pg_trgm's word similarity of
   at least 0.6, its default threshold: "stayng close" finds "Staying Close", and
   "carer" finds "carers").

A recommendation is also found by the summary of a government stage (what the
Government did with it), by the same rules: then it scores as the better of itself and
its best stage, and the hit names that stage.

Items holding the phrase come first, by id; the rest follow by their best field's word
similarity, then id. When `limit` items hold the phrase nothing else is ranked, and the
long texts (an ask's text) are looked through for a likeness (rule 3) only when the
other rules found fewer than `limit`: rechecking thousands of long texts that share a
common word is most of what a search would cost. A recommendation's ref ("6.x3") is an
identifier, found whole (score 100), never by its words.
"""

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.contrib.postgres.search import SearchQuery, TrigramWordSimilarity
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from plaintext import plain
from recommendations.models import GovernmentStage, Recommendation
from recommendations.words import NOT_A_WORD, terms, words, words_vector
from responses.models import Ask, Organisation

T = TypeVar("T")

# Shorter queries match nearly everything by accident: letters and digits, not spaces.
MIN_QUERY_LENGTH = 3
# As long as the search box takes; a longer query only costs time, in Python or SQL.
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class Hit(Generic[T]):
    item: T
    # How close, out of 100: 100 for a phrase or a ref, else 100 × word similarity.
    score: float
    # For a recommendation, the stage whose summary the query found best, if any.
    stage: GovernmentStage | None = None


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
        return sum(map(len, words(clean_query(self.query)))) < MIN_QUERY_LENGTH


def clean_query(query: str) -> str:
    """The query as search reads it: made `plain` (curly quotes straight, what is not
    printable a space), accents dropped, spaces collapsed, at most MAX_QUERY_LENGTH
    characters."""
    decomposed = unicodedata.normalize("NFKD", plain(query))
    unaccented = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", unaccented).strip()[:MAX_QUERY_LENGTH]


@dataclass(frozen=True)
class Searched:
    """One kind of result: where to look, and which of its fields are what."""

    items: QuerySet
    fields: Sequence[str]
    # Looked through for a likeness only when the other rules find too few.
    long_fields: Sequence[str] = ()
    # Identifiers, found whole and case aside, never by their words.
    exact_fields: Sequence[str] = ()


def search(*, query: str, limit: int = 10) -> SearchResults:
    """Organisations, asks and recommendations that the query finds (see the module's
    docstring), best first, at most `limit` of each. Asks are the counted ones (no
    digest points, no earlier wordings), annotated with their `status`; a query of fewer
    than three letters or digits, or a `limit` below one, finds nothing."""
    results = SearchResults(query=query)
    if results.too_short or limit < 1:
        return results
    wanted = clean_query(query)
    return SearchResults(
        query=query,
        organisations=_hits(wanted, SEARCHED["organisations"](), limit=limit),
        asks=_hits(wanted, SEARCHED["asks"](), limit=limit),
        recommendations=_with_stages_found(
            _hits(wanted, SEARCHED["recommendations"](), limit=limit),
            wanted,
            limit=limit,
        ),
    )


def _with_stages_found(hits: list[Hit], wanted: str, *, limit: int) -> list[Hit]:
    """The recommendations `hits` found, and those whose stages' summaries the query
    finds, each at the better of its own score and its best stage's, best first, at most
    `limit`. Among the best `limit` × (most stages of one recommendation) stages are the
    best stages of the best `limit` recommendations, however their stages crowd."""
    most = (
        GovernmentStage.objects.values("recommendation")
        .annotate(stages=Count("pk"))
        .order_by("-stages")
        .values_list("stages", flat=True)
        .first()
    )
    if not most:
        return hits
    found = {hit.item.pk: hit for hit in hits}
    for stage_hit in _hits(wanted, SEARCHED["stages"](), limit=limit * most):
        stage = stage_hit.item
        own = found.get(stage.recommendation_id)
        if own is None:
            found[stage.recommendation_id] = Hit(stage.recommendation, stage_hit.score, stage)
        elif own.stage is None:
            found[own.item.pk] = Hit(own.item, max(own.score, stage_hit.score), stage)
    # A stable sort: of equal scores, the recommendations' own order, then the stages'.
    return sorted(found.values(), key=lambda hit: -hit.score)[:limit]


SEARCHED: dict[str, Callable[[], Searched]] = {
    "organisations": lambda: Searched(items=Organisation.objects.all(), fields=["name"]),
    "asks": lambda: Searched(
        items=Ask.objects.counted().with_status().select_related("document__organisation"),
        fields=["title", "text"],
        long_fields=["text"],
    ),
    "recommendations": lambda: Searched(
        items=Recommendation.objects.select_related("chapter"),
        fields=["title", "text"],
        exact_fields=["ref"],
    ),
    # Found for their recommendations (`_with_stages_found`), not listed on their own.
    "stages": lambda: Searched(
        items=GovernmentStage.objects.select_related("recommendation__chapter"),
        fields=["summary"],
    ),
}


def _hits(wanted: str, searched: Searched, *, limit: int) -> list[Hit]:
    items = searched.items.order_by()
    query_words = words(wanted)
    # Rule 1, as a case-insensitive regular expression, which the trigram indexes serve.
    phrase = f"(^|{NOT_A_WORD})" + f"{NOT_A_WORD}+".join(query_words) + f"({NOT_A_WORD}|$)"
    holding = Q()
    for name in searched.fields:
        holding |= Q(**{f"{name}__iregex": phrase})
    held = list(items.filter(holding).order_by("pk")[:limit])
    hits = [Hit(item=item, score=100.0) for item in held]

    # Rules 3 and 2 (and a ref, whole): `%>` and `@@` are what the GIN indexes answer.
    # In this order, because PostgreSQL rechecks the rows an index gives, left to right:
    # a short field's likeness is quicker to measure than a long text's words are to find.
    matches = Q()
    for name in searched.fields:
        if name not in searched.long_fields:
            matches |= Q(**{f"{name}__trigram_word_similar": wanted})
    for name in searched.exact_fields:
        matches |= Q(**{f"{name}__iexact": wanted})
    matches |= Q(
        all_words=SearchQuery(" ".join(terms(wanted)), config="simple", search_type="plain")
    )
    annotated = items.alias(all_words=words_vector(*searched.fields))
    found = annotated.filter(matches)
    if searched.long_fields:
        alike = Q()
        for name in searched.long_fields:
            alike |= Q(**{f"{name}__trigram_word_similar": wanted})
        # PostgreSQL runs the second half of the union only if the first found too few
        # (a one-time filter), so a page's query count does not depend on the data. All
        # of them are counted: asked for the first few, PostgreSQL would walk the asks in
        # order and build each one's full-text vector until enough turned up.
        how_many = Subquery(
            found.order_by().values(all=Value(1)).annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        )
        too_few = Q(found_before__lt=limit)
        found = items.filter(
            pk__in=found.values("pk").union(
                annotated.alias(found_before=Coalesce(how_many, 0))
                .filter(too_few, alike)
                .values("pk")
            )
        )
    likeness = [TrigramWordSimilarity(wanted, name) for name in searched.fields]
    similarity = Greatest(*likeness) if len(likeness) > 1 else likeness[0]
    if searched.exact_fields:
        similarity = Case(
            *(
                When(**{f"{name}__iexact": wanted}, then=Value(1.0))
                for name in searched.exact_fields
            ),
            default=similarity,
            output_field=FloatField(),
        )
    # The few that hold the phrase are among the found too (it is no dearer to leave them
    # in than to filter them out), so the best `limit` of the found leave enough. Like
    # the union above, a one-time filter: the query runs, and finds nothing, when
    # `limit` hold the phrase.
    ranked = (
        found.filter(~Exists(items.filter(holding).values("pk")[limit - 1 : limit]))
        .annotate(similarity=similarity)
        .order_by(F("similarity").desc(), "pk")[:limit]
    )
    holders = {item.pk for item in held}
    hits += [
        Hit(item=item, score=round(100 * item.similarity, 1))
        for item in ranked
        if item.pk not in holders
    ]
    return hits[:limit]
