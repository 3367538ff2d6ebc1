"""Security headers on real responses, production mode as `check --deploy` sees it,
the optional sign-in, who may edit, sign-in throttling, and the error pages."""

import io
import json
import logging
import os
import re
import secrets
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from carereview.request_context import RequestContextFilter
from tests import factories

PAGES = [
    "/",
    "/organisations/",
    "/organisations/together-trust/",
    "/recommendations/",
    "/recommendations/5.2/",
    "/themes/",
    "/search/?q=kinship",
]
EXPORTS = ["/export/asks.csv", "/export/recommendations.csv", "/export/organisations.csv"]


def _policy(response) -> dict[str, list[str]]:
    directives = (d.split() for d in response["Content-Security-Policy"].split(";"))
    return {name: values for name, *values in directives}


# --- Content-Security-Policy ----------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_every_page_allows_only_its_own_nonced_scripts_and_no_inline_code(client, corpus, url):
    response = client.get(url)
    policy = _policy(response)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["style-src"] == ["'self'"] and "style-src-attr" not in policy
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    [nonce] = [v[len("'nonce-") : -1] for v in policy["script-src"] if v.startswith("'nonce-")]
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "htmx is on every page"
    for script in scripts:
        assert f'nonce="{nonce}"' in script and " src=" in script, script
    assert not re.search(r"<[^>]+\s(on[a-z]+|hx-on[:\w-]*|style)=", html)


def test_each_response_has_its_own_nonce(client, db):
    first, second = (_policy(client.get("/"))["script-src"] for _ in range(2))
    assert first != second


def test_admin_allows_style_attributes_for_its_widgets_but_still_no_inline_script(admin_client):
    policy = _policy(admin_client.get(reverse("admin:responses_ask_changelist")))
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    assert "'unsafe-inline'" not in policy["script-src"]


@pytest.mark.parametrize("url", PAGES[:2] + EXPORTS[:1])
def test_every_response_forbids_framing_sniffing_and_leaking_the_referrer(client, corpus, url):
    response = client.get(url)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{12}", response["X-Request-ID"])


# --- Production mode, in a process of its own (settings are read once) -------------------

PRODUCTION_PROBE = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.core.management import call_command
    from django.contrib.auth.models import User
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    User.objects.create_user("reader", password="a-long-reader-password")
    client = Client(HTTP_HOST="carereview.example")
    plain = client.get("/")
    home = client.get("/", secure=True)
    signed_in = client.post(
        "/sign-in/", {"username": "reader", "password": "a-long-reader-password"}, secure=True
    )
    cookies = {
        name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"])}
        for response in (home, signed_in)
        for name, c in response.cookies.items()
    }
    print(json.dumps({
        "plain": [plain.status_code, plain.get("Location")],
        "home": [home.status_code, dict(home.headers)],
        "cookies": cookies,
    }))
    """
)


# Set by the browser tests for Playwright's sake, and refused by `check --deploy`.
NOT_INHERITED = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def _production_env(tmp_path, **extra) -> dict:
    return {
        **{name: value for name, value in os.environ.items() if name not in NOT_INHERITED},
        "DJANGO_SETTINGS_MODULE": "carereview.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "carereview.example",
        "STATIC_ROOT": str(tmp_path / "static"),
        **extra,
    }


def _on_the_server(sql: str) -> None:
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(sql)


@pytest.fixture
def production_database() -> Iterator[str]:
    """The DATABASE_URL of a new, empty database on the tests' server, dropped afterwards:
    a production process migrates and writes, and must touch neither the tests' database
    nor the one DATABASE_URL names."""
    name = f"carereview_production_{secrets.token_hex(4)}"
    _on_the_server(f"CREATE DATABASE {name}")
    try:
        yield urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()
    finally:
        _on_the_server(f"DROP DATABASE {name} WITH (FORCE)")


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_mode_passes_every_deployment_check(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_mode_sends_the_security_headers_and_secure_cookies(
    tmp_path, production_database
):
    result = _run(
        ["-c", PRODUCTION_PROBE], _production_env(tmp_path, DATABASE_URL=production_database)
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://carereview.example/"]
    status, headers = seen["home"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"].split("script-src")[1]
    assert seen["cookies"]["csrftoken"] == {"secure": True, "httponly": True}
    assert seen["cookies"]["sessionid"] == {"secure": True, "httponly": True}


def test_production_mode_refuses_to_start_with_debug_on(tmp_path):
    result = _run(["manage.py", "check"], _production_env(tmp_path) | {"DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG shows stack traces to anyone" in result.stderr


# --- Signing in to browse ---------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES + EXPORTS)
def test_browsing_is_open_by_default(client, corpus, url):
    assert client.get(url).status_code == 200


@override_settings(CAREREVIEW_REQUIRE_LOGIN=True)
@pytest.mark.parametrize("url", PAGES + EXPORTS)
def test_with_login_required_every_page_and_export_sends_strangers_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@override_settings(CAREREVIEW_REQUIRE_LOGIN=True)
def test_with_login_required_htmx_sends_the_whole_page_to_sign_in(client, db):
    response = client.get("/organisations/?q=a", headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith(reverse("login") + "?next=")


@override_settings(CAREREVIEW_REQUIRE_LOGIN=True)
def test_with_login_required_a_signed_in_reader_browses_and_exports(client, corpus):
    User.objects.create_user("reader", password="a-long-reader-password")
    response = client.post(
        reverse("login"),
        {"username": "reader", "password": "a-long-reader-password", "next": "/themes/"},
    )
    assert response.status_code == 302 and response["Location"] == "/themes/"
    for url in PAGES + EXPORTS:
        assert client.get(url).status_code == 200, url
    assert "Signed in as reader" in client.get("/").content.decode()


@override_settings(CAREREVIEW_REQUIRE_LOGIN=True)
def test_with_login_required_the_sign_in_page_itself_is_open(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert '<label class="govuk-label" for="id_username">' in response.content.decode()


# --- Who may edit -----------------------------------------------------------------------


def _staff(username: str, group: str | None) -> Client:
    user = User.objects.create_user(username, password="a-long-password-1", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


def test_only_editors_may_change_a_judgement_in_admin(db):
    assessment = factories.assessment(status="absent", judged_by="editorial", evidence=())
    url = reverse("admin:responses_assessment_judge", args=[assessment.ask_id])
    data = factories.judge_form(assessment, status="unclear")
    for username, group in [("no-group", None), ("viewer", "Viewers")]:
        assert _staff(username, group).post(url, data).status_code == 403
        assessment.refresh_from_db()
        assert assessment.status == "absent"
    assert _staff("editor", "Editors").post(url, data).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "unclear"


def test_viewers_may_read_admin_but_not_add_organisations(db):
    viewer = _staff("viewer", "Viewers")
    assert viewer.get(reverse("admin:responses_organisation_changelist")).status_code == 200
    assert viewer.get(reverse("admin:responses_organisation_add")).status_code == 403


# --- Passwords and throttling -------------------------------------------------------------


@pytest.mark.parametrize("weak", ["password", "12345678", "short1!", "iloveyou"])
def test_weak_passwords_are_refused(weak):
    with pytest.raises(ValidationError):
        password_validation.validate_password(weak)


@pytest.mark.parametrize("login_url", ["login", "admin:login"])
def test_five_wrong_passwords_lock_the_username_out_even_with_the_right_one(client, db, login_url):
    User.objects.create_user("editor", password="the-right-password-1", is_staff=True)
    url = reverse(login_url)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": "editor", "password": "a-wrong-guess"})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    last_guess = client.post(url, {"username": "editor", "password": "a-wrong-guess"})
    assert last_guess.status_code == 429
    response = client.post(url, {"username": "editor", "password": "the-right-password-1"})
    assert response.status_code == 429
    assert "Too many attempts to sign in" in response.content.decode()
    assert "paused for 1 hour" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_other_usernames_are_not_locked_out_by_someone_elses_failures(client, db):
    User.objects.create_user("other", password="the-other-password-1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "editor", "password": "a-wrong-guess"})
    response = client.post(
        reverse("login"), {"username": "other", "password": "the-other-password-1"}
    )
    assert response.status_code == 302


# Behind the proxy, as `BEHIND_PROXY=true` deploys it: the proxy connects from its own address
# and appends the address it was connected from to any X-Forwarded-For the client sent.
PROXY, CLIENT_A, CLIENT_B, CLIENT_C = "10.0.0.2", "203.0.113.7", "198.51.100.9", "192.0.2.44"

BEHIND_PROXY_PROBE = textwrap.dedent(
    """
    import json, sys, django
    django.setup()
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client, override_settings

    proxy, client_a, client_b, client_c = sys.argv[1:]
    call_command("migrate", verbosity=0)
    # Static files as development serves them, to spare a collectstatic: the production
    # probe above covers those.
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}).enable()
    User.objects.create_user("editor", password="the-right-password-1")
    User.objects.create_user("reader", password="the-right-password-2")

    def sign_in(username, password, forwarded_for):
        client = Client(HTTP_HOST="carereview.example", REMOTE_ADDR=proxy)
        headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"}
        response = client.post("/sign-in/", {"username": username, "password": password},
                               headers=headers)
        return response.status_code

    def attempts(username):
        return [
            [a.ip_address, a.failures_since_start]
            for a in AccessAttempt.objects.filter(username=username)
        ]

    seen = {}
    seen["a_guesses"] = [sign_in("editor", "a-wrong-guess", client_a) for _ in range(5)]
    seen["a_attempts"] = attempts("editor")
    seen["b_right"] = sign_in("editor", "the-right-password-1", client_b)
    seen["a_right"] = sign_in("editor", "the-right-password-1", client_a)
    forged = [f"198.18.0.{i}, {client_c}" for i in range(6)]
    seen["c_guesses"] = [sign_in("reader", "a-wrong-guess", f) for f in forged[:5]]
    seen["c_attempts"] = attempts("reader")
    seen["c_right"] = sign_in("reader", "the-right-password-2", forged[5])
    print(json.dumps(seen))
    """
)


@pytest.fixture(scope="module")
def sign_ins_behind_the_proxy(tmp_path_factory):
    """What sign-ins through the proxy met, in a production-mode process with BEHIND_PROXY."""
    tmp_path = tmp_path_factory.mktemp("behind-proxy")
    result = _run(
        ["-c", BEHIND_PROXY_PROBE, PROXY, CLIENT_A, CLIENT_B, CLIENT_C],
        _production_env(tmp_path, BEHIND_PROXY="true"),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_behind_a_proxy_wrong_passwords_lock_out_the_client_that_sent_them_not_everyone(
    sign_ins_behind_the_proxy,
):
    seen = sign_ins_behind_the_proxy
    assert seen["a_guesses"] == [200, 200, 200, 200, 429]
    assert seen["a_attempts"] == [[CLIENT_A, 5]], "recorded as the client, not the proxy"
    assert seen["b_right"] == 302, "the same username signs in from another client"
    assert seen["a_right"] == 429


def test_behind_a_proxy_a_forged_x_forwarded_for_does_not_escape_the_lockout(
    sign_ins_behind_the_proxy,
):
    seen = sign_ins_behind_the_proxy
    assert seen["c_guesses"] == [200, 200, 200, 200, 429]
    assert seen["c_attempts"] == [[CLIENT_C, 5]], "the address the proxy saw, not the forged one"
    assert seen["c_right"] == 429


# --- Error pages ----------------------------------------------------------------------------


@pytest.fixture
def error_log():
    """What carereview's log handler writes, while the test runs."""
    [handler] = [
        h
        for h in logging.getLogger("django").handlers
        if any(isinstance(f, RequestContextFilter) for f in h.filters)
    ]
    written = io.StringIO()
    previous = handler.setStream(written)
    yield written
    handler.setStream(previous)


@pytest.mark.urls("tests.failing_urls")
def test_a_server_error_shows_a_friendly_page_with_a_reference_and_logs_the_traceback(
    db, error_log
):
    client = Client(raise_request_exception=False)
    response = client.get("/fail/")
    assert response.status_code == 500
    page = response.content.decode()
    reference = response["X-Request-ID"]
    assert "Sorry, something went wrong on carereview" in page
    assert reference in page
    assert "Traceback" not in page and "secret detail" not in page
    logged = error_log.getvalue()
    assert f"[request {reference} GET /fail/ user=-]" in logged
    assert "RuntimeError: a deliberate failure with a secret detail" in logged


def test_a_request_for_another_host_gets_the_friendly_400_page(client, db):
    response = client.get("/", headers={"host": "carereview.evil.example"})
    assert response.status_code == 400
    assert "carereview could not read that request" in response.content.decode()


def test_an_unknown_address_gets_the_friendly_404_page(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_form_without_its_csrf_token_gets_a_plain_explanation(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert "That form could not be accepted" in response.content.decode()
    assert "nothing was saved" in response.content.decode()


def test_a_forbidden_admin_action_gets_the_friendly_403_page(db):
    response = _staff("viewer", "Viewers").get(reverse("admin:responses_organisation_add"))
    assert "You are not allowed to do that" in response.content.decode()
