"""Search forgives typos and finds organisations, asks and recommendations, from
PostgreSQL's full-text and trigram indexes; the last test checks that a query's words
are the words of PostgreSQL's full-text vectors."""

import pytest
from django.db import connection
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from browse.search import MAX_QUERY_LENGTH, SearchResults, clean_query, search
from recommendations.models import Recommendation
from recommendations.words import terms
from responses.models import Ask

from . import factories


def refs(results: SearchResults) -> list[str]:
    return [hit.item.ref for hit in results.recommendations]


def ask_pks(results: SearchResults) -> list[int]:
    return [hit.item.pk for hit in results.asks]


def test_a_typo_still_finds_the_staying_close_recommendation(corpus):
    results = search(query="stayng close")
    assert refs(results)[0] == "6.x3"
    assert "Staying Close" in results.recommendations[0].item.title


def test_the_exact_phrase_finds_its_recommendation_first(corpus):
    assert refs(search(query="staying close"))[0] == "6.x3"


def test_a_recommendations_ref_finds_it_first(corpus):
    assert refs(search(query="6.x3"))[0] == "6.x3"


def test_an_organisations_name_finds_it(corpus):
    assert [hit.item.slug for hit in search(query="Together Trust").organisations] == [
        "together-trust"
    ]


def test_a_misspelt_organisation_name_finds_the_organisation(corpus):
    results = search(query="acton for childen")
    assert [hit.item.slug for hit in results.organisations] == ["action-for-children"]


def test_asks_are_found_by_a_misspelt_word_and_carry_their_status(corpus):
    results = search(query="reunificaton")
    assert [hit.item.title for hit in results.asks] == [
        "National guidance on supporting family reunification"
    ]
    assert results.asks[0].item.status == "absent"


def test_a_misspelt_word_that_only_an_asks_text_holds_finds_it(db):
    document = factories.document(
        text="Every disabled child in residential care should have independent visitors. "
        "Funding should follow the child."
    )
    held = factories.ask(document=document, title="An ask", text=document.text.split(". ")[0])
    factories.ask(document=document, title="Another ask", text="Funding should follow the child.")
    assert ask_pks(search(query="independant vistors")) == [held.pk]


def test_asks_holding_a_phrase_come_before_asks_that_only_come_close(corpus):
    asks = search(query="foster carers").asks
    holding = [
        hit for hit in asks if "foster carers" in f"{hit.item.title} {hit.item.text}".lower()
    ]
    assert len(holding) >= 2
    assert asks[: len(holding)] == holding


def test_a_singular_word_finds_asks_that_use_its_plural(corpus):
    titles = [hit.item.title for hit in search(query="foster carer").asks]
    assert "Better training for foster carers and social workers" in titles


@pytest.mark.parametrize(
    "variant",
    [
        "STAYING CLOSE",
        "Staying   Close",
        "  staying close  ",
        "stáying clöse",
        "“staying close”",
        "‘staying close’",
    ],
)
def test_case_accents_curly_quotes_and_spacing_do_not_change_what_is_found(corpus, variant):
    plain = search(query="staying close")
    varied = search(query=variant)
    assert refs(varied) == refs(plain) and ask_pks(varied) == ask_pks(plain)
    assert refs(plain)[0] == "6.x3"


def test_words_that_occur_nowhere_find_nothing(corpus):
    assert search(query="zebra crossing timetable").total == 0


@pytest.mark.parametrize("query", ["", "   ", "ki", " k ", "\x00\x00\x00", "“”‘’"])
def test_an_empty_or_short_query_finds_nothing(corpus, query):
    results = search(query=query)
    assert results.too_short and results.total == 0


@pytest.mark.parametrize("query", ["kinship", "foster carers", "family help"])
def test_each_kind_of_result_is_best_first(corpus, query):
    results = search(query=query)
    for hits in (results.organisations, results.asks, results.recommendations):
        scores = [hit.score for hit in hits]
        assert scores == sorted(scores, reverse=True)
    assert results.asks and results.recommendations


def test_the_limit_keeps_the_best_of_each_kind(corpus):
    full = search(query="kinship")
    limited = search(query="kinship", limit=2)
    assert len(full.recommendations) > 2
    assert refs(limited) == refs(full)[:2]
    assert ask_pks(limited) == ask_pks(full)[:2]


def test_a_limit_below_one_finds_nothing(corpus):
    assert search(query="kinship", limit=0).total == 0


def test_no_kind_of_result_exceeds_the_default_limit(corpus):
    results = search(query="children")
    assert len(results.asks) == len(results.recommendations) == 10


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE responses_ask; --",
        '" OR 1=1 --',
        "100% _care_ \\ staying",
        'foster -carers or "unbalanced',
        "<script>alert(1)</script>",
        "staying close " * 800,
        "é" * 10_000,
        "\ud800staying close\udfff",
    ],
)
def test_hostile_queries_are_answered_without_error(corpus, query):
    asks_before = Ask.objects.count()
    results = search(query=query, limit=5)
    assert results.total <= 15
    assert Ask.objects.count() == asks_before


def test_a_nul_byte_inside_a_query_is_read_as_a_space(corpus):
    assert refs(search(query="stayng\x00close"))[0] == "6.x3"


def test_a_query_is_cut_to_the_length_the_search_box_takes():
    assert clean_query("a" * 10_000) == "a" * MAX_QUERY_LENGTH
    assert clean_query("“Stáying”\tclose\x00") == '"Staying" close'


def test_digest_points_are_not_found_as_asks(corpus):
    digest_point = Ask.objects.filter(document__kind="case_for_change_digest").first()
    found = search(query=digest_point.title)
    assert digest_point.pk not in ask_pks(found)


def test_an_earlier_wording_of_a_restated_ask_is_not_found_but_the_later_one_is(corpus):
    earlier = Ask.objects.filter(restated_by__isnull=False, title__icontains="UNCRC").get()
    found = ask_pks(search(query=earlier.title))
    assert earlier.pk not in found
    assert earlier.restated_by.get().pk in found


def test_search_finds_new_data_without_reindexing(db):
    factories.organisation(name="Foster Network Cymru", slug="foster-network-cymru")
    assert [hit.item.slug for hit in search(query="fostr network").organisations] == [
        "foster-network-cymru"
    ]


def test_search_page_lists_each_kind_of_result_and_fragment_swaps_alone(client, corpus):
    html = client.get("/search/?q=stayng+close").content.decode()
    assert 'href="/recommendations/6.x3/"' in html
    assert "<html" in html
    fragment = client.get(
        "/search/?q=stayng+close", headers={"HX-Request": "true"}
    ).content.decode()
    assert fragment.lstrip().startswith('<div id="results">')
    assert 'href="/recommendations/6.x3/"' in fragment


# The query's words are the words the full-text vectors hold


# Words of the corpus and their neighbours: what the test draws its texts from.
VOCABULARY = [
    *("foster", "carer", "carers", "caring", "care-experienced", "children", "child's"),
    *("kinship", "staying", "close", "leaving", "home", "homes", "social", "workers"),
    *("family", "help", "adoption", "advocacy", "Ofsted", "16", "17", "3rd", "café"),
    *("naïve", "Straße", "ÉCOLE", "www.gov.uk", "6.3", "e.g.", "co-operative"),
]
word = st.one_of(
    st.sampled_from(VOCABULARY),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzéüß0123456789", min_size=1, max_size=9),
)
gap = st.sampled_from([" ", "  ", ", ", ". ", "-", "'", "’", " — ", "/", "_", "\n", "(", ")"])
text = st.lists(st.tuples(word, gap), max_size=30).map(
    lambda pairs: "".join(w + g for w, g in pairs)
)


def _postgresql(sql: str, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(searched=text)
def test_terms_are_the_words_of_postgresqls_full_text_vector(db, searched):
    lexemes = _postgresql(
        "SELECT array(SELECT lexeme FROM unnest(to_tsvector('simple', carereview_words(%s))))",
        searched,
    )
    assert set(lexemes) == set(terms(searched))


# What the Government did finds its recommendation


def test_a_recommendation_is_found_by_a_stage_summary_and_the_result_shows_it(corpus, client):
    # "Foundations" is in the summary of 8.x4's delivery, not in its own wording.
    recommendation = Recommendation.objects.get(ref="8.x4")
    assert "foundations" not in f"{recommendation.title} {recommendation.text}".lower()
    for query in ("Foundations What Works Centre", "foundatons"):
        [hit] = [hit for hit in search(query=query).recommendations if hit.item.ref == "8.x4"]
        assert hit.stage.summary.startswith("EIF and WWCSC merged into Foundations")
    html = client.get("/search/?q=Foundations+What+Works+Centre").content.decode()
    assert escape(hit.stage.summary) in html
    assert 'href="/recommendations/8.x4/#what-happened-next">Delivery, ' in html


@pytest.mark.django_db
def test_a_recommendation_found_by_itself_and_its_stages_is_listed_once_at_its_best():
    recommendation = factories.recommendation(title="Zebra crossings near schools")
    factories.stage(recommendation=recommendation, summary="Zebra crossings were funded.")
    [hit] = search(query="zebra crossings").recommendations
    assert hit.item == recommendation and hit.score == 100
    assert hit.stage.summary == "Zebra crossings were funded."


@pytest.mark.django_db
def test_stages_crowding_the_best_places_leave_room_for_other_recommendations():
    crowded, other = factories.recommendation(), factories.recommendation()
    for _ in range(3):
        factories.stage(recommendation=crowded, summary="Pelican crossings were funded.")
    factories.stage(recommendation=other, summary="Pelican crossings were funded too.")
    assert {hit.item for hit in search(query="pelican crossings", limit=2).recommendations} == {
        crowded,
        other,
    }
