"""A failed export never looks complete: a database error before the first byte gets the
error page, and one after it breaks off the transfer, logged with the request's id."""

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from responses.models import Ask

from . import factories
from .servers import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_a_database_error_before_the_first_byte_gets_the_error_page_with_the_request_id():
    factories.ask()
    with connection.cursor() as cursor:
        # Rolled back with the test: the export's query now fails when it starts.
        cursor.execute(f"ALTER TABLE {Ask._meta.db_table} RENAME TO gone")
    response = Client(raise_request_exception=False).get(reverse("export_asks"))
    assert response.status_code == 500
    assert not response.streaming
    assert response["X-Request-ID"] in response.content.decode()


def database_url_of_the_tests() -> str:
    settings = connection.settings_dict
    host = quote(settings["HOST"] or "", safe="")
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{settings['USER']}@{host}{port}/{settings['NAME']}"


@pytest.fixture
def gunicorn(tmp_path):
    """A gunicorn process serving the test database, as `make serve` serves; yields its
    port and the file its log goes to."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = dict(
        os.environ,
        DATABASE_URL=database_url_of_the_tests(),
        DEBUG="false",
        SECRET_KEY="test-key",
        DJANGO_SETTINGS_MODULE="carereview.settings",
    )
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "carereview.wsgi", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield port, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def copy_backends() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE query LIKE 'COPY %%'"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_a_database_failure_mid_stream_breaks_off_the_transfer_and_is_logged(gunicorn):
    port, log = gunicorn
    document = factories.document(text="A long ask. " * 400)
    # Far more than the sockets between database, server and client hold, so that the
    # export is still being read from the database when it fails.
    Ask.objects.bulk_create(
        Ask(document=document, position=position, text=document.text, title="Long")
        for position in range(1, 8001)
    )
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    client.request("GET", reverse("export_asks"))
    response = client.getresponse()
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") == "chunked"
    request_id = response.getheader("X-Request-ID")
    assert response.read(64 * 1024).startswith(b"organisation,")
    (backend,) = copy_backends()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    client.close()
    deadline = time.monotonic() + 10
    while "broke off" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = [line for line in log.read_text().splitlines() if "broke off" in line]
    assert len(lines) == 1 and f"[request {request_id} GET /export/asks.csv" in lines[0]
