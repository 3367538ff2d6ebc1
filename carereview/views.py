"""Error pages that say what happened in plain words, and never show a stack trace."""

import logging

from django.http import HttpResponseServerError
from django.shortcuts import render

logger = logging.getLogger(__name__)


def server_error(request):
    """The 500 page, with the request's id as a reference that leads to its log entry.
    Something is already broken: if even this page fails, a line of plain text will do."""
    reference = getattr(request, "id", "")
    try:
        return render(request, "500.html", {"reference": reference}, status=500)
    except Exception:
        logger.exception("The error page itself failed")
        return HttpResponseServerError(
            f"Something went wrong on carereview. Reference: {reference}".strip(),
            content_type="text/plain; charset=utf-8",
        )
