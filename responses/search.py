"""Typo-tolerant search over organisations, asks and recommendations.

`search` is the one way in. On PostgreSQL the database does the work: full-text search
(English stems, so "carer" finds "carers") or trigram word similarity (pg_trgm, so
"stayng" finds "staying"), both served by the GIN indexes of the `search_indexes`
migrations. Elsewhere (SQLite) it compares the query with every name, title and text in
Python with rapidfuzz. The two rank differently; what both promise is this, and
tests/test_search.py checks it on both databases:

- a word or phrase that occurs finds what holds it, and a misspelt one still does;
- case, accents, curly quotes and spacing in the query do not change what it finds;
- each kind of result is best first, at most `limit` of it;
- asks are the counted ones (no digest points, no earlier wordings of a restated ask);
- an empty, short or hostile query (NUL bytes, 10,000 characters, SQL) finds nothing or
  something, never an error.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.contrib.postgres.search import SearchQuery, SearchVector, TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, Exists, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from recommendations.models import Recommendation

from .models import Ask, Organisation

T = TypeVar("T")

# Shorter queries match nearly everything by accident.
MIN_QUERY_LENGTH = 3
# As long as the search box takes; a longer query only costs time, in Python or SQL.
MAX_QUERY_LENGTH = 200
# rapidfuzz's score out of 100: "stayng close" scores about 92 against "Staying Close",
# chance matches in long texts stay below this.
MIN_SCORE = 84

# Curly quotes as typed on phones and pasted from documents, read as straight ones.
STRAIGHT_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


@dataclass(frozen=True)
class Hit(Generic[T]):
    item: T
    # How close, out of 100; comparable within one kind of result on one database.
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
        return len(default_process(clean_query(self.query))) < MIN_QUERY_LENGTH


def clean_query(query: str) -> str:
    """The query as search reads it: no control characters (PostgreSQL refuses NUL) or
    lone surrogates (which cannot be encoded), accents and curly quotes made plain, spaces
    collapsed, at most MAX_QUERY_LENGTH characters."""
    decomposed = unicodedata.normalize("NFKD", query.translate(STRAIGHT_QUOTES))
    plain = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cs") else c
        for c in decomposed
        if not unicodedata.combining(c)
    )
    return re.sub(r"\s+", " ", plain).strip()[:MAX_QUERY_LENGTH]


def search(*, query: str, limit: int = 10) -> SearchResults:
    """Organisations, asks and recommendations whose words come close to `query`,
    allowing for typos, best first, at most `limit` of each. Asks are the counted ones
    (no digest points, no earlier wordings), annotated with their `status`; a query
    shorter than three letters, or a `limit` below one, finds nothing."""
    results = SearchResults(query=query)
    if results.too_short or limit < 1:
        return results
    wanted = clean_query(query)
    found = _in_postgresql if connection.vendor == "postgresql" else _in_python
    return SearchResults(
        query=query,
        organisations=found(wanted, Organisation.objects.all(), fields=["name"], limit=limit),
        asks=found(
            wanted,
            Ask.objects.counted().with_status().select_related("document__organisation"),
            fields=["title", "text"],
            limit=limit,
            long_fields=["text"],
        ),
        recommendations=found(
            wanted,
            Recommendation.objects.select_related("chapter"),
            fields=["ref", "title", "text"],
            limit=limit,
        ),
    )


# PostgreSQL


def _in_postgresql(
    wanted: str,
    items: QuerySet,
    *,
    fields: list[str],
    limit: int,
    long_fields: Sequence[str] = (),
) -> list[Hit]:
    """`items` that hold `wanted`'s words (full text, English stems) or words like it
    (trigrams), ranked by how closely their best field holds it, then by id. Those that
    hold `wanted`'s words in its order, whatever their case and the spaces or marks
    between them, come first with a score of 100: no field holds it more closely.

    Misspellings are looked for in `long_fields` only when the other fields give fewer
    than `limit` results: rechecking the trigrams of thousands of long texts that share
    a common word ("foster", "family") is most of the time a search would take. For the
    same reason the others are ranked only when fewer than `limit` items hold its
    words: measuring the likeness of a long text is what costs. Each of these is a
    one-time filter inside the query, so that a page's query count does not depend on
    the data."""
    # A recommendation's ref ("6.x3") is an identifier: found whole, not by its words.
    exact = [name for name in fields if name == "ref"]
    words = [name for name in fields if name != "ref"]
    terms = SearchQuery(wanted, config="english", search_type="websearch")
    likeness = [TrigramWordSimilarity(wanted, name) for name in words]
    similarity = Greatest(*likeness) if len(likeness) > 1 else likeness[0]
    if exact:
        similarity = Case(
            *(When(**{f"{name}__iexact": wanted}, then=Value(1.0)) for name in exact),
            default=similarity,
            output_field=FloatField(),
        )
    # `@@` and `%>` are the operators the GIN indexes answer; similarity is computed
    # only for the rows they let through.
    matches = Q(found_by_words=terms)
    for name in exact:
        matches |= Q(**{f"{name}__iexact": wanted})
    for name in words:
        if name not in long_fields:
            matches |= Q(**{f"{name}__trigram_word_similar": wanted})
    searchable = items.annotate(found_by_words=SearchVector(*words, config="english")).order_by()
    found = searchable.filter(matches)
    if long_fields:
        misspelt = Q()
        for name in long_fields:
            misspelt |= Q(**{f"{name}__trigram_word_similar": wanted})
        # PostgreSQL runs the second half of the union only if the first found too few
        # (a one-time filter), so the long texts' trigrams are not rechecked otherwise.
        too_few = ~Exists(found.values("pk")[limit - 1 : limit])
        found = items.filter(
            pk__in=found.values("pk").union(searchable.filter(too_few, misspelt).values("pk"))
        )
    # Its words in its order, whole, whatever lies between them; as a case-insensitive
    # regular expression, which the trigram indexes serve (they do not serve Django's
    # UPPER(...) LIKE for icontains). A query of at least three letters has a word.
    phrase = r"(^|\W)" + r"\W+".join(re.findall(r"\w+", wanted)) + r"(\W|$)"
    holding = Q()
    for name in words:
        holding |= Q(**{f"{name}__iregex": phrase})
    held = items.filter(holding).order_by("pk")[:limit]
    # The few that hold it are among these too (it is no dearer to leave them in than
    # to filter them out) and only they can be: dropping them leaves enough.
    ranked = (
        found.filter(~Exists(held.values("pk")[limit - 1 : limit]))
        .annotate(similarity=similarity)
        .order_by(F("similarity").desc(), "pk")[:limit]
    )
    hits = [Hit(item=item, score=100.0) for item in held]
    holders = {hit.item.pk for hit in hits}
    hits += [
        Hit(item=item, score=round(100 * item.similarity, 1))
        for item in ranked
        if item.pk not in holders
    ]
    return hits[:limit]


# SQLite and anything else: rapidfuzz in Python


def _in_python(
    wanted: str,
    items: Iterable[T],
    *,
    fields: list[str],
    limit: int,
    long_fields: Sequence[str] = (),
) -> list[Hit[T]]:
    """`items` whose fields come close to `wanted` by rapidfuzz's score, best first.
    Every field is compared, long or not: `long_fields` matters only to PostgreSQL."""
    wanted = default_process(wanted)
    return _best(wanted, items, lambda item: [getattr(item, name) for name in fields], limit=limit)


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
