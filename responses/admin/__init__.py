"""Admin for entering what organisations asked for and judging it, one module per model.

The editorial screens are views with forms of their own that call the write services:
judging an ask (assessment.py, the judge page), linking a suggested recommendation or
marking an ask absent from its page (ask.py), and splitting a document into asks
(document.py). Judgements are written only through `assessments.record`, so the rules in
`responses.rules` hold here as everywhere; the forms call the same rules to point at the
field at fault.
"""

from . import ask, assessment, document, organisation

__all__ = ["ask", "assessment", "document", "organisation"]
