"""Real server processes for the tests that need them: gunicorn as `make serve` runs it
(gunicorn.conf.py), and Redis."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from ops.served import free_port

ROOT = Path(__file__).resolve().parent.parent
# Generous: only so that a hung server fails the test rather than hanging it.
ANSWER_TIMEOUT_S = 30
# The environment variables the tests' own process may carry that a server must not inherit.
NOT_INHERITED = {"DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL"}


def wait_until(condition, *, what: str, timeout: float = ANSWER_TIMEOUT_S):
    """Poll `condition` until it returns something true, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    raise AssertionError(f"Still waiting, after {timeout} s, for {what}.")


def get(url: str, *, headers: dict | None = None) -> tuple[int, dict, str]:
    """Status, headers and body of a GET, whatever the status."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=ANSWER_TIMEOUT_S) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


class Gunicorn:
    """gunicorn serving carereview with the committed gunicorn.conf.py, as `make serve`
    runs it, against `database_url`; its log (gunicorn's and carereview's) in `log`.

    DEBUG stays on only to spare a collectstatic per server (pages would otherwise need
    the hashed static files): nothing these tests look at depends on it."""

    def __init__(
        self, *, database_url: str, log: Path, workers: int = 1, wait: bool = True, **environ: str
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
        env |= {"DATABASE_URL": database_url, "DEBUG": "true", "CONN_MAX_AGE": "600"}
        env |= environ
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config",
                    "gunicorn.conf.py",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(workers),
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if wait:
            self.wait_until_answering()

    def wait_until_answering(self) -> None:
        wait_until(self._answers, what="gunicorn to answer")

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn stopped:\n{self.log_text()}")
        try:
            return get(f"{self.url}/healthz")[0] == 200
        except OSError:
            return False

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=ANSWER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def database_url_of_the_tests() -> str:
    """DATABASE_URL for the tests' database (once pytest-django has made it), so that a
    server process reads what the tests commit."""
    name = settings.DATABASES["default"]["NAME"]
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()
