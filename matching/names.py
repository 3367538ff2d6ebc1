"""Organisation names that are probably one organisation written two ways."""

import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from plaintext import plain

from .normalise import WORD

# Two names this alike (after the words below are dropped) are probably one organisation
# written two ways; a person confirms before a second one is added.
SIMILAR_NAME_CUTOFF = 85.0

# Words that say what kind of body an organisation is, not which one it is.
NAME_NOISE = frozenset(
    {"the", "ltd", "limited", "plc", "cic", "inc", "llp", "uk", "england", "charity"}
)


def _name_key(name: str) -> str:
    words = WORD.findall(plain(unicodedata.normalize("NFKC", name)).lower())
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
