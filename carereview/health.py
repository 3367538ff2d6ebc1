"""Health checks for a load balancer or an orchestrator: `/healthz` says the process
answers, `/readyz` that it can reach the database. Neither needs signing in, neither is
cached, and both answer during a database outage (carereview.outage)."""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .outage import outage, without_database


def _plain(text: str, *, status: int = 200) -> HttpResponse:
    response = HttpResponse(text, content_type="text/plain; charset=utf-8", status=status)
    response._has_been_logged = True
    return response


@without_database
@login_not_required
@never_cache
@require_safe
def healthz(request):
    """200 while this process answers requests; it never touches the database, so a
    database outage does not get the app servers restarted."""
    return _plain("ok\n")


@without_database
@login_not_required
@never_cache
@require_safe
def readyz(request):
    """200 when a `SELECT 1` succeeds, else 503: whether to send this server traffic.
    It always tries, even during the pause after a failed connection, so that it sees the
    database return as soon as it does; a failure is logged with the others, once a second."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        outage.note(error)
        return _plain("database unreachable\n", status=503)
    return _plain("ok\n")
