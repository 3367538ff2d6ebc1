"""The API keeps the promises of its OpenAPI schema: schemathesis reads the schema from
the application, generates requests for every endpoint from it (filters, choices,
cursors, path parameters, valid and not), sends them to the app on the shipped corpus,
and checks each answer: never a server error, and status, media type and body as the
schema says."""

import io

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import access

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Enough examples per endpoint to try each filter's choices and the edges of its limits;
# few enough that all of them take seconds, not minutes (README, "API").
EXAMPLES = 15


@pytest.fixture(scope="module")
def corpus_for_the_module(django_db_setup, django_db_blocker):
    """The shipped corpus, loaded once for every endpoint's test and rolled back after:
    each test's own transaction nests inside this one."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_corpus", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def served(corpus_for_the_module, db, monkeypatch):
    """The corpus in the database, and no limit on the rate: the generated requests come
    from one address, far faster than any client's rate."""
    monkeypatch.setattr(access.THROTTLE, "num_requests", 10**9)
    # As Django's test client does: a request's end must not close the connection that
    # holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Read from the application itself, as a client reads it (the open API needs no database
# for its schema).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_endpoint_answers_as_its_schema_says(case, served):
    case.call_and_validate(checks=CHECKS)
