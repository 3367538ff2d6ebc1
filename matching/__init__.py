"""The matcher: which of the Review's recommendations an ask most likely corresponds to.

A plain package, with no database access and no import of the project's apps: it is given
texts and recommendations and ranks them. It never judges, absence least of all: a
person, through `responses.assessments.record`, does.
"""

from .names import similar_names
from .normalise import normalise, normalise_words
from .suggestions import (
    BATCH_SIZE,
    MATCH_THRESHOLD,
    Suggestion,
    close_matches,
    evidence_quote,
    highlight,
    recommendation_text,
    suggest,
)

__all__ = [
    "BATCH_SIZE",
    "MATCH_THRESHOLD",
    "Suggestion",
    "close_matches",
    "evidence_quote",
    "highlight",
    "normalise",
    "normalise_words",
    "recommendation_text",
    "similar_names",
    "suggest",
]
