"""Text as people type and paste it, made plain to compare and to query with: curly quotes
straight, and no character that is not printable.

A plain package, with nothing from Django, so that everything may use it: the matcher
(`matching`, which must not import the Django apps) as well as search and the filters.
Stored text is not cleaned: the importers keep it verbatim and refuse what cannot be
stored (responses/importing.py).
"""

# Curly quotes and primes, as phones type them and documents paste them, as straight ones.
QUOTES = str.maketrans(
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


def plain(text: str, *, gap: str = " ", straight_quotes: bool = True) -> str:
    """`text` with each character that is not printable replaced by `gap`: control
    characters (PostgreSQL refuses NUL), lone surrogates (which cannot be encoded),
    format characters such as a right-to-left override or a zero-width space, line
    breaks, tabs and every space but " ". With `straight_quotes`, curly quotes are
    straight too (`QUOTES`)."""
    if straight_quotes:
        text = text.translate(QUOTES)
    if text.isprintable():
        return text
    return "".join(character if character.isprintable() else gap for character in text)
