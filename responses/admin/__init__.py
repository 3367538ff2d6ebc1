"""Admin for entering what organisations asked for and judging it, one module per model.

The editorial screens are views with forms of their own that call the write services:
judging an ask (assessment.py, the judge page), linking a suggested recommendation or
marking an ask absent from its page (ask.py), splitting a document into asks
(document.py), and bringing back an edited asks.csv or stages.csv (round_trip.py, with
previews). Judgements are written only through `assessments.record` (of the Final
Report) and `assessments.record_government` (of the Government's response, from its
admin's form in government_assessment.py), so the rules in `responses.rules` hold here
as everywhere; the forms call the same rules to point at the field at fault.
"""

from . import (
    ask,
    assessment,
    document,
    government_assessment,
    government_stage,
    organisation,
    organisation_note,
)

__all__ = [
    "ask",
    "assessment",
    "document",
    "government_assessment",
    "government_stage",
    "organisation",
    "organisation_note",
]
