"""What must hold is held by the database, not only by forms."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError

from responses.models import Assessment, Evidence

from . import factories


def assert_refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.mark.django_db
def test_unknown_status_is_refused():
    assert_refused(lambda: factories.assessment(status="done"))


@pytest.mark.django_db
def test_unknown_judge_is_refused():
    assert_refused(lambda: factories.assessment(judged_by="somebody"))


@pytest.mark.django_db
def test_a_judgement_must_say_who_made_it():
    assert_refused(lambda: factories.assessment(status="realised", judged_by=""))


@pytest.mark.django_db
def test_not_assessed_is_nobodys_judgement():
    assert_refused(lambda: factories.assessment(status="not_assessed", judged_by="editorial"))
    assert factories.assessment(status="not_assessed", judged_by="").pk


@pytest.mark.django_db
def test_an_automatic_suggestion_is_never_absent():
    assert_refused(lambda: factories.assessment(status="absent", judged_by="automatic"))
    assert factories.assessment(status="partly", judged_by="automatic").pk
    assert factories.assessment(status="absent", judged_by="editorial").pk


@pytest.mark.django_db(transaction=True)
def test_migrating_makes_automatic_absent_suggestions_not_assessed_and_keeps_it_in_history():
    recommendation = factories.recommendation()
    automatic = factories.assessment(
        status="partly", judged_by="automatic", evidence=[recommendation]
    )
    editorial = factories.assessment(status="absent", judged_by="editorial")
    MigrationExecutor(connection).migrate([("responses", "0010_search_words_as_typed")])
    # As the matcher stored one before 0012 forbade it.
    Assessment.objects.filter(pk=automatic.pk).update(status="absent")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    automatic.refresh_from_db()
    assert (automatic.status, automatic.judged_by, automatic.rationale) == ("not_assessed", "", "")
    assert automatic.version == 2
    assert not automatic.evidence.exists()
    latest = automatic.history.first()
    assert (latest.status, latest.judged_by, latest.version) == ("not_assessed", "", 2)
    assert "the matcher does not judge absence" in latest.history_change_reason
    assert Evidence.history.filter(assessment_id=automatic.pk).first().history_type == "-"
    editorial.refresh_from_db()
    assert (editorial.status, editorial.judged_by) == ("absent", "editorial")


@pytest.mark.django_db
def test_unknown_organisation_and_document_kinds_are_refused():
    assert_refused(lambda: factories.organisation(kind="company"))
    assert_refused(lambda: factories.document(kind="tweet"))


@pytest.mark.django_db
def test_a_publication_date_needs_its_precision():
    assert_refused(lambda: factories.document(published_precision=""))
    assert_refused(lambda: factories.document(published_precision="week"))
    assert factories.document(published=None, published_precision="").pk


@pytest.mark.django_db
def test_one_slug_per_organisation():
    factories.organisation(slug="become")
    assert_refused(lambda: factories.organisation(slug="become"))


@pytest.mark.django_db
def test_one_ref_per_recommendation_in_a_report_but_reused_across_reports():
    first = factories.recommendation(ref="5.2")
    assert_refused(lambda: factories.recommendation(ref="5.2", report=first.report))
    assert factories.recommendation(ref="5.2").pk


@pytest.mark.django_db
def test_one_position_per_ask_in_a_document():
    ask = factories.ask(position=1)
    assert_refused(lambda: factories.ask(document=ask.document, position=1))


@pytest.mark.django_db
def test_one_assessment_per_ask():
    assessment = factories.assessment()
    assert_refused(lambda: factories.assessment(ask=assessment.ask))


@pytest.mark.django_db
def test_a_recommendation_is_linked_once_per_assessment():
    recommendation = factories.recommendation()
    assessment = factories.assessment(evidence=[recommendation])
    assert_refused(
        lambda: Evidence.objects.create(
            assessment=assessment, recommendation=recommendation, quote="Recommendation"
        )
    )


@pytest.mark.django_db
def test_deleting_an_assessed_ask_is_refused():
    assessment = factories.assessment()
    with pytest.raises(ProtectedError):
        assessment.ask.delete()


@pytest.mark.django_db
def test_deleting_an_organisation_with_assessed_asks_is_refused():
    assessment = factories.assessment()
    with pytest.raises(ProtectedError):
        assessment.ask.document.organisation.delete()
    assert Assessment.objects.filter(pk=assessment.pk).exists()


@pytest.mark.django_db
def test_deleting_a_recommendation_that_is_evidence_is_refused():
    recommendation = factories.recommendation()
    factories.assessment(evidence=[recommendation])
    with pytest.raises(ProtectedError):
        recommendation.delete()


@pytest.mark.django_db
def test_an_unassessed_document_can_be_deleted_with_its_asks():
    ask = factories.ask()
    ask.document.delete()
    assert not type(ask).objects.filter(pk=ask.pk).exists()


@pytest.mark.django_db
def test_an_ask_must_be_quoted_exactly_from_its_document():
    ask = factories.ask()
    ask.text = "We call for worse things."
    with pytest.raises(ValidationError, match="exactly"):
        ask.full_clean()


@pytest.mark.django_db
def test_evidence_must_be_quoted_exactly_from_the_recommendation():
    recommendation = factories.recommendation(text="Create around 20 Regional Care Co-operatives.")
    evidence = Evidence(
        assessment=factories.assessment(), recommendation=recommendation, quote="Create 30 RCCs"
    )
    with pytest.raises(ValidationError, match="exactly"):
        evidence.full_clean()
