import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parent.parent
HASHED_STORAGE = "carereview.staticfiles.CompressedHashedStaticFilesStorage"


def settings_under(**environ) -> dict:
    """The settings Django reads in a fresh process with this environment."""
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({'storage': settings.STORAGES['staticfiles']['BACKEND'], "
        "'conn_max_age': settings.DATABASES['default']['CONN_MAX_AGE'], "
        "'middleware': settings.MIDDLEWARE}))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env |= {"DJANGO_SETTINGS_MODULE": "carereview.settings", **environ}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_production_stores_static_files_compressed_and_hashed():
    production = settings_under(DEBUG="false", SECRET_KEY="test-key", CONN_MAX_AGE="600")
    assert production["storage"] == HASHED_STORAGE
    assert production["conn_max_age"] == 600
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in production["middleware"]


def test_development_serves_static_files_without_collectstatic():
    assert settings_under(DEBUG="true")["storage"] == (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )


@pytest.fixture
def collected_static(tmp_path, settings):
    storages = settings.STORAGES | {"staticfiles": {"BACKEND": HASHED_STORAGE}}
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield tmp_path


def test_pages_link_to_hashed_static_files_that_whitenoise_serves_compressed(collected_static, db):
    # A fresh client loads the middleware afresh, so WhiteNoise sees the collected files.
    client = Client()
    page = client.get("/")
    assert page.status_code == 200
    stylesheet = re.search(r'href="(/static/css/carereview\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the page links to the hashed stylesheet"

    served = client.get(stylesheet.group(1), HTTP_ACCEPT_ENCODING="gzip")
    assert served.status_code == 200
    assert served["Content-Encoding"] == "gzip"
    assert "immutable" in served["Cache-Control"]
    assert served["Content-Type"].startswith("text/css")
