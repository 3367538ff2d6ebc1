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

import functools
import itertools
import math
import re
from collections.abc import Iterable, Sequence
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

# Likeness is the slow part of a score, and it adds at most LIKENESS_WEIGHT * 100 points.
# So it is scored first for the recommendations with the highest word weight, then for
# twice as many, and so on only while one not yet scored could still reach a text's
# suggestions: the result is exactly what scoring every pair gives. Starting at 10 scores
# about one pair in eight for 40,000 synthetic asks and 246 recommendations (starting at
# 5, 20 or 50 scores more).
LIKELY_CANDIDATES = 10

# The most that likeness can add to a score, with room for float32's rounding of it:
# more than it can add is safe when ruling a pair out, as it only rules out fewer.
_MOST_LIKENESS = LIKENESS_WEIGHT * 100 + 0.001

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


def _features(words: list[str]) -> list[str]:
    # Sorted, so that a text's weights are always added in one order.
    return sorted(set(words) | {f"{a} {b}" for a, b in itertools.pairwise(words)})


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
    rows: dict[str, int]
    """Each feature that some recommendation has, and its place in the arrays below."""
    squares: np.ndarray
    """Each feature's squared weight."""
    starts: np.ndarray
    holders: np.ndarray
    """The recommendations that have feature `f` are `holders[starts[f]:starts[f + 1]]`:
    postings as flat arrays, which grow with the recommendations' words, where a
    features-by-recommendations matrix would grow with their square."""
    norms: np.ndarray
    unseen_square: float
    """The squared weight of a word that no recommendation uses."""


# Keyed by the recommendations' texts, so an edited one is prepared afresh; a few entries
# are enough for the sets a site compares against (every recommendation, one report's).
@functools.lru_cache(maxsize=8)
def _prepare(texts: tuple[str, ...]) -> _Prepared:
    words = [normalise_words(text) for text in texts]
    features = [_features(w) for w in words]
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
    arrays = {
        "squares": squares,
        "starts": np.concatenate([[0], np.cumsum(frequency)]),
        "holders": np.array([c for feature in rows for c in holders[feature]], dtype=np.intp),
        "norms": norms,
    }
    for array in arrays.values():
        array.flags.writeable = False
    return _Prepared(
        word_sets=[frozenset(w) for w in words],
        likeness_texts=[_likeness_text(w) for w in words],
        rows=rows,
        unseen_square=unseen**2,
        **arrays,
    )


def _cosines(*, batch_words: list[list[str]], prepared: _Prepared) -> np.ndarray:
    """Texts by recommendations: the cosine of their features, each weighed by rarity."""
    texts: list[int] = []
    found: list[int] = []
    unseen = np.zeros(len(batch_words))
    for text, words in enumerate(batch_words):
        for feature in _features(words):
            if (row := prepared.rows.get(feature)) is not None:
                texts.append(text)
                found.append(row)
            # A text's own phrases that no recommendation uses would only lengthen long
            # texts; its single words still count, as content the report lacks.
            elif " " not in feature:
                unseen[text] += 1
    rows = np.array(found, dtype=np.intp)
    of_text = np.array(texts, dtype=np.intp)
    # A sparse product in one step: each shared feature gives its squared weight to every
    # (text, recommendation) that has it, read from its postings, and bincount adds them
    # up cell by cell, in the order of each text's features.
    first = prepared.starts[rows]
    held = prepared.starts[rows + 1] - first
    postings = np.repeat(first - np.cumsum(held) + held, held) + np.arange(held.sum())
    count = len(prepared.norms)
    numerators = np.bincount(
        np.repeat(of_text, held) * count + prepared.holders[postings],
        weights=np.repeat(prepared.squares[rows], held),
        minlength=len(batch_words) * count,
    ).reshape(len(batch_words), count)
    squares = unseen * prepared.unseen_square
    squares += np.bincount(of_text, weights=prepared.squares[rows], minlength=len(batch_words))
    denominators = np.sqrt(squares)[:, np.newaxis] * prepared.norms
    # Float zeros, as bincount gives integers when no feature is shared at all.
    return np.divide(
        numerators, denominators, out=np.zeros(numerators.shape), where=denominators > 0
    )


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
    cosines = _cosines(batch_words=batch_words, prepared=prepared)
    scores = 100 * WORD_WEIGHT * cosines
    by_words = np.argsort(-cosines, axis=1, kind="stable")
    count = by_words.shape[1]
    texts = [_likeness_text(words) for words in batch_words]
    scored = np.zeros(scores.shape, dtype=bool)
    # Each text's `limit`-th best score so far: a pair whose word weight plus full
    # likeness falls short of it cannot be among the text's best, and is not scored.
    floor = np.full(len(batch_words), -np.inf)
    unsettled = np.arange(len(batch_words))
    done, width = 0, min(max(LIKELY_CANDIDATES, limit), count)
    while len(unsettled):
        rows = np.repeat(unsettled, width - done)
        columns = by_words[unsettled, done:width].ravel()
        reachable = scores[rows, columns] + _MOST_LIKENESS >= floor[rows]
        rows, columns = rows[reachable], columns[reachable]
        scores[rows, columns] += LIKENESS_WEIGHT * _likeness(
            texts=[texts[row] for row in rows], recommendations=columns, prepared=prepared
        )
        scored[rows, columns] = True
        if width == count:
            break
        # The most a recommendation not yet scored could reach: the highest word weight
        # left, plus full likeness. Rounding is monotonic, so no score as computed exceeds
        # it, and a text whose `limit`-th best is above it is settled.
        ceiling = scores[unsettled, by_words[unsettled, width]] + LIKENESS_WEIGHT * 100
        best = np.take_along_axis(
            np.where(scored[unsettled], scores[unsettled], -np.inf),
            by_words[unsettled, :width],
            axis=1,
        )
        floor[unsettled] = np.sort(best, axis=1)[:, -limit]
        unsettled = unsettled[floor[unsettled] <= ceiling]
        done, width = width, min(2 * width, count)
    scores[~scored] = -np.inf
    return scores


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
    for start in range(0, len(texts), BATCH_SIZE):
        batch_words = [normalise_words(text) for text in texts[start : start + BATCH_SIZE]]
        scores = _scores(batch_words=batch_words, prepared=prepared, limit=limit)
        ranked = np.argsort(-scores, axis=1, kind="stable")[:, :limit]
        for words, row_scores, best in zip(batch_words, scores, ranked):
            if not words:
                results.append([])
                continue
            ask_words = set(words)
            results.append(
                [
                    Suggestion(
                        recommendation=recommendations[i],
                        score=round(float(row_scores[i]), 1),
                        shared_words=frozenset(ask_words & prepared.word_sets[i]),
                    )
                    for i in best
                ]
            )
    return results


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
