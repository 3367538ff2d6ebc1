import gc
import io
import os
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from rapidfuzz import fuzz, process

import matching
from matching import suggestions
from ops import synthetic
from recommendations.models import Recommendation
from responses.assessments import record
from responses.models import Ask, Assessment, JudgedBy, Status
from tests import factories

# --- Normalisation ---------------------------------------------------------------------


def test_normalise_folds_case_punctuation_and_curly_quotes():
    assert matching.normalise("“Kinship”, CARERS!") == matching.normalise('"kinship" carers')


def test_normalise_reads_american_spellings_as_british():
    assert matching.normalise("organizations prioritize behavior") == matching.normalise(
        "organisations prioritise behaviour"
    )


def test_normalise_drops_stop_words_and_the_framing_of_an_ask():
    assert matching.normalise("We call for the end of it") == matching.normalise("end")


def test_normalise_drops_the_names_of_the_reviews_documents_but_not_their_words():
    assert matching.normalise("Chapter 4 of The Case for Change ignores ethnicity") == (
        matching.normalise("Chapter 4 ignores ethnicity")
    )
    assert matching.normalise_words("a case of independent change") == ["case", "independ", "chang"]


def test_normalise_treats_plurals_and_possessives_as_one_word():
    assert matching.normalise("children’s carers") == matching.normalise("children carer")


def test_normalise_reads_the_fields_synonyms_as_one_word():
    assert matching.normalise("young people leaving care") == matching.normalise(
        "children who are care leavers"
    )
    assert matching.normalise("Early help") == matching.normalise("Family Help")
    assert matching.normalise("advocates") == matching.normalise("advocacy")


def test_normalise_keeps_a_word_that_only_starts_a_synonym():
    assert matching.normalise_words("young carers leaving school") == [
        "young",
        "carer",
        "leav",
        "school",
    ]


def test_normalise_keeps_rare_names_and_numbers():
    words = matching.normalise_words("Implement the UNCRC; Staying Close to 23")
    assert "uncrc" in words and "23" in words and "close" in words


# --- Suggestions -----------------------------------------------------------------------


@pytest.fixture
def recommendations(db):
    chapter = factories.chapter()
    texts = {
        "kinship": "Give kinship carers a right to paid employment leave.",
        "services": "Children and families should get support from children's services and schools.",
        "staying": "Make Staying Put and Staying Close a legal entitlement to age 23.",
        "advocacy": "Introduce independent advocacy for children in care on an opt-out basis.",
        "workforce": "Introduce national pay scales for child and family social workers.",
        "housing": "Remove the intentionality test for care leavers who are homeless.",
    }
    return {
        key: factories.recommendation(chapter=chapter, title=key.title(), text=text)
        for key, text in texts.items()
    }


def test_suggest_returns_one_ranked_list_per_text(recommendations):
    ranked = matching.suggest(
        texts=["kinship carers need support", "independent advocacy for children"],
        recommendations=list(recommendations.values()),
        limit=3,
    )
    assert len(ranked) == 2
    for ranking in ranked:
        assert len(ranking) == 3
        scores = [s.score for s in ranking]
        assert scores == sorted(scores, reverse=True)
        assert all(0 <= score <= 100 for score in scores)
        assert all(isinstance(s.recommendation, Recommendation) for s in ranking)
    assert ranked[1][0].recommendation == recommendations["advocacy"]


def test_a_shared_rare_word_outweighs_several_common_ones(db):
    chapter = factories.chapter()
    common = "support for children and families from local services"
    everyday = [
        factories.recommendation(chapter=chapter, text=f"{topic} {common}.")
        for topic in ("Schools give", "Health visitors give", "Councils fund", "Police share")
    ]
    kinship = factories.recommendation(chapter=chapter, text="Give kinship carers paid leave.")
    [suggestions] = matching.suggest(
        texts=["Support for kinship carers from children's services and families"],
        recommendations=[*everyday, kinship],
    )
    assert suggestions[0].recommendation == kinship
    assert len(suggestions[1].shared_words) > len(suggestions[0].shared_words)


def test_shared_words_are_the_normalised_words_both_texts_contain(recommendations):
    [suggestions] = matching.suggest(
        texts=["We want “Staying Close” for every young person"],
        recommendations=[recommendations["staying"]],
    )
    assert suggestions[0].shared_words == frozenset({"stay", "close"})


def test_a_synonym_is_shared_by_texts_worded_differently(recommendations):
    [suggestions] = matching.suggest(
        texts=["Independent advocates for young people in care"],
        recommendations=list(recommendations.values()),
    )
    assert suggestions[0].recommendation == recommendations["advocacy"]
    assert suggestions[0].shared_words == frozenset(
        matching.normalise_words("independent advocacy children care")
    )


def test_a_text_without_words_gets_no_suggestions(recommendations):
    assert matching.suggest(
        texts=["the and of", ""], recommendations=list(recommendations.values())
    ) == [[], []]


def count_likeness_pairs(monkeypatch) -> list[int]:
    """How many pairs each `process.cpdist` call of the matcher scores, from now on."""
    pairs_scored = []
    real_cpdist = suggestions.process.cpdist

    def counting_cpdist(*args, **kwargs):
        scores = real_cpdist(*args, **kwargs)
        pairs_scored.append(scores.size)
        return scores

    monkeypatch.setattr(suggestions.process, "cpdist", counting_cpdist)
    return pairs_scored


def test_one_call_scores_the_likeness_of_a_whole_batch(recommendations, monkeypatch):
    pairs_scored = count_likeness_pairs(monkeypatch)
    matching.suggest(
        texts=["kinship", "advocacy", "housing"], recommendations=list(recommendations.values())
    )
    assert pairs_scored == [3 * len(recommendations)]


def test_likeness_is_scored_first_for_the_recommendations_that_could_score_highest(
    recommendations, monkeypatch
):
    monkeypatch.setattr(suggestions, "LIKELY_CANDIDATES", 2)
    pairs_scored = count_likeness_pairs(monkeypatch)
    [[best, *_]] = matching.suggest(
        texts=["Independent advocacy for children in care"],
        recommendations=list(recommendations.values()),
        limit=1,
    )
    assert best.recommendation == recommendations["advocacy"]
    assert pairs_scored[0] <= 2
    assert sum(pairs_scored) < len(recommendations)


def every_pair_suggestions(
    *, texts: list[str], recommendations: list, limit: int
) -> list[list[matching.Suggestion]]:
    """What `suggest` promises, straightforwardly: every pair's likeness scored in one
    list, every row ranked by a stable sort of all its scores."""
    prepared = suggestions._prepare(tuple(map(matching.recommendation_text, recommendations)))
    words = [matching.normalise_words(text) for text in texts]
    cosines, _ = suggestions._cosines(batch_words=words, prepared=prepared)
    likeness = process.cpdist(
        [target for _ in texts for target in prepared.likeness_texts],
        [" ".join(sorted(set(w))) for w in words for _ in recommendations],
        scorer=fuzz.token_set_ratio,
        dtype=np.float32,
    ).reshape(cosines.shape)
    scores = 100 * suggestions.WORD_WEIGHT * cosines + suggestions.LIKENESS_WEIGHT * likeness
    ranked = np.argsort(-scores, axis=1, kind="stable")[:, :limit]
    return [
        [
            matching.Suggestion(
                recommendation=recommendations[i],
                score=round(float(row_scores[i]), 1),
                shared_words=frozenset(set(text_words) & set(prepared.word_sets[i])),
            )
            for i in best
        ]
        if text_words
        else []
        for text_words, row_scores, best in zip(words, scores, ranked)
    ]


@pytest.mark.parametrize("limit", [1, 5])
@pytest.mark.parametrize("candidates", [1, 2, 8])
def test_suggestions_are_those_of_scoring_every_pair_on_the_shipped_and_a_synthetic_corpus(
    corpus, monkeypatch, candidates, limit
):
    synthetic.seed(organisations=10, asks_per_organisation=20, recommendations=30, seed=3)
    recommendations = list(Recommendation.objects.select_related("chapter").order_by("pk"))
    texts = ["", "the and of", *Ask.objects.order_by("pk").values_list("text", flat=True)]
    # Batches that part the texts unevenly, as the last batch of a call does.
    monkeypatch.setattr(suggestions, "BATCH_SIZE", 97)
    monkeypatch.setattr(suggestions, "LIKELY_CANDIDATES", candidates)
    assert matching.suggest(
        texts=texts, recommendations=recommendations, limit=limit
    ) == every_pair_suggestions(texts=texts, recommendations=recommendations, limit=limit)


def test_likeness_is_always_within_the_bounds_that_rule_pairs_out(corpus):
    synthetic.seed(organisations=10, asks_per_organisation=20, recommendations=30, seed=3)
    recommendation_texts = [
        matching.recommendation_text(r) for r in Recommendation.objects.select_related("chapter")
    ]
    asks = list(Ask.objects.values_list("text", flat=True))
    # Texts that share nothing, all or part, and none: where rapidfuzz's rules turn.
    edges = ["", "the", "kinship", "kinship carers", "carers kinship leave", "leave", "x y z"]
    prepared = suggestions._prepare(tuple(recommendation_texts + edges))
    texts = [*edges, *asks, *recommendation_texts]
    words = [matching.normalise_words(text) for text in texts]
    likeness_texts = [suggestions._likeness_text(w) for w in words]
    _, shared = suggestions._cosines(batch_words=words, prepared=prepared)
    least, most = suggestions._likeness_bounds(
        shared=shared,
        text_lengths=np.array([suggestions._likeness_length(t) for t in likeness_texts], float),
        recommendation_lengths=prepared.likeness_lengths,
    )
    likeness = process.cdist(likeness_texts, prepared.likeness_texts, scorer=fuzz.token_set_ratio)
    assert (least - suggestions._ROUNDING <= likeness).all()
    assert (likeness <= most + suggestions._ROUNDING).all()
    # Bounds that are tight where the lengths settle the likeness, and useful elsewhere.
    assert (least == likeness).any() and (least < likeness).any()
    assert (most == likeness).any() and (most.mean() < 100)


@pytest.mark.parametrize("collecting", [True, False])
def test_matching_leaves_the_garbage_collector_as_it_found_it(recommendations, collecting):
    was_collecting = gc.isenabled()
    seen = []

    def track(phase, info):
        seen.append(phase)

    (gc.enable if collecting else gc.disable)()
    gc.callbacks.append(track)
    try:
        # Enough suggestions that the collector, left on, would run several times.
        suggestions_made, *_ = matching.suggest(
            texts=["kinship carers"] * 2000, recommendations=list(recommendations.values())
        )
        collected_during = list(seen)
        assert gc.isenabled() is collecting
    finally:
        gc.callbacks.remove(track)
        (gc.enable if was_collecting else gc.disable)()
    assert suggestions_made[0].recommendation == recommendations["kinship"]
    # Paused while the batch is matched: at most the one collection that follows it.
    assert collected_during.count("start") <= 1


def test_a_batch_suggests_what_each_text_gets_alone(recommendations, monkeypatch):
    # Batches of two, so that the texts also cross from one batch into the next.
    monkeypatch.setattr(suggestions, "BATCH_SIZE", 2)
    texts = [
        "Remove the intentionality test for homeless care leavers",
        "the and of",
        "Independent advocates for young people in care",
        "Kinship carers need paid leave and support from children's services",
        "Staying Close to 23",
    ]
    together = matching.suggest(texts=texts, recommendations=list(recommendations.values()))
    alone = [
        matching.suggest(texts=[text], recommendations=list(recommendations.values()))[0]
        for text in texts
    ]
    assert together == alone
    assert together[1] == [] and all(together[i] for i in (0, 2, 3, 4))


def test_recommendations_are_prepared_once_for_many_texts_asked_one_at_a_time(
    recommendations, monkeypatch
):
    normalised = []
    real_normalise_words = matching.normalise_words

    def counting_normalise_words(text):
        normalised.append(text)
        return real_normalise_words(text)

    monkeypatch.setattr(suggestions, "normalise_words", counting_normalise_words)
    chapter = factories.chapter()
    # A text no other test uses, so no earlier call has prepared this set.
    fresh = [
        *recommendations.values(),
        factories.recommendation(chapter=chapter, text="Prepared once for many calls."),
    ]
    for text in ("kinship carers", "independent advocacy", "homeless care leavers"):
        matching.suggest(texts=[text], recommendations=fresh)
    assert len(normalised) == len(fresh) + 3


def test_an_edited_recommendation_is_compared_as_it_now_reads(recommendations):
    housing = recommendations["housing"]
    ask = ["Give grandparents raising a grandchild a weekly allowance"]
    [before] = matching.suggest(texts=ask, recommendations=list(recommendations.values()))
    assert before[0].recommendation != housing

    housing.text = "Pay grandparents raising a grandchild a weekly allowance."
    housing.save()
    edited = list(Recommendation.objects.filter(pk__in=[r.pk for r in recommendations.values()]))
    [after] = matching.suggest(texts=ask, recommendations=edited)
    assert after[0].recommendation == housing
    assert {"grandpar", "grandchild", "allow"} <= after[0].shared_words


def test_nothing_is_a_close_match_when_nothing_scores_the_threshold(recommendations):
    [suggestions] = matching.suggest(
        texts=["Lower speed limits on motorways near airports"],
        recommendations=list(recommendations.values()),
    )
    assert suggestions and suggestions[0].score < matching.MATCH_THRESHOLD
    assert matching.close_matches(suggestions=suggestions) == []


def test_the_best_match_is_close_when_it_scores_the_threshold(recommendations):
    [suggestions] = matching.suggest(
        texts=["Remove the intentionality test for homeless care leavers"],
        recommendations=list(recommendations.values()),
    )
    close = matching.close_matches(suggestions=suggestions)
    assert close[0].recommendation == recommendations["housing"]
    assert all(m.score >= matching.MATCH_THRESHOLD for m in close)


def _scored(*scores: float) -> list[matching.Suggestion]:
    return [
        matching.Suggestion(
            recommendation=SimpleNamespace(ref=str(n), title="", text=""),
            score=score,
            shared_words=frozenset(),
        )
        for n, score in enumerate(scores)
    ]


def test_close_matches_are_those_near_the_best_and_at_or_above_the_threshold_up_to_the_limit():
    # 32 is within the margin of 40 but fourth; 20 is above the threshold but far behind.
    assert [m.score for m in matching.close_matches(suggestions=_scored(40, 35, 33, 32, 20))] == [
        40,
        35,
        33,
    ]
    # Within the margin of the best, but below the threshold.
    assert [m.score for m in matching.close_matches(suggestions=_scored(16, 14))] == [16]
    assert [m.score for m in matching.close_matches(suggestions=_scored(15, 15))] == [15, 15]
    assert matching.close_matches(suggestions=_scored(14.9)) == []
    assert matching.close_matches(suggestions=[]) == []


def test_the_matcher_imports_neither_django_nor_the_projects_apps(tmp_path):
    # A fresh interpreter with no Django settings: the matcher ranks plain objects.
    script = tmp_path / "plain.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from types import SimpleNamespace

            import matching

            kinship = SimpleNamespace(ref="1.1", title="Kinship", text="Pay kinship carers.")
            [[best]] = matching.suggest(texts=["kinship carers"], recommendations=[kinship])
            assert best.recommendation is kinship and matching.close_matches(suggestions=[best])
            print(" ".join(sys.modules))
            """
        ),
        encoding="utf-8",
    )
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=settings.BASE_DIR,
        env=environment | {"PYTHONPATH": str(settings.BASE_DIR)},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert "matching" in loaded
    assert not loaded & {"django", "carereview", "recommendations", "responses", "browse", "ops"}


def test_evidence_quote_is_the_recommendations_clause_with_most_shared_words():
    text = "Pay carers an allowance; give kinship carers paid leave. Review the law."
    quote = matching.evidence_quote(recommendation_text=text, shared_words={"kinship", "leav"})
    assert quote == "give kinship carers paid leave."
    assert quote in text


def test_highlight_marks_shared_words_and_joins_back_into_the_text():
    text = "Make Staying Close a legal entitlement."
    pieces = matching.highlight(text=text, shared_words={"stay", "close"})
    assert "".join(piece for piece, _ in pieces) == text
    assert [piece for piece, marked in pieces if marked] == ["Staying", "Close"]


def test_highlight_marks_a_word_that_stands_for_a_shared_phrase():
    shared = set(matching.normalise_words("local authorities"))
    pieces = matching.highlight(text="Councils fund it.", shared_words=shared)
    assert [piece for piece, marked in pieces if marked] == ["Councils"]


@pytest.mark.parametrize("name", ["The Together Trust", "Together Trust Ltd", "together  trust"])
def test_similar_names_finds_the_same_organisation_written_differently(name):
    found = matching.similar_names(
        name=name, names=["Together Trust", "Become", "Action for Children"]
    )
    assert [other for other, _ in found] == ["Together Trust"]


def test_similar_names_finds_nothing_for_a_different_organisation():
    assert matching.similar_names(name="Barnardo's", names=["Together Trust", "Become"]) == []


# --- suggest_matches: automatic suggestions never replace a person's judgement ----------


def _run_suggest_matches(*args) -> str:
    out = io.StringIO()
    call_command("suggest_matches", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def document_with_asks(recommendations):
    document = factories.document(
        text="Remove the intentionality test for homeless care leavers. "
        "Give kinship carers paid leave. Lower speed limits near airports."
    )
    asks = [
        factories.ask(document=document, text=text, title=text[:30])
        for text in (
            "Remove the intentionality test for homeless care leavers.",
            "Give kinship carers paid leave.",
            "Lower speed limits near airports.",
        )
    ]
    return document, asks


def test_suggest_matches_stores_automatic_suggestions_for_asks_nobody_judged(document_with_asks):
    document, (homeless, kinship, _) = document_with_asks
    output = _run_suggest_matches("--document", str(document.pk))

    homeless_judgement = Assessment.objects.get(ask=homeless)
    assert homeless_judgement.judged_by == JudgedBy.AUTOMATIC
    assert homeless_judgement.status == Status.PARTLY
    evidence = homeless_judgement.evidence.get()
    assert evidence.quote in evidence.recommendation.text
    assert Assessment.objects.get(ask=kinship).status == Status.PARTLY
    assert "Stored 2 automatic suggestions, partly realised with evidence." in output


def test_suggest_matches_never_stores_absent_and_counts_asks_with_no_close_match(
    document_with_asks,
):
    document, (_, _, airports) = document_with_asks
    output = _run_suggest_matches("--document", str(document.pk))

    assert not Assessment.objects.filter(ask=airports).exists()
    assert not Assessment.objects.filter(status=Status.ABSENT).exists()
    assert "1 ask with no close match among the recommendations held, left for a person." in output


@pytest.mark.parametrize("judged_by", [JudgedBy.EDITORIAL, JudgedBy.ORGANISATION])
def test_suggest_matches_never_overwrites_a_judgement_by_a_person_or_the_organisation(
    document_with_asks, judged_by
):
    document, (homeless, kinship, _) = document_with_asks
    record(ask=homeless, status=Status.ABSENT, judged_by=judged_by, rationale="Our own reading.")

    output = _run_suggest_matches("--document", str(document.pk))

    kept = Assessment.objects.get(ask=homeless)
    assert (kept.status, kept.judged_by, kept.rationale) == (
        Status.ABSENT,
        judged_by,
        "Our own reading.",
    )
    assert kept.history.count() == 1
    assert Assessment.objects.get(ask=kinship).judged_by == JudgedBy.AUTOMATIC
    assert "Skipped 1 ask judged by a person or by the organisation itself" in output


def test_suggest_matches_refreshes_its_own_earlier_suggestions(document_with_asks):
    document, (homeless, _, _) = document_with_asks
    record(ask=homeless, status=Status.UNCLEAR, judged_by=JudgedBy.AUTOMATIC)
    _run_suggest_matches("--document", str(document.pk))
    assert Assessment.objects.get(ask=homeless).status == Status.PARTLY


def test_suggest_matches_withdraws_its_earlier_suggestion_for_an_ask_with_no_close_match(
    document_with_asks, recommendations
):
    document, (_, _, airports) = document_with_asks
    kinship = recommendations["kinship"]
    record(
        ask=airports,
        status=Status.PARTLY,
        judged_by=JudgedBy.AUTOMATIC,
        evidence=[(kinship, kinship.text)],
    )

    output = _run_suggest_matches("--document", str(document.pk))

    withdrawn = Assessment.objects.get(ask=airports)
    assert (withdrawn.status, withdrawn.judged_by) == (Status.NOT_ASSESSED, "")
    assert not withdrawn.evidence.exists()
    assert [h.status for h in withdrawn.history.order_by("history_id")] == [
        Status.PARTLY,
        Status.NOT_ASSESSED,
    ]
    assert "left for a person (1 earlier automatic suggestion withdrawn)" in output


def test_suggest_matches_refuses_an_unknown_document(db):
    with pytest.raises(CommandError, match="No document with id 999999"):
        _run_suggest_matches("--document", "999999")


def test_suggest_matches_on_the_corpus_skips_every_judged_ask(corpus):
    judged = Assessment.objects.exclude(judged_by=JudgedBy.AUTOMATIC).count()
    before = list(Assessment.objects.order_by("pk").values("status", "judged_by", "rationale"))
    output = _run_suggest_matches()
    after = list(
        Assessment.objects.exclude(judged_by=JudgedBy.AUTOMATIC)
        .order_by("pk")
        .values("status", "judged_by", "rationale")
    )
    assert after == before
    assert f"Skipped {judged} asks" in output


def test_threads_stemming_at_once_stem_each_word_as_one_thread_alone_does():
    # A threaded app server's requests normalise texts at the same moment; a stemmer
    # shared between threads once raised IndexError mid-word. Switching threads every
    # microsecond makes them interleave inside the stemmer.
    import sys
    import threading

    from matching.normalise import _normal_word

    words = [
        f"{stem}{ending}"
        for stem in ("walk", "organis", "relat", "connect")
        for ending in ("ing", "ed", "ations", "ational", "ively", "fulness", "ers")
    ]
    tokens = [f"{word}{'x' * n}" for word in words for n in range(40)]
    alone = [_normal_word.__wrapped__(token) for token in tokens]
    results, errors = {}, []

    def stem_all(thread: int) -> None:
        try:
            results[thread] = [_normal_word.__wrapped__(token) for token in tokens]
        except Exception as error:  # noqa: BLE001 - any failure in a thread is the finding
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=stem_all, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert all(result == alone for result in results.values())
