"""What the Government did with each recommendation: its stage records, their quotes and
history, the rules the database holds, loading them into a database that has the corpus
without them, and editing them in admin."""

import datetime
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from recommendations.models import (
    GovernmentStage,
    Recommendation,
    Stage,
    StageQuote,
    StageStatus,
)
from responses.models import DataVersion

from . import factories

QUIET = {"stdout": io.StringIO()}
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


def test_a_recommendation_with_no_stage_record_has_no_government_response(corpus):
    without = [r for r in Recommendation.objects.with_stages() if not r.stages.all()]
    assert len(without) == Recommendation.objects.count() - 37 == 13
    for recommendation in without:
        assert recommendation.government_response_stage is None
        assert recommendation.furthest_delivery_stage is None


def test_stages_come_in_date_order_with_the_latest_response_and_the_furthest_delivery(corpus):
    recommendation = Recommendation.objects.with_stages().get(ref="6.x3")
    stages = list(recommendation.stages.all())
    assert [(s.stage, s.status, s.date_display) for s in stages] == [
        ("delivery", "in_progress", "2022"),
        ("government_response", "accepted_in_part", "3 December 2024"),
        ("delivery", "legislated", "29 April 2026"),
    ]
    assert recommendation.government_response_stage == stages[1]
    assert recommendation.furthest_delivery_stage == stages[2]


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


def test_the_statuses_in_sql_are_those_of_the_latest_response_and_the_furthest_delivery(corpus):
    # Beside the corpus, ties: two responses on one day, two deliveries as far on one day.
    tied = factories.recommendation()
    for status in ("accepted", "not_accepted"):
        factories.stage(recommendation=tied, status=status)
    for status in ("delivered", "delivered", "in_progress"):
        factories.stage(recommendation=tied, stage="delivery", status=status)
    recommendations = list(Recommendation.objects.with_stages().with_government_statuses())
    for recommendation in recommendations:
        response = recommendation.government_response_stage
        delivery = recommendation.furthest_delivery_stage
        assert recommendation.response_status == (response and response.status)
        assert recommendation.delivery_status == (delivery and delivery.status)
    [shown] = [r for r in recommendations if r.pk == tied.pk]
    assert (shown.response_status, shown.delivery_status) == ("not_accepted", "delivered")


def test_every_recommendations_stages_and_quotes_are_read_in_three_queries(
    corpus, django_assert_num_queries
):
    with django_assert_num_queries(3):
        for recommendation in Recommendation.objects.with_stages():
            recommendation.government_response_stage  # noqa: B018
            recommendation.furthest_delivery_stage  # noqa: B018
            for stage in recommendation.stages.all():
                list(stage.quotes.all())


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


# --- Loading them ---------------------------------------------------------------------------


def load_the_corpus_without_stages() -> None:
    """A database as the corpus left it before stage records were shipped."""
    call_command("loaddata", "recommendations.json", "responses.json", verbosity=0)


@pytest.mark.django_db
def test_loading_the_corpus_twice_changes_nothing(corpus):
    before = DataVersion.objects.get().token
    stages = list(GovernmentStage.objects.values())
    quotes = list(StageQuote.objects.values())
    history = GovernmentStage.history.count() + StageQuote.history.count()
    out = io.StringIO()
    call_command("load_corpus", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert list(GovernmentStage.objects.values()) == stages
    assert list(StageQuote.objects.values()) == quotes
    assert GovernmentStage.history.count() + StageQuote.history.count() == history
    assert DataVersion.objects.get().token == before


def described(stages) -> list[tuple]:
    """Stage records as their fixture gives them, whatever their primary keys."""
    return sorted(
        (
            stage.recommendation.ref,
            stage.stage,
            stage.status,
            stage.date,
            stage.date_precision,
            stage.summary,
            stage.confidence,
            stage.note,
            tuple((quote.text, quote.url, quote.position) for quote in stage.quotes.all()),
        )
        for stage in stages
    )


@pytest.mark.django_db
def test_loading_into_a_database_with_the_corpus_but_no_stages_adds_every_record_as_shipped():
    load_the_corpus_without_stages()
    with transaction.atomic():
        call_command("loaddata", "stages.json", verbosity=0)
        shipped = described(GovernmentStage.objects.prefetch_related("quotes"))
        transaction.set_rollback(True)
    assert not GovernmentStage.objects.exists()
    call_command("load_corpus", **QUIET)
    assert described(GovernmentStage.objects.prefetch_related("quotes")) == shipped
    assert (GovernmentStage.objects.count(), StageQuote.objects.count()) == (56, 123)


@pytest.mark.django_db
def test_loading_into_a_database_with_the_corpus_but_no_stages_adds_them_and_keeps_an_editors():
    load_the_corpus_without_stages()
    # An editor entered one of the shipped records before the corpus shipped it.
    typed = factories.stage(
        recommendation=Recommendation.objects.get(ref="4.x4"),
        status="not_accepted",
        date=datetime.date(2023, 12, 1),
        date_precision="month",
        summary="Typed in by an editor.",
        quotes=[("Words an editor found.", GOV_UK)],
    )
    out = io.StringIO()
    call_command("load_corpus", stdout=out)
    assert "Added 55 stage records" in out.getvalue()
    assert GovernmentStage.objects.count() == 56
    assert GovernmentStage.objects.filter(recommendation__ref="4.x4").get() == typed
    typed.refresh_from_db()
    assert typed.summary == "Typed in by an editor."
    assert [q.text for q in typed.quotes.all()] == ["Words an editor found."]
    # Every other record with all its quotes, from the fixture.
    shipped_4x4_quotes = 2
    assert StageQuote.objects.count() == 123 - shipped_4x4_quotes + 1
    assert Recommendation.objects.with_stages().get(ref="6.x3").furthest_delivery_stage.status == (
        "legislated"
    )
    added = GovernmentStage.history.exclude(id=typed.pk)
    assert set(added.values_list("history_change_reason", flat=True)) == {
        "Loaded from the shipped corpus"
    }
    call_command("load_corpus", **QUIET)
    assert GovernmentStage.objects.count() == 56


@pytest.mark.django_db
def test_loading_again_brings_back_no_record_an_editor_corrected_or_deleted(corpus):
    corrected = GovernmentStage.objects.get(recommendation__ref="6.x3", status="in_progress")
    corrected.status = "delivered"
    corrected.date = datetime.date(2022, 9, 1)
    corrected.date_precision = "month"
    corrected.save()
    GovernmentStage.objects.get(recommendation__ref="5.x3").delete()
    call_command("load_corpus", **QUIET)
    assert GovernmentStage.objects.count() == 55
    assert not GovernmentStage.objects.filter(recommendation__ref="5.x3").exists()
    assert list(
        GovernmentStage.objects.filter(recommendation__ref="6.x3").values_list("status", flat=True)
    ) == ["delivered", "accepted_in_part", "legislated"]


@pytest.mark.django_db
def test_loading_stages_for_a_recommendation_the_database_lacks_adds_none():
    load_the_corpus_without_stages()
    Recommendation.objects.get(ref="8.x5").delete()
    with pytest.raises(CommandError, match="Nothing was added: A stage record .* does not hold"):
        call_command("load_corpus", **QUIET)
    assert not GovernmentStage.objects.exists()
    assert not StageQuote.objects.exists()


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
