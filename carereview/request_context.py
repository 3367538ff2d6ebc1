"""Who made each request and which one it was: an id for every request, kept where
error pages and log lines can read it. (Imported by the logging configuration, before
Django's apps are ready: nothing here may import models.)"""

import contextvars
import logging
import secrets
import time

_request = contextvars.ContextVar("request", default=None)


class RequestIdMiddleware:
    """Give each request a short random id: in the `X-Request-ID` header, on the error
    page as a reference to quote, and in every log line written while it runs. Say too,
    in `Server-Timing`, how long carereview took to answer (to the first byte of a
    streamed export), so a load test can tell time in the server from time queued."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.id = secrets.token_hex(6)
        token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        response["X-Request-ID"] = request.id
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response


class RequestContextFilter(logging.Filter):
    """Add the current request's id, method, path and user to every log record, or "-"
    outside a request (a management command)."""

    def filter(self, record):
        request = getattr(record, "request", None) or _request.get()
        record.request_id = getattr(request, "id", "-")
        record.request_method = getattr(request, "method", "-")
        record.request_path = getattr(request, "path", "-")
        record.request_user = _username(request)
        return True


def _username(request) -> str:
    # Finding the user may need the database, which may be why something is being logged.
    try:
        user = request.user
        return user.get_username() if user.is_authenticated else "-"
    except Exception:  # noqa: BLE001 - a log line must be written whatever went wrong
        return "?"
