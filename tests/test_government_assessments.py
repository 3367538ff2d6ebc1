"""Judgements of the Government's response: kept apart from the Final Report's, written
through `assessments.record_government` under the same rules as `record`, shown labelled
on the organisation's page, and never counted as the Final Report's status. Organisations'
notes are shown as notes, never as verdicts."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from responses import assessments, rules
from responses.models import (
    Ask,
    Assessment,
    GovernmentAssessment,
    JudgedBy,
    Organisation,
    OrganisationNote,
    Status,
)

from . import factories

TEXT = "We asked for advocacy. The Government rejected it. We call for a protected characteristic."


@pytest.fixture
def ask(db):
    return factories.ask(
        document=factories.document(text=TEXT), text="We call for a protected characteristic."
    )


def test_one_ask_carries_both_judgements_each_with_its_own_evidence_and_judge(ask):
    recommendation = factories.recommendation(text="Make care experience protected.")
    other = factories.recommendation()
    assessments.record(
        ask=ask,
        status=Status.REALISED,
        judged_by=JudgedBy.EDITORIAL,
        rationale="The Review recommends it.",
        evidence=[(recommendation, "care experience protected")],
    )
    assessments.record_government(
        ask=ask,
        status=Status.ABSENT,
        judged_by=JudgedBy.ORGANISATION,
        rationale="The Government rejected it.",
        named=[(other, "a protected characteristic")],
    )

    ask = Ask.objects.with_status().get(pk=ask.pk)
    assert (ask.status, ask.assessment.judged_by) == (Status.REALISED, JudgedBy.EDITORIAL)
    assert [e.recommendation for e in ask.assessment.evidence.all()] == [recommendation]
    verdict = ask.government_assessment
    assert (verdict.status, verdict.judged_by) == (Status.ABSENT, JudgedBy.ORGANISATION)
    assert verdict.get_status_display() == "Not taken up"
    assert [(n.recommendation, n.named_as) for n in verdict.named.all()] == [
        (other, "a protected characteristic")
    ]
    # Naming a recommendation is no evidence that the Review realised the ask.
    assert not other.evidence.exists()


def test_a_verdict_on_the_government_leaves_the_final_report_status_and_counts_alone(ask):
    organisation = ask.document.organisation
    assessments.record_government(
        ask=ask, status=Status.REALISED, judged_by=JudgedBy.EDITORIAL, rationale="Done."
    )
    counted = Organisation.objects.with_status_counts().get(pk=organisation.pk)
    assert (counted.asks_total, counted.asks_realised, counted.asks_not_assessed) == (1, 0, 1)
    assert Ask.objects.with_status().get(pk=ask.pk).status == Status.NOT_ASSESSED
    assert not Assessment.objects.filter(ask=ask).exists()


def test_the_organisations_own_verdict_on_the_government_is_replaced_only_with_force(ask):
    assessments.record_government(
        ask=ask, status=Status.PARTLY, judged_by=JudgedBy.ORGANISATION, rationale=""
    )
    with pytest.raises(rules.JudgementProtected):
        assessments.record_government(ask=ask, status=Status.ABSENT, judged_by=JudgedBy.EDITORIAL)
    replaced = assessments.record_government(
        ask=ask, status=Status.ABSENT, judged_by=JudgedBy.EDITORIAL, force=True
    )
    assert (replaced.status, replaced.version) == (Status.ABSENT, 2)


def test_a_stale_verdict_on_the_government_is_refused_saying_what_changed(ask):
    named = factories.recommendation()
    first = assessments.record_government(
        ask=ask, status=Status.PARTLY, judged_by=JudgedBy.EDITORIAL, expected_version=0
    )
    assessments.record_government(
        ask=ask,
        status=Status.REALISED,
        judged_by=JudgedBy.EDITORIAL,
        named=[(named, "We asked for advocacy.")],
        expected_version=first.version,
    )
    with pytest.raises(rules.StaleJudgement) as refused:
        assessments.record_government(
            ask=ask, status=Status.ABSENT, judged_by=JudgedBy.EDITORIAL, expected_version=1
        )
    changes = assessments.changes_since(refused.value.current, version=1)
    assert "Status: Partly taken up → Taken up." in changes
    assert f"Recommendations named: none → {named.ref}." in changes
    assert GovernmentAssessment.objects.get(ask=ask).status == Status.REALISED


def test_the_organisations_own_verdict_quotes_its_document_or_nothing_is_written(ask):
    with pytest.raises(ValidationError, match="not found there"):
        assessments.record_government(
            ask=ask,
            status=Status.ABSENT,
            judged_by=JudgedBy.ORGANISATION,
            rationale="The Government rejected it.\nIt said no, in words it never wrote.",
        )
    with pytest.raises(ValidationError, match="quoted exactly from the ask's document"):
        assessments.record_government(
            ask=ask,
            status=Status.ABSENT,
            judged_by=JudgedBy.ORGANISATION,
            rationale="The Government rejected it.",
            named=[(factories.recommendation(), "words it never wrote")],
        )
    assert not GovernmentAssessment.objects.exists()
    # An editor's rationale is in our words.
    assert assessments.record_government(
        ask=ask, status=Status.ABSENT, judged_by=JudgedBy.EDITORIAL, rationale="Our reading."
    ).pk


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "not_assessed"},
        {"status": "taken_up"},
        {"judged_by": "automatic"},
        {"judged_by": ""},
    ],
)
def test_the_database_refuses_a_verdict_on_the_government_it_cannot_read(ask, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.government_assessment(ask=ask, **fields)


def test_a_verdict_on_the_government_keeps_its_history_with_user_and_reason(ask):
    editor = User.objects.create_user("editor")
    assessments.record_government(
        ask=ask, status=Status.PARTLY, judged_by=JudgedBy.EDITORIAL, user=editor, reason="First"
    )
    verdict = assessments.record_government(
        ask=ask, status=Status.ABSENT, judged_by=JudgedBy.EDITORIAL, user=editor, reason="Then"
    )
    assert [(h.status, h.history_user, h.history_change_reason) for h in verdict.history.all()] == [
        (Status.ABSENT, editor, "Then"),
        (Status.PARTLY, editor, "First"),
    ]


def test_a_note_quotes_its_document_word_for_word(ask):
    note = OrganisationNote(document=ask.document, note="Overall.", evidence="Not in it.")
    with pytest.raises(ValidationError):
        note.full_clean()
    note.evidence = "We asked for advocacy."
    note.full_clean()


# --- Admin ----------------------------------------------------------------------------------


def staff(group: str) -> User:
    user = User.objects.create_user(group.lower(), password="pw-1-long-enough", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.mark.parametrize("model", ["governmentassessment", "organisationnote"])
def test_editors_change_verdicts_on_the_government_and_notes_and_viewers_read_them(db, model):
    editor, viewer = staff("Editors"), staff("Viewers")
    for action in ("add", "change", "delete", "view"):
        assert editor.has_perm(f"responses.{action}_{model}")
        assert viewer.has_perm(f"responses.{action}_{model}") == (action == "view")
    assert viewer.has_perm(f"responses.view_historical{model}")


def government_form(ask, **fields) -> dict:
    data = {
        "ask": ask.pk,
        "status": "partly",
        "judged_by": "editorial",
        "rationale": "Our reading.",
        "note": "",
        "change_reason": "",
        "based_on_version": 0,
        "named-TOTAL_FORMS": "0",
        "named-INITIAL_FORMS": "0",
        "named-MIN_NUM_FORMS": "0",
        "named-MAX_NUM_FORMS": "1000",
    }
    return data | fields


def test_an_editor_judges_the_governments_response_in_admin_through_the_write_path(client, ask):
    editor = staff("Editors")
    client.force_login(editor)
    url = reverse("admin:responses_governmentassessment_add")
    response = client.post(url, government_form(ask, change_reason="Read the strategy"))
    assert response.status_code == 302
    verdict = GovernmentAssessment.objects.get(ask=ask)
    assert (verdict.status, verdict.version) == (Status.PARTLY, 1)
    assert verdict.history.get().history_change_reason == "Read the strategy"

    change = reverse("admin:responses_governmentassessment_change", args=[verdict.pk])
    assessments.record_government(ask=ask, status=Status.REALISED, judged_by=JudgedBy.EDITORIAL)
    stale = client.post(change, government_form(ask, status="absent", based_on_version=1))
    assert stale.status_code == 200
    page = stale.content.decode()
    assert "Someone else saved this ask&#x27;s judgement" in page
    assert "Status: Partly taken up → Taken up." in page
    assert GovernmentAssessment.objects.get(ask=ask).status == Status.REALISED


def test_the_organisations_own_verdict_is_replaced_in_admin_only_when_ticked(client, ask):
    verdict = assessments.record_government(
        ask=ask, status=Status.PARTLY, judged_by=JudgedBy.ORGANISATION
    )
    client.force_login(staff("Editors"))
    change = reverse("admin:responses_governmentassessment_change", args=[verdict.pk])
    refused = client.post(change, government_form(ask, status="absent", based_on_version=1))
    assert refused.status_code == 200
    assert "Tick “Replace the organisation&#x27;s own judgement”" in refused.content.decode()
    assert GovernmentAssessment.objects.get(ask=ask).status == Status.PARTLY
    ticked = government_form(
        ask, status="absent", based_on_version=1, replace_organisation_judgement="on"
    )
    assert client.post(change, ticked).status_code == 302
    assert GovernmentAssessment.objects.get(ask=ask).status == Status.ABSENT


def test_a_new_verdict_in_admin_names_recommendations_in_its_documents_words(client, ask):
    client.force_login(staff("Editors"))
    recommendation = factories.recommendation()
    url = reverse("admin:responses_governmentassessment_add")
    data = government_form(ask) | {
        "named-TOTAL_FORMS": "1",
        "named-0-recommendation": recommendation.pk,
        "named-0-named_as": "words it never wrote",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "quoted exactly from the ask&#x27;s document" in refused.content.decode()
    assert not GovernmentAssessment.objects.exists()
    data["named-0-named_as"] = "a protected characteristic"
    assert client.post(url, data).status_code == 302
    verdict = GovernmentAssessment.objects.get(ask=ask)
    assert [(n.recommendation, n.named_as) for n in verdict.named.all()] == [
        (recommendation, "a protected characteristic")
    ]


def test_a_viewer_cannot_add_a_verdict_on_the_government(client, ask):
    client.force_login(staff("Viewers"))
    assert client.get(reverse("admin:responses_governmentassessment_changelist")).status_code == 200
    url = reverse("admin:responses_governmentassessment_add")
    assert client.post(url, government_form(ask)).status_code == 403
    assert not GovernmentAssessment.objects.exists()


# --- The organisation's page ----------------------------------------------------------------


def row_of(html: str, ask: Ask) -> str:
    return re.search(
        rf'<tr class="govuk-table__row" id="ask-{ask.pk}">(.*?)</tr>', html, re.DOTALL
    )[1]


def test_the_organisation_page_shows_the_verdict_on_the_government_labelled_apart(client, corpus):
    ask = Ask.objects.get(text__startswith="NYAS calls on the UK Government")
    html = client.get(ask.document.organisation.get_absolute_url()).content.decode()
    row = row_of(html, ask)
    assert (
        "The organisation's verdict on the Government's response, not on the Final Report:" in row
    )
    assert ">Partly taken up</strong>" in row
    assert "In its own words:" in row
    assert "reflecting one-fifth of the amount recommended." in row
    assert "9.x1 <bdi>Invest about £2.6bn over five years" in row
    # In the column of what the Government did, not with the ask's own words.
    assert "app-government" in row.split('data-label="What the Government did"')[1]
    # Its status beside the Final Report's recommendations is nobody's judgement yet.
    status_cell = row.split('data-label="Status and who judged"')[1].split("</td>")[0]
    assert ">Not assessed</strong>" in status_cell
    assert "taken up" not in status_cell


def test_the_final_report_verdict_stays_in_the_comparison(client, corpus):
    ask = Ask.objects.get(text="our longstanding call for an independent opt-out offer of advocacy")
    html = client.get(ask.document.organisation.get_absolute_url()).content.decode()
    row = row_of(html, ask)
    assert ">Realised</strong>" in row and "The organisation itself" in row
    assert (
        "5.x6" in row and "<mark>introduce independent advocacy on an opt-out basis</mark>" in row
    )
    assert "Government's response" not in row


def test_organisation_notes_are_shown_as_notes_not_verdicts(client, corpus):
    organisation = Organisation.objects.get(slug="corambaaf")
    html = client.get(organisation.get_absolute_url()).content.decode()
    notes = html.split("Notes, not verdicts")[1]
    assert "Overall: welcome focus on kinship care, but short of the Review&#x27;s plans." in notes
    assert "the response falls short of the Care Review’s ambitious plans" in notes
    assert "1 ask: 1 not assessed" in html
    comparison = html.split('id="comparison"')[1].split("Notes, not verdicts")[0]
    assert comparison.count('<tr class="govuk-table__row" id="ask-') == 1
    assert "falls short" not in comparison


def test_admin_shows_each_verdict_on_the_government_and_note_with_its_history(admin_client, corpus):
    for shipped in (GovernmentAssessment.objects.first(), OrganisationNote.objects.first()):
        name = shipped._meta.model_name
        change = reverse(f"admin:responses_{name}_change", args=[shipped.pk])
        assert admin_client.get(change).status_code == 200
        history = admin_client.get(reverse(f"admin:responses_{name}_history", args=[shipped.pk]))
        assert "Loaded from the shipped corpus" in history.content.decode()
