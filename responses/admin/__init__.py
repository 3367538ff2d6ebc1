"""Admin for entering what organisations asked for and judging it, one module per model.

Judgements are written only through `assessments.record` (of the Final Report) and
`assessments.record_government` (of the Government's response), whether an editor edits an
assessment, links a suggested recommendation from an ask's page or marks an ask absent,
so the rules about whose judgement may replace whose hold here too.
"""

from . import ask, assessment, document, government_assessment, organisation, organisation_note

__all__ = [
    "ask",
    "assessment",
    "document",
    "government_assessment",
    "organisation",
    "organisation_note",
]
