"""What the Government did with each recommendation: its stage records, their quotes and
history, the rules the database holds, and editing them in admin."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from recommendations.models import (
    GovernmentStage,
    Recommendation,
    Stage,
    StageStatus,
)

from . import factories

GOV_UK = "https://www.gov.uk/government/consultations/stable-homes-built-on-love"


def refused(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


# --- The statuses ---------------------------------------------------------------------------


def test_every_status_belongs_to_one_stage_and_has_words_and_a_colour():
    assert Stage.GOVERNMENT_RESPONSE.statuses == ["accepted", "accepted_in_part", "not_accepted"]
    assert Stage.DELIVERY.statuses == [
        "legislated",
        "delivered",
        "legislation_in_progress",
        "in_progress",
    ]
    for status in StageStatus:
        assert status.tag_label[0].isupper() and "_" not in status.tag_label
        assert status.colour.startswith("#") and status.ink.startswith("#")
        assert status.tag_colour
    assert StageStatus.ACCEPTED_IN_PART.short_label == "accepted in part"


# --- Reading them ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_legislated_is_further_than_delivered_and_of_two_as_far_the_later_counts():
    recommendation = factories.recommendation()

    def delivery(status, year):
        return factories.stage(
            recommendation=recommendation,
            stage="delivery",
            status=status,
            date=datetime.date(year, 1, 1),
        )

    legislated = delivery("legislated", 2024)
    delivery("delivered", 2025)
    delivery("in_progress", 2026)
    assert Recommendation.objects.with_stages().get().furthest_delivery_stage == legislated
    later = delivery("legislated", 2025)
    assert Recommendation.objects.with_stages().get().furthest_delivery_stage == later


@pytest.mark.django_db
def test_a_later_government_response_supersedes_the_first():
    recommendation = factories.recommendation()
    factories.stage(recommendation=recommendation, status="accepted_in_part")
    later = factories.stage(
        recommendation=recommendation, status="accepted", date=datetime.date(2024, 5, 1)
    )
    assert Recommendation.objects.with_stages().get().government_response_stage == later


# --- What the database refuses --------------------------------------------------------------


@pytest.mark.django_db
def test_a_delivery_status_on_a_government_response_is_refused_and_the_reverse_too():
    refused(lambda: factories.stage(stage="government_response", status="legislated"))
    refused(lambda: factories.stage(stage="delivery", status="accepted"))
    assert factories.stage(stage="delivery", status="in_progress").pk


@pytest.mark.django_db
def test_unknown_stages_statuses_precisions_and_confidences_are_refused():
    refused(lambda: factories.stage(stage="consultation"))
    refused(lambda: factories.stage(status="rejected"))
    refused(lambda: factories.stage(date_precision="week"))
    refused(lambda: factories.stage(confidence="certain"))


@pytest.mark.django_db
def test_a_month_or_a_year_is_stored_as_its_first_day():
    refused(lambda: factories.stage(date=datetime.date(2023, 12, 15), date_precision="month"))
    refused(lambda: factories.stage(date=datetime.date(2023, 6, 1), date_precision="year"))
    assert factories.stage(date=datetime.date(2023, 12, 1), date_precision="month").pk


@pytest.mark.django_db
def test_a_stage_needs_a_summary_and_a_quote_needs_words_and_an_address():
    refused(lambda: factories.stage(summary=""))
    refused(lambda: factories.stage(quotes=[("", GOV_UK)]))
    refused(lambda: factories.stage(quotes=[("Words.", "")]))


@pytest.mark.django_db
def test_a_status_of_the_other_stage_is_refused_with_words_a_form_can_show():
    stage = GovernmentStage(
        recommendation=factories.recommendation(),
        stage="government_response",
        status="delivered",
        date=datetime.date(2023, 2, 2),
        date_precision="day",
        summary="Done.",
        confidence="high",
    )
    with pytest.raises(ValidationError, match="A government response is accepted"):
        stage.full_clean()


@pytest.mark.django_db
def test_a_recommendation_with_stages_cannot_be_deleted_from_under_them():
    stage = factories.stage()
    with pytest.raises(IntegrityError), transaction.atomic():
        stage.recommendation.delete()


# --- Who may change them --------------------------------------------------------------------


def test_editors_and_viewers_have_their_rights_over_stages_and_quotes(db):
    editors = Group.objects.get(name="Editors").permissions
    viewers = Group.objects.get(name="Viewers").permissions
    for model in ("governmentstage", "stagequote"):
        assert {f"{action}_{model}" for action in ("view", "add", "change", "delete")} <= set(
            editors.values_list("codename", flat=True)
        )
        assert f"view_{model}" in set(viewers.values_list("codename", flat=True))
        assert not viewers.filter(codename=f"change_{model}").exists()


# --- Admin ----------------------------------------------------------------------------------


@pytest.fixture
def editor(client, db):
    user = User.objects.create_user("editor", password="pw-editor-1", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


@pytest.fixture
def viewer(client, db):
    user = User.objects.create_user("viewer", password="pw-viewer-1", is_staff=True)
    user.groups.add(Group.objects.get(name="Viewers"))
    client.force_login(user)
    return client


def stage_form(recommendation: Recommendation, quotes: list[dict], **fields) -> dict:
    """What admin's stage form posts: `quotes` are the rows of its quotes, with `id` for
    one that exists."""
    data = {
        "recommendation": recommendation.pk,
        "stage": "government_response",
        "status": "accepted",
        "date": "2023-02-02",
        "date_precision": "day",
        "summary": "The strategy took it up.",
        "confidence": "high",
        "note": "",
        "quotes-TOTAL_FORMS": str(len(quotes)),
        "quotes-INITIAL_FORMS": str(sum(1 for quote in quotes if "id" in quote)),
        "quotes-MIN_NUM_FORMS": "0",
        "quotes-MAX_NUM_FORMS": "1000",
    }
    for n, quote in enumerate(quotes):
        data |= {f"quotes-{n}-{name}": value for name, value in quote.items()}
    return data | fields


def test_an_editor_adds_a_stage_with_a_quote_corrects_it_and_the_history_shows_both(editor):
    recommendation = factories.recommendation()
    response = editor.post(
        reverse("admin:recommendations_governmentstage_add"),
        stage_form(
            recommendation,
            [{"text": "We will do it.", "url": "www.gov.uk/strategy", "position": "1"}],
        ),
    )
    assert response.status_code == 302
    stage = recommendation.stages.get()
    quote = stage.quotes.get()
    assert quote.url == "https://www.gov.uk/strategy"
    response = editor.post(
        reverse("admin:recommendations_governmentstage_change", args=[stage.pk]),
        stage_form(
            recommendation,
            [
                {
                    "id": quote.pk,
                    "stage": stage.pk,
                    "text": "We will do some of it.",
                    "url": quote.url,
                    "position": "1",
                }
            ],
            status="accepted_in_part",
        ),
    )
    assert response.status_code == 302
    assert [(h.status, h.history_type, h.history_user.username) for h in stage.history.all()] == [
        ("accepted_in_part", "~", "editor"),
        ("accepted", "+", "editor"),
    ]
    assert [h.text for h in quote.history.all()] == ["We will do some of it.", "We will do it."]
    page = editor.get(reverse("admin:recommendations_governmentstage_history", args=[stage.pk]))
    assert page.status_code == 200
    assert page.content.decode().count("editor") >= 2
    assert "Status" in page.content.decode()


def test_admin_refuses_a_delivery_status_on_a_government_response_with_its_reason(editor):
    recommendation = factories.recommendation()
    response = editor.post(
        reverse("admin:recommendations_governmentstage_add"),
        stage_form(recommendation, [], status="legislated"),
    )
    assert response.status_code == 200
    assert "A government response is accepted" in response.content.decode()
    assert not GovernmentStage.objects.exists()


def test_a_viewer_reads_a_stage_and_its_history_but_cannot_change_it(viewer):
    stage = factories.stage(quotes=[("We will.", GOV_UK)])
    url = reverse("admin:recommendations_governmentstage_change", args=[stage.pk])
    assert viewer.get(url).status_code == 200
    response = viewer.post(url, stage_form(stage.recommendation, [], summary="Changed."))
    assert response.status_code == 403
    stage.refresh_from_db()
    assert stage.summary == "The Government said it would."
    history = reverse("admin:recommendations_governmentstage_history", args=[stage.pk])
    assert viewer.get(history).status_code == 200
    add = reverse("admin:recommendations_governmentstage_add")
    assert viewer.get(add).status_code == 403


def test_a_stages_history_can_be_read_but_not_reverted(editor):
    stage = factories.stage()
    stage.summary = "Second look."
    stage.save()
    version = stage.history.last()
    url = reverse(
        "admin:recommendations_governmentstage_simple_history", args=[stage.pk, version.pk]
    )
    assert editor.get(url).status_code == 200
    assert editor.post(url, stage_form(stage.recommendation, [])).status_code == 403
    stage.refresh_from_db()
    assert stage.summary == "Second look."


def recommendation_with_two_stages() -> Recommendation:
    recommendation = factories.recommendation()
    factories.stage(recommendation=recommendation, quotes=[("We will.", GOV_UK)])
    factories.stage(
        recommendation=recommendation,
        stage="delivery",
        status="in_progress",
        date=datetime.date(2024, 7, 1),
        date_precision="month",
        summary="Pilots began.",
    )
    return recommendation


def test_a_recommendations_page_lists_its_stages_each_linked_to_its_own(admin_client):
    recommendation = recommendation_with_two_stages()
    page = admin_client.get(
        reverse("admin:recommendations_recommendation_change", args=[recommendation.pk])
    ).content.decode()
    assert "What the Government did" in page
    assert "July 2024" in page and "Pilots began." in page
    for stage in recommendation.stages.all():
        assert reverse("admin:recommendations_governmentstage_change", args=[stage.pk]) in page


def as_shown(page) -> dict:
    """What an admin change page posts when saved as it was shown, inlines included."""
    data = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data |= {
            management.add_prefix(name): management[name].value() for name in management.fields
        }
        forms += inline.formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None:
                data[form.add_prefix(name)] = value
    return data


def test_saving_a_recommendations_page_leaves_its_stages_as_they_were(editor):
    recommendation = recommendation_with_two_stages()
    stages = list(recommendation.stages.values())
    url = reverse("admin:recommendations_recommendation_change", args=[recommendation.pk])
    data = as_shown(editor.get(url)) | {"note": "Checked again."}
    response = editor.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    recommendation.refresh_from_db()
    assert recommendation.note == "Checked again."
    assert list(recommendation.stages.values()) == stages
