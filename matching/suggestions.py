"""Which recommendations an ask corresponds to: suggestions for a person to confirm.

An ask and the recommendation that answers it rarely share a sentence; they share a few
telling words ("Staying Close", "kinship", "advocacy"). So the score has two parts:

- word weight: a cosine over the words (and pairs of adjacent words) of the two texts,
  each weighed by how rare it is among the recommendations (inverse document frequency),
  so that "kinship" counts for far more than "children" or "care";
- likeness: rapidfuzz's `token_set_ratio` over the normalised texts, which forgives word
  order and wording that differs a little; for a whole batch of asks in one
  `process.cpdist` call over the pairs that could make an ask's suggestions.

Both work on `normalise`d text: lower case, straight quotes, British spellings, no stop
words, each word reduced to its stem ("carers" and "carer" are one word), and the field's
synonyms read as one word ("young people" and "children" are "child").

Nothing here touches the database or imports the project's apps: it is given texts and
anything with a recommendation's ref, title and text. And nothing here judges: `suggest`
ranks, `close_matches` picks the matches close enough to offer as evidence, and a person
says whether the Review realised the ask.
"""

import contextlib
import functools
import gc
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz, process

from .normalise import normalise_words

# --- Thresholds and weights: the only numbers that shape a suggestion -----------------

# The word weight carries most of the score because rare shared words are the strongest
# sign that two texts are about the same thing; likeness adds a little for wording that
# is close overall (more would reward long texts full of common words). The weights sum
# to 1, so a score stays between 0 and 100.
WORD_WEIGHT = 0.85
LIKENESS_WEIGHT = 0.15

# Pairs of adjacent words ("family help", "staying close") name things more precisely
# than either word alone, but they also repeat what the single words already counted:
# half weight keeps a shared phrase ahead without letting it swamp the rest.
PAIR_WEIGHT = 0.5

# A match scoring at least this is close enough to offer a person as evidence. Two texts
# that share only a common word or two ("children", "support") score below it; a shared
# rare word or phrase lifts a pair above it. It is not a verdict of absence: on 65 asks
# that organisations judged in their own published assessments (not in this repository),
# 17 of them left out by the Final Report, no threshold separated the asks left out from
# those taken up, and this one agreed with the organisations no more often than answering
# "heard" every time. So nothing below it is called absent: a person decides.
MATCH_THRESHOLD = 15.0

# Besides the best match, other recommendations are offered as evidence only when they
# come this close to it (a share of the best score): an ask often spans a few
# recommendations, but a long tail of weak matches is noise for the person checking.
EVIDENCE_MARGIN = 0.8
EVIDENCE_LIMIT = 3

# How many asks are scored together, so that memory stays bounded however many asks are
# matched at once.
BATCH_SIZE = 500

# Likeness is the slow part of a score, and the lengths of two texts' shared and other
# words set the least and the most it can be (`_likeness_bounds`). So it is scored first
# for the recommendations that could score highest, then for twice as many, and so on
# only while one not yet scored could still reach a text's suggestions: the result is
# exactly what scoring every pair gives. Starting at 8 scores about one pair in thirty
# for 40,000 synthetic asks and 250 recommendations (starting at 5 or 10 scores about
# as many, in more calls or fewer).
LIKELY_CANDIDATES = 8

# Room for float32's rounding of rapidfuzz's likeness, which the bounds leave out: more
# is safe, as it only rules out fewer pairs.
_ROUNDING = 0.001

# --- Suggestions -----------------------------------------------------------------------


class Recommendation(Protocol):
    """What the matcher reads of a recommendation (`recommendations.models.Recommendation`
    has it), and the ref by which callers name it."""

    ref: str
    title: str
    text: str


@dataclass(frozen=True)
class Suggestion:
    recommendation: Recommendation
    score: float
    """0 to 100: how close the recommendation is to the text."""
    shared_words: frozenset[str]
    """Normalised words that both texts contain, for highlighting with `highlight`."""


def _features(words: list[str]) -> set[str]:
    """A text's words and pairs of adjacent words."""
    return {*words, *map(" ".join, itertools.pairwise(words))}


def _likeness_text(words: list[str]) -> str:
    # `token_set_ratio` compares the sets of words, so their sorted unique words score
    # exactly as the words in order do, and rapidfuzz has less to sort for each pair.
    return " ".join(sorted(set(words)))


def recommendation_text(recommendation: Recommendation) -> str:
    """The words of a recommendation that the matcher compares with an ask."""
    return f"{recommendation.title}. {recommendation.text}"


@dataclass(frozen=True)
class _Prepared:
    """The recommendations' side of every comparison, worked out once for their texts."""

    word_sets: list[frozenset[str]]
    likeness_texts: list[str]
    likeness_lengths: np.ndarray
    """Each recommendation's `_likeness_length`."""
    rows: dict[str, int]
    """Each feature that some recommendation has, and its place in the arrays below."""
    squares: np.ndarray
    """Each feature's squared weight."""
    lengths: np.ndarray
    """Each feature's length plus one for a word, 0 for a pair of words: summed over the
    features two texts share, the `_likeness_length` of the words they share."""
    starts: np.ndarray
    holders: np.ndarray
    """The recommendations that have feature `f` are `holders[starts[f]:starts[f + 1]]`:
    postings as flat arrays, which grow with the recommendations' words, where a
    features-by-recommendations matrix would grow with their square."""
    norms: np.ndarray
    unseen_square: float
    """The squared weight of a word that no recommendation uses."""


def _likeness_length(text: str) -> int:
    # A likeness text's length plus one (0 for no words), so that the lengths of words
    # joined by spaces add up.
    return len(text) + 1 if text else 0


# Keyed by the recommendations' texts, so an edited one is prepared afresh; a few entries
# are enough for the sets a site compares against (every recommendation, one report's).
@functools.lru_cache(maxsize=8)
def _prepare(texts: tuple[str, ...]) -> _Prepared:
    words = [normalise_words(text) for text in texts]
    # Sorted, so that a text's weights are always added in one order.
    features = [sorted(_features(w)) for w in words]
    holders: dict[str, list[int]] = {}
    for column, fs in enumerate(features):
        for feature in fs:
            holders.setdefault(feature, []).append(column)
    count = len(texts)
    rows = {feature: row for row, feature in enumerate(sorted(holders))}
    frequency = np.array([len(holders[feature]) for feature in rows])
    # Smoothed IDF; a word no recommendation uses is as rare as a word can be.
    idf = np.log((1 + count) / (1 + frequency)) + 1
    unseen = math.log(1 + count) + 1
    pairs = np.array([" " in feature for feature in rows], dtype=bool)
    squares = np.where(pairs, idf * PAIR_WEIGHT, idf) ** 2
    norms = np.sqrt([squares[[rows[f] for f in fs]].sum() for fs in features])
    likeness_texts = [_likeness_text(w) for w in words]
    arrays = {
        "likeness_lengths": np.array([_likeness_length(t) for t in likeness_texts], dtype=float),
        "squares": squares,
        "lengths": np.where(pairs, 0, np.array([len(f) + 1 for f in rows], dtype=float)),
        "starts": np.concatenate([[0], np.cumsum(frequency)]),
        "holders": np.array([c for feature in rows for c in holders[feature]], dtype=np.intp),
        "norms": norms,
    }
    for array in arrays.values():
        array.flags.writeable = False
    return _Prepared(
        word_sets=[frozenset(w) for w in words],
        likeness_texts=likeness_texts,
        rows=rows,
        unseen_square=unseen**2,
        **arrays,
    )


def _cosines(*, batch_words: list[list[str]], prepared: _Prepared) -> tuple[np.ndarray, np.ndarray]:
    """Texts by recommendations: the cosine of their features, each weighed by rarity;
    and the `_likeness_length` of the words they share."""
    texts: list[int] = []
    found: list[int] = []
    get = prepared.rows.get
    for text, words in enumerate(batch_words):
        # Sorted, so that a text's weights are always added in one order: rows are
        # numbered in the order of their features.
        hits = sorted([row for feature in _features(words) if (row := get(feature)) is not None])
        found += hits
        texts += [text] * len(hits)
    rows = np.array(found, dtype=np.intp)
    of_text = np.array(texts, dtype=np.intp)
    # A sparse product in one step: each shared feature gives its squared weight to every
    # (text, recommendation) that has it, read from its postings, and bincount adds them
    # up cell by cell, in the order of each text's features.
    first = prepared.starts[rows]
    held = prepared.starts[rows + 1] - first
    postings = np.repeat(first - np.cumsum(held) + held, held) + np.arange(held.sum())
    shape = (len(batch_words), len(prepared.norms))
    cells = np.repeat(of_text, held) * shape[1] + prepared.holders[postings]
    numerators, shared = (
        np.bincount(
            cells, weights=np.repeat(weights[rows], held), minlength=shape[0] * shape[1]
        ).reshape(shape)
        for weights in (prepared.squares, prepared.lengths)
    )
    # A text's own phrases that no recommendation uses would only lengthen long texts;
    # its single words still count, as content the report lacks.
    unseen = np.array([len(set(words)) for words in batch_words]) - np.bincount(
        of_text, weights=prepared.lengths[rows] > 0, minlength=len(batch_words)
    )
    squares = unseen * prepared.unseen_square
    squares += np.bincount(of_text, weights=prepared.squares[rows], minlength=len(batch_words))
    denominators = np.sqrt(squares)[:, np.newaxis] * prepared.norms
    # Float zeros, as bincount gives integers when no feature is shared at all.
    cosines = np.divide(numerators, denominators, out=np.zeros(shape), where=denominators > 0)
    return cosines, shared


def _likeness_bounds(
    *, shared: np.ndarray, text_lengths: np.ndarray, recommendation_lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Texts by recommendations: the least and the most that `fuzz.token_set_ratio` can
    give each pair, from the `_likeness_length`s of their shared words, of each text and
    of each recommendation."""
    # token_set_ratio is 100 when the texts share a word and one has no other, and
    # otherwise the best of three ratios (rapidfuzz's `fuzz_py.token_set_ratio` spells it
    # out): when they share words, those words against themselves followed by either
    # text's other words, which the lengths settle; and one text's other words against
    # the other's, which their difference in length bounds, as turning one into the other
    # takes at least that many insertions or deletions. Lengths are whole numbers, exact
    # in floats.
    joined = (shared > 0).astype(float)
    sect = np.maximum(shared - 1, 0)
    ab = np.maximum(text_lengths[:, np.newaxis] - shared - 1, 0)
    ba = np.maximum(recommendation_lengths - shared - 1, 0)
    sect_ab, sect_ba = sect + joined + ab, sect + joined + ba
    settled = np.where(
        joined > 0,
        np.maximum(
            _ratio(distance=joined + ab, length=sect + sect_ab),
            _ratio(distance=joined + ba, length=sect + sect_ba),
        ),
        0,
    )
    others = _ratio(distance=np.abs(ab - ba), length=sect_ab + sect_ba)
    whole = (joined > 0) & ((ab == 0) | (ba == 0))
    return np.where(whole, 100, settled), np.where(whole, 100, np.maximum(settled, others))


def _ratio(*, distance: np.ndarray, length: np.ndarray) -> np.ndarray:
    # As rapidfuzz turns an edit distance into a ratio, 100 for two empty strings.
    return 100 - np.divide(100 * distance, length, out=np.zeros(length.shape), where=length > 0)


def _floors(known: np.ndarray, *, limit: int) -> np.ndarray:
    """Each row's `limit`-th highest of the `known` scores (or the least each could be),
    below which a score cannot be among the row's `limit` best."""
    if known.shape[1] < limit:
        return np.full(known.shape[0], -np.inf)
    return np.partition(known, -limit, axis=1)[:, -limit]


def _likeness(*, texts: list[str], recommendations: np.ndarray, prepared: _Prepared) -> np.ndarray:
    """rapidfuzz's likeness, from 0 to 100, of each of `texts` (normalised, as
    `_likeness_text` gives them) to the recommendation at the same place in
    `recommendations`, in one `process.cpdist` call over every core."""
    # The recommendation first, as the query: rapidfuzz prepares the query of a pair and
    # splits the choice, and the texts are the shorter to split.
    return process.cpdist(
        [prepared.likeness_texts[recommendation] for recommendation in recommendations],
        texts,
        scorer=fuzz.token_set_ratio,
        dtype=np.float32,
        workers=-1,
    )


def _scores(*, batch_words: list[list[str]], prepared: _Prepared, limit: int) -> np.ndarray:
    """Texts by recommendations: each score where it may be among a text's `limit` best,
    and -inf where it cannot be, so that ranking a row gives exactly the order that
    scoring every pair would give."""
    cosines, shared = _cosines(batch_words=batch_words, prepared=prepared)
    scores = 100 * WORD_WEIGHT * cosines
    texts = [_likeness_text(words) for words in batch_words]
    # The least and the most each pair could score: its word weight and the least and the
    # most likeness it could add.
    least, most = _likeness_bounds(
        shared=shared,
        text_lengths=np.array([_likeness_length(text) for text in texts], dtype=float),
        recommendation_lengths=prepared.likeness_lengths,
    )
    lowest = scores + LIKENESS_WEIGHT * least - _ROUNDING
    highest = scores + LIKENESS_WEIGHT * most + _ROUNDING
    # In any order among equals: a pair left out is one that cannot reach the floor.
    by_promise = np.argsort(-highest, axis=1)
    count = by_promise.shape[1]
    scored = np.zeros(scores.shape, dtype=bool)
    # Each text's `limit`-th best score, as far as it is known: a pair whose highest
    # possible score falls short of it cannot be among the text's best, and is not scored.
    floor = _floors(lowest, limit=limit)
    unsettled = np.arange(len(batch_words))
    done, width = 0, min(max(LIKELY_CANDIDATES, limit), count)
    while len(unsettled):
        rows = np.repeat(unsettled, width - done)
        columns = by_promise[unsettled, done:width].ravel()
        reachable = highest[rows, columns] >= floor[rows]
        rows, columns = rows[reachable], columns[reachable]
        scores[rows, columns] += LIKENESS_WEIGHT * _likeness(
            texts=[texts[row] for row in rows], recommendations=columns, prepared=prepared
        )
        scored[rows, columns] = True
        if width == count:
            break
        # The highest possible score of the recommendations not yet scored: a text whose
        # `limit`-th best is above it is settled.
        ceiling = highest[unsettled, by_promise[unsettled, width]]
        floor[unsettled] = _floors(
            np.where(scored[unsettled], scores[unsettled], lowest[unsettled]), limit=limit
        )
        unsettled = unsettled[floor[unsettled] <= ceiling]
        done, width = width, min(2 * width, count)
    scores[~scored] = -np.inf
    return scores


def _ranked(scores: np.ndarray, *, limit: int) -> Iterator[tuple[list[int], list[float]]]:
    """Each row's `limit` best recommendations and their scores, best first, as a stable
    sort of the row ranks them (the earlier recommendation first among equals)."""
    # Only the pairs scored take part: `_scores` scores at least `limit` of each row (or
    # all of it), and its best among them. Sorting those few, and reading out as plain
    # Python numbers only those kept, is much quicker than sorting every row.
    rows, columns = np.nonzero(scores > -np.inf)
    values = scores[rows, columns]
    # Stable, by row and then by score, keeping equal scores in the order of columns.
    order = np.lexsort((-values, rows))
    counts = np.bincount(rows, minlength=len(scores))
    kept = order[
        (np.cumsum(counts) - counts)[:, np.newaxis] + np.arange(min(limit, scores.shape[1]))
    ]
    return zip(columns[kept].tolist(), values[kept].tolist())


def suggest(
    *, texts: Sequence[str], recommendations: Sequence[Recommendation], limit: int = 5
) -> list[list[Suggestion]]:
    """For each of `texts`, the `limit` recommendations closest to it, best first.

    Returns one list per text, in the order of `texts`; a text with no words left after
    normalisation, or no recommendations at all, gets an empty list. A text's suggestions
    do not depend on the other texts of the call, and scores are comparable across
    texts and recommendations of one set of recommendations.
    """
    if not texts or not recommendations or limit < 1:
        return [[] for _ in texts]
    prepared = _prepare(tuple(recommendation_text(r) for r in recommendations))
    results: list[list[Suggestion]] = []
    with _collector_paused():
        for start in range(0, len(texts), BATCH_SIZE):
            batch_words = [normalise_words(text) for text in texts[start : start + BATCH_SIZE]]
            scores = _scores(batch_words=batch_words, prepared=prepared, limit=limit)
            for words, (best, best_scores) in zip(batch_words, _ranked(scores, limit=limit)):
                if not words:
                    results.append([])
                    continue
                ask_words = set(words)
                results.append(
                    [
                        Suggestion(
                            recommendation=recommendations[i],
                            score=round(score, 1),
                            shared_words=prepared.word_sets[i] & ask_words,
                        )
                        for i, score in zip(best, best_scores)
                    ]
                )
    return results


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    # Matching many texts makes hundreds of thousands of small objects that hold no
    # reference cycles, and the cyclic garbage collector would walk them all again and
    # again to find none: paused, it runs once after, as usual. Left as it was found, so
    # that a caller (or a thread) that turned it off keeps it off.
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def close_matches(*, suggestions: Sequence[Suggestion]) -> list[Suggestion]:
    """Of an ask's ranked `suggestions` (best first), those close enough to offer as
    evidence, best first: each scoring at least MATCH_THRESHOLD and within EVIDENCE_MARGIN
    of the best, at most EVIDENCE_LIMIT. Empty when none is close, which says only that
    the matcher has nothing to offer, not that the Review left the ask out."""
    if not suggestions or suggestions[0].score < MATCH_THRESHOLD:
        return []
    floor = max(MATCH_THRESHOLD, suggestions[0].score * EVIDENCE_MARGIN)
    return [s for s in suggestions if s.score >= floor][:EVIDENCE_LIMIT]


# --- Showing a suggestion --------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.;:!?])\s+")
_SPLIT_WORDS = re.compile(r"([\w\u2019']+)")


def evidence_quote(*, recommendation_text: str, shared_words: Iterable[str]) -> str:
    """A default evidence quote: the sentence or clause of `recommendation_text` holding
    most of `shared_words` (the first on a tie), exactly as worded there."""
    shared = set(shared_words)
    spans = [span for span in _SENTENCE_END.split(recommendation_text.strip()) if span]
    if not spans:
        return recommendation_text
    return max(spans, key=lambda span: len(shared & set(normalise_words(span))))


def highlight(*, text: str, shared_words: Iterable[str]) -> list[tuple[str, bool]]:
    """`text` cut into pieces that join back into it exactly, each marked True when it
    is a word whose normalised form is one of `shared_words`."""
    shared = set(shared_words)
    pieces = []
    for piece in _SPLIT_WORDS.split(text):
        if not piece:
            continue
        normal = normalise_words(piece)
        # One word can stand for a phrase of the field ("councils": "local authority").
        pieces.append((piece, bool(normal) and shared.issuperset(normal)))
    return pieces
