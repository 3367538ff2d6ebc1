"""Words as search reads them, the same in Python and in PostgreSQL: runs of letters
and digits, compared lowercased. Everything else (spaces, punctuation, hyphens,
apostrophes, the dots of a web address) only separates words.

PostgreSQL's pg_trgm reads words this way. Its full-text parser does not: it keeps
"www.gov.uk", "6.3" and "care-experienced" whole, as well as in parts. So the full-text
vectors are built from the text with every run of other characters replaced by a space,
and then both databases agree on what the words of a text are.
"""

from django.contrib.postgres.search import SearchVector
from django.db.models import F, Func, TextField, Value

# POSIX class, as PostgreSQL's regular expressions and pg_trgm read a word character.
NOT_A_WORD = "[^[:alnum:]]"


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


def words_vector(*fields: str) -> SearchVector:
    """A full-text vector of the words of `fields`, as typed: the "simple" configuration
    neither stems nor drops common words, so a word is found exactly when `words` finds
    it. Indexes are built on this same expression, and queries must use it to be served
    by them."""
    return SearchVector(
        *(
            Func(
                F(name),
                Value(NOT_A_WORD + "+"),
                Value(" "),
                Value("g"),
                function="regexp_replace",
                output_field=TextField(),
            )
            for name in fields
        ),
        config="simple",
    )
