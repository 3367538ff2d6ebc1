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

Nothing here touches the database beyond the recommendations it is given, and nothing
here decides: `suggest` ranks, `suggest_status` proposes, a person or `assessments.record`
does the rest.
"""

import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import snowballstemmer
from rapidfuzz import fuzz, process

from recommendations.models import Recommendation

from .models import Status

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

# A best score below this means the report says nothing close to the ask: the suggested
# status is absent. Two texts that share only a common word or two ("children",
# "support") score below it; a shared rare word or phrase lifts a pair above it. Set
# where the editorial and the organisations' own judgements in the corpus agree best,
# not fitted to either.
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

# --- Normalisation ---------------------------------------------------------------------

# Function words, and the words that frame an ask rather than say what it asks for
# ("we call for", "ensure that", "the Review should recommend").
STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing done down during
    each either few for from further had has have having he her here hers herself him
    himself his how i if in into is it its itself just may me might more most must my
    myself neither no nor not now of off on once only or other ought our ours ourselves
    out over own same shall she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up upon us
    very was we were what when where which while who whom why will with within without
    would you your yours yourself yourselves etc ie eg

    call calls called want wants wanted wish recommend recommends recommended
    recommendation recommendations ensure ensures ensuring recognise recognises urge
    urges ask asks asking believe need needs needed like see seen make makes made
    review government report propose proposes proposed welcome welcomes fully
    """.split()
)

# The names of the Review and its interim report: an ask cites them to say what it
# answers ("Chapter 4 of The Case for Change doesn't focus enough on ..."), not what it
# asks for, so they are dropped like the framing words above. (The Final Report needs no
# entry: without the stop word "report" it would drop every "final".)
FRAMING_PHRASES = (
    "the Case for Change",
    "the Independent Review of Children's Social Care",
)

# American spellings that a suffix rule cannot catch, mapped to British ones. Whole
# words only; the -ize/-yze rule below covers "organize", "analyze" and their kin.
BRITISH_SPELLINGS = {
    "behavior": "behaviour",
    "behaviors": "behaviours",
    "behavioral": "behavioural",
    "center": "centre",
    "centers": "centres",
    "centered": "centred",
    "color": "colour",
    "favor": "favour",
    "favorable": "favourable",
    "honor": "honour",
    "labor": "labour",
    "neighbor": "neighbour",
    "neighborhood": "neighbourhood",
    "neighborhoods": "neighbourhoods",
    "program": "programme",
    "programs": "programmes",
    "counselor": "counsellor",
    "counseling": "counselling",
    "counselors": "counsellors",
    "defense": "defence",
    "license": "licence",
    "offense": "offence",
    "judgment": "judgement",
    "judgments": "judgements",
    "enrollment": "enrolment",
    "fulfill": "fulfil",
    "fulfillment": "fulfilment",
    "modeling": "modelling",
    "traveling": "travelling",
    "canceled": "cancelled",
    "pediatric": "paediatric",
    "fetal": "foetal",
    "maneuver": "manoeuvre",
    "mom": "mum",
    "moms": "mums",
    "aging": "ageing",
    "gray": "grey",
    "practicing": "practising",
    "skeptical": "sceptical",
    "theater": "theatre",
}
_ZE = re.compile(r"(?<=[a-z]{3})([iy])z(e|es|ed|ing|ation|ations|er|ers)$")

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
    }
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
_STEMMER = snowballstemmer.stemmer("english")


def _british(word: str) -> str:
    word = BRITISH_SPELLINGS.get(word, word)
    return _ZE.sub(r"\1s\2", word)


# Texts share most of their words, and stemming is the slow step of normalising.
@functools.lru_cache(maxsize=100_000)
def _normal_word(token: str) -> str | None:
    """One token of lower-cased text as a normalised word, or None for a stop word."""
    word = token.removesuffix("'s").replace("'", "")
    if not word or word in STOP_WORDS:
        return None
    word = _british(word)
    if word in STOP_WORDS:
        return None
    return _STEMMER.stemWord(word)


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    return _WORD.findall(text)


def _stems(text: str) -> list[str]:
    return [word for token in _tokens(text) if (word := _normal_word(token))]


# The field's several words for one thing: each variant is read as its key, so that an
# ask and a recommendation worded differently still share a word. Only the general
# vocabulary of children's social care, never an ask's own phrase: the recommendations
# mostly say "children" where charities write "young people", and call "early help"
# "Family Help". Written as people write them; one form of each word is enough, as
# both sides are normalised like any other text.
SYNONYMS = {
    # The stemmer leaves the irregular plural alone: "children" and "child" are one word.
    "child": ("children", "young people", "young person"),
    "advocacy": ("advocate", "voice"),
    "family help": ("early help",),
    "care leaver": ("leaving care", "care experienced", "care experience"),
    "kinship": ("family network",),
    "funding": ("investment", "invest", "money", "budget", "finance", "financial"),
    "practitioner": ("professional",),
    "local authority": ("council",),
    "foster carer": ("foster parent",),
}

_PHRASES = {
    **{
        tuple(_stems(variant)): _stems(word)
        for word, variants in SYNONYMS.items()
        for variant in variants
    },
    **{tuple(_stems(phrase)): [] for phrase in FRAMING_PHRASES},
}
_LONGEST_PHRASE = max(map(len, _PHRASES))


def normalise_words(text: str) -> list[str]:
    """The normalised words of `text`, in order: lower case, straight apostrophes,
    British spellings, stop words and the names of the Review's documents dropped, each
    word stemmed ("Organizations'" and "organisation" give the same word), and each of
    the field's synonyms read as its key in SYNONYMS ("young people" gives "child")."""
    stems = _stems(text)
    words: list[str] = []
    at = 0
    while at < len(stems):
        # The longest phrase that starts here, so a phrase wins over a word inside it.
        for length in range(min(_LONGEST_PHRASE, len(stems) - at), 0, -1):
            if (replacement := _PHRASES.get(tuple(stems[at : at + length]))) is not None:
                words.extend(replacement)
                at += length
                break
        else:
            words.append(stems[at])
            at += 1
    return words


def normalise(text: str) -> str:
    """`text` as the matcher compares it: its normalised words joined by spaces."""
    return " ".join(normalise_words(text))


# --- Suggestions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    recommendation: Recommendation
    score: float
    """0 to 100: how close the recommendation is to the text."""
    shared_words: frozenset[str]
    """Normalised words that both texts contain, for highlighting with `highlight`."""


@dataclass(frozen=True)
class StatusSuggestion:
    status: str
    """`absent` when nothing scores at least MATCH_THRESHOLD, otherwise `partly`: a
    string match cannot tell whether all of an ask was realised, so a person says so."""
    matches: list[Suggestion]
    """The recommendations to cite as evidence, best first; empty when absent."""


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
    unsettled = np.arange(len(batch_words))
    done, width = 0, min(max(LIKELY_CANDIDATES, limit), count)
    while len(unsettled):
        rows = np.repeat(unsettled, width - done)
        columns = by_words[unsettled, done:width].ravel()
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
        best = np.take_along_axis(scores[unsettled], by_words[unsettled, :width], axis=1)
        unsettled = unsettled[np.sort(best, axis=1)[:, -limit] <= ceiling]
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


def suggest_status(*, suggestions: Sequence[Suggestion]) -> StatusSuggestion:
    """The status to suggest for an ask from its ranked `suggestions` (best first):
    absent when none scores at least MATCH_THRESHOLD, otherwise partly, with the best
    match and those close behind it as evidence."""
    if not suggestions or suggestions[0].score < MATCH_THRESHOLD:
        return StatusSuggestion(status=Status.ABSENT, matches=[])
    floor = max(MATCH_THRESHOLD, suggestions[0].score * EVIDENCE_MARGIN)
    matches = [s for s in suggestions if s.score >= floor][:EVIDENCE_LIMIT]
    return StatusSuggestion(status=Status.PARTLY, matches=matches)


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


# --- Organisation names ----------------------------------------------------------------

# Two names this alike (after the words below are dropped) are probably one organisation
# written two ways; a person confirms before a second one is added.
SIMILAR_NAME_CUTOFF = 85.0

# Words that say what kind of body an organisation is, not which one it is.
NAME_NOISE = frozenset(
    {"the", "ltd", "limited", "plc", "cic", "inc", "llp", "uk", "england", "charity"}
)


def _name_key(name: str) -> str:
    words = _WORD.findall(unicodedata.normalize("NFKC", name).translate(_QUOTES).lower())
    return " ".join(word.replace("'", "") for word in words if word not in NAME_NOISE)


def similar_names(*, name: str, names: Sequence[str]) -> list[tuple[str, float]]:
    """The `names` that are probably the same organisation as `name` ("The Together
    Trust", "Together Trust Ltd"), most alike first, with a score from 0 to 100."""
    key = _name_key(name)
    if not key:
        return []
    found = process.extract(
        key,
        [_name_key(other) for other in names],
        scorer=fuzz.token_sort_ratio,
        score_cutoff=SIMILAR_NAME_CUTOFF,
        limit=None,
    )
    return [(names[index], round(score, 1)) for _, score, index in found]
