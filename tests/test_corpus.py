"""The shipped corpus: faithful to its sources, complete, and loaded idempotently."""

import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from recommendations.models import GovernmentStage, Recommendation, Source, StageQuote
from responses.csv_format import partial_date
from responses.models import (
    Ask,
    Assessment,
    DocumentKind,
    Evidence,
    GovernmentAssessment,
    JudgedBy,
    NamedRecommendation,
    Organisation,
    OrganisationNote,
    ResponseDocument,
)
from responses.rules import missing_lines

SHARED_CORPUS = Path(settings.BASE_DIR).parent / "shared" / "corpus"
needs_shared_corpus = pytest.mark.skipif(
    not SHARED_CORPUS.is_dir(), reason="../shared/corpus is not beside this checkout"
)
TOGETHER_TRUST_ASSESSMENT = "together-trust-did-the-care-review-listen.txt"
FIXTURES = Path(settings.BASE_DIR) / "fixtures"


def shared_recommendations():
    return json.loads((SHARED_CORPUS / "recommendations.json").read_text())


def shared_round_2() -> list[dict]:
    """The shared corpus's organisations_round2: pages where organisations judge the
    Final Report or the Government's response, with their asks, verdicts and notes."""
    return json.loads((SHARED_CORPUS / "organisations_round2" / "documents.json").read_text())


def fixture_round_2() -> list[dict]:
    """The shipped round 2, read from its fixture: what the tests that run without the
    shared corpus compare with."""
    return json.loads((FIXTURES / "responses_round2.json").read_text())


def in_our_words(note: str | None) -> str:
    """A note of the shared corpus as carereview shows it: another page named by its title
    rather than its file, and what the corpus holds as what is held here."""
    note = note or ""
    for entry in shared_round_2():
        note = note.replace(entry["file"].split("/")[-1], f"“{entry['title']}”")
    return note.replace("in the corpus", "held here")


def round_2_counts(rows: list[dict]) -> dict[str, int]:
    """How many rows of each model the round-2 fixture ships."""
    return dict(Counter(row["model"].split(".")[1] for row in rows))


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
    assert len(meta) == 5
    assert ResponseDocument.objects.count() == len(meta) + len(shared_round_2())
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
    organisations = {entry["organisation"] for entry in meta + shared_round_2()}
    assert Organisation.objects.count() == len(organisations) == 8


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
    own = Assessment.objects.filter(judged_by=JudgedBy.ORGANISATION).select_related(
        "ask__document__organisation"
    )
    # Together Trust's thirteen, and round 2's verdicts on the Final Report.
    assert own.count() == 13 + round_2_counts(fixture_round_2())["assessment"] == 15
    for assessment in own:
        assert assessment.rationale.strip()
        assert missing_lines(assessment.rationale, source=assessment.ask.document.text) == []
        if assessment.ask.document.organisation.slug == "together-trust":
            # Its reasoning under each ask, as one passage.
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
    document = ResponseDocument.objects.get(
        kind=DocumentKind.FINAL_REPORT_ASSESSMENT, organisation__slug="together-trust"
    )
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


EVERY_MODEL = (
    Recommendation,
    Source,
    Organisation,
    ResponseDocument,
    Ask,
    Assessment,
    Evidence,
    GovernmentAssessment,
    NamedRecommendation,
    OrganisationNote,
)


def test_loading_the_corpus_twice_changes_nothing_and_keeps_edits(corpus):
    ask = Ask.objects.get(pk=1)
    ask.title = "Corrected by an editor"
    ask.save()
    stage = GovernmentStage.objects.get(pk=1)
    stage.summary = "Corrected by an editor."
    stage.save()
    models = (*EVERY_MODEL, GovernmentStage, StageQuote)
    counts = [m.objects.count() for m in models]
    out = io.StringIO()
    call_command("load_corpus", stdout=out)
    assert [m.objects.count() for m in models] == counts
    assert Ask.objects.get(pk=1).title == "Corrected by an editor"
    assert GovernmentStage.objects.get(pk=1).summary == "Corrected by an editor."
    assert "already loaded; nothing changed" in out.getvalue()


def test_each_shipped_judgement_starts_its_history_at_loading(corpus):
    assessment = Assessment.objects.get(
        ask__title="Fully implement the UNCRC in England", judged_by=JudgedBy.ORGANISATION
    )
    history = list(assessment.history.all())
    assert [(h.status, h.history_change_reason) for h in history] == [
        ("absent", "Loaded from the shipped corpus")
    ]
    assert Evidence.history.count() == Evidence.objects.count()
    for model in (GovernmentAssessment, NamedRecommendation, OrganisationNote):
        assert model.objects.exists()
        assert set(model.history.values_list("id", "history_change_reason")) == {
            (pk, "Loaded from the shipped corpus")
            for pk in model.objects.values_list("pk", flat=True)
        }


# --- Round 2: organisations' own verdicts, on the Final Report or the Government's response


def round_2_ask(entry: dict, position: int) -> Ask:
    return Ask.objects.select_related("document__organisation").get(
        document__title=entry["title"], position=position
    )


@needs_shared_corpus
def test_every_round_2_document_is_the_captured_opening_of_its_page(corpus):
    for entry in shared_round_2():
        document = ResponseDocument.objects.get(title=entry["title"])
        captured = (SHARED_CORPUS / entry["file"]).read_text()
        # The file's last line is the cut, [...]; its line break ends the file, not the text.
        assert document.text == captured.removesuffix("\n")
        assert document.text.endswith("\n[...]")
        assert document.organisation.name == entry["organisation"]
        assert document.kind == entry["kind"]
        assert document.url == entry["source_url"]
        assert document.published.isoformat().startswith(entry["published"])
        assert document.published_precision == entry["published_precision"]
        assert entry["notes"] in document.notes
        assert "opening of the page only" in document.notes


@needs_shared_corpus
def test_every_round_2_ask_is_its_exact_span_and_carries_only_the_verdict_it_was_given(corpus):
    for entry in shared_round_2():
        for position, expected in enumerate(entry["asks"], 1):
            ask = round_2_ask(entry, position)
            assert ask.text == expected["ask"]
            assert ask.text in ask.document.text
            own_words = "\n".join(expected["evidence"])
            if expected["judges"] == "final_report":
                judgement = Assessment.objects.get(ask=ask)
                assert not GovernmentAssessment.objects.filter(ask=ask).exists()
                links = {e.recommendation.ref for e in judgement.evidence.all()}
                assert expected["refs_named"] in judgement.note
            else:
                judgement = GovernmentAssessment.objects.get(ask=ask)
                # Never judged against the Final Report on the Government's account.
                assert not Assessment.objects.filter(ask=ask).exists()
                links = {named.recommendation.ref for named in judgement.named.all()}
                assert {named.named_as for named in judgement.named.all()} == (
                    {expected["refs_named"]} if expected["refs"] else set()
                )
            assert (judgement.status, judgement.judged_by) == (
                expected["verdict"],
                JudgedBy.ORGANISATION,
            )
            assert judgement.rationale == own_words
            assert links == set(expected["refs"])
            assert judgement.note.startswith(in_our_words(expected["note"]))


@needs_shared_corpus
def test_round_2_verdicts_count_as_the_corpus_says_split_by_what_they_judge(corpus):
    asks = [(entry, a) for entry in shared_round_2() for a in entry["asks"]]
    expected = {
        judges: Counter(a["verdict"] for _, a in asks if a["judges"] == judges)
        for judges in ("final_report", "government_response")
    }
    assert expected == {
        "final_report": {"realised": 2},
        "government_response": {"partly": 4, "absent": 1},
    }
    round_2 = Ask.objects.filter(document__title__in=[entry["title"] for entry, _ in asks])
    assert round_2.count() == len(asks) == 7
    held = {
        "final_report": Counter(
            Assessment.objects.filter(ask__in=round_2).values_list("status", flat=True)
        ),
        "government_response": Counter(
            GovernmentAssessment.objects.filter(ask__in=round_2).values_list("status", flat=True)
        ),
    }
    assert held == expected
    assert held["final_report"] + held["government_response"] == {
        "realised": 2,
        "partly": 4,
        "absent": 1,
    }


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
def test_organisation_notes_are_the_corpus_notes_each_quoting_its_document(corpus):
    expected = {
        (entry["title"], in_our_words(n["note"]), n["evidence"])
        for entry in shared_round_2()
        for n in entry["organisation_notes"]
    }
    notes = OrganisationNote.objects.select_related("document")
    assert {(n.document.title, n.note, n.evidence) for n in notes} == expected
    assert len(expected) == 8
    for note in notes:
        assert note.evidence in note.document.text


def test_notes_are_not_verdicts_and_the_scorecards_count_only_the_final_report(corpus):
    rows = fixture_round_2()
    assert round_2_counts(rows) == {
        "organisation": 4,
        "responsedocument": 7,
        "ask": 7,
        "assessment": 2,
        "evidence": 3,
        "governmentassessment": 5,
        "namedrecommendation": 4,
        "organisationnote": 8,
    }
    slugs = [row["fields"]["slug"] for row in rows if row["model"] == "responses.organisation"]
    for organisation in Organisation.objects.with_status_counts().filter(slug__in=slugs):
        asks = Ask.objects.filter(document__organisation=organisation)
        judged = Assessment.objects.filter(ask__in=asks)
        # Recounted from the rows: every ask once, by its judgement of the Final Report;
        # a note or a verdict on the Government's response is no status of its own.
        assert organisation.asks_total == asks.count()
        assert organisation.asks_realised == judged.filter(status="realised").count()
        assert organisation.asks_not_assessed == asks.count() - judged.count()
        assert sum(organisation.status_mix.values()) == organisation.asks_total
    nyas = Organisation.objects.with_status_counts().get(slug="nyas")
    assert (nyas.asks_total, nyas.asks_realised, nyas.asks_not_assessed) == (3, 1, 2)


@pytest.fixture
def earlier_corpus(db):
    """A database that holds the corpus as shipped before round 2, loaded as load_corpus
    then loaded it."""
    call_command("loaddata", "recommendations.json", "responses.json", verbosity=0)


def test_load_corpus_adds_round_2_to_a_database_holding_the_earlier_corpus(earlier_corpus):
    edited = Ask.objects.get(pk=1)
    edited.title = "Corrected by an editor"
    edited.save()
    # An editor already entered NYAS, under the slug the corpus uses.
    nyas = Organisation.objects.create(name="NYAS", slug="nyas", kind="charity")
    before = {m: m.objects.count() for m in EVERY_MODEL}
    out = io.StringIO()

    call_command("load_corpus", stdout=out)

    assert "Added 7 documents" in out.getvalue()
    shipped = round_2_counts(fixture_round_2())
    added = {m: m.objects.count() - before[m] for m in EVERY_MODEL}
    assert added == {
        Recommendation: 0,
        Source: 0,
        # NYAS was there already.
        Organisation: shipped["organisation"] - 1,
        ResponseDocument: shipped["responsedocument"],
        Ask: shipped["ask"],
        Assessment: shipped["assessment"],
        Evidence: shipped["evidence"],
        GovernmentAssessment: shipped["governmentassessment"],
        NamedRecommendation: shipped["namedrecommendation"],
        OrganisationNote: shipped["organisationnote"],
    }
    assert Ask.objects.get(pk=1).title == "Corrected by an editor"
    nyas.refresh_from_db()
    assert nyas.name == "NYAS" and nyas.documents.count() == 3
    # Written through the one write path, each with its history.
    for judgement in (
        *Assessment.objects.filter(ask__document__organisation__slug="nyas"),
        *GovernmentAssessment.objects.all(),
    ):
        assert [(h.version, h.history_change_reason) for h in judgement.history.all()] == [
            (1, "Loaded from the shipped corpus")
        ]

    again = io.StringIO()
    counts = [m.objects.count() for m in EVERY_MODEL]
    call_command("load_corpus", stdout=again)
    assert [m.objects.count() for m in EVERY_MODEL] == counts
    assert "nothing changed" in again.getvalue()


def test_round_2_added_to_an_earlier_corpus_holds_what_its_fixture_ships(earlier_corpus):
    call_command("load_corpus", stdout=io.StringIO())
    rows = fixture_round_2()

    def of(model):
        return {r["pk"]: r["fields"] for r in rows if r["model"] == f"responses.{model}"}

    organisations, documents = of("organisation"), of("responsedocument")
    final_report = {f["ask"]: f for f in of("assessment").values()}
    government = {f["ask"]: f for f in of("governmentassessment").values()}
    shipped = {
        (
            organisations[documents[ask["document"]]["organisation"]]["slug"],
            documents[ask["document"]]["title"],
            documents[ask["document"]]["text"],
            ask["position"],
            ask["text"],
            final_report.get(pk, {}).get("status"),
            government.get(pk, {}).get("status"),
            government.get(pk, {}).get("rationale"),
        )
        for pk, ask in of("ask").items()
    }
    held = {
        (
            ask.document.organisation.slug,
            ask.document.title,
            ask.document.text,
            ask.position,
            ask.text,
            ask.assessment.status if hasattr(ask, "assessment") else None,
            ask.government_assessment.status if hasattr(ask, "government_assessment") else None,
            ask.government_assessment.rationale if hasattr(ask, "government_assessment") else None,
        )
        for ask in Ask.objects.filter(
            document__title__in=[d["title"] for d in documents.values()]
        ).select_related("document__organisation", "assessment", "government_assessment")
    }
    assert held == shipped
    assert len(held) == 7


def test_a_round_2_document_already_held_is_left_as_it_is_with_its_notes(corpus):
    note = OrganisationNote.objects.get(evidence__startswith="The removal of Regulation 44")
    note.delete()
    call_command("load_corpus", stdout=io.StringIO())
    assert not OrganisationNote.objects.filter(
        evidence__startswith="The removal of Regulation 44"
    ).exists()


def test_adding_round_2_is_all_or_nothing(earlier_corpus, monkeypatch):
    from responses import assessments

    def refuse(**kwargs):
        raise ValidationError("refused for the test")

    monkeypatch.setattr(assessments, "record_government", refuse)
    before = [m.objects.count() for m in EVERY_MODEL]
    with pytest.raises(CommandError, match="Nothing was added: refused for the test"):
        call_command("load_corpus", stdout=io.StringIO())
    assert [m.objects.count() for m in EVERY_MODEL] == before
    assert not Organisation.objects.filter(slug="nyas").exists()


@needs_shared_corpus
def test_the_stages_statuses_are_those_of_the_shared_corpus(corpus):
    expected = Counter((record["stage"], record["status"]) for record in shared_stage_records())
    assert Counter(GovernmentStage.objects.values_list("stage", "status")) == expected


def test_every_stage_quote_links_to_its_page(corpus):
    assert all(quote.link == quote.url for quote in StageQuote.objects.all())
