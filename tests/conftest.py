import os

import pytest
from django.core.management import call_command


@pytest.fixture
def corpus(db):
    """The corpus that carereview ships with, loaded as `make run` loads it."""
    call_command("load_corpus", stdout=open("/dev/null", "w"))


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
