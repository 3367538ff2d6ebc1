"""The formats of the CSV files that the exports write and the importers read back:
asks.csv (`import_assessments`) and stages.csv (`import_stages`). Their columns, how a date
is written only as precisely as it is known, how one cell holds a stage's several quotes,
and the guard that keeps a spreadsheet from running a cell as a formula."""

import datetime
import re

from django.db.models import Case, F, Func, TextField, Value, When

from recommendations.models import DatePrecision

# What the Government did with an asks.csv row's recommendation: its response, and the
# furthest its delivery has gone. Added at the end, so the columns before keep their places.
GOVERNMENT_COLUMNS = (
    "government_response_status",
    "government_response_date",
    "furthest_delivery_status",
    "furthest_delivery_date",
    "furthest_delivery_summary",
)

# The columns of asks.csv, in order.
ASK_COLUMNS = (
    "organisation",
    "organisation_slug",
    "document_title",
    "document_kind",
    "document_published",
    "document_url",
    "ask_id",
    "ask_position",
    "ask_text",
    "ask_title",
    "themes",
    "status",
    "judged_by",
    "rationale",
    "recommendation_ref",
    "recommendation_title",
    "recommendation_chapter",
    "evidence",
    *GOVERNMENT_COLUMNS,
)

# The headers `import_assessments` reads: asks.csv's, and asks.csv's as it was exported
# before it gained GOVERNMENT_COLUMNS, which a researcher may still be coding.
ASK_HEADERS = (ASK_COLUMNS, ASK_COLUMNS[: -len(GOVERNMENT_COLUMNS)])

# The columns of stages.csv, in order: one row per government stage record.
STAGE_COLUMNS = (
    "ref",
    "recommendation_title",
    "chapter",
    "stage_id",
    "stage",
    "status",
    "date",
    "date_precision",
    "summary",
    "confidence",
    "note",
    "quotes",
    "sources",
)

# A stage's quotes are one cell, one quote a line, and their sources another, each on the
# line of its quote: a spreadsheet shows them side by side, and neither needs escaping, as
# no quote of the corpus holds a line break (one that did would be read as two quotes, and
# refused as a quote without its source).
LINE_BREAK = "\n"
_ANY_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def lines(cell: str) -> list[str]:
    """A cell of one value a line, as its values: none for an empty cell. A spreadsheet
    may have saved the line breaks as CRLF or CR."""
    return _ANY_LINE_BREAK.split(cell) if cell else []


def partial_date(date: datetime.date | None, precision: str) -> str:
    """A date in ISO 8601 only as precise as it is known: `2021`, `2021-05`, `2021-08-27`."""
    if date is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{date.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{date.year:04d}-{date.month:02d}"
    return date.isoformat()


def partial_date_sql(date: str, precision: str) -> Case:
    """`partial_date` in SQL, for the exports that PostgreSQL writes: the date at the
    lookup path `date`, as precisely as the one at `precision` says (tested to agree)."""

    def written(pattern: str) -> Func:
        return Func(F(date), Value(pattern), function="to_char", output_field=TextField())

    return Case(
        When(**{precision: DatePrecision.YEAR}, then=written("YYYY")),
        When(**{precision: DatePrecision.MONTH}, then=written("YYYY-MM")),
        default=written("YYYY-MM-DD"),
        output_field=TextField(),
    )


_PARTIAL_DATE = re.compile(r"(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?")


def read_partial_date(text: str) -> tuple[datetime.date, str]:
    """The date and precision that `partial_date` wrote as `text`, a year or month as its
    first day. Raises ValueError for anything else, a 31 February among them."""
    found = _PARTIAL_DATE.fullmatch(text)
    if found is None:
        raise ValueError(text)
    year, month, day = found["year"], found["month"], found["day"]
    date = datetime.date(int(year), int(month or 1), int(day or 1))
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    return date, precision


# OWASP's advice against CSV injection: a spreadsheet runs a cell that starts with one of
# these as a formula, so such a cell is prefixed with a quote. A cell that already starts
# with quotes before one of them gets one more, so that `unguard` restores every value.
# PostgreSQL applies the same pattern to the exports it writes (browse/csv_sql.py).
FORMULA_PATTERN = r"^'*[=+\-@\t\r]"
_FORMULA = re.compile(FORMULA_PATTERN)
_GUARDED = re.compile(r"^'+[=+\-@\t\r]")
# The first characters with which `_FORMULA` can match: most cells start with none of them,
# and a set lookup rules them out faster than the pattern does.
FORMULA_STARTS = frozenset("'=+-@\t\r")


def guard(value: str) -> str:
    """`value`, prefixed with `'` if a spreadsheet would otherwise run it as a formula."""
    return "'" + value if _FORMULA.match(value) else value


def unguard(value: str) -> str:
    """The value that `guard` was given: `unguard(guard(v)) == v` for every string."""
    return value[1:] if _GUARDED.match(value) else value
