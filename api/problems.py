"""Errors as RFC 9457 problem details (`application/problem+json`): every error the API
gives, from a bad parameter to a server error, says what went wrong in JSON, never as an
HTML page."""

import functools
import json
import logging
from http import HTTPStatus

from django.http import Http404, HttpResponse
from ninja.errors import HttpError, ValidationError

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"


class ApiProblem(Exception):
    """A problem to answer with: its status, a `detail` in words, and optional `errors`
    (each parameter that is wrong) and headers. Its type is `about:blank`: the status says
    what kind of problem it is, and `detail` and `errors` the rest."""

    def __init__(self, status: int, detail: str, *, errors=None, headers=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def problem_response(problem: ApiProblem) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(problem.status).phrase,
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    response = HttpResponse(json.dumps(body), status=problem.status, content_type=MEDIA_TYPE)
    for name, value in problem.headers.items():
        response[name] = value
    return response


def form_errors(form) -> list[dict]:
    """A form's errors as the problem's `errors`: each parameter with its messages."""
    return [
        {"parameter": name, "messages": [str(message) for message in messages]}
        for name, messages in form.errors.items()
    ]


def _parameter_errors(exc: ValidationError) -> list[dict]:
    errors = []
    for error in exc.errors:
        where = [str(part) for part in error.get("loc", ()) if part not in ("query", "path")]
        errors.append({"parameter": ".".join(where), "messages": [error.get("msg", "")]})
    return errors


def install(api) -> None:
    """Make every error of `api` a problem."""

    @api.exception_handler(ApiProblem)
    def _problem(request, exc: ApiProblem):
        return problem_response(exc)

    @api.exception_handler(ValidationError)
    def _invalid(request, exc: ValidationError):
        return problem_response(
            ApiProblem(
                422,
                "Some parameters are not valid: see `errors`.",
                errors=_parameter_errors(exc),
            )
        )

    @api.exception_handler(Http404)
    def _not_found(request, exc: Http404):
        detail = str(exc) or "Nothing is at this address."
        return problem_response(ApiProblem(404, detail))

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        return problem_response(ApiProblem(exc.status_code, str(exc)))

    @api.exception_handler(Exception)
    def _server_error(request, exc: Exception):
        # Logged with the request's id (carereview/request_context.py), which the answer
        # gives as the reference to report.
        logger.exception("API request failed")
        reference = getattr(request, "id", "")
        detail = f"Something went wrong on carereview. Reference: {reference}".strip()
        return problem_response(ApiProblem(500, detail))


def not_found(request, *args, **kwargs):
    """Any address under /api/ that names no endpoint."""
    return problem_response(
        ApiProblem(404, f"No API endpoint is at {request.path}: see /api/docs for them all.")
    )


def methods_as_problems(view):
    """Around an endpoint's URL: a method it does not take (the API only reads) is a 405
    problem rather than ninja's plain text."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        allowed = response["Allow"]
        detail = f"The API only reads: {request.method} is not one of {allowed} here."
        return problem_response(ApiProblem(405, detail, headers={"Allow": allowed}))

    return wrapped
