"""The matcher: which of the Review's recommendations an ask most likely corresponds to.

A plain package, with no database access: it is given texts and recommendations and
ranks them. It never judges: a person, through `responses.assessments.record`, does.
"""

from .names import similar_names
from .normalise import normalise, normalise_words
from .suggestions import (
    BATCH_SIZE,
    MATCH_THRESHOLD,
    StatusSuggestion,
    Suggestion,
    evidence_quote,
    highlight,
    recommendation_text,
    suggest,
    suggest_status,
)

__all__ = [
    "BATCH_SIZE",
    "MATCH_THRESHOLD",
    "StatusSuggestion",
    "Suggestion",
    "evidence_quote",
    "highlight",
    "normalise",
    "normalise_words",
    "recommendation_text",
    "similar_names",
    "suggest",
    "suggest_status",
]
