"""Text as the matcher compares it: lower case, straight quotes, British spellings, no
stop words, each word reduced to its stem ("carers" and "carer" are one word), and the
field's synonyms read as one word ("young people" and "children" are "child")."""

import functools
import re
import threading
import unicodedata

import snowballstemmer

from plaintext import QUOTES

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

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
# A WORD, with any of the apostrophes that `plaintext.plain` straightens: each distinct
# token is straightened once, in `_normal_word`, rather than every text whole (what else
# `plain` replaces would part words all the same).
_APOSTROPHES = "'" + "".join(chr(c) for c, straight in QUOTES.items() if straight == "'")
_TOKEN = re.compile(rf"[a-z0-9]+(?:[{_APOSTROPHES}][a-z]+)*")
# A stemmer keeps the word it is stemming in itself, so two threads (a threaded app
# server's) must never share one: each thread has its own.
_STEMMERS = threading.local()


def _stemmer():
    if not hasattr(_STEMMERS, "english"):
        _STEMMERS.english = snowballstemmer.stemmer("english")
    return _STEMMERS.english


def _british(word: str) -> str:
    word = BRITISH_SPELLINGS.get(word, word)
    return _ZE.sub(r"\1s\2", word)


# Texts share most of their words, and stemming is the slow step of normalising.
@functools.lru_cache(maxsize=100_000)
def _normal_word(token: str) -> str | None:
    """One token of lower-cased text as a normalised word, or None for a stop word."""
    word = token.translate(QUOTES).removesuffix("'s").replace("'", "")
    if not word or word in STOP_WORDS:
        return None
    word = _british(word)
    if word in STOP_WORDS:
        return None
    return _stemmer().stemWord(word)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


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
# Most words start no phrase: for them the lookups of every length are skipped.
_PHRASE_STARTS = frozenset(phrase[0] for phrase in _PHRASES)


def normalise_words(text: str) -> list[str]:
    """The normalised words of `text`, in order: lower case, straight apostrophes,
    British spellings, stop words and the names of the Review's documents dropped, each
    word stemmed ("Organizations'" and "organisation" give the same word), and each of
    the field's synonyms read as its key in SYNONYMS ("young people" gives "child")."""
    stems = _stems(text)
    words: list[str] = []
    # Stems before `at` are read; most start no phrase, and are copied as they are.
    at = 0
    for start in [i for i, stem in enumerate(stems) if stem in _PHRASE_STARTS]:
        if start < at:
            continue
        # The longest phrase that starts here, so a phrase wins over a word inside it.
        for length in range(min(_LONGEST_PHRASE, len(stems) - start), 0, -1):
            if (replacement := _PHRASES.get(tuple(stems[start : start + length]))) is not None:
                words += stems[at:start]
                words += replacement
                at = start + length
                break
    words += stems[at:]
    return words


def normalise(text: str) -> str:
    """`text` as the matcher compares it: its normalised words joined by spaces."""
    return " ".join(normalise_words(text))
