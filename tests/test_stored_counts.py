"""The stored counts (organisations' status mixes and chains, recommendations' demand and
government statuses, themes' status mixes) are kept by the database: after every kind of
write, by admin, `record`, each importer, a queryset's update, a bulk create, a delete or
a restore, what is stored equals a recount from scratch, and verify_counts says so, or
names what differs and fails."""

import csv
import io
import threading
import time

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops import backups
from recommendations.models import GovernmentStage, Recommendation, Theme
from responses import assessments, stored_counts
from responses.csv_format import ASK_COLUMNS, STAGE_COLUMNS
from responses.importing import import_response
from responses.models import (
    Ask,
    Assessment,
    DataVersion,
    DocumentKind,
    Evidence,
    GovernmentAssessment,
    Organisation,
    OrganisationCounts,
    RecommendationCounts,
    ResponseDocument,
    Status,
    ThemeCounts,
)

from . import factories

QUIET = {"stdout": io.StringIO(), "stderr": io.StringIO()}


def assert_stored_counts_equal_a_recount():
    assert stored_counts.differences() == []
    # Something is stored and compared: not two empty tables agreeing.
    assert OrganisationCounts.objects.exists() and RecommendationCounts.objects.exists()


@pytest.fixture
def world(db):
    made = factories.world(size=2)
    assert_stored_counts_equal_a_recount()
    assert ThemeCounts.objects.exists()
    return made


def exported(client, name: str) -> list[dict]:
    body = b"".join(client.get(reverse(name)).streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body, newline="")))


def write_csv(path, rows: list[dict], header) -> str:
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


# --- verify_counts can fail --------------------------------------------------------------


def test_verify_counts_reports_agreement_and_succeeds(world):
    out = io.StringIO()
    call_command("verify_counts", stdout=out, stderr=io.StringIO())
    assert "Stored counts agree with a recount: 2 organisations" in out.getvalue()


@pytest.mark.parametrize(
    "tamper, named",
    [
        ("UPDATE responses_organisationcounts SET asks_absent = asks_absent + 1", "asks_absent"),
        ("UPDATE responses_recommendationcounts SET demand = demand + 3", "demand stored"),
        ("DELETE FROM responses_themecounts WHERE status = 'absent'", "absent asks: stored none"),
        ("DELETE FROM responses_organisationcounts", "no stored counts"),
        ("UPDATE responses_recommendationcounts SET response_status = NULL", "response_status"),
    ],
)
def test_verify_counts_names_a_tampered_count_and_exits_with_an_error(world, tamper, named):
    with connection.cursor() as cursor:
        cursor.execute(tamper)
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_counts", stdout=io.StringIO(), stderr=err)
    assert named in err.getvalue()
    assert "from a recount from scratch" in str(failure.value)
    # The exit status that `manage.py verify_counts` gives (BaseCommand.run_from_argv).
    assert failure.value.returncode == 1


# --- Admin and `record` ------------------------------------------------------------------


@pytest.fixture
def editor_client(client, db):
    editor = User.objects.create_user("editor", password="pw-editor-1", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    return client


def test_a_judgement_made_on_admins_judge_page_is_counted(world, editor_client):
    absent = Assessment.objects.filter(status=Status.ABSENT).first()
    recommendation = Recommendation.objects.first()
    data = factories.judge_form(
        absent,
        status="realised",
        judged_by="editorial",
        **{
            "evidence-TOTAL_FORMS": "1",
            "evidence-0-recommendation": str(recommendation.pk),
            "evidence-0-quote": recommendation.text[:20],
        },
    )
    url = reverse("admin:responses_assessment_judge", args=[absent.ask_id])
    assert editor_client.post(url, data).status_code == 302
    assert Assessment.objects.get(pk=absent.pk).status == Status.REALISED
    assert_stored_counts_equal_a_recount()


def test_an_organisation_and_a_document_added_in_admin_are_counted(world, admin_client):
    response = admin_client.post(
        reverse("admin:responses_organisation_add"),
        {"name": "Coram Voice", "slug": "coram-voice", "kind": "charity"},
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get(slug="coram-voice")
    response = admin_client.post(
        reverse("admin:responses_responsedocument_add"),
        {
            "organisation": organisation.pk,
            "title": "Typed",
            "kind": "other",
            "text": "Our asks\r\n- Fund kinship care properly.\r\n",
            "asks-TOTAL_FORMS": "0",
            "asks-INITIAL_FORMS": "0",
            "asks-MIN_NUM_FORMS": "0",
            "asks-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302
    assert OrganisationCounts.objects.get(organisation=organisation).asks_total == 0
    assert_stored_counts_equal_a_recount()


@pytest.mark.parametrize("status", [Status.PARTLY, Status.ABSENT, Status.NOT_ASSESSED])
def test_every_judgement_recorded_is_counted(world, status):
    realised = Assessment.objects.filter(status=Status.REALISED).select_related("ask").first()
    owner = realised.ask.document.organisation_id
    before = OrganisationCounts.objects.get(organisation=owner).asks_realised
    evidence = [(e.recommendation, e.quote) for e in realised.evidence.all()]
    assessments.record(
        ask=realised.ask,
        status=status,
        judged_by="" if status == Status.NOT_ASSESSED else "editorial",
        evidence=evidence if status == Status.PARTLY else [],
        force=True,
    )
    assert_stored_counts_equal_a_recount()
    assert OrganisationCounts.objects.get(organisation=owner).asks_realised == before - 1


def test_an_ask_judged_for_the_first_time_is_counted(world):
    document = world[0].documents.exclude(kind=DocumentKind.CASE_FOR_CHANGE_DIGEST).last()
    ask = factories.ask(document=document)
    assert_stored_counts_equal_a_recount()
    recommendation = Recommendation.objects.filter(stages__isnull=False).first()
    assessments.record(
        ask=ask,
        status=Status.REALISED,
        judged_by="editorial",
        evidence=[(recommendation, recommendation.text[:20])],
    )
    assert_stored_counts_equal_a_recount()


# --- The importers -----------------------------------------------------------------------


def test_load_corpus_is_counted(db):
    call_command("load_corpus", **QUIET)
    assert_stored_counts_equal_a_recount()
    assert OrganisationCounts.objects.filter(asks_total__gt=0).exists()
    assert RecommendationCounts.objects.filter(demand__gt=0).exists()
    assert RecommendationCounts.objects.filter(response_status__isnull=False).exists()


def test_a_document_imported_by_import_response_is_counted(world, tmp_path):
    path = tmp_path / "response.txt"
    path.write_text("We ask for better things for every child.\n")
    import_response(path=path, organisation="A new charity", title="Our response", kind="other")
    assert_stored_counts_equal_a_recount()
    assert OrganisationCounts.objects.filter(organisation__name="A new charity").exists()


def test_judgements_imported_by_import_assessments_are_counted(world, client, tmp_path):
    rows = exported(client, "export_asks")
    changed = 0
    for row in rows:
        if row["status"] == "absent":
            row["status"] = "unclear"
            changed += 1
    assert changed
    path = write_csv(tmp_path / "asks.csv", rows, ASK_COLUMNS)
    call_command("import_assessments", path, "--force", **QUIET)
    assert not Assessment.objects.filter(status=Status.ABSENT).exists()
    assert_stored_counts_equal_a_recount()


def test_stages_imported_by_import_stages_are_counted(world, client, tmp_path):
    User.objects.create_user("editor")
    rows = exported(client, "export_stages")
    for row in rows:
        if row["status"] == "accepted_in_part":
            row["status"] = "not_accepted"
    assert OrganisationCounts.objects.filter(accepted__gt=0).exists()
    path = write_csv(tmp_path / "stages.csv", rows, STAGE_COLUMNS)
    call_command("import_stages", path, "--user", "editor", **QUIET)
    assert not GovernmentStage.objects.filter(status="accepted_in_part").exists()
    assert_stored_counts_equal_a_recount()
    assert not OrganisationCounts.objects.filter(accepted__gt=0).exists()


# --- Bulk writes and deletes -------------------------------------------------------------


def updating_statuses(world):
    Assessment.objects.filter(status=Status.ABSENT).update(status=Status.UNCLEAR)


def making_documents_digests(world):
    ResponseDocument.objects.filter(organisation=world[0]).update(
        kind=DocumentKind.CASE_FOR_CHANGE_DIGEST
    )


def moving_a_document_to_another_organisation(world):
    ResponseDocument.objects.filter(organisation=world[0]).update(organisation=world[1])


def restating_an_absent_ask(world):
    absent = Ask.objects.get(document__organisation=world[1], assessment__status=Status.ABSENT)
    Ask.objects.filter(document__organisation=world[1], assessment__status=Status.UNCLEAR).update(
        restates=absent
    )


def forgetting_restatements(world):
    Ask.objects.filter(restates__isnull=False).update(restates=None)


def changing_government_stages(world):
    GovernmentStage.objects.filter(status="legislated").update(status="in_progress")
    GovernmentStage.objects.filter(stage="government_response").update(status="accepted")


def bulk_creating_asks_and_evidence(world):
    document = world[0].documents.exclude(kind=DocumentKind.CASE_FOR_CHANGE_DIGEST).last()
    asks = Ask.objects.bulk_create(
        [
            Ask(document=document, position=100 + n, text=document.text[:10], title=f"Ask {n}")
            for n in range(3)
        ]
    )
    judged = Assessment.objects.bulk_create(
        [Assessment(ask=ask, status=Status.REALISED, judged_by="editorial") for ask in asks]
    )
    recommendation = Recommendation.objects.first()
    Evidence.objects.bulk_create(
        [
            Evidence(assessment=a, recommendation=recommendation, quote=recommendation.text[:9])
            for a in judged
        ]
    )
    Ask.themes.through.objects.bulk_create(
        [Ask.themes.through(ask=ask, theme=Theme.objects.first()) for ask in asks]
    )


def deleting_evidence(world):
    Evidence.objects.filter(assessment__ask__document__organisation=world[0]).delete()


def deleting_a_theme(world):
    Theme.objects.first().delete()


def deleting_an_organisation(world):
    # Its judgements first: they protect its asks.
    Evidence.objects.filter(assessment__ask__document__organisation=world[1]).delete()
    Assessment.objects.filter(ask__document__organisation=world[1]).delete()
    GovernmentAssessment.objects.filter(ask__document__organisation=world[1]).delete()
    world[1].delete()


def adding_a_recommendation_and_a_stage(world):
    recommendation = factories.recommendation()
    factories.stage(recommendation=recommendation, stage="delivery", status="delivered")


def truncating(world):
    with connection.cursor() as cursor:
        # The test's transaction holds deferred foreign key checks, which TRUNCATE refuses.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE responses_ask_themes")


@pytest.mark.parametrize(
    "write",
    [
        updating_statuses,
        making_documents_digests,
        moving_a_document_to_another_organisation,
        restating_an_absent_ask,
        forgetting_restatements,
        changing_government_stages,
        bulk_creating_asks_and_evidence,
        deleting_evidence,
        deleting_a_theme,
        deleting_an_organisation,
        adding_a_recommendation_and_a_stage,
        truncating,
    ],
    ids=lambda write: write.__name__,
)
def test_every_bulk_write_and_delete_is_counted(world, write):
    before = everything_stored()
    write(world)
    assert_stored_counts_equal_a_recount()
    # Each write changes some count: the triggers were at work, not idle.
    assert everything_stored() != before


def everything_stored() -> tuple:
    return (
        stored_counts.stored_organisations(),
        stored_counts.stored_recommendations(),
        stored_counts.stored_themes(),
    )


# --- A restore ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_gives_back_counts_equal_to_a_recount(tmp_path):
    factories.world(size=2)
    path = backups.back_up(path=tmp_path / "before.dump")
    stored_before = stored_counts.stored_organisations()
    Assessment.objects.update(status=Status.UNCLEAR)
    assert stored_counts.stored_organisations() != stored_before
    call_command("restore", str(path), yes=True, **QUIET)
    assert stored_counts.stored_organisations() == stored_before
    assert_stored_counts_equal_a_recount()


# --- Any sequence of writes --------------------------------------------------------------

STATUSES = st.sampled_from([s for s in Status.values if s != Status.NOT_ASSESSED])


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["status", "restate", "kind", "move", "unlink", "theme", "stage"]),
            st.integers(min_value=0, max_value=50),
            STATUSES,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_sequence_of_writes_leaves_stored_counts_equal_to_a_recount(world, steps):
    asks = list(Ask.objects.order_by("pk"))
    documents = list(ResponseDocument.objects.order_by("pk"))
    organisations = list(Organisation.objects.order_by("pk"))
    for action, n, status in steps:
        ask = asks[n % len(asks)]
        if action == "status":
            judged_by = "automatic" if status != Status.ABSENT else "editorial"
            Assessment.objects.filter(ask=ask).update(status=status, judged_by=judged_by)
        elif action == "restate":
            other = asks[(n + 1) % len(asks)]
            Ask.objects.filter(pk=ask.pk).update(restates=None if other == ask else other)
        elif action == "kind":
            document = documents[n % len(documents)]
            kind = DocumentKind.values[n % len(DocumentKind.values)]
            ResponseDocument.objects.filter(pk=document.pk).update(kind=kind)
        elif action == "move":
            document = documents[n % len(documents)]
            ResponseDocument.objects.filter(pk=document.pk).update(
                organisation=organisations[n % len(organisations)]
            )
        elif action == "unlink":
            Evidence.objects.filter(assessment__ask=ask).delete()
        elif action == "theme":
            ask.themes.set(Theme.objects.all()[: n % 3])
        elif n % 2:
            GovernmentStage.objects.filter(stage="delivery").update(
                status=["legislated", "delivered", "in_progress"][n % 3]
            )
        else:
            GovernmentStage.objects.filter(stage="government_response").update(
                status=["accepted", "accepted_in_part", "not_accepted"][n % 3]
            )
    assert stored_counts.differences() == []


# --- Two writers at once -----------------------------------------------------------------


def waiting_for_a_lock(*, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("The second writer never waited for the first.")


@pytest.mark.django_db(transaction=True)
def test_two_writers_judging_one_organisations_asks_at_once_leave_counts_equal_a_recount():
    (organisation,) = factories.world(size=1)
    # Writers also queue for the data version's row: without it, only the recount's own
    # lock keeps them apart.
    DataVersion.objects.all().delete()
    first, second = Assessment.objects.filter(
        ask__document__organisation=organisation, status__in=[Status.REALISED, Status.ABSENT]
    ).order_by("pk")[:2]
    first_written = threading.Event()

    def judge(assessment, *, hold: bool):
        try:
            with transaction.atomic():
                Assessment.objects.filter(pk=assessment.pk).update(status=Status.UNCLEAR)
                if hold:
                    first_written.set()
                    # Committed only once the second writer waits for it, having written.
                    waiting_for_a_lock()
        finally:
            connection.close()

    holding = threading.Thread(target=judge, args=(first,), kwargs={"hold": True})
    holding.start()
    assert first_written.wait(timeout=30)
    judge(second, hold=False)
    holding.join(timeout=30)

    assert OrganisationCounts.objects.get(organisation=organisation).asks_unclear == 3
    assert_stored_counts_equal_a_recount()
