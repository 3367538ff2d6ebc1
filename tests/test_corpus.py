"""The shipped corpus: faithful to its sources, complete, and loaded idempotently."""

import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from recommendations.models import GovernmentStage, Recommendation, Source, StageQuote
from responses.csv_format import partial_date
from responses.models import (
    Ask,
    Assessment,
    DocumentKind,
    Evidence,
    JudgedBy,
    Organisation,
    ResponseDocument,
)

SHARED_CORPUS = Path(settings.BASE_DIR).parent / "shared" / "corpus"
needs_shared_corpus = pytest.mark.skipif(
    not SHARED_CORPUS.is_dir(), reason="../shared/corpus is not beside this checkout"
)
TOGETHER_TRUST_ASSESSMENT = "together-trust-did-the-care-review-listen.txt"


def shared_recommendations():
    return json.loads((SHARED_CORPUS / "recommendations.json").read_text())


@needs_shared_corpus
def test_every_recommendation_in_the_shared_corpus_is_present_with_its_ref(corpus):
    expected = shared_recommendations()
    held = {r.ref: r for r in Recommendation.objects.with_provenance()}
    assert sorted(held) == sorted(r["ref"] for r in expected)
    for source in expected:
        recommendation = held[source["ref"]]
        assert recommendation.text == source["text"]
        assert recommendation.title == source["title"]
        assert str(recommendation.chapter) == source["chapter"]
        assert recommendation.chapter_inferred == source["chapter_inferred"]
        assert recommendation.number == (source["number"] or "")
        assert recommendation.confidence == source["confidence"]
        assert [t.name for t in recommendation.themes.all()] == [source["theme"]]
        assert {s.url for s in recommendation.wording_sources} >= set(source["sources"])
        assert {s.quote for s in recommendation.wording_sources if s.quote} == {
            q["text"] for q in source["quotes"]
        }
        assert recommendation.government_response == (source["government_response"] or "")
        government_sources = source.get("government_response_source") or []
        if isinstance(government_sources, str):
            government_sources = [government_sources]
        assert [s.url for s in recommendation.government_response_sources] == government_sources


@needs_shared_corpus
def test_every_documents_text_is_its_source_without_page_furniture(corpus):
    meta = json.loads((SHARED_CORPUS / "documents.json").read_text())
    assert ResponseDocument.objects.count() == len(meta) == 5
    for entry in meta:
        document = ResponseDocument.objects.get(title=entry["title"])
        source = (SHARED_CORPUS / entry["file"]).read_text()
        assert document.organisation.name == entry["organisation"]
        assert document.kind == entry["kind"]
        for line in document.text.splitlines():
            assert line in source
        for furniture in (
            "Your browser is no longer supported",
            "Leave a Reply",
            "Leave a reply",
            "No Comments",
            "bloggers like this",
        ):
            assert furniture not in document.text
    assert Organisation.objects.count() == 4


def test_every_ask_is_quoted_verbatim_from_its_document(corpus):
    asks = Ask.objects.select_related("document")
    assert asks.count() > 40
    for ask in asks:
        assert ask.text in ask.document.text, ask.title


def test_every_evidence_quote_occurs_verbatim_in_its_recommendation(corpus):
    evidence = Evidence.objects.select_related("recommendation")
    assert evidence.exists()
    for item in evidence:
        assert item.quote in item.recommendation.text, item.recommendation.ref


def test_the_organisations_own_rationale_is_quoted_from_its_document(corpus):
    own = Assessment.objects.filter(judged_by=JudgedBy.ORGANISATION).select_related("ask__document")
    assert own.count() == 13
    for assessment in own:
        assert assessment.rationale.strip()
        assert assessment.rationale in assessment.ask.document.text


def together_trusts_filing() -> dict[str, str]:
    """Parsed from the source, independently of the fixtures: each ask in ‘…’ on a line
    of its own, filed under the heading it sits below."""
    text = (SHARED_CORPUS / "documents" / TOGETHER_TRUST_ASSESSMENT).read_text()
    filed, status = {}, None
    headings = {"included": "realised", "partly heard": "partly", "absent": "absent"}
    for line in text.splitlines():
        if line.startswith("Which"):
            status = next(s for words, s in headings.items() if words in line)
        elif line.startswith("‘") and status:
            filed[line[1:-1]] = status
    return filed


@needs_shared_corpus
def test_together_trust_files_thirteen_asks_as_two_included_seven_partly_four_absent():
    statuses = list(together_trusts_filing().values())
    assert len(statuses) == 13
    assert (statuses.count("realised"), statuses.count("partly"), statuses.count("absent")) == (
        2,
        7,
        4,
    )


@needs_shared_corpus
def test_together_trusts_own_assessment_is_loaded_with_its_statuses(corpus):
    expected = together_trusts_filing()
    document = ResponseDocument.objects.get(kind=DocumentKind.FINAL_REPORT_ASSESSMENT)
    loaded = {
        ask.text: (ask.assessment.status, ask.assessment.judged_by)
        for ask in document.asks.select_related("assessment")
    }
    assert loaded == {text: (status, JudgedBy.ORGANISATION) for text, status in expected.items()}


def test_together_trusts_scorecard_counts_each_ask_once(corpus):
    together_trust = Organisation.objects.with_status_counts().get(slug="together-trust")
    # Thirteen judged by the charity, plus one Case for Change ask it never assessed.
    assert (
        together_trust.asks_realised,
        together_trust.asks_partly,
        together_trust.asks_absent,
    ) == (
        2,
        7,
        4,
    )
    assert together_trust.asks_not_assessed == 1
    assert together_trust.asks_total == 14


def test_together_trusts_assessed_asks_link_back_to_its_case_for_change_response(corpus):
    restated = Ask.objects.filter(restates__isnull=False).select_related(
        "document", "restates__document"
    )
    assert restated.count() == 11
    for ask in restated:
        assert ask.document.kind == DocumentKind.FINAL_REPORT_ASSESSMENT
        assert ask.restates.document.kind == DocumentKind.CASE_FOR_CHANGE_RESPONSE
        assert ask.restates.document.organisation_id == ask.document.organisation_id


def test_become_and_action_for_children_are_judged_editorially_with_reasons(corpus):
    for slug in ("become", "action-for-children"):
        asks = Ask.objects.filter(document__organisation__slug=slug).select_related("assessment")
        assert asks.exists()
        for ask in asks:
            assert ask.assessment.judged_by == JudgedBy.EDITORIAL
            assert ask.assessment.rationale
            if ask.assessment.status in ("realised", "partly"):
                assert ask.assessment.evidence.exists(), ask.title


def test_a_digest_quotes_the_review_so_its_points_are_not_counted_as_asks(corpus):
    forum = Organisation.objects.with_status_counts().get(slug="residential-forum-england")
    points = Ask.objects.filter(document__organisation=forum)
    assert points.count() == 8
    assert forum.asks_total == 0
    assert not Ask.objects.counted().filter(document__organisation=forum).exists()
    assert not Assessment.objects.filter(ask__in=points).exists()


def test_every_recommendation_shows_where_its_wording_comes_from(corpus):
    for recommendation in Recommendation.objects.with_provenance():
        assert recommendation.wording_sources, recommendation.ref
        assert all(re.match(r"https?://", s.url) for s in recommendation.sources.all())
    assert "secondary sources" in Recommendation.objects.first().report.provenance


def test_loading_the_corpus_twice_changes_nothing_and_keeps_edits(corpus):
    ask = Ask.objects.get(pk=1)
    ask.title = "Corrected by an editor"
    ask.save()
    stage = GovernmentStage.objects.get(pk=1)
    stage.summary = "Corrected by an editor."
    stage.save()
    models = (Recommendation, Source, GovernmentStage, StageQuote, Ask, Assessment, Evidence)
    counts = [m.objects.count() for m in models]
    call_command("load_corpus", stdout=io.StringIO())
    assert [m.objects.count() for m in models] == counts
    assert Ask.objects.get(pk=1).title == "Corrected by an editor"
    assert GovernmentStage.objects.get(pk=1).summary == "Corrected by an editor."


def test_each_shipped_judgement_starts_its_history_at_loading(corpus):
    assessment = Assessment.objects.get(
        ask__title="Fully implement the UNCRC in England", judged_by=JudgedBy.ORGANISATION
    )
    history = list(assessment.history.all())
    assert [(h.status, h.history_change_reason) for h in history] == [
        ("absent", "Loaded from the shipped corpus")
    ]
    assert Evidence.history.count() == Evidence.objects.count()


def test_each_shipped_stage_and_quote_starts_its_history_at_loading(corpus):
    for model in (GovernmentStage, StageQuote):
        assert set(model.history.values_list("history_change_reason", flat=True)) == {
            "Loaded from the shipped corpus"
        }
        assert model.history.count() == model.objects.count()


def shared_stage_records() -> list[dict]:
    return json.loads((SHARED_CORPUS / "government_responses.json").read_text())


@needs_shared_corpus
def test_every_stage_record_in_the_shared_corpus_arrives_with_its_quotes_and_sources(corpus):
    held = [
        {
            "ref": stage.recommendation.ref,
            "stage": stage.stage,
            "date": partial_date(stage.date, stage.date_precision),
            "date_precision": stage.date_precision,
            "status": stage.status,
            "summary": stage.summary,
            "quotes": [{"text": q.text, "source": q.url} for q in stage.quotes.all()],
            "confidence": stage.confidence,
            "note": stage.note or None,
        }
        for stage in GovernmentStage.objects.select_related("recommendation")
        .prefetch_related("quotes")
        .order_by("pk")
    ]
    assert held == shared_stage_records()
    assert (len(held), len({record["ref"] for record in held})) == (56, 37)
    assert StageQuote.objects.count() == 123


def test_the_stages_statuses_are_the_corpus_counts(corpus):
    assert Counter(GovernmentStage.objects.values_list("stage", "status")) == {
        ("government_response", "accepted"): 10,
        ("government_response", "accepted_in_part"): 15,
        ("government_response", "not_accepted"): 4,
        ("delivery", "delivered"): 6,
        ("delivery", "in_progress"): 13,
        ("delivery", "legislation_in_progress"): 2,
        ("delivery", "legislated"): 6,
    }


@needs_shared_corpus
def test_the_stages_statuses_are_those_of_the_shared_corpus(corpus):
    expected = Counter((record["stage"], record["status"]) for record in shared_stage_records())
    assert Counter(GovernmentStage.objects.values_list("stage", "status")) == expected


def test_every_stage_quote_links_to_its_page(corpus):
    assert all(quote.link == quote.url for quote in StageQuote.objects.all())
