"""What `make loadtest` asks of a running carereview: its main pages, their htmx
fragments, search and a filtered CSV export, in proportions a browsing session might
have. Organisations, documents, recommendations and themes are the shipped corpus's,
plus synthetic organisations found on the organisations page.

Beside them, slow clients that a synchronous server would give a whole worker each: two
that trickle their headers a byte at a time and two that download the whole asks.csv at
500 KB/s for 40 s (past gunicorn's 30 s timeout at 2,000 organisations), then the rest at
full speed so that the download ends within the run. Each is a request kind of its own in
the figures, and fails unless answered in full.

Each answer's `Server-Timing` (how long carereview took, queueing left out) is written to
the file named by CAREREVIEW_SERVER_TIMES for loadtest.py to report.
"""

import json
import os
import random
import re
import socket
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, User, constant, events, task

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _corpus(model: str, field: str | None) -> list:
    rows = []
    for name in ("recommendations.json", "responses.json", "responses_round2.json"):
        rows += json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return [
        row["pk"] if field is None else row["fields"][field]
        for row in rows
        if row["model"] == model
    ]


ORGANISATIONS = _corpus("responses.organisation", "slug")
DOCUMENTS = _corpus("responses.responsedocument", None)
RECOMMENDATIONS = _corpus("recommendations.recommendation", "ref")
THEMES = _corpus("recommendations.theme", "slug")
SEARCHES = ["staying close", "stayng close", "foster carers", "advocacy", "family help"]
STATUSES = ["realised", "partly", "absent", "not_assessed"]
HTMX = {"HX-Request": "true"}


SERVER_TIMES_MS: list[float] = []


@events.request.add_listener
def note_server_time(response=None, **kwargs):
    timing = response.headers.get("Server-Timing", "") if response is not None else ""
    if match := re.search(r"\bapp;dur=([0-9.]+)", timing):
        SERVER_TIMES_MS.append(float(match.group(1)))


@events.quitting.add_listener
def write_server_times(environment, **kwargs):
    if path := os.environ.get("CAREREVIEW_SERVER_TIMES"):
        Path(path).write_text(json.dumps(SERVER_TIMES_MS))


@events.test_start.add_listener
def find_synthetic_organisations(environment, **kwargs):
    with urllib.request.urlopen(f"{environment.host}/organisations/") as page:
        html = page.read().decode()
    ORGANISATIONS.extend(
        sorted(set(re.findall(r'href="/organisations/(synthetic-[^/"]+)/"', html)))
    )


class Reader(FastHttpUser):
    # 50 clients each sending their next request as soon as the last is answered.
    wait_time = constant(0)

    @task(2)
    def overview(self):
        self.client.get("/", name="/")

    @task(2)
    def organisations(self):
        self.client.get("/organisations/", name="/organisations/")

    @task(4)
    def organisation(self):
        self.client.get(
            f"/organisations/{random.choice(ORGANISATIONS)}/", name="/organisations/<slug>/"
        )

    @task(2)
    def organisation_filtered_fragment(self):
        self.client.get(
            f"/organisations/{random.choice(ORGANISATIONS)}/?status={random.choice(STATUSES)}",
            headers=HTMX,
            name="/organisations/<slug>/?status= (htmx)",
        )

    @task(2)
    def document(self):
        self.client.get(f"/documents/{random.choice(DOCUMENTS)}/", name="/documents/<id>/")

    @task(2)
    def recommendations(self):
        self.client.get("/recommendations/", name="/recommendations/")

    @task(2)
    def recommendation(self):
        self.client.get(
            f"/recommendations/{random.choice(RECOMMENDATIONS)}/", name="/recommendations/<ref>/"
        )

    @task(1)
    def themes(self):
        self.client.get("/themes/", name="/themes/")

    @task(2)
    def theme(self):
        self.client.get(f"/themes/{random.choice(THEMES)}/", name="/themes/<slug>/")

    @task(2)
    def search(self):
        self.client.get(
            f"/search/?{urlencode({'q': random.choice(SEARCHES)})}",
            headers=HTMX,
            name="/search/?q= (htmx)",
        )

    @task(1)
    def export(self):
        self.client.get(
            f"/export/asks.csv?organisation={random.choice(ORGANISATIONS)}",
            name="/export/asks.csv?organisation=",
        )


def answered_in_full(head: bytes, tail: bytes, length: int) -> bool:
    """Whether a response whose first bytes are `head`, last bytes `tail` and size `length`
    is a 200 received whole: to its Content-Length, or to a chunked body's empty last chunk."""
    headers, _, _ = head.partition(b"\r\n\r\n")
    if not headers.startswith(b"HTTP/1.1 200"):
        return False
    if declared := re.search(rb"(?im)^content-length: *(\d+)", headers):
        return length == len(headers) + 4 + int(declared.group(1))
    return tail.endswith(b"\r\n0\r\n\r\n")


class SlowClient(User):
    """A raw connection that is slow on purpose, its request reported like the others."""

    abstract = True
    wait_time = constant(0)
    READ = 64 * 1024

    def request(
        self,
        *,
        name: str,
        path: str,
        send_pace: float = 0,
        read_pace: float = 0,
        slow_for: float = 0,
    ):
        """GET `path`, sending a byte every `send_pace` seconds and reading at most
        `read_pace` bytes a second for `slow_for` seconds, then as fast as possible (so
        that it ends, and is counted, within the run)."""
        address = urlsplit(self.host)
        started = time.monotonic()
        head, tail, length = b"", b"", 0
        with socket.socket() as connection:
            # A small window, so that the server's writes wait on this client's reads.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.READ)
            connection.settimeout(120)
            connection.connect((address.hostname, address.port or 80))
            request = (
                f"GET {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
                "User-Agent: a slow client\r\nConnection: close\r\n\r\n"
            ).encode()
            if send_pace:
                for byte in request:
                    connection.sendall(bytes([byte]))
                    time.sleep(send_pace)
            else:
                connection.sendall(request)
            while chunk := connection.recv(self.READ):
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                tail = (tail + chunk)[-16:]
                length += len(chunk)
                if read_pace and time.monotonic() - started < slow_for:
                    # Ahead of the pace: wait until the bytes so far are due.
                    time.sleep(max(0.0, started + length / read_pace - time.monotonic()))
        complete = answered_in_full(head, tail, length)
        self.environment.events.request.fire(
            request_type="GET",
            name=name,
            response_time=(time.monotonic() - started) * 1000,
            response_length=length,
            response=None,
            context={},
            exception=None if complete else Exception(f"incomplete: {head[:40]!r}, {length} bytes"),
        )


class HeaderTrickler(SlowClient):
    fixed_count = 2

    @task
    def trickle(self):
        # About 90 bytes a tenth of a second apart: 9 s to send the request.
        self.request(name="slow: headers trickled over 9 s", path="/organisations/", send_pace=0.1)


class SlowDownload(SlowClient):
    fixed_count = 2

    @task
    def download(self):
        # Past gunicorn's 30 s timeout, which cut such downloads with synchronous workers.
        self.request(
            name="slow: asks.csv, 40 s at 500 KB/s then the rest",
            path="/export/asks.csv",
            read_pace=500_000,
            slow_for=40,
        )
