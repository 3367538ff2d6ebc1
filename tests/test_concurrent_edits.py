"""Two editors open the same judgement: the second save is refused, says what the first
changed, and keeps the second editor's input; nothing either wrote is lost silently."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from responses.assessments import changes_since, record
from responses.models import Assessment
from responses.rules import StaleJudgement
from tests import factories


def _editor(username: str) -> Client:
    user = User.objects.create_user(username, password="a-long-password-1", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(user)
    return client


def _judge_url(assessment: Assessment) -> str:
    return reverse("admin:responses_assessment_judge", args=[assessment.ask_id])


def _opened_form(client: Client, assessment: Assessment) -> dict:
    """The judge page as the editor's browser would post it back unchanged."""
    response = client.get(_judge_url(assessment))
    version = re.search(r'name="based_on_version" value="(\d+)"', response.content.decode())
    return factories.judge_form(assessment, based_on_version=version.group(1))


@pytest.fixture
def judged(db):
    ask = factories.ask()
    return record(ask=ask, status="absent", judged_by="editorial", rationale="Not in the report.")


def test_the_second_of_two_editors_is_refused_and_told_what_the_first_changed(judged):
    alice, bob = _editor("alice"), _editor("bob")
    url = _judge_url(judged)
    alice_form, bob_form = _opened_form(alice, judged), _opened_form(bob, judged)

    saved = alice.post(url, alice_form | {"status": "unclear", "rationale": "Too vague."})
    assert saved.status_code == 302
    refused = bob.post(url, bob_form | {"rationale": "Bob's careful reasoning."})

    assert refused.status_code == 200
    page = refused.content.decode()
    assert (
        "Someone else saved this ask&#x27;s judgement while you were editing it, so yours was "
        "not saved." in page
    )
    assert "Saved since by alice" in page
    assert "Status: Absent → Unclear: too vague to judge." in page
    assert "Rationale now reads: “Too vague.”" in page
    assert "Your changes are still in the form below." in page
    # Bob's words are still on his screen, and Alice's are what is stored.
    assert "Bob&#x27;s careful reasoning.</textarea>" in page
    judged.refresh_from_db()
    assert (judged.status, judged.rationale, judged.version) == ("unclear", "Too vague.", 2)


def test_saving_again_after_seeing_the_conflict_replaces_it_on_purpose(judged):
    alice, bob = _editor("alice"), _editor("bob")
    url = _judge_url(judged)
    alice_form, bob_form = _opened_form(alice, judged), _opened_form(bob, judged)
    alice.post(url, alice_form | {"status": "unclear"})
    refused = bob.post(url, bob_form | {"rationale": "Bob's view."})
    # The form now carries the version Bob has been shown.
    assert 'name="based_on_version" value="2"' in refused.content.decode()

    again = bob.post(url, bob_form | {"rationale": "Bob's view.", "based_on_version": "2"})

    assert again.status_code == 302
    judged.refresh_from_db()
    assert (judged.rationale, judged.version) == ("Bob's view.", 3)
    # Both saves are in the history, each with its editor.
    editors = [h.history_user.username for h in judged.history.filter(version__gte=2)]
    assert sorted(editors) == ["alice", "bob"]


def test_a_one_click_judgement_based_on_an_old_page_is_refused(judged):
    editor = _editor("bob")
    recommendation = factories.recommendation(text="Give kinship carers paid leave.")
    record(ask=judged.ask, status="unclear", judged_by="editorial", rationale="Changed meanwhile.")

    response = editor.post(
        reverse("admin:responses_ask_link", args=[judged.ask.pk]),
        {
            "recommendation": recommendation.pk,
            "status": "partly",
            "quote": "kinship carers",
            "based_on_version": "1",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Someone else saved this ask&#x27;s judgement while you were editing it" in page
    assert "The page now shows their judgement" in page
    judged.refresh_from_db()
    assert (judged.status, judged.version, judged.evidence.count()) == ("unclear", 2, 0)


def test_record_refuses_a_stale_version_and_writes_nothing(judged):
    with pytest.raises(StaleJudgement) as refused:
        record(ask=judged.ask, status="realised", judged_by="editorial", expected_version=0)
    assert refused.value.current.version == 1
    judged.refresh_from_db()
    assert (judged.status, judged.version, judged.history.count()) == ("absent", 1, 1)


def test_record_with_the_current_version_writes_and_counts_on(judged):
    updated = record(ask=judged.ask, status="unclear", judged_by="editorial", expected_version=1)
    assert updated.version == 2


def test_changes_since_names_the_evidence_that_changed(judged):
    recommendation = factories.recommendation(text="Give kinship carers paid leave.")
    record(
        ask=judged.ask,
        status="partly",
        judged_by="editorial",
        evidence=[(recommendation, "kinship carers")],
    )
    judged.refresh_from_db()
    lines = changes_since(judged, version=1)
    assert f"Evidence: none → {recommendation.ref}." in lines
    assert "Status: Absent → Partly realised." in lines
