"""Candidate asks in a document's text, for a person to tick before any is saved.

Organisations put what they ask for in a few recognisable shapes: bulleted or numbered
lines, asks set in quotation marks, and sentences that say "we call for", "we want",
"we recommend" or that something "should" happen. Each candidate is an exact span of the
text, so that a saved ask is always quoted verbatim.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from . import limits, rules
from .models import Ask, ResponseDocument

# Shorter spans are headings, labels or scare quotes (‘Family Help’), not asks.
MIN_WORDS = 4
TITLE_LENGTH = 80

_MARKER = r"[ \t]*(?:[-*•·‣◦–—▪]|\(?\d{1,3}[.)]|\(?[a-z][.)]|\(?[ivx]{1,5}[.)])[ \t]+"
# The rest of the line; its trailing white space is stripped in Python, since a lazy
# `.*?\s*$` would scan each run of white space again from every position within it.
_LIST_ITEM = re.compile(rf"^{_MARKER}(?P<item>\S[^\n]*)", re.MULTILINE)
_LEADING_MARKER = re.compile(_MARKER)
# An apostrophe inside a word (children’s) does not close a ‘quote’.
_QUOTED = re.compile(
    r"(?<!\w)‘(?P<single>(?:[^‘’\n]|’(?=\w))+)’(?!\w)"
    r"|“(?P<curly>[^“”\n]+)”"
    r'|(?<!\w)"(?P<straight>[^"\n]+)"(?!\w)'
)
_ASK_OPENING = re.compile(
    r"\b(?:we|I)\s+(?:would\s+|have\s+|also\s+)?(?:call(?:ed)?\s+(?:on|for)|want(?:ed)?|wish|"
    r"recommend(?:ed)?|urge|ask|like|propose|need)\b",
    re.IGNORECASE,
)
_SHOULD = re.compile(r"\b(?:should|must|needs?\s+to)\b", re.IGNORECASE)
# A sentence ends at . ! or ? (perhaps closed by a quote or bracket) before white space,
# or at the end of a line.
_SENTENCE = re.compile(r"[^\s][^\n]*?(?:[.!?][’”\"')\]]*(?=\s)|[.!?][’”\"')\]]*$|(?=\n)|$)")


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    text: str
    """Exactly `document_text[start:end]`."""
    reason: str
    """Why it looks like an ask, in words for the person choosing."""

    @property
    def default_title(self) -> str:
        return short_title(self.text)


def short_title(text: str) -> str:
    """A title for an ask until an editor writes a better one: its first words."""
    words = " ".join(text.split())
    if len(words) <= TITLE_LENGTH:
        return words.rstrip(".;:,")
    return words[: TITLE_LENGTH - 1].rsplit(" ", 1)[0].rstrip(".;:,") + "…"


def _long_enough(text: str) -> bool:
    return len(text.split()) >= MIN_WORDS


def _sentences(text: str):
    for match in _SENTENCE.finditer(text):
        span = match.group().rstrip()
        start = match.start()
        # A sentence on a list line starts after the bullet or number.
        if start == 0 or text[start - 1] == "\n":
            marker = _LEADING_MARKER.match(span)
            if marker:
                start, span = start + marker.end(), span[marker.end() :]
        if span:
            yield start, start + len(span), span


def candidate_asks(*, text: str) -> list[Candidate]:
    """The spans of `text` that look like asks, in the order they appear, each once.

    A span found by more than one rule keeps the first reason: list item, then quote,
    then sentence.
    """
    found: dict[tuple[int, int], Candidate] = {}

    def add(start: int, end: int, reason: str):
        span = text[start:end]
        # A longer span could not be saved as an ask (limits.ASK_TEXT_CHARS).
        if len(span) <= limits.ASK_TEXT_CHARS and _long_enough(span) and (start, end) not in found:
            found[(start, end)] = Candidate(start=start, end=end, text=span, reason=reason)

    for match in _LIST_ITEM.finditer(text):
        marker = match.group().lstrip()[:1]
        add(
            match.start("item"),
            match.start("item") + len(match.group("item").rstrip()),
            "numbered line" if marker.isalnum() or marker == "(" else "bulleted line",
        )
    for match in _QUOTED.finditer(text):
        group = next(name for name in ("single", "curly", "straight") if match.group(name))
        add(match.start(group), match.end(group), "quoted")
    for start, end, sentence in _sentences(text):
        opening = _ASK_OPENING.search(sentence)
        if opening:
            # "In our response we call for X": the ask is what follows the preamble.
            offset = 0 if opening.start() < 3 else opening.start()
            add(start + offset, end, f"says “{opening.group()}”")
        elif _SHOULD.search(sentence):
            add(start, end, f"says “{_SHOULD.search(sentence).group().lower()}”")
    return sorted(found.values(), key=lambda c: (c.start, c.end))


@transaction.atomic
def save_asks(*, document: ResponseDocument, asks: Sequence[tuple[str, str]]) -> list[Ask]:
    """Save `asks` — (text, title) pairs — as the document's next asks, in order.

    Every text must occur verbatim in the document's text (`rules.check_ask_is_verbatim`,
    which each ask's full_clean() calls) and not already be one of its asks; otherwise
    ValidationError, and nothing is saved.
    """
    if not asks:
        raise ValidationError("Choose at least one ask to save.")
    existing = set(document.asks.values_list("text", flat=True))
    texts = [text for text, _ in asks]
    if len(set(texts)) != len(texts):
        raise ValidationError("The same ask was chosen twice.")
    position = document.asks.aggregate(last=Max("position"))["last"] or 0
    saved = []
    for text, title in asks:
        if text in existing:
            raise ValidationError(f"“{short_title(text)}” is already an ask of this document.")
        position += 1
        ask = Ask(
            document=document,
            position=position,
            text=text,
            title=title.strip() or short_title(text),
        )
        rules.check_is_utf8_text(text, what=f"“{short_title(text)}”")
        ask.full_clean()
        ask.save()
        saved.append(ask)
    return saved
