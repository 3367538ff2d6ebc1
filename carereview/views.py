"""Error pages that say what happened in plain words, and never show a stack trace."""

import logging
import sys

from django.http import HttpResponseServerError
from django.shortcuts import render

from .outage import is_connection_failure, unavailable

logger = logging.getLogger(__name__)


def server_error(request):
    """The 500 page, with the request's id as a reference that leads to its log entry.
    Something is already broken: if even this page fails, a line of plain text will do.
    A lost database outside a view (a middleware looking up the user) gets the 503 page,
    as in a view (carereview.outage)."""
    error = sys.exc_info()[1]
    if error is not None and is_connection_failure(error):
        return unavailable(request, error)
    reference = getattr(request, "id", "")
    try:
        return render(request, "500.html", {"reference": reference}, status=500)
    except Exception:
        logger.exception("The error page itself failed")
        return HttpResponseServerError(
            f"Something went wrong on carereview. Reference: {reference}".strip(),
            content_type="text/plain; charset=utf-8",
        )
