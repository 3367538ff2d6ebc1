"""Error pages that say what happened in plain words, and never show a stack trace."""

import logging
import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
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


def bad_request(request, exception):
    """The 400 page; for a request larger than carereview accepts, 413 and the limit in
    words, so that whoever pasted a long document knows what to shorten."""
    if isinstance(exception, RequestDataTooBig):
        problem = (
            f"What you sent is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes "
            "carereview accepts in one request, enough for a document of "
            f"{settings.CAREREVIEW_DOCUMENT_TEXT_CHARS:,} characters, the longest accepted. "
            "Nothing was saved: shorten the text, or split the document in two."
        )
        return render(request, "400.html", {"problem": problem}, status=413)
    if isinstance(exception, TooManyFieldsSent):
        problem = (
            f"The form you sent has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} "
            "fields, the most carereview accepts in one request. Nothing was saved."
        )
        return render(request, "400.html", {"problem": problem}, status=400)
    return render(request, "400.html", status=400)
