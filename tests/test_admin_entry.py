import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils.html import escape

from responses import splitting
from responses.assessments import record
from responses.models import (
    Ask,
    Assessment,
    DataVersion,
    Evidence,
    JudgedBy,
    Organisation,
    OrganisationCounts,
    RecommendationCounts,
    Status,
    ThemeCounts,
)
from tests import factories


def _change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def editor_client(client, db):
    editor = User.objects.create_user("editor", password="pw-editor-1", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(client, db):
    viewer = User.objects.create_user("viewer", password="pw-viewer-1", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Viewers"))
    client.force_login(viewer)
    return client


# --- Every model, with lists, filters and search ---------------------------------------


def test_every_model_of_both_apps_is_in_admin():
    models = [
        m
        for label in ("recommendations", "responses")
        for m in apps.get_app_config(label).get_models()
        # History is shown on its model's page; the data version and the stored counts
        # are the database's own.
        if not m.__name__.startswith("Historical")
        and m not in (DataVersion, OrganisationCounts, RecommendationCounts, ThemeCounts)
    ]
    assert [m for m in models if not admin.site.is_registered(m)] == []


@pytest.mark.parametrize(
    "model_name",
    [
        "recommendations.report",
        "recommendations.chapter",
        "recommendations.theme",
        "recommendations.recommendation",
        "recommendations.source",
        "recommendations.governmentstage",
        "recommendations.stagequote",
        "responses.organisation",
        "responses.responsedocument",
        "responses.ask",
        "responses.assessment",
        "responses.evidence",
        "responses.governmentassessment",
        "responses.namedrecommendation",
        "responses.organisationnote",
    ],
)
def test_each_list_searches_and_filters_the_corpus(admin_client, corpus, model_name):
    app_label, model = model_name.split(".")
    url = reverse(f"admin:{app_label}_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "kinship"}).status_code == 200


def test_recommendation_autocomplete_finds_recommendations_by_words(admin_client, corpus):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "kinship",
            "app_label": "responses",
            "model_name": "evidence",
            "field_name": "recommendation",
        },
    )
    refs = [result["text"].split()[0] for result in response.json()["results"]]
    assert "4.x3" in refs and "6.x3" not in refs


def test_recommendation_page_says_its_wording_comes_from_secondary_sources(admin_client, corpus):
    from recommendations.models import Recommendation

    recommendation = Recommendation.objects.get(ref="6.x3")
    page = admin_client.get(_change_url(recommendation)).content.decode()
    assert "Wording, from secondary sources" in page
    assert escape(recommendation.sources.exclude(quote="").first().quote) in page


def test_document_page_lists_its_asks_in_order(admin_client, corpus):
    document = Ask.objects.get(pk=13).document
    response = admin_client.get(_change_url(document))
    [asks] = response.context["inline_admin_formsets"]
    shown = [form.instance.position for form in asks.formset.forms]
    assert shown == list(range(1, document.asks.count() + 1))
    split_url = reverse("admin:responses_responsedocument_split", args=[document.pk])
    assert split_url in response.content.decode()


# --- Near-duplicate organisations --------------------------------------------------------


def test_adding_a_near_duplicate_organisation_asks_for_confirmation(admin_client, corpus):
    url = reverse("admin:responses_organisation_add")
    data = {"name": "The Together Trust", "slug": "the-together-trust", "kind": "charity"}

    response = admin_client.post(url, data)
    assert response.status_code == 200
    existing = Organisation.objects.get(slug="together-trust")
    assert (
        f'Similar organisations already exist: <a href="{_change_url(existing)}">Together Trust</a>'
        in response.content.decode()
    )
    assert not Organisation.objects.filter(slug="the-together-trust").exists()

    response = admin_client.post(url, data | {"confirm_new": "on"})
    assert response.status_code == 302
    assert Organisation.objects.filter(slug="the-together-trust").exists()


def test_adding_a_distinct_organisation_needs_no_confirmation(admin_client, corpus):
    response = admin_client.post(
        reverse("admin:responses_organisation_add"),
        {"name": "Coram Voice", "slug": "coram-voice", "kind": "charity"},
    )
    assert response.status_code == 302
    assert Organisation.objects.filter(name="Coram Voice").exists()


# --- Split into asks -----------------------------------------------------------------------

SPLIT_TEXT = (
    "Our response\n"
    "- Every care leaver should have a home of their own.\n"
    "- Kinship carers deserve paid leave from work.\n"
    "We call for the full implementation of the UNCRC in England.\n"
    "Thank you for reading."
)


@pytest.fixture
def document(db):
    return factories.document(text=SPLIT_TEXT)


def _split(client, document, ticked: dict[int, str] | None = None, **extra):
    url = reverse("admin:responses_responsedocument_split", args=[document.pk])
    page = client.get(url)
    rows = page.context["rows"]
    data = {f"text_{i}": row["candidate"].text for i, row in enumerate(rows)}
    for index, title in (ticked or {}).items():
        data |= {f"pick_{index}": "on", f"title_{index}": title}
    return page, client.post(url, data | extra)


def test_split_offers_list_items_and_call_for_sentences_without_saving(admin_client, document):
    page, _ = _split(admin_client, document, ticked={})
    texts = [row["candidate"].text for row in page.context["rows"]]
    assert texts == [
        "Every care leaver should have a home of their own.",
        "Kinship carers deserve paid leave from work.",
        "We call for the full implementation of the UNCRC in England.",
    ]
    assert document.asks.count() == 0


def test_split_saves_the_ticked_candidates_verbatim_after_existing_asks(admin_client, document):
    factories.ask(document=document, text="Thank you for reading.", title="Thanks")
    _, response = _split(admin_client, document, ticked={0: "A home for care leavers", 2: "UNCRC"})
    assert response.status_code == 302
    saved = list(document.asks.order_by("position").values_list("position", "title", "text"))
    assert saved == [
        (1, "Thanks", "Thank you for reading."),
        (2, "A home for care leavers", "Every care leaver should have a home of their own."),
        (3, "UNCRC", "We call for the full implementation of the UNCRC in England."),
    ]
    assert all(text in document.text for _, _, text in saved)


def test_split_saves_nothing_when_nothing_is_ticked(admin_client, document):
    _, response = _split(admin_client, document)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Choose at least one ask to save."]
    assert "Choose at least one ask" in response.content.decode()
    assert document.asks.count() == 0


def test_split_saves_nothing_when_the_text_changed_since_it_was_shown(admin_client, document):
    _, response = _split(
        admin_client, document, ticked={0: "Home", 1: "Leave"}, text_1="Something else"
    )
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert "changed since the candidates were shown" in error
    assert "changed since the candidates were shown" in response.content.decode()
    assert document.asks.count() == 0


def test_candidates_include_quoted_asks_but_not_apostrophes_or_scare_quotes():
    text = "It asked for ‘a home for every child’s whole childhood’ and ‘Family Help’ now."
    texts = [c.text for c in splitting.candidate_asks(text=text)]
    assert "a home for every child’s whole childhood" in texts
    assert "Family Help" not in texts


def test_candidates_start_a_call_for_where_the_call_starts():
    text = "In our response to the Review, we call for the full implementation of the UNCRC."
    [candidate] = splitting.candidate_asks(text=text)
    assert candidate.text == "we call for the full implementation of the UNCRC."
    assert text[candidate.start : candidate.end] == candidate.text


def test_candidates_include_numbered_lines_and_should_sentences():
    text = "1) Fund family help for ten years.\nCouncils should publish their kinship policies. It rained."
    texts = [c.text for c in splitting.candidate_asks(text=text)]
    assert texts == [
        "Fund family help for ten years.",
        "Councils should publish their kinship policies.",
    ]


def test_a_document_typed_in_a_browser_keeps_one_kind_of_line_break(admin_client, db):
    organisation = factories.organisation()
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
    document = organisation.documents.get()
    assert document.text == "Our asks\n- Fund kinship care properly."
    assert [c.text for c in splitting.candidate_asks(text=document.text)] == [
        "Fund kinship care properly."
    ]


def test_viewers_cannot_split_a_document(viewer_client, document):
    url = reverse("admin:responses_responsedocument_split", args=[document.pk])
    assert viewer_client.get(url).status_code == 403


# --- Suggestions on an ask's page ----------------------------------------------------------


def test_ask_page_shows_five_suggestions_with_shared_words_highlighted(editor_client, corpus):
    ask = Ask.objects.get(pk=18)
    response = editor_client.get(_change_url(ask))
    rows = response.context["suggestion_rows"]
    assert len(rows) == 5
    page = response.content.decode()
    assert "<mark>Staying</mark>" in page and "<mark>Close</mark>" in page
    assert 'value="Link 6.x3"' in page
    assert f'href="{reverse("admin:responses_assessment_judge", args=[ask.pk])}"' in page
    assert re.search(
        r"Partly realised\s+\(by the organisation itself\), citing <a [^>]+>6\.x3</a>", page
    )
    assert "Close matches" in page and "No close match" not in page
    assert "would say" not in page


def test_ask_page_with_no_close_match_says_so_and_leaves_the_status_to_the_person(
    editor_client, db
):
    factories.recommendation(text="Give kinship carers paid leave from work.")
    ask = factories.ask(
        document=factories.document(text="Lower speed limits near airports. Nothing else."),
        text="Lower speed limits near airports.",
    )
    response = editor_client.get(_change_url(ask))
    assert response.context["close_matches"] == []
    section = response.content.decode().split('<section class="module suggestions"')[1]
    assert "No close match among the recommendations held" in section
    assert "Close matches" not in section and "would say" not in section
    # Absent is only the person's own action, the form that ends the section.
    absent_url = reverse("admin:responses_ask_absent", args=[ask.pk])
    suggestions, absent_form = section.split(f'<form method="post" action="{absent_url}"')
    assert "absent" not in suggestions.lower()
    assert 'value="None of these: mark the ask absent"' in absent_form
    assert not Assessment.objects.filter(ask=ask).exists()


def test_linking_a_suggestion_records_an_editorial_judgement_with_its_quote(editor_client, db):
    recommendation = factories.recommendation(
        text="Give kinship carers paid leave. Review the law."
    )
    ask = factories.ask(document=factories.document(text="Kinship carers need paid leave."))
    response = editor_client.post(
        reverse("admin:responses_ask_link", args=[ask.pk]),
        {
            "recommendation": recommendation.pk,
            "status": "partly",
            "quote": "Give kinship carers paid leave.",
            "based_on_version": 0,
        },
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get(ask=ask)
    assert (assessment.status, assessment.judged_by) == (Status.PARTLY, JudgedBy.EDITORIAL)
    assert assessment.evidence.get().quote == "Give kinship carers paid leave."
    latest = assessment.history.first()
    assert latest.history_user.username == "editor"
    assert "Linked recommendation" in latest.history_change_reason


def test_linking_keeps_the_asks_other_evidence(editor_client, db):
    first, second = factories.recommendation(), factories.recommendation()
    ask = factories.ask()
    record(ask=ask, status="partly", judged_by="editorial", evidence=[(first, first.text[:10])])
    editor_client.post(
        reverse("admin:responses_ask_link", args=[ask.pk]),
        {
            "recommendation": second.pk,
            "status": "realised",
            "quote": second.text[:12],
            "based_on_version": ask.assessment.version,
        },
    )
    assessment = Assessment.objects.get(ask=ask)
    assert assessment.status == Status.REALISED
    assert set(assessment.evidence.values_list("recommendation", flat=True)) == {
        first.pk,
        second.pk,
    }


def test_linking_refuses_a_quote_that_is_not_in_the_recommendation(editor_client, db):
    recommendation = factories.recommendation(text="Give kinship carers paid leave.")
    ask = factories.ask()
    editor_client.post(
        reverse("admin:responses_ask_link", args=[ask.pk]),
        {
            "recommendation": recommendation.pk,
            "status": "partly",
            "quote": "Give all carers leave.",
            "based_on_version": 0,
        },
    )
    assert not Assessment.objects.filter(ask=ask).exists()


def test_linking_keeps_the_organisations_own_judgement_unless_told_to_replace_it(editor_client, db):
    recommendation = factories.recommendation()
    ask = factories.ask()
    record(ask=ask, status="absent", judged_by="organisation", rationale="In our view, absent.")
    data = {
        "recommendation": recommendation.pk,
        "status": "partly",
        "quote": recommendation.text,
        "based_on_version": ask.assessment.version,
    }

    editor_client.post(reverse("admin:responses_ask_link", args=[ask.pk]), data)
    assert Assessment.objects.get(ask=ask).judged_by == JudgedBy.ORGANISATION

    editor_client.post(
        reverse("admin:responses_ask_link", args=[ask.pk]),
        data | {"replace_organisation_judgement": "on"},
    )
    replaced = Assessment.objects.get(ask=ask)
    assert (replaced.judged_by, replaced.status, replaced.rationale) == ("editorial", "partly", "")


def test_marking_an_ask_absent_replaces_an_automatic_suggestion(editor_client, db):
    recommendation = factories.recommendation()
    ask = factories.ask()
    record(
        ask=ask,
        status="partly",
        judged_by="automatic",
        evidence=[(recommendation, recommendation.text)],
    )
    editor_client.post(
        reverse("admin:responses_ask_absent", args=[ask.pk]),
        {"based_on_version": ask.assessment.version},
    )
    assessment = Assessment.objects.get(ask=ask)
    assert (assessment.status, assessment.judged_by) == (Status.ABSENT, JudgedBy.EDITORIAL)
    assert not Evidence.objects.filter(assessment=assessment).exists()


def test_viewers_cannot_link_a_suggestion(viewer_client, db):
    recommendation = factories.recommendation()
    ask = factories.ask()
    response = viewer_client.post(
        reverse("admin:responses_ask_link", args=[ask.pk]),
        {
            "recommendation": recommendation.pk,
            "status": "partly",
            "quote": recommendation.text,
            "based_on_version": 0,
        },
    )
    assert response.status_code == 403
    assert not Assessment.objects.filter(ask=ask).exists()


# --- Judging an ask: its own page, one call to the one write path, with history ------------


def _judge_url(ask) -> str:
    return reverse("admin:responses_assessment_judge", args=[ask.pk])


def test_an_editor_judges_an_ask_with_evidence_through_the_one_write_path(editor_client, db):
    recommendation = factories.recommendation(text="Give kinship carers paid leave.")
    ask = factories.ask()
    page = editor_client.get(_judge_url(ask))
    assert page.status_code == 200
    assert "Not judged yet." in page.content.decode()

    response = editor_client.post(
        _judge_url(ask),
        factories.judge_form(None, status="realised", rationale="Same ask.")
        | {
            "evidence-TOTAL_FORMS": "1",
            "evidence-0-recommendation": str(recommendation.pk),
            "evidence-0-quote": "kinship carers paid leave",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _change_url(ask)
    assessment = Assessment.objects.get(ask=ask)
    assert (assessment.status, assessment.judged_by, assessment.rationale) == (
        Status.REALISED,
        JudgedBy.EDITORIAL,
        "Same ask.",
    )
    assert assessment.evidence.get().quote == "kinship carers paid leave"
    assert assessment.history.get().history_user.username == "editor"
    assert Evidence.history.get().history_user.username == "editor"


def test_a_save_on_the_judge_page_is_one_call_to_record(editor_client, db, monkeypatch):
    from responses import assessments

    first, second = factories.recommendation(), factories.recommendation()
    assessment = factories.assessment(status="partly", evidence=[first])
    calls = []

    def counted_record(**judgement):
        calls.append(judgement)
        return record(**judgement)

    monkeypatch.setattr(assessments, "record", counted_record)
    history = assessment.history.count()
    response = editor_client.post(
        _judge_url(assessment.ask),
        factories.judge_form(assessment, status="realised", change_reason="Second source")
        | {
            "evidence-TOTAL_FORMS": "2",
            "evidence-1-recommendation": str(second.pk),
            "evidence-1-quote": second.text[:15],
        },
    )
    assert response.status_code == 302
    assert len(calls) == 1
    assert [(r.pk, q) for r, q in calls[0]["evidence"]] == [
        (first.pk, first.text[:20]),
        (second.pk, second.text[:15]),
    ]
    assert assessment.history.count() == history + 1
    latest = assessment.history.first()
    assert (latest.status, latest.history_change_reason) == ("realised", "Second source")


def test_the_judge_page_removes_evidence_rows_ticked_to_remove(editor_client, db):
    kept, dropped = factories.recommendation(), factories.recommendation()
    assessment = factories.assessment(status="partly", evidence=[kept, dropped])
    editor_client.post(
        _judge_url(assessment.ask), factories.judge_form(assessment) | {"evidence-1-DELETE": "on"}
    )
    assert list(assessment.evidence.values_list("recommendation", flat=True)) == [kept.pk]


def test_judging_keeps_who_and_why_in_the_history(editor_client, db):
    assessment = factories.assessment(status="absent", evidence=())
    response = editor_client.post(
        _judge_url(assessment.ask),
        factories.judge_form(assessment, status="unclear", change_reason="Too vague to judge"),
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == Status.UNCLEAR
    latest = assessment.history.first()
    assert (latest.history_user.username, latest.history_change_reason) == (
        "editor",
        "Too vague to judge",
    )
    history = editor_client.get(reverse("admin:responses_assessment_history", args=[assessment.pk]))
    assert "Too vague to judge" in history.content.decode()


def test_judging_replaces_the_organisations_judgement_only_with_the_tick(editor_client, db):
    assessment = factories.assessment(status="absent", judged_by="organisation", evidence=())
    data = factories.judge_form(assessment, status="partly", judged_by="editorial")

    response = editor_client.post(_judge_url(assessment.ask), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "holds the organisation&#x27;s own judgement" in page
    assert "Tick “Replace the organisation&#x27;s own judgement” to replace it." in page
    assessment.refresh_from_db()
    assert (assessment.status, assessment.judged_by) == ("absent", "organisation")

    response = editor_client.post(
        _judge_url(assessment.ask), data | {"replace_organisation_judgement": "on"}
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert (assessment.status, assessment.judged_by) == ("partly", "editorial")


def test_judging_does_not_change_the_organisations_judgement_in_its_name_without_the_tick(
    editor_client, db
):
    assessment = factories.assessment(status="absent", judged_by="organisation", evidence=())
    response = editor_client.post(
        _judge_url(assessment.ask), factories.judge_form(assessment, status="realised")
    )
    assert response.status_code == 200
    assessment.refresh_from_db()
    assert (assessment.status, assessment.judged_by) == ("absent", "organisation")


def test_judging_refuses_evidence_on_an_absent_ask_and_keeps_the_input(editor_client, db):
    recommendation = factories.recommendation()
    assessment = factories.assessment(status="partly", evidence=[recommendation])
    response = editor_client.post(
        _judge_url(assessment.ask),
        factories.judge_form(assessment, status="absent", rationale="My reasoning."),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Only realised or partly realised asks carry evidence, not an ask that is absent." in (
        page
    )
    assert "My reasoning.</textarea>" in page
    assessment.refresh_from_db()
    assert (assessment.status, assessment.version) == (Status.PARTLY, 1)


def test_judging_refuses_a_quote_that_is_not_in_the_recommendation(editor_client, db):
    recommendation = factories.recommendation(text="Give kinship carers paid leave.", ref="4.x9")
    ask = factories.ask()
    response = editor_client.post(
        _judge_url(ask),
        factories.judge_form(None, status="partly")
        | {
            "evidence-TOTAL_FORMS": "1",
            "evidence-0-recommendation": str(recommendation.pk),
            "evidence-0-quote": "Give all carers leave.",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The evidence is not quoted exactly from recommendation 4.x9&#x27;s text." in page
    assert "Give all carers leave.</textarea>" in page
    assert not Assessment.objects.filter(ask=ask).exists()


def test_viewers_may_not_judge(viewer_client, db):
    assessment = factories.assessment(status="absent", evidence=())
    url = _judge_url(assessment.ask)
    assert viewer_client.get(url).status_code == 403
    assert viewer_client.post(
        url, factories.judge_form(assessment, status="unclear")
    ).status_code == (403)
    assessment.refresh_from_db()
    assert assessment.status == Status.ABSENT


def test_an_assessments_page_takes_editors_to_the_judge_page(editor_client, db):
    assessment = factories.assessment(status="absent", evidence=())
    response = editor_client.get(_change_url(assessment))
    assert (response.status_code, response["Location"]) == (302, _judge_url(assessment.ask))


def test_an_assessments_page_is_for_viewers_to_read(viewer_client, db):
    assessment = factories.assessment(status="absent", rationale="Not in the report.")
    url = _change_url(assessment)
    response = viewer_client.get(url)
    assert response.status_code == 200
    assert "Not in the report." in response.content.decode()
    assert viewer_client.post(url, factories.judge_form(assessment)).status_code == 403


def test_editing_refuses_an_automatic_suggestion_of_absent_with_a_message(editor_client, db):
    assessment = factories.assessment(status="partly", judged_by="automatic")
    response = editor_client.post(
        _judge_url(assessment.ask),
        factories.judge_form(assessment, status="absent", judged_by="automatic"),
    )
    assert response.status_code == 200
    assert "An automatic suggestion cannot say an ask is absent" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == Status.PARTLY


def test_admin_is_for_staff_only(client, db):
    client.force_login(User.objects.create_user("reader", password="pw-reader-1"))
    response = client.get(reverse("admin:responses_ask_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_viewers_see_suggestions_but_no_way_to_link_them(viewer_client, corpus):
    response = viewer_client.get(_change_url(Ask.objects.get(pk=18)))
    assert response.status_code == 200
    assert len(response.context["suggestion_rows"]) == 5
    assert 'value="Link 6.x3"' not in response.content.decode()
    assert "Judge this ask" not in response.content.decode()


def test_viewers_may_read_an_assessments_history(viewer_client, corpus):
    assessment = Assessment.objects.first()
    url = reverse("admin:responses_assessment_history", args=[assessment.pk])
    assert viewer_client.get(url).status_code == 200


def test_history_can_be_read_but_not_reverted_around_the_write_path(editor_client, db):
    assessment = factories.assessment(status="absent", evidence=())
    record(ask=assessment.ask, status="unclear", judged_by="editorial", reason="Second look")
    version = assessment.history.last()
    url = reverse("admin:responses_assessment_simple_history", args=[assessment.pk, version.pk])
    assert editor_client.get(url).status_code == 200
    response = editor_client.post(url, factories.judge_form(assessment, status="absent"))
    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == Status.UNCLEAR


def test_the_suggest_action_stores_automatic_suggestions_and_spares_judged_asks(editor_client, db):
    chapter = factories.chapter()
    factories.recommendation(chapter=chapter, text="Give kinship carers paid leave from work.")
    factories.recommendation(
        chapter=chapter, text="Introduce national pay scales for social workers."
    )
    document = factories.document(text="Kinship carers need paid leave. Pay scales matter.")
    open_ask = factories.ask(document=document, text="Kinship carers need paid leave.")
    judged = factories.ask(document=document, text="Pay scales matter.")
    record(ask=judged, status="absent", judged_by="organisation", rationale="Our view.")

    response = editor_client.post(
        reverse("admin:responses_responsedocument_changelist"),
        {"action": "suggest_recommendations", "_selected_action": [document.pk]},
        follow=True,
    )
    assert "Stored 1 automatic suggestion" in response.content.decode()
    assert "Skipped 1 ask judged by a person" in response.content.decode()
    suggested = Assessment.objects.get(ask=open_ask)
    assert (suggested.judged_by, suggested.status) == (JudgedBy.AUTOMATIC, Status.PARTLY)
    assert suggested.history.get().history_user.username == "editor"
    assert Assessment.objects.get(ask=judged).judged_by == JudgedBy.ORGANISATION


def test_viewers_are_not_offered_the_suggest_action(viewer_client, db):
    response = viewer_client.get(reverse("admin:responses_responsedocument_changelist"))
    assert "suggest_recommendations" not in response.content.decode()
