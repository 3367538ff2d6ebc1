import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ops import synthetic
from recommendations.models import Recommendation, Report
from responses import stored_counts
from responses.models import (
    Ask,
    Assessment,
    Evidence,
    JudgedBy,
    Organisation,
    OrganisationCounts,
    ResponseDocument,
    Status,
)

from . import factories

SIZE = {"organisations": 20, "asks_per_organisation": 10, "recommendations": 30}


def seed_synthetic(*args, **options):
    call_command("seed_synthetic", *args, verbosity=0, stdout=io.StringIO(), **options)


def synthetic_rows() -> dict:
    """Every synthetic row as plain values, without database ids."""
    asks = Ask.objects.filter(document__organisation__synthetic=True).with_status()
    return {
        "organisations": list(
            Organisation.objects.filter(synthetic=True).order_by("slug").values_list("name", "kind")
        ),
        "recommendations": list(
            Recommendation.objects.filter(synthetic=True)
            .order_by("ref")
            .values_list("ref", "title", "text", "confidence")
        ),
        "asks": list(
            asks.order_by(
                "document__organisation__slug", "document__title", "position"
            ).values_list("document__title", "position", "text", "status", "assessment__judged_by")
        ),
        "evidence": sorted(
            Evidence.objects.filter(recommendation__synthetic=True).values_list(
                "assessment__ask__text", "recommendation__ref", "quote"
            )
        ),
        "documents": list(
            ResponseDocument.objects.filter(organisation__synthetic=True)
            .order_by("organisation__slug", "title")
            .values_list("organisation__slug", "title", "kind", "published", "text")
        ),
        "restatements": sorted(
            asks.filter(restates__isnull=False).values_list("text", "restates__text")
        ),
        "themes": sorted(asks.filter(themes__isnull=False).values_list("text", "themes__name")),
        "assessments": sorted(
            Assessment.objects.filter(ask__document__organisation__synthetic=True).values_list(
                "ask__text", "status", "judged_by", "rationale", "note", "version"
            )
        ),
    }


def real_rows() -> dict:
    return {
        "organisations": list(Organisation.objects.filter(synthetic=False).values_list()),
        "asks": list(Ask.objects.order_by("pk").values_list()),
        "assessments": list(Assessment.objects.order_by("pk").values_list()),
        "evidence": list(Evidence.objects.order_by("pk").values_list()),
        "recommendations": list(Recommendation.objects.order_by("pk").values_list()),
        "reports": list(Report.objects.order_by("pk").values_list()),
    }


def test_the_same_seed_gives_the_same_synthetic_corpus(corpus):
    seed_synthetic(seed=7, **SIZE)
    first = synthetic_rows()
    seed_synthetic(clear=True, seed=7, **SIZE)
    assert synthetic_rows() == first


def test_another_seed_gives_another_synthetic_corpus(corpus):
    seed_synthetic(seed=7, **SIZE)
    first = synthetic_rows()
    seed_synthetic(clear=True, seed=8, **SIZE)
    assert synthetic_rows()["asks"] != first["asks"]


def test_a_small_synthetic_corpus_is_the_start_of_a_larger_one(corpus):
    seed_synthetic(seed=7, **SIZE)
    small = synthetic_rows()
    seed_synthetic(clear=True, seed=7, **(SIZE | {"organisations": 50}))
    large = synthetic_rows()
    assert set(small["organisations"]) < set(large["organisations"])
    assert set(small["asks"]) < set(large["asks"])


def test_synthetic_corpus_has_the_size_asked_for(corpus):
    seed_synthetic(seed=1, **SIZE)
    assert Organisation.objects.filter(synthetic=True).count() == 20
    assert Ask.objects.filter(document__organisation__synthetic=True).count() == 20 * 10
    assert Recommendation.objects.filter(synthetic=True).count() == 30


def test_every_synthetic_ask_is_quoted_exactly_from_its_document(corpus):
    seed_synthetic(seed=2, **SIZE)
    asks = Ask.objects.filter(document__organisation__synthetic=True).select_related("document")
    assert asks
    for ask in asks:
        assert ask.text in ask.document.text


def test_every_synthetic_evidence_quote_is_quoted_exactly_from_its_recommendation(corpus):
    seed_synthetic(seed=2, **SIZE)
    evidence = Evidence.objects.filter(recommendation__synthetic=True).select_related(
        "recommendation"
    )
    assert evidence
    for link in evidence:
        assert link.quote in link.recommendation.text
        link.full_clean()


def test_synthetic_text_uses_the_real_corpus_words(corpus):
    seed_synthetic(seed=3, **SIZE)
    real_words = {
        word
        for text in [
            *Recommendation.objects.filter(synthetic=False).values_list("text", flat=True),
            *Ask.objects.filter(document__organisation__synthetic=False).values_list(
                "text", flat=True
            ),
        ]
        for word in text.split()
    }
    for text in Ask.objects.filter(document__organisation__synthetic=True).values_list(
        "text", flat=True
    ):
        words = text.rstrip(".").split()
        assert set(words[1:-1]) <= real_words


def test_synthetic_corpus_has_every_status_both_judges_and_restated_asks(corpus):
    seed_synthetic(seed=4, organisations=40, asks_per_organisation=10, recommendations=30)
    asks = Ask.objects.filter(document__organisation__synthetic=True)
    assert set(asks.with_status().values_list("status", flat=True)) == set(Status.values)
    assert set(Assessment.objects.filter(ask__in=asks).values_list("judged_by", flat=True)) == {
        JudgedBy.ORGANISATION,
        JudgedBy.EDITORIAL,
    }
    assert asks.filter(restates__isnull=False).exists()
    assert asks.counted().count() < asks.count()


def test_synthetic_recommendations_belong_to_their_own_report(corpus):
    seed_synthetic(seed=5, **SIZE)
    report = Report.objects.get(synthetic=True)
    assert set(Recommendation.objects.filter(synthetic=True).values_list("report", flat=True)) == {
        report.pk
    }
    real_refs = set(Recommendation.objects.filter(synthetic=False).values_list("ref", flat=True))
    assert not real_refs & set(report.recommendations.values_list("ref", flat=True))
    assert (
        Evidence.objects.filter(
            assessment__ask__document__organisation__synthetic=True, recommendation__synthetic=False
        ).count()
        == 0
    )


def test_clearing_leaves_the_real_corpus_exactly_as_it_was(corpus):
    before = real_rows()
    seed_synthetic(seed=6, **SIZE)
    seed_synthetic(clear=True)
    assert real_rows() == before
    assert not Organisation.objects.filter(synthetic=True).exists()
    assert not Recommendation.objects.filter(synthetic=True).exists()
    assert not Report.objects.filter(synthetic=True).exists()


def test_clearing_removes_the_history_of_edited_synthetic_judgements_only(corpus):
    real = Assessment.objects.filter(ask__document__organisation__synthetic=False).first()
    real.rationale += " Edited."
    real.save()
    seed_synthetic(seed=6, **SIZE)
    edited = Assessment.objects.filter(ask__document__organisation__synthetic=True).first()
    edited.rationale += " Edited."
    edited.save()
    assert Assessment.history.filter(ask_id=edited.ask_id).exists()
    seed_synthetic(clear=True)
    assert not Assessment.history.filter(ask_id=edited.ask_id).exists()
    assert Assessment.history.filter(ask_id=real.ask_id).exists()


def test_clearing_refuses_when_a_real_assessment_cites_a_synthetic_recommendation(corpus):
    seed_synthetic(seed=6, **SIZE)
    cited = Recommendation.objects.filter(synthetic=True).first()
    factories.assessment(evidence=[cited])
    with pytest.raises(CommandError, match="real assessment cites a synthetic recommendation"):
        seed_synthetic(clear=True)
    assert Organisation.objects.filter(synthetic=True).count() == 20


class SavedModelByModel:
    """The seeder's writer as it was before it staged rows, the reference for the rows it
    writes: each model's rows saved by `bulk_create` as they come, asks before the asks
    that restate them."""

    def __init__(self, cursor):
        pass

    def stage(self, rows):
        model = type(rows[0])
        if model is Ask:
            model.objects.bulk_create([ask for ask in rows if ask.restates is None])
            model.objects.bulk_create([ask for ask in rows if ask.restates is not None])
        else:
            model.objects.bulk_create(rows)

    def move(self):
        pass


def test_staged_seeding_writes_the_rows_that_saving_model_by_model_writes(corpus, monkeypatch):
    size = SIZE | {"organisations": synthetic.ORGANISATIONS_PER_CHUNK + 30}
    seed_synthetic(seed=9, **size)
    staged = synthetic_rows()
    seed_synthetic(clear=True)
    monkeypatch.setattr(synthetic, "_Staging", SavedModelByModel)
    seed_synthetic(seed=9, **size)
    assert synthetic_rows() == staged
    assert len(staged["asks"]) == size["organisations"] * size["asks_per_organisation"]
    assert staged["restatements"] and staged["themes"] and staged["evidence"]


def statements(queries, verb: str, model) -> int:
    start = f'{verb} "{model._meta.db_table}"'
    return sum(1 for query in queries if query["sql"].startswith(start))


@pytest.mark.parametrize("organisations", [20, 2 * synthetic.ORGANISATIONS_PER_CHUNK + 1])
def test_seeding_and_clearing_write_each_table_in_one_statement(corpus, organisations):
    with CaptureQueriesContext(connection) as seeding:
        seed_synthetic(seed=1, **(SIZE | {"organisations": organisations}))
    with CaptureQueriesContext(connection) as clearing:
        seed_synthetic(clear=True)
    for model in (Organisation, ResponseDocument, Ask, Assessment, Evidence, Ask.themes.through):
        assert statements(seeding.captured_queries, "INSERT INTO", model) == 1
        assert statements(clearing.captured_queries, "DELETE FROM", model) == 1


def test_stored_counts_equal_a_recount_after_seeding_and_after_clearing(corpus):
    seed_synthetic(seed=10, **(SIZE | {"organisations": synthetic.ORGANISATIONS_PER_CHUNK + 1}))
    assert stored_counts.differences() == []
    synthetic_counts = OrganisationCounts.objects.filter(organisation__synthetic=True)
    assert synthetic_counts.count() == synthetic.ORGANISATIONS_PER_CHUNK + 1
    assert synthetic_counts.totals()["recommended"] > 0
    seed_synthetic(clear=True)
    assert stored_counts.differences() == []
    assert not synthetic_counts.exists()


def test_clearing_refuses_when_a_government_assessment_judges_a_synthetic_ask(corpus):
    seed_synthetic(seed=6, **SIZE)
    factories.government_assessment(
        ask=Ask.objects.filter(document__organisation__synthetic=True).first()
    )
    with pytest.raises(CommandError, match="government assessment judges a synthetic ask"):
        seed_synthetic(clear=True)
    assert Organisation.objects.filter(synthetic=True).count() == 20


def test_seeding_twice_without_clear_is_refused(corpus):
    seed_synthetic(seed=1, **SIZE)
    with pytest.raises(CommandError, match="already present"):
        seed_synthetic(seed=1, **SIZE)


@pytest.mark.parametrize(
    "options, message",
    [
        ({}, "Give --organisations"),
        ({"organisations": -1}, "cannot be negative"),
        ({"organisations": 2, "asks_per_organisation": 5000}, "At most"),
        ({"organisations": 2, "recommendations": 0}, "at least one synthetic recommendation"),
    ],
)
def test_bad_arguments_give_a_clear_error(corpus, options, message):
    with pytest.raises(CommandError, match=message):
        seed_synthetic(**options)
    assert not Organisation.objects.filter(synthetic=True).exists()


def test_seeding_without_a_real_corpus_says_to_load_it(db):
    with pytest.raises(CommandError, match="load_corpus"):
        seed_synthetic(seed=1, **SIZE)
