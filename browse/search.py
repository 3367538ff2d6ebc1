"""Typo-tolerant search over organisations, asks and recommendations.

`search` is the one way in, and it finds the same results, in the same order and with
the same scores, on PostgreSQL and on SQLite. What it finds is defined once, here, in
terms PostgreSQL answers from its GIN indexes; `_in_python` computes the same thing row
by row for SQLite, with pg_trgm's arithmetic ported exactly (`word_similarity`), and
tests/test_search.py checks the two against each other and against PostgreSQL's own
functions.

Words are runs of letters and digits, compared lowercased (`recommendations.words`). An
item is found by the query when one of its fields

1. holds the query's words in their order, one after another: a *phrase*, score 100;
2. holds all the query's words, in any order (full-text search: words as typed, digits
   apart from letters); or
3. has a stretch that is like the query, letter by letter (pg_trgm's word similarity of
   at least 0.6, its default threshold: "stayng close" finds "Staying Close", and
   "carer" finds "carers").

Items holding the phrase come first, by id; the rest follow by their best field's word
similarity, then id. When `limit` items hold the phrase nothing else is ranked, and the
long texts (an ask's text) are looked through for a likeness (rule 3) only when the
other rules found fewer than `limit`: rechecking thousands of long texts that share a
common word is most of what a search would cost. A recommendation's ref ("6.x3") is an
identifier, found whole (score 100), never by its words.
"""

import re
import struct
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.contrib.postgres.search import SearchQuery, TrigramWordSimilarity
from django.db import connection
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
from django.db.models.functions import Cast, Coalesce, Greatest

from plaintext import plain
from recommendations.models import Recommendation
from recommendations.words import NOT_A_WORD, terms, words, words_vector
from responses.models import Ask, Organisation

T = TypeVar("T")

# Shorter queries match nearly everything by accident: letters and digits, not spaces.
MIN_QUERY_LENGTH = 3
# As long as the search box takes; a longer query only costs time, in Python or SQL.
MAX_QUERY_LENGTH = 200
# pg_trgm's default `pg_trgm.word_similarity_threshold`, which its `%>` operator (the one
# the trigram indexes serve) compares with.
LIKENESS = 0.6


@dataclass(frozen=True)
class Hit(Generic[T]):
    item: T
    # How close, out of 100: 100 for a phrase or a ref, else 100 × word similarity.
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
    found = _in_postgresql if connection.vendor == "postgresql" else _in_python
    return SearchResults(
        query=query,
        organisations=found(wanted, SEARCHED["organisations"](), limit=limit),
        asks=found(wanted, SEARCHED["asks"](), limit=limit),
        recommendations=found(wanted, SEARCHED["recommendations"](), limit=limit),
    )


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
}


# PostgreSQL: the rules as queries its indexes answer


def _in_postgresql(wanted: str, searched: Searched, *, limit: int) -> list[Hit]:
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
        # The exact single-precision value, as `word_similarity` below computes it.
        .annotate(similarity=Cast(similarity, FloatField()))
        .order_by(F("similarity").desc(), "pk")[:limit]
    )
    holders = {item.pk for item in held}
    hits += [
        Hit(item=item, score=_score(item.similarity)) for item in ranked if item.pk not in holders
    ]
    return hits[:limit]


# SQLite and anything else: the same rules, row by row in Python


def _in_python(wanted: str, searched: Searched, *, limit: int) -> list[Hit]:
    query_words = words(wanted)
    query_terms = set(terms(wanted))
    held, found, alike = [], [], []
    for item in searched.items.order_by("pk"):
        texts = {name: getattr(item, name) for name in searched.fields}
        fields_words = [words(text) for text in texts.values()]
        if any(_holds(field_words, query_words) for field_words in fields_words):
            held.append(item)
            continue
        likeness = {name: word_similarity(wanted, text) for name, text in texts.items()}
        whole = any(getattr(item, name).upper() == wanted.upper() for name in searched.exact_fields)
        similarity = 1.0 if whole else max(likeness.values())
        if (
            whole
            or query_terms <= {term for text in texts.values() for term in terms(text)}
            or any(
                alike_enough >= LIKENESS
                for name, alike_enough in likeness.items()
                if name not in searched.long_fields
            )
        ):
            found.append((item, similarity))
        elif similarity >= LIKENESS:
            alike.append((item, similarity))
    hits = [Hit(item=item, score=100.0) for item in held[:limit]]
    # As on PostgreSQL, the long texts count only when the other rules found too few;
    # the phrase's holders are among those found, as all its words are in them.
    if len(held) + len(found) < limit:
        found += alike
    found.sort(key=lambda pair: (-pair[1], pair[0].pk))
    hits += [Hit(item=item, score=_score(similarity)) for item, similarity in found]
    return hits[:limit]


def _holds(field_words: list[str], query_words: list[str]) -> bool:
    n = len(query_words)
    return any(field_words[i : i + n] == query_words for i in range(len(field_words) - n + 1))


def _score(similarity: float) -> float:
    return round(100 * similarity, 1)


def _single(value: float) -> float:
    """`value` rounded to single precision, as pg_trgm computes with float4."""
    return struct.unpack("f", struct.pack("f", value))[0]


def _trigrams(text: str) -> list[str]:
    """pg_trgm's trigrams of `text`, in order: each word padded with two spaces before
    and one after."""
    found = []
    for word in words(text):
        padded = f"  {word} "
        found += [padded[i : i + 3] for i in range(len(padded) - 2)]
    return found


def word_similarity(query: str, text: str) -> float:
    """pg_trgm's `word_similarity(query, text)`: how much alike the query's trigrams are
    to those of the stretch of `text` most like them, from 0 to 1. A port of pg_trgm's
    `calc_word_similarity` and `iterative_match` (PostgreSQL 15), with its float4
    arithmetic, so that the two agree to the last bit (tested against PostgreSQL)."""
    wanted = set(_trigrams(query))
    sequence = _trigrams(text)
    if not wanted or not sequence:
        return 0.0
    found = [trigram in wanted for trigram in sequence]

    def alike(count: int, stretch: int) -> float:
        return _single(count / (len(wanted) + stretch - count))

    # Of the stretch sequence[lower:i + 1]: its distinct trigrams, how many of them are
    # the query's, and where each of them last occurs.
    last_seen: dict[str, int] = {}
    distinct = count = 0
    lower = -1
    best = 0.0
    for i, trigram in enumerate(sequence):
        if lower >= 0 or found[i]:
            if trigram not in last_seen:
                distinct += 1
                count += found[i]
            last_seen[trigram] = i
        if not found[i]:
            continue
        if lower == -1:
            lower, distinct = i, 1
        # Try every later start for the stretch that ends here, and keep the best.
        current = alike(count, distinct)
        trial_count, trial_distinct, previous_lower = count, distinct, lower
        for start in range(lower, i + 1):
            trial = alike(trial_count, trial_distinct)
            if trial > current:
                current, distinct, lower, count = trial, trial_distinct, start, trial_count
            if last_seen.get(sequence[start]) == start:
                trial_distinct -= 1
                trial_count -= found[start]
        best = max(best, current)
        for start in range(previous_lower, lower):
            if last_seen.get(sequence[start]) == start:
                del last_seen[sequence[start]]
    return best
