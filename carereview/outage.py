"""Answering plainly while the database is unreachable.

When PostgreSQL is down, every request that needs it would otherwise fail with a 500, try
a new connection, and write a traceback to the log. Instead such a request gets a 503 with
`Retry-After` and a plain page (templates/503.html); the log says once a second that the
database is unreachable and how many requests were turned away; and for `PAUSE_S` after a
failed connection this process answers 503 without trying again, so an outage costs the
database no storm of connection attempts and the server no CPU. Once the database is back,
the first request after the pause connects and every page works again. (Imported by the
settings' middleware list and by manage.py; nothing here may import models.)
"""

import logging
import threading
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# Seconds after a failed connection during which requests are answered without trying:
# a few connection attempts a second per process at most, and pages back within half a
# second of the database.
PAUSE_S = 0.5
# What a client or a proxy is told to wait before asking again.
RETRY_AFTER_S = 5
# At most one log line per this many seconds, however many requests fail.
LOG_EVERY_S = 1.0


def is_connection_failure(error: BaseException) -> bool:
    """Whether `error` means the database could not be reached, or its connection was lost,
    rather than a failed statement on a working connection (a timeout, a lock, bad SQL)."""
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    raw = connections[DEFAULT_DB_ALIAS].connection
    return raw is None or raw.closed or raw.broken


def database_address() -> str:
    """host:port of the database in the settings, as the operator wrote it."""
    database = settings.DATABASES[DEFAULT_DB_ALIAS]
    return f"{database.get('HOST') or 'localhost'}:{database.get('PORT') or 5432}"


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class _Outage:
    """This process's view of the database: when a connection last failed, and the log
    lines it owes. Shared by every thread of a gunicorn worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failed_at = float("-inf")
        self._logged_at = float("-inf")
        self._unlogged = 0
        self._reason = ""

    def paused(self) -> bool:
        return time.monotonic() - self._failed_at < PAUSE_S

    def note(self, error: BaseException | None) -> None:
        """Count a request turned away; after a real failure (`error`), start a pause.
        Log at most once every LOG_EVERY_S, with the count since the last line."""
        now = time.monotonic()
        with self._lock:
            if error is not None:
                self._failed_at = now
                self._reason = first_line(error)
            self._unlogged += 1
            if now - self._logged_at < LOG_EVERY_S:
                return
            count, reason = self._unlogged, self._reason
            self._unlogged, self._logged_at = 0, now
        logger.error(
            "The database at %s is unreachable (%s): answered %d request(s) with 503 since "
            "the last report.",
            database_address(),
            reason,
            count,
        )


outage = _Outage()


def unavailable(request, error: BaseException | None = None) -> HttpResponse:
    """The 503 page, rendered without the database (no signed-in user is looked up).
    Marked as logged, so that Django adds no line of its own per request."""
    # Here, not at the top: manage.py imports this module to explain a failure, and may
    # do so before Django's apps are ready.
    from django.contrib.auth.models import AnonymousUser

    outage.note(error)
    page = render_to_string("503.html", {"user": AnonymousUser()}, request=request)
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True
    return response


def without_database(view):
    """Mark a view that answers even during an outage (the health checks)."""
    view.answers_without_database = True
    return view


class DatabaseOutageMiddleware:
    """Turns requests away with the 503 page while the database is unreachable: at once
    during a pause after a failed connection, and whenever a view fails to connect."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if outage.paused() and not getattr(view_func, "answers_without_database", False):
            return unavailable(request)
        return None

    def process_exception(self, request, exception):
        if is_connection_failure(exception):
            return unavailable(request, exception)
        return None
