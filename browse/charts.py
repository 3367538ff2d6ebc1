"""Status-mix charts and the chain from ask to delivery, drawn on the server as inline SVG.

No chart library and no JavaScript: each chart is a few rectangles with the numbers written
on them, a legend in words, and a text alternative that says every number, so a reader who
cannot see the colours (or the chart) loses nothing.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from responses.models import Status

_BAR_HEIGHT = 28
_ROW_GAP = 10
_LABEL_WIDTH = 230
_BAR_WIDTH = 520
_COMPACT_BAR_WIDTH = 220
_LEGEND_HEIGHT = 34
# Narrower segments than this carry no number; the text alternative still says it.
_MIN_LABELLED_WIDTH = 22


# The colours of a gap, where nothing is on record: the grey of "not assessed".
_GAP_COLOUR = Status.NOT_ASSESSED.colour
_GAP_INK = Status.NOT_ASSESSED.ink
# The chain's bars: one hue, as each counts the same asks, not a status; its steps' names
# are longer than an organisation's that a status chart cuts short.
_CHAIN_COLOUR = "#1d70b8"
_CHAIN_LABEL_WIDTH = 290


# A downloaded chart's styles, which the page's stylesheet gives the inline one.
_STANDALONE_STYLE = (
    'text{font-family:"GDS Transport",arial,sans-serif;font-size:15px;fill:#0b0c0c}'
    ".app-chart__number{font-weight:700}"
    '.app-chart__number[fill="#ffffff"]{fill:#ffffff}'
)


@dataclass(frozen=True)
class Chart:
    """A chart: its drawing (`shapes`, `width` by `height`), its title and text
    alternative, and the numbers it draws as a table (`columns`, `rows`) to download."""

    title: str
    text: str
    width: int
    height: int
    shapes: SafeString
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]

    @property
    def svg(self) -> SafeString:
        """The chart inline in a page, an image named by its title and text alternative."""
        return format_html(
            '<svg class="app-chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
            'aria-label="{}" focusable="false" xmlns="http://www.w3.org/2000/svg">{}</svg>',
            self.width,
            self.height,
            self.width,
            self.height,
            f"{self.title}. {self.text}.",
            self.shapes,
        )

    def standalone_svg(self) -> str:
        """The chart as an SVG file of its own: an XML declaration, its title and text
        alternative as <title> and <desc>, its styles, and a white ground."""
        return format_html(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 {} {}" '
            'width="{}" height="{}" role="img"><title>{}</title><desc>{}</desc>'
            '<style>{}</style><rect width="100%" height="100%" fill="#ffffff"/>{}</svg>\n',
            self.width,
            self.height,
            self.width,
            self.height,
            self.title,
            f"{self.text}.",
            mark_safe(_STANDALONE_STYLE),
            self.shapes,
        )


class Category(Protocol):
    """What a bar's segment is counted by: a `Status`, a `StageStatus` or a `Gap`."""

    value: str
    short_label: str
    colour: str
    ink: str


@dataclass(frozen=True)
class Gap:
    """A segment for what has nothing on record, "no government response found", in grey."""

    value: str
    short_label: str
    colour: str = _GAP_COLOUR
    ink: str = _GAP_INK


def status_summary(
    counts: Mapping[str, int],
    *,
    empty: str = "no asks",
    statuses: Sequence[Category] = tuple(Status),
) -> str:
    """The status mix in words, in the order of `statuses` (best outcome first), zeros
    left out: "2 realised, 7 partly realised, 4 absent"."""
    parts = [
        f"{counts[status.value]} {status.short_label}"
        for status in statuses
        if counts.get(status.value, 0)
    ]
    return ", ".join(parts) or empty


def status_bars(
    *,
    rows: Sequence[tuple[str, Mapping[str, int]]],
    title: str,
    labelled: bool = True,
    compact: bool = False,
    statuses: Sequence[Category] = tuple(Status),
) -> Chart:
    """A horizontal stacked bar per row (label, counts by status), all drawn to one
    scale so that longer bars mean more asks, with a legend and a text alternative.
    A compact chart is short and has no legend: for a table cell, on a page that shows
    the legend once (`status_legend`). The segments are the `statuses`, in their order:
    an ask's by default."""
    largest = max((sum(counts.values()) for _, counts in rows), default=0) or 1
    label_width = _LABEL_WIDTH if labelled else 0
    bar_width = _COMPACT_BAR_WIDTH if compact else _BAR_WIDTH
    width = label_width + bar_width + 60
    if not compact:
        width = max(width, _legend_width(statuses))
    row_height = _BAR_HEIGHT + _ROW_GAP
    bars_height = row_height * len(rows)
    height = bars_height if compact else bars_height + _LEGEND_HEIGHT

    # Plain f-strings: numbers and colours need no escaping, and format_html's escaping
    # of every number was most of the time a page of 150 charts took. Words are escaped.
    shapes = []
    for index, (label, counts) in enumerate(rows):
        y = index * row_height
        text_y = y + _BAR_HEIGHT / 2 + 6
        if labelled:
            shapes.append(
                f'<text x="{label_width - 10}" y="{text_y}" text-anchor="end" '
                f'class="app-chart__label">{escape(_truncate(label, 28))}</text>'
            )
        x = float(label_width)
        for place, status in enumerate(statuses, start=1):
            count = counts.get(status.value, 0)
            if not count:
                continue
            segment = bar_width * count / largest
            shapes.append(
                f'<rect x="{_n(x)}" y="{y}" width="{_n(segment)}" height="{_BAR_HEIGHT}" '
                f'fill="{status.colour}" stroke="#ffffff" stroke-width="1" '
                f'class="{segment_class(place)}"/>'
            )
            if segment >= _MIN_LABELLED_WIDTH:
                shapes.append(
                    f'<text x="{_n(x + segment / 2)}" y="{text_y}" text-anchor="middle" '
                    f'fill="{status.ink}" class="app-chart__number">{int(count)}</text>'
                )
            x += segment
        shapes.append(
            f'<text x="{_n(x + 8)}" y="{text_y}" class="app-chart__total">'
            f"{int(sum(counts.values()))}</text>"
        )

    if not compact:
        shapes.extend(_legend(y=bars_height + 6, statuses=statuses))
    # A label is a name someone typed: isolated (FSI ... PDI), a right-to-left override
    # in it cannot reorder the rest of the sentence.
    summaries = [(label, status_summary(counts, statuses=statuses)) for label, counts in rows]
    text = "; ".join(
        f"\u2068{label}\u2069: {summary}" if labelled else summary for label, summary in summaries
    )
    return Chart(
        title=title,
        text=text,
        width=width,
        height=height,
        shapes=mark_safe("".join(shapes)),
        columns=("bar", *(status.value for status in statuses), "total"),
        rows=tuple(
            (
                label,
                *(counts.get(status.value, 0) for status in statuses),
                sum(counts.values()),
            )
            for label, counts in rows
        ),
    )


def chain_bars(*, steps: Sequence[tuple[str, int]], title: str) -> Chart:
    """A bar per step of a chain (label, count), longest first, all drawn to one scale
    so that each can be set against the first, with a text alternative that says every
    number."""
    largest = max((count for _, count in steps), default=0) or 1
    row_height = _BAR_HEIGHT + _ROW_GAP
    width = _CHAIN_LABEL_WIDTH + _BAR_WIDTH + 60
    height = row_height * len(steps)
    shapes = []
    for index, (label, count) in enumerate(steps):
        y = index * row_height
        text_y = y + _BAR_HEIGHT / 2 + 6
        length = _BAR_WIDTH * count / largest
        shapes.append(
            f'<text x="{_CHAIN_LABEL_WIDTH - 10}" y="{text_y}" text-anchor="end" '
            f'class="app-chart__label">{escape(label)}</text>'
            f'<rect x="{_CHAIN_LABEL_WIDTH}" y="{y}" width="{_n(length)}" height="{_BAR_HEIGHT}" '
            f'fill="{_CHAIN_COLOUR}"/>'
            f'<text x="{_n(_CHAIN_LABEL_WIDTH + length + 8)}" y="{text_y}" class="app-chart__total">'
            f"{int(count)}</text>"
        )
    return Chart(
        title=title,
        text="; ".join(f"{label}: {count}" for label, count in steps),
        width=width,
        height=height,
        shapes=mark_safe("".join(shapes)),
        columns=("step", "count"),
        rows=tuple((label, count) for label, count in steps),
    )


def segment_class(place: int) -> str:
    """The class of a segment, and of its swatch in a legend, by its status's place in the
    chart's order: on paper, where colours may print as like greys, static/css/print.css
    fills each place with a pattern of its own (templates/includes/chart_patterns.html)."""
    return f"app-chart__segment app-chart__segment--{place}"


def _legend(*, y: float, statuses: Sequence[Category]) -> list[SafeString]:
    items = []
    x = 0
    for place, status in enumerate(statuses, start=1):
        label = status.short_label
        items.append(
            format_html(
                '<rect x="{}" y="{}" width="16" height="16" fill="{}" stroke="#0b0c0c" '
                'stroke-width="0.5" class="{}"/>'
                '<text x="{}" y="{}" class="app-chart__legend">{}</text>',
                x,
                y,
                status.colour,
                segment_class(place),
                x + 22,
                y + 13,
                label,
            )
        )
        x += _legend_item_width(label)
    return items


def _legend_item_width(label: str) -> int:
    # A swatch, then the label at about 8 units a letter, then a gap.
    return 22 + 8 * len(label) + 24


def _legend_width(statuses: Sequence[Category]) -> int:
    return sum(_legend_item_width(status.short_label) for status in statuses)


def _truncate(label: str, length: int) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")
