"""The data dictionary: what each column of each export means, written once. The data
package's Table Schemas (`browse.package`) and its dictionary are made from these
definitions, and the README's dictionary is tested to be the same tables. The closed
vocabularies (statuses, kinds, confidences) are the models' own choices."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from recommendations.models import Confidence, DatePrecision, Stage, StageStatus
from responses.models import DocumentKind, JudgedBy, OrganisationKind, Status

# A date written only as precisely as it is known (`responses.csv_format.partial_date`).
PARTIAL_DATE = r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?"
# A matrix cell: every status with its count, in `Status`'s order (`export.status_mix`).
STATUS_MIX = ";".join(f"{status}=[0-9]+" for status in Status.values)


@dataclass(frozen=True)
class Column:
    """One column of an export: its name, its meaning and its values in words (Markdown),
    and its Table Schema type and constraints."""

    name: str
    meaning: str
    values: str = ""
    type: str = "string"
    enum: Sequence[str] = ()
    pattern: str = ""
    required: bool = False

    def field(self) -> dict:
        """The column as a Table Schema field."""
        described = f"{self.meaning}. Values: {self.values}" if self.values else self.meaning
        spec = {"name": self.name, "type": self.type, "description": described.replace("`", "")}
        constraints = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.pattern:
            constraints["pattern"] = self.pattern
        if constraints:
            spec["constraints"] = constraints
        return spec


@dataclass(frozen=True)
class File:
    """One export as the dictionary describes it: what a row is (Markdown), its columns,
    its keys. `extra`, for a file with a column per theme, describes the columns not
    listed."""

    name: str
    title: str
    about: str
    columns: Sequence[Column]
    primary_key: Sequence[str] = ()
    # (columns here, the file they refer to, its columns)
    foreign_keys: Sequence[tuple[tuple[str, ...], str, tuple[str, ...]]] = ()
    extra: Callable[[str], Column] | None = field(default=None, compare=False)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        if self.extra is None:
            raise KeyError(name)
        return self.extra(name)


def _statuses(statuses) -> list[str]:
    return [status.value for status in statuses]


ORGANISATION = Column("organisation", "the organisation's name", "text", required=True)
ORGANISATION_SLUG = Column(
    "organisation_slug",
    "the organisation's stable identifier, as in its page's URL",
    "lowercase letters, digits, `-`",
    pattern="[-a-zA-Z0-9_]+",
    required=True,
)
DATE = "`YYYY`, `YYYY-MM` or `YYYY-MM-DD`"

ASKS = File(
    name="asks",
    title="Asks, and the recommendations that realise them",
    about="""rows ordered by organisation name, document (earliest published first), ask
position, then the linked recommendation's chapter and ref. An ask linked to three
recommendations has three rows that repeat its columns; an ask with no link has one row
whose last nine columns, from `recommendation_ref` on, are empty. Count asks with distinct
`ask_id`s, not rows. The last five columns say what the Government did with the row's
recommendation, as stages.csv records it; they were added at the end, so the columns before
keep their places, and `import_assessments` reads files exported with or without them.""",
    columns=(
        ORGANISATION,
        ORGANISATION_SLUG,
        Column(
            "document_title",
            "the title of the document the ask is quoted from",
            "text",
            required=True,
        ),
        Column(
            "document_kind",
            "what the document is",
            "`case_for_change_response` (a response to the Case for Change),"
            " `case_for_change_digest` (a digest of the Case for Change, whose points are not"
            " counted as asks), `final_report_assessment` (the organisation's assessment of the"
            " Final Report), `government_response_assessment` (its assessment of the"
            " Government's response), `other`",
            enum=DocumentKind.values,
            required=True,
        ),
        Column(
            "document_published",
            "when the document was published, only as precisely as known",
            f"{DATE}; empty when unknown",
            pattern=PARTIAL_DATE,
        ),
        Column("document_url", "where the document was published", "URL; empty when not known"),
        Column("ask_id", "the ask's stable id", "whole number", type="integer", required=True),
        Column(
            "ask_position",
            "the ask's order within its document",
            "whole number from 1",
            type="integer",
            required=True,
        ),
        Column(
            "ask_text",
            "the ask, quoted exactly from the document",
            "text, may hold line breaks",
            required=True,
        ),
        Column("ask_title", "a short title, in carereview's words", "text"),
        Column(
            "themes",
            "the ask's themes",
            "theme slugs separated by `; `, e.g. `family-help; workforce`; empty when none",
        ),
        Column(
            "status",
            "whether the Final Report realised the ask",
            "`realised`, `partly` (partly realised), `absent` (not in the report), `unclear`"
            " (too vague to judge), `not_assessed`",
            enum=Status.values,
            required=True,
        ),
        Column(
            "judged_by",
            "whose judgement the status is",
            "`organisation` (the organisation itself, in its own published assessment),"
            " `editorial` (carereview's editors), `automatic` (a suggestion by the matcher, not"
            " yet checked by a person); empty when `not_assessed`",
            enum=JudgedBy.values,
        ),
        Column(
            "rationale",
            "the reasoning for the status; for the organisation's own judgement, its own words",
            "text; may be empty",
        ),
        Column(
            "recommendation_ref",
            "a recommendation that realises the ask, partly or fully",
            "a ref as in recommendations.csv; empty when the ask has no link",
        ),
        Column("recommendation_title", "that recommendation's short title", "text"),
        Column(
            "recommendation_chapter",
            "the number of that recommendation's chapter in the Final Report",
            "whole number",
            type="integer",
        ),
        Column(
            "evidence",
            "words quoted exactly from that recommendation's text that show it realises the ask",
            "text",
        ),
        Column(
            "government_response_status",
            "the Government's response to that recommendation: its latest, where it responded"
            " more than once",
            "`accepted`, `accepted_in_part`, `not_accepted`; empty when no response is on"
            " record, or the row has no recommendation",
            enum=_statuses(Stage.GOVERNMENT_RESPONSE.statuses),
        ),
        Column(
            "government_response_date",
            "when it responded, as precisely as known",
            f"{DATE}; empty as above",
            pattern=PARTIAL_DATE,
        ),
        Column(
            "furthest_delivery_status",
            "the furthest that delivering the recommendation has gone: legislated, then"
            " delivered, then legislation in progress, then in progress; of two as far, the"
            " later",
            "`legislated`, `delivered`, `legislation_in_progress`, `in_progress`; empty when no"
            " delivery is on record, or the row has no recommendation",
            enum=_statuses(Stage.DELIVERY.statuses),
        ),
        Column(
            "furthest_delivery_date",
            "when that stage was reached, as precisely as known",
            "as `government_response_date`",
            pattern=PARTIAL_DATE,
        ),
        Column(
            "furthest_delivery_summary",
            "that stage in one sentence, in carereview's words",
            "text; empty as `furthest_delivery_status`",
        ),
    ),
    foreign_keys=(
        (("organisation_slug",), "organisations", ("organisation_slug",)),
        (("recommendation_ref",), "recommendations", ("ref",)),
    ),
)

RECOMMENDATIONS = File(
    name="recommendations",
    title="The Final Report's recommendations, and how many organisations they answered",
    about="""one row per recommendation, by chapter, then in the order the
corpus holds them (with `sort=demand`, most organisations first, as on the page). The Final Report's own text could not be obtained: every
`text` is the closest wording that secondary sources give, `confidence` says how close, and
`sources` lists where it comes from. Quote the report itself, not this column, where the
exact words matter.""",
    columns=(
        Column(
            "ref",
            "the recommendation's stable reference",
            "the official number where known (`5.2`), otherwise chapter and `x` and a count"
            " (`6.x3`); never renumbered",
            required=True,
        ),
        Column("number", "the report's own number for it", "e.g. `5.2`; empty where not known"),
        Column("chapter", "the chapter's number", "whole number", type="integer", required=True),
        Column("chapter_title", "the chapter's title", "text"),
        Column("title", "a short title", "text"),
        Column("text", "the closest wording that the sources give", "text"),
        Column("themes", "its themes", "theme slugs separated by `; `"),
        Column(
            "confidence",
            "how close `text` is to the report's words",
            "`high` (a source quotes or closely reproduces it), `medium` (a source describes it"
            " without quoting), `low`",
            enum=Confidence.values,
            required=True,
        ),
        Column("sources", "the pages the wording comes from", "URLs separated by a space"),
        Column(
            "organisations_realised",
            "how many organisations have an ask it realises (status `realised`)",
            "whole number",
            type="integer",
            required=True,
        ),
        Column(
            "organisations_partly",
            "how many organisations have an ask it partly realises (status `partly`)",
            "whole number; an organisation can count in both columns, through different asks",
            type="integer",
            required=True,
        ),
    ),
    primary_key=("ref",),
)

ORGANISATIONS = File(
    name="organisations",
    title="Organisations and their asks' statuses",
    about="""the organisations page's scorecards, one row per organisation it
lists, in its order (by name, or highest share realised first with `sort=realised`).""",
    columns=(
        ORGANISATION,
        ORGANISATION_SLUG,
        Column(
            "kind",
            "what kind of organisation",
            "`charity`, `membership_forum`, `professional_body`, `local_authority`,"
            " `public_body`, `research`, `other`",
            enum=OrganisationKind.values,
            required=True,
        ),
        Column(
            "asks",
            "how many asks it made, counted as on the pages",
            "whole number",
            type="integer",
            required=True,
        ),
        *(
            Column(
                f"asks_{status}",
                f"how many of them have the status `{status}`",
                "whole number; these columns sum to `asks`",
                type="integer",
                required=True,
            )
            for status in Status.values
        ),
        Column(
            "share_realised",
            "`asks_realised / asks`",
            "two decimals; empty when it made no asks",
            type="number",
        ),
    ),
    primary_key=("organisation_slug",),
)

STAGES = File(
    name="stages",
    title="What the Government did with the recommendations",
    about="""what the Government did with the recommendations: one row per stage
record (a government response, or a step in delivering one), in the order of
recommendations.csv, then by date. A recommendation with no record has no row. Each record's
quotes are one cell, one quote a line, and their sources another, each URL on the line of its
quote: in Python, `zip(row["quotes"].split("\\n"), row["sources"].split("\\n"))` where
`quotes` is not empty.""",
    columns=(
        Column(
            "ref",
            "the recommendation, as `ref` in recommendations.csv",
            "a ref",
            required=True,
        ),
        Column(
            "recommendation_title",
            "the recommendation's short title, as `title` in recommendations.csv",
            "text",
        ),
        Column("chapter", "the number of its chapter", "whole number", type="integer"),
        Column(
            "stage_id",
            "the stage record's id, which it keeps for as long as it exists (a database that"
            " gained the shipped records after it held the corpus numbers them its own way)",
            "whole number",
            type="integer",
            required=True,
        ),
        Column(
            "stage",
            "what the record is",
            "`government_response` (the Government's response to the recommendation),"
            " `delivery` (a step in delivering it)",
            enum=Stage.values,
            required=True,
        ),
        Column(
            "status",
            "where the stage left the recommendation",
            "for a response: `accepted` (to be done as recommended, if first through a pilot),"
            " `accepted_in_part` (some of it, a weaker form, or a promise to consult or pilot),"
            " `not_accepted` (rejected, or another measure chosen); for delivery: `legislated`"
            " (enacted in an Act or regulations, in force or not), `delivered` (the action, or"
            " the stated part of it, has happened), `legislation_in_progress` (a Bill or clause"
            " before Parliament), `in_progress` (programmes, pilots or funding under way)",
            enum=StageStatus.values,
            required=True,
        ),
        Column("date", "when, as precisely as known", DATE, pattern=PARTIAL_DATE, required=True),
        Column(
            "date_precision",
            "how precisely `date` is known",
            "`year`, `month`, `day`, as the form of `date` says",
            enum=DatePrecision.values,
            required=True,
        ),
        Column(
            "summary", "the stage in one sentence, in carereview's words", "text", required=True
        ),
        Column(
            "confidence",
            "how far the quotes bear out the status",
            "`high` (the quotes state it), `medium` (they support it, but part is a reading),"
            " `low` (the status is a reading, or no quote could be found)",
            enum=Confidence.values,
            required=True,
        ),
        Column("note", "caveats: copies of pages, what is not quoted", "text; may be empty"),
        Column(
            "quotes",
            "exact words from published pages that show the stage",
            "one quote a line; empty when none was found",
        ),
        Column(
            "sources", "the page each quote is from", "one URL a line, on the line of its quote"
        ),
    ),
    primary_key=("stage_id",),
    foreign_keys=((("ref",), "recommendations", ("ref",)),),
)

MATRIX = File(
    name="matrix",
    title="Each organisation's asks by theme",
    about="""one row per organisation that has an ask among the filtered asks, by name.
After `organisation`, `organisation_slug` and `all_asks` (the status mix of all the
organisation's asks), one column per theme, headed by its slug, in the order of theme
names; with `by=recommendation`, one column per recommendation, headed by its ref, in the
order of recommendations.csv. Each of those cells is the status mix of the organisation's asks with that
theme, or linked to that recommendation as evidence (so only `realised` and `partly` occur
there). A status mix names every status, always in this order, with how many asks have it:
`realised=2;partly=1;absent=0;unclear=0;not_assessed=3`. A cell is empty when the
organisation has no such ask. An ask with several themes counts in each of their columns.
In Python: `dict(part.split("=") for part in cell.split(";"))`.""",
    columns=(
        ORGANISATION,
        ORGANISATION_SLUG,
        Column(
            "all_asks",
            "the status mix of all the organisation's asks",
            "`realised=N;partly=N;absent=N;unclear=N;not_assessed=N`",
            pattern=STATUS_MIX,
            required=True,
        ),
    ),
    primary_key=("organisation_slug",),
    foreign_keys=((("organisation_slug",), "organisations", ("organisation_slug",)),),
    extra=lambda slug: Column(
        slug,
        f"the status mix of the organisation's asks with the theme `{slug}`",
        "as `all_asks`; empty when it has no such ask",
        pattern=STATUS_MIX,
    ),
)

# In the order the README gives them.
FILES = (ASKS, RECOMMENDATIONS, ORGANISATIONS, MATRIX, STAGES)


def markdown_table(file: File) -> str:
    """The file's columns as the dictionary's Markdown table: column, meaning, values."""
    lines = ["| column | meaning | values |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.meaning} | {c.values} |" for c in file.columns]
    return "\n".join(lines) + "\n"


def markdown(files: Sequence[File] = FILES) -> str:
    """The whole dictionary in Markdown: for each file, what a row is, then its table."""
    return "\n".join(
        f"`{file.name}.csv` — {file.about}\n\n{markdown_table(file)}" for file in files
    )
