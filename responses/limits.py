"""The largest input carereview accepts, in one place: the importers and the models'
validators (so admin's forms too) refuse anything larger with a message that names the
limit and the actual size.

Each limit is far above anything real: the longest document in the corpus is about
19,000 characters, its longest ask about 600, its longest rationale about 2,000. What is
larger is a wrong file or an attack, and would make every page that shows it slow.
"""

# A response document as a file (the import_response command), and its text however
# it arrives (a file, or pasted into admin).
DOCUMENT_FILE_BYTES = 5_000_000
DOCUMENT_TEXT_CHARS = 5_000_000

# The most a request to carereview may carry besides files (Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE, set from this in settings), so that admin accepts every
# document within DOCUMENT_TEXT_CHARS: its text at 4 bytes a character, UTF-8's most, as
# admin's document and split forms post it (multipart sends a field's bytes as they are,
# where form-encoding would take up to 12 a character), and 1,000,000 bytes over for the
# rest of the form: title, notes and the asks inline.
REQUEST_BYTES = 4 * DOCUMENT_TEXT_CHARS + 1_000_000

# One ask quoted from a document: a sentence or a paragraph.
ASK_TEXT_CHARS = 10_000

# Free text written about something: an assessment's rationale and note, a document's
# notes, an organisation's description.
NOTE_CHARS = 20_000

# Short fields, which the database also enforces (varchar).
ORGANISATION_NAME_CHARS = 200
DOCUMENT_TITLE_CHARS = 300
ASK_TITLE_CHARS = 200
URL_CHARS = 500

# asks.csv read back by import_assessments. 100 MB is about 160,000 exported rows; every
# row is held in memory while the whole file is checked, so the file and its rows are
# bounded, and so is each cell (csv's own default, 131,072 characters, is not a message).
ASSESSMENTS_FILE_BYTES = 100_000_000
ASSESSMENTS_ROWS = 200_000
ASSESSMENTS_CELL_CHARS = 100_000

# stages.csv read back by import_stages: a row per stage record, a few for each of a few
# hundred recommendations. A cell holds all of a stage's quotes, each of which, like its
# summary and note, is at most NOTE_CHARS.
STAGES_FILE_BYTES = 10_000_000
STAGES_ROWS = 10_000
STAGES_CELL_CHARS = 100_000


def size_in_words(count: int, unit: str) -> str:
    """`count` with thousands separators and its unit: "5,000,001 bytes"."""
    return f"{count:,} {unit}{'s' * (count != 1)}"
