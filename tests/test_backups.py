"""Backups: a backup restored gives back every row of every table exactly, and a restore
that is refused or fails part-way leaves the database as it was.

They are transactional because pg_dump and pg_restore use their own connections, which
see only committed data.
"""

import io
import re
import subprocess
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from browse import caching
from ops import backups
from recommendations.models import Recommendation, Theme
from responses import assessments
from responses.models import Ask, Assessment, DataVersion, Evidence, Organisation
from tests import factories

define_groups = import_module("responses.migrations.0002_editor_and_viewer_groups").define_groups

pytestmark = pytest.mark.django_db(transaction=True)


def every_row() -> dict[str, list[dict]]:
    """Every row of every table Django knows, in id order: each app's models, the
    many-to-many tables between them, history, users, sessions, content types."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
        # Renewed by a restore, not restored (test below).
        if model is not DataVersion
    }


@pytest.fixture
def record():
    """The shipped corpus plus what people add to it: staff, their groups and
    permissions, judgements with their history, an admin log entry and a session."""
    # The groups come from a data migration, which an earlier transactional test's flush
    # takes away with everything else.
    define_groups(apps)
    call_command("load_corpus", stdout=io.StringIO())
    editor = User.objects.create_user("editor", password="a-long-editor-password", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    reader = User.objects.create_user("reader", email="reader@example.org")
    reader.user_permissions.add(Permission.objects.get(codename="view_assessment"))
    ask = Ask.objects.counted().filter(assessment__isnull=True).first()
    recommendation = Recommendation.objects.first()
    assessments.record(
        ask=ask,
        status="partly",
        judged_by="editorial",
        rationale="Some of it.",
        evidence=[(recommendation, recommendation.text[:40])],
        user=editor,
        reason="first look",
    )
    assessments.record(
        ask=ask,
        status="realised",
        judged_by="editorial",
        rationale="All of it, on reading again.",
        evidence=[(recommendation, recommendation.text[:60])],
        user=editor,
        reason="second look",
    )
    organisation = Organisation.objects.first()
    LogEntry.objects.create(
        user=editor,
        content_type=ContentType.objects.get_for_model(Organisation),
        object_id=str(organisation.pk),
        object_repr=str(organisation),
        action_flag=CHANGE,
        change_message="Changed description.",
    )
    session = SessionStore()
    session["_auth_user_id"] = str(editor.pk)
    session.create()
    return editor


def change_everything(editor: User) -> None:
    """Edits, deletions and additions across the tables a restore must put back."""
    judged = Assessment.objects.filter(judged_by="editorial").first()
    assessments.record(
        ask=judged.ask,
        status="absent",
        judged_by="editorial",
        rationale="Changed my mind.",
        user=editor,
        reason="after the backup",
    )
    Evidence.objects.filter(assessment__judged_by="organisation").first().delete()
    Ask.objects.filter(themes__isnull=False).first().themes.clear()
    Recommendation.objects.update(text="Overwritten.")
    Theme.objects.create(name="Added after the backup", slug="added-after-the-backup")
    factories.organisation(name="Added after the backup")
    Group.objects.get(name="Viewers").delete()
    User.objects.get(username="reader").delete()
    LogEntry.objects.all().delete()


def test_a_restored_backup_gives_back_every_row_of_every_table_exactly(record, tmp_path):
    before = every_row()
    for table in [
        "responses.HistoricalAssessment",
        "responses.HistoricalEvidence",
        "responses.Ask_themes",
        "auth.User_groups",
        "auth.User_user_permissions",
        "auth.Group_permissions",
        "admin.LogEntry",
        "sessions.Session",
    ]:
        assert before[table], f"the record has no {table} rows to round-trip"
    path = tmp_path / "backup"
    call_command("backup", output=path, stdout=io.StringIO())

    change_everything(record)
    assert every_row() != before

    call_command("restore", str(path), yes=True, stdout=io.StringIO())
    after = every_row()
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], table


def test_a_restore_gives_the_data_version_a_fresh_token_not_the_backups(record, tmp_path):
    backed_up = caching.data_version()
    path = tmp_path / "backup"
    call_command("backup", output=path, stdout=io.StringIO())
    call_command("restore", str(path), yes=True, stdout=io.StringIO())
    restored = caching.data_version()
    assert restored != backed_up
    Organisation.objects.update(name="Renamed")
    assert caching.data_version() != restored


def test_a_restored_database_never_gives_a_new_row_the_id_of_one_deleted_before_the_backup(
    record, tmp_path
):
    deleted = factories.organisation()
    deleted_id = deleted.pk
    deleted.delete()
    path = backups.back_up(path=tmp_path / "backup")
    backups.restore(path=path)

    assert factories.organisation().pk > deleted_id


def test_make_backup_writes_a_new_timestamped_file_under_backups_and_says_where(
    record, tmp_path, monkeypatch
):
    monkeypatch.setattr(backups, "DEFAULT_DIRECTORY", tmp_path / "backups")
    out = io.StringIO()
    call_command("backup", stdout=out)

    written = re.search(r" to (\S+) \(", out.getvalue()).group(1)
    assert Path(written).parent == tmp_path / "backups"
    assert re.fullmatch(r"carereview-\d{8}T\d{6}Z\.dump", Path(written).name)
    assert Path(written).stat().st_mode & 0o077 == 0, "readable by its owner only"
    assert list((tmp_path / "backups").iterdir()) == [Path(written)], "no partial file left"


def test_backup_never_overwrites_an_existing_file(record, tmp_path):
    existing = tmp_path / "backup"
    existing.write_text("keep me")

    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", output=existing)
    assert existing.read_text() == "keep me"


def test_restore_without_yes_says_what_it_would_replace_and_changes_nothing(record, tmp_path):
    path = backups.back_up(path=tmp_path / "backup")
    change_everything(record)
    before = every_row()

    with pytest.raises(CommandError, match=r"replaces everything.*--yes"):
        call_command("restore", str(path))
    assert every_row() == before


def test_restore_refuses_a_missing_file(record, tmp_path):
    before = every_row()
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "no-such-backup"), yes=True)
    assert every_row() == before


@pytest.mark.parametrize(
    "content",
    ["name,kind\nBecome,charity\n", '{"objects": []}'],
    ids=["a CSV file", "a JSON file"],
)
def test_restore_refuses_a_file_that_is_not_a_postgresql_backup(record, tmp_path, content):
    path = tmp_path / "backup"
    path.write_text(content)
    before = every_row()

    with pytest.raises(CommandError, match="is not a PostgreSQL backup"):
        call_command("restore", str(path), yes=True)
    assert every_row() == before


def test_restore_refuses_a_backup_cut_short_and_changes_nothing(record, tmp_path):
    path = backups.back_up(path=tmp_path / "backup")
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    change_everything(record)
    before = every_row()

    with pytest.raises(CommandError):
        call_command("restore", str(path), yes=True)
    assert every_row() == before


def break_part_way(path: Path) -> None:
    """Spoil a backup so that restoring it fails only after it has begun replacing rows:
    its table of contents is whole, so pg_restore starts; its data ends early."""
    content = path.read_bytes()
    path.write_bytes(content[: len(content) * 9 // 10])


def test_a_restore_that_fails_part_way_leaves_the_database_as_it_was(record, tmp_path):
    path = backups.back_up(path=tmp_path / "backup")
    break_part_way(path)
    change_everything(record)
    before = every_row()

    with pytest.raises(CommandError, match="the database is as it was"):
        call_command("restore", str(path), yes=True)
    assert every_row() == before


def test_a_backup_is_restored_only_with_its_own_migration_records(record, tmp_path):
    path = backups.back_up(path=tmp_path / "backup")
    # The archive carries its schema and its migration records: a database migrated
    # further since is put back to the backup's point, records and all.
    recorded = MigrationRecorder.Migration.objects
    taken_at = set(recorded.values_list("app", "name"))
    recorded.create(app="responses", name="9999_after_the_backup")
    backups.restore(path=path)
    assert set(recorded.values_list("app", "name")) == taken_at


def test_no_backup_or_restore_puts_the_database_password_on_a_command_line(
    record, tmp_path, monkeypatch
):
    # The throwaway server trusts every local connection, so any password connects.
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "not-for-ps-to-show")
    calls = []
    run = subprocess.run

    def spy(command, **options):
        calls.append((command, options.get("env") or {}))
        return run(command, **options)

    monkeypatch.setattr(subprocess, "run", spy)
    backups.restore(path=backups.back_up(path=tmp_path / "backup"))

    tools = [(command, env) for command, env in calls if "--version" not in command]
    # pg_dump, pg_restore --list (which reads only the file), pg_restore.
    assert [Path(command[0]).name for command, _ in tools] == [
        "pg_dump",
        "pg_restore",
        "pg_restore",
    ]
    for command, env in tools:
        assert not any("not-for-ps-to-show" in argument for argument in command)
    assert [env.get("PGPASSWORD") for _, env in tools] == [
        "not-for-ps-to-show",
        None,
        "not-for-ps-to-show",
    ]
