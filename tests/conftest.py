import os
import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from . import corpus_snapshot


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, its tables left alone by autovacuum. Tests roll back what they
    write, and autovacuum analysing a table in between records pages with no live rows:
    every scan is then planned as one row, a plan chosen by the luck of timing. The tests
    that prove a query's plan under such statistics set them themselves
    (tests/test_export.py, `plan_as_if_every_table_were_empty`)."""
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with nothing cached: pages computed in one test must not answer
    in another, and query counts are those of a page computed afresh."""
    cache.clear()


@pytest.fixture
def corpus(db):
    """The corpus that carereview ships with, loaded as `make run` loads it."""
    corpus_snapshot.load()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the session's browser tests, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running; Django would otherwise refuse
    # database access from the test itself while it does.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"


def load_axe(page) -> None:
    """Put axe-core in `page`, evaluated by Playwright: a script tag would be refused by the
    pages' Content-Security-Policy, as it should be."""
    page.evaluate(AXE.read_text())


def refused_by_csp(page) -> list[str]:
    """The Content-Security-Policy violations Chromium reports on `page` from now on: a
    test's page should have none, or some script, style or request of ours is blocked.
    Scripts the test itself evaluates (axe-core) have no source URL and are not the pages'."""
    refusals = []

    def note(message):
        source = message.location.get("url", "")
        if "Content Security Policy" in message.text and source:
            refusals.append(f"{source}: {message.text}")

    page.on("console", note)
    return refusals


REDIS_SERVER = "/usr/bin/redis-server"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A throwaway redis-server for the session, on a free port, keeping nothing on disk;
    its URL. Stopped when the session ends."""
    import redis

    from tests.servers import free_port, wait_until

    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)

    def answers() -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    try:
        wait_until(answers, what="redis-server to answer")
        yield url
    finally:
        client.close()
        server.terminate()
        server.wait()
