"""Whose judgement may replace whose, and what a recorded judgement keeps."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from responses.assessments import record
from responses.models import Assessment, Evidence
from responses.rules import JudgementProtected, check_may_replace

from . import factories


@pytest.fixture
def recommendation(db):
    return factories.recommendation(text="Create around 20 Regional Care Co-operatives by 2025.")


@pytest.mark.django_db
@pytest.mark.parametrize("judge", ["organisation", "editorial"])
def test_an_automatic_suggestion_never_replaces_a_judgement_by_a_person_or_the_organisation(judge):
    assessment = factories.assessment(status="absent", judged_by=judge)
    with pytest.raises(JudgementProtected):
        record(ask=assessment.ask, status="partly", judged_by="automatic", force=True)
    assessment.refresh_from_db()
    assert (assessment.status, assessment.judged_by) == ("absent", judge)


@pytest.mark.django_db
def test_an_editor_replaces_the_organisations_own_judgement_only_with_force():
    assessment = factories.assessment(status="absent", judged_by="organisation")
    with pytest.raises(JudgementProtected):
        record(ask=assessment.ask, status="partly", judged_by="editorial")
    record(ask=assessment.ask, status="partly", judged_by="editorial", force=True)
    assessment.refresh_from_db()
    assert (assessment.status, assessment.judged_by) == ("partly", "editorial")


@pytest.mark.django_db
def test_record_refuses_an_automatic_absent_with_a_message_and_writes_nothing():
    suggestion = factories.assessment(status="unclear", judged_by="automatic")
    with pytest.raises(
        ValidationError, match="An automatic suggestion cannot say an ask is absent"
    ):
        record(ask=suggestion.ask, status="absent", judged_by="automatic")
    with pytest.raises(
        ValidationError, match="An automatic suggestion cannot say an ask is absent"
    ):
        record(ask=factories.ask(), status="absent", judged_by="automatic")
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.version) == ("unclear", 1)
    assert Assessment.objects.count() == Assessment.history.count() == 1


@pytest.mark.django_db
def test_the_organisations_own_judgement_is_not_changed_in_its_name_without_force():
    assessment = factories.assessment(status="absent", judged_by="organisation")
    with pytest.raises(JudgementProtected) as refused:
        record(ask=assessment.ask, status="partly", judged_by="organisation")
    assert refused.value.forceable
    record(ask=assessment.ask, status="partly", judged_by="organisation", force=True)
    assessment.refresh_from_db()
    assert (assessment.status, assessment.judged_by) == ("partly", "organisation")


def test_anyone_may_replace_a_suggestion_or_nothing():
    for current, judged_by in [
        (None, "automatic"),
        (Assessment(status="partly", judged_by="automatic"), "automatic"),
        (Assessment(status="not_assessed", judged_by=""), "automatic"),
        (Assessment(status="partly", judged_by="editorial"), "editorial"),
    ]:
        check_may_replace(current=current, judged_by=judged_by)


@pytest.mark.django_db
def test_recording_replaces_the_evidence_and_keeps_history_with_who(recommendation):
    other = factories.recommendation(text="Introduce national pay scales.")
    ask = factories.ask()
    editor = User.objects.create_user("editor")
    record(
        ask=ask,
        status="partly",
        judged_by="editorial",
        evidence=[(recommendation, "Regional Care Co-operatives")],
        user=editor,
    )
    assessment = record(
        ask=ask,
        status="realised",
        judged_by="editorial",
        evidence=[(other, "national pay scales")],
        user=editor,
        reason="better source",
    )
    assert [(e.recommendation, e.quote) for e in assessment.evidence.all()] == [
        (other, "national pay scales")
    ]
    history = list(assessment.history.order_by("history_date"))
    assert [h.status for h in history] == ["partly", "realised"]
    assert history[-1].history_user == editor
    assert history[-1].history_change_reason == "better source"
    assert Evidence.history.filter(history_type="-").count() == 1


@pytest.mark.django_db
def test_evidence_not_quoted_exactly_writes_nothing(recommendation):
    ask = factories.ask()
    with pytest.raises(ValidationError):
        record(
            ask=ask,
            status="partly",
            judged_by="editorial",
            evidence=[(recommendation, "Thirty Regional Care Co-operatives")],
        )
    assert not Assessment.objects.filter(ask=ask).exists()


@pytest.mark.django_db
def test_an_absent_ask_carries_no_evidence(recommendation):
    with pytest.raises(ValidationError):
        record(
            ask=factories.ask(),
            status="absent",
            judged_by="editorial",
            evidence=[(recommendation, "Regional Care Co-operatives")],
        )


@pytest.mark.django_db
def test_an_unknown_status_is_refused_before_the_database_sees_it():
    with pytest.raises(ValidationError):
        record(ask=factories.ask(), status="done", judged_by="editorial")
