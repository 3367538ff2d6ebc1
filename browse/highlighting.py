"""Finding quoted words in the text they were quoted from, to highlight them there."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Segment(Generic[T]):
    text: str
    # What the marked words belong to (an ask, a piece of evidence); None for plain text.
    marked: T | None = None


def mark_quotes(*, text: str, quotes: Sequence[tuple[str, T]]) -> list[Segment[T]]:
    """Split `text` into plain and marked segments, marking the first place each quote
    occurs. Joined back together the segments are `text`, unchanged. A quote that is not
    in the text, or that overlaps one found earlier in the text, is not marked."""
    found = sorted(
        (
            (start, start + len(quote), owner)
            for quote, owner in quotes
            if quote and (start := text.find(quote)) >= 0
        ),
        key=lambda place: (place[0], -place[1]),
    )
    segments: list[Segment[T]] = []
    cursor = 0
    for start, end, owner in found:
        if start < cursor:
            continue
        if start > cursor:
            segments.append(Segment(text[cursor:start]))
        segments.append(Segment(text[start:end], owner))
        cursor = end
    if cursor < len(text):
        segments.append(Segment(text[cursor:]))
    return segments
