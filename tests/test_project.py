"""The project is set up as the README says."""

import pytest
from django.core.management import call_command


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_home_page_lists_each_organisations_realised_partly_and_absent_counts(client, corpus):
    response = client.get("/")
    assert response.status_code == 200
    rows = {organisation.name: organisation for organisation in response.context["organisations"]}
    together_trust = rows["Together Trust"]
    assert (
        together_trust.asks_realised,
        together_trust.asks_partly,
        together_trust.asks_absent,
    ) == (2, 7, 4)
    assert "Together Trust" in response.content.decode()


@pytest.mark.django_db
def test_editors_change_the_record_and_viewers_only_read_it():
    from django.contrib.auth.models import Group, User

    editor = User.objects.create_user("editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Viewers"))

    assert editor.has_perms(
        [
            "responses.change_assessment",
            "responses.add_ask",
            "recommendations.change_recommendation",
        ]
    )
    assert not editor.has_perm("recommendations.delete_recommendation")
    assert viewer.has_perms(["responses.view_assessment", "recommendations.view_recommendation"])
    assert not viewer.has_perm("responses.change_assessment")


def run_settings(*, without=(), **env):
    import os
    import subprocess
    import sys

    environment = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", *without)
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import django; django.setup(); from django.conf import settings; "
                "print(settings.DEBUG, settings.ALLOWED_HOSTS)"
            ),
        ],
        env=environment | {"DJANGO_SETTINGS_MODULE": "carereview.settings"} | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_refuse_to_run_without_debug_and_without_a_secret_key():
    result = run_settings(DEBUG="false")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_settings_read_debug_secret_key_and_hosts_from_the_environment():
    result = run_settings(
        DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="carereview.example, a.test"
    )
    assert result.stdout.strip() == "False ['carereview.example', 'a.test']"


def test_settings_refuse_to_run_without_a_database_url_and_say_how_to_get_one():
    result = run_settings(without=["DATABASE_URL"])
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr
    assert "python -m ops.postgres" in result.stderr


def test_a_server_process_leaves_its_start_up_objects_out_of_full_garbage_collections():
    import os
    import subprocess
    import sys

    # What gunicorn and runserver load: the views' modules come with the URL conf.
    script = (
        "import gc; import carereview.wsgi; from browse import views; "
        "tracked = {id(o) for o in gc.get_objects()}; "
        "print(gc.get_freeze_count(), id(views.home) in tracked, id(views.__dict__) in tracked)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "carereview.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    frozen, view_tracked, module_tracked = result.stdout.split()
    assert int(frozen) > 50_000
    assert (view_tracked, module_tracked) == ("False", "False")
