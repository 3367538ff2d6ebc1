"""The format of asks.csv, which the export writes and `import_assessments` reads back:
its columns, and the guard that keeps a spreadsheet from running a cell as a formula."""

import re

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
)

# OWASP's advice against CSV injection: a spreadsheet runs a cell that starts with one of
# these as a formula, so such a cell is prefixed with a quote. A cell that already starts
# with quotes before one of them gets one more, so that `unguard` restores every value.
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
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
