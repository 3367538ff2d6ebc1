"""Words as search reads them, the same in Python and in PostgreSQL: runs of letters
and digits, compared lowercased. Everything else (spaces, punctuation, hyphens,
apostrophes, the dots of a web address) only separates words.

PostgreSQL's pg_trgm reads words this way. Its full-text parser does not: it keeps
"www.gov.uk", "6.3" and "care-experienced" whole, as well as in parts. So the full-text
vectors are built from the text with every run of other characters replaced by a space,
and then the query's words, as Python reads them, are the words the vectors hold.

That replacement is PostgreSQL's function `carereview_words` (this app's migration 0005):
a function of its own, so that it can say what it costs. Written out as
`regexp_replace`, PostgreSQL's planner takes it for cheap and, on a table of a few
thousand asks, builds every ask's vector rather than ask the index (130 ms against 5).
"""

import re

from django.contrib.postgres.search import SearchVector
from django.db.models import F, Func, TextField

# POSIX class, as PostgreSQL's regular expressions and pg_trgm read a word character.
NOT_A_WORD = "[^[:alnum:]]"

# PL/pgSQL, which PostgreSQL never inlines, so that the planner weighs the COST given.
# Digits are parted from letters too, as `terms` parts them: the full-text parser would
# read "0e0a" as the number 0e0 and the word a.
CREATE_WORDS_FUNCTION = rf"""
CREATE FUNCTION carereview_words(text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
BEGIN
    RETURN regexp_replace(
        regexp_replace(regexp_replace($1, '{NOT_A_WORD}+', ' ', 'g'), '([0-9])([^0-9 ])', '\1 \2', 'g'),
        '([^0-9 ])([0-9])', '\1 \2', 'g'
    );
END
$$
"""
DROP_WORDS_FUNCTION = "DROP FUNCTION carereview_words(text)"


def words(text: str) -> list[str]:
    """The words of `text`, lowercased one character at a time as PostgreSQL does
    ("İ" gives "i", where Python's `str.lower` gives two characters)."""
    found, word = [], []
    for character in text:
        if character.isalnum():
            word.append(character.lower()[0])
        elif word:
            found.append("".join(word))
            word = []
    if word:
        found.append("".join(word))
    return found


def terms(text: str) -> list[str]:
    """The words of `text` as full-text search reads them: with digits parted from
    letters ("3rd" gives "3" and "rd"), as `carereview_words` parts them in PostgreSQL."""
    return [part for word in words(text) for part in re.findall(r"[0-9]+|[^0-9]+", word)]


def words_vector(*fields: str) -> SearchVector:
    """A full-text vector of the words of `fields`, as typed: the "simple" configuration
    neither stems nor drops common words, so a word is found exactly when `terms` finds
    it. Indexes are built on this same expression, and queries must use it to be served
    by them."""
    return SearchVector(
        *(Func(F(name), function="carereview_words", output_field=TextField()) for name in fields),
        config="simple",
    )
