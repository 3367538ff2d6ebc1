"""Slow clients cannot starve the others: gunicorn as `make serve` runs it
(gunicorn.conf.py, threaded workers) answers every other request while clients trickle
their headers and one reads an export slowly. With the synchronous workers it used
before, each such client held a whole worker."""

import socket

import pytest

from tests.servers import ANSWER_TIMEOUT_S, Gunicorn, database_url_of_the_tests, get

# The tests' database is made only for modules that ask for it.
pytestmark = pytest.mark.django_db

PAGES = ["/", "/organisations/", "/recommendations/", "/themes/", "/search/?q=family", "/healthz"]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    """One worker, so that every slow client below lands on the worker that must also
    answer the others: stricter than `make serve`'s four."""
    with django_db_blocker.unblock():
        url = database_url_of_the_tests()
    served = Gunicorn(
        database_url=url, log=tmp_path_factory.mktemp("slow-clients") / "gunicorn.log"
    )
    yield served
    served.stop()


def _connect(server: Gunicorn, *, receive_buffer: int | None = None) -> socket.socket:
    connection = socket.socket()
    if receive_buffer:
        # A small window, so that the server's writes wait on this client's reads.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    connection.settimeout(ANSWER_TIMEOUT_S)
    connection.connect(("127.0.0.1", server.port))
    return connection


def _read_all(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_other_requests_are_answered_while_two_clients_trickle_headers_and_one_reads_slowly(
    server,
):
    tricklers = [_connect(server) for _ in range(2)]
    for trickler in tricklers:
        # A request line and the start of a header, then nothing for as long as the test runs.
        trickler.sendall(b"GET /organisations/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: te")
    reader = _connect(server, receive_buffer=4096)
    reader.sendall(b"GET /export/asks.csv HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    first_bytes = reader.recv(64)

    answered = [get(f"{server.url}{path}")[0] for path in PAGES for _ in range(3)]

    assert answered == [200] * len(answered), server.log_text()[-3000:]
    # The slow clients were being served all along, and are answered in full.
    for trickler in tricklers:
        trickler.sendall(b"xt/html\r\nConnection: close\r\n\r\n")
        assert _read_all(trickler).startswith(b"HTTP/1.1 200 OK\r\n")
        trickler.close()
    export = first_bytes + _read_all(reader)
    reader.close()
    assert export.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'attachment; filename="carereview-asks' in export
