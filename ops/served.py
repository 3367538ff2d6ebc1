"""Warm pages against a static file, as a browser gets them: through one gunicorn server
started with the committed gunicorn.conf.py, as `make serve` runs it.

The page timings of `ops.benchmarking` are Django's own time, through its test client.
Here each request also crosses a socket and gunicorn, and a static file through the same
server (WhiteNoise, ahead of the sessions, the views and the database) is the reference:
what the server costs when the page costs nothing."""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.templatetags.static import static

ROOT = Path(__file__).resolve().parent.parent
STATIC_FILE = "css/carereview.css"
# Only so that a server that never answers fails the benchmark rather than hanging it.
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(*, port: int, environ: dict[str, str]):
    """One gunicorn worker serving carereview on `port`, with this process's
    environment (its DATABASE_URL) and `environ`, until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=os.environ | environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while _status(port, "/healthz") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start: run `make serve` to see why.")
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait()


def _status(port: int, path: str) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=START_TIMEOUT_S)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def measure_served(
    *, pages: list[tuple[str, str, bool]], runs: int, environ: dict[str, str] | None = None
) -> dict:
    """The static file's p95 and each page's warm p95 (after two requests that compute
    and cache it), in milliseconds, over one kept-alive connection, and each page's p95
    as a multiple of the static file's. The server runs as served, DEBUG off, unless
    `environ` says otherwise."""
    port = free_port()
    with gunicorn(port=port, environ={"DEBUG": "false"} | (environ or {})):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=START_TIMEOUT_S)
        try:
            reference = _timed(connection, static(STATIC_FILE), {}, runs=runs)
            measured = []
            for name, path, htmx in pages:
                headers = {"HX-Request": "true"} if htmx else {}
                p95 = _timed(connection, path, headers, runs=runs)
                measured.append(
                    {
                        "name": name,
                        "path": path,
                        "htmx": htmx,
                        "warm_p95_ms": p95,
                        "times_static": round(p95 / reference, 1),
                    }
                )
        finally:
            connection.close()
    return {"static_file": static(STATIC_FILE), "static_p95_ms": reference, "pages": measured}


def _timed(connection, path: str, headers: dict, *, runs: int, warmup: int = 2) -> float:
    times = []
    for run in range(warmup + runs):
        start = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status} through gunicorn.")
        if run >= warmup:
            times.append((time.perf_counter() - start) * 1000)
    return round(statistics.quantiles(times, n=20, method="inclusive")[-1], 2)
