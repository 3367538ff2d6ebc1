"""Search forgives typos and finds organisations, asks and recommendations."""

from responses.models import Ask
from responses.search import SearchResults, search

from . import factories


def refs(results: SearchResults) -> list[str]:
    return [hit.item.ref for hit in results.recommendations]


def test_a_typo_still_finds_the_staying_close_recommendation(corpus):
    results = search(query="stayng close")
    assert refs(results)[0] == "6.x3"
    assert "Staying Close" in results.recommendations[0].item.title


def test_a_misspelt_organisation_name_finds_the_organisation(corpus):
    results = search(query="acton for childen")
    assert [hit.item.slug for hit in results.organisations] == ["action-for-children"]


def test_asks_are_found_by_their_words_and_carry_their_status(corpus):
    results = search(query="reunificaton")
    assert [hit.item.title for hit in results.asks] == [
        "National guidance on supporting family reunification"
    ]
    assert results.asks[0].item.status == "absent"


def test_words_that_occur_nowhere_find_nothing(corpus):
    assert search(query="zebra crossing timetable").total == 0


def test_a_query_of_under_three_letters_finds_nothing(corpus):
    results = search(query="ki")
    assert results.too_short and results.total == 0


def test_results_are_best_first_and_limited(corpus):
    results = search(query="kinship", limit=2)
    assert len(results.recommendations) == 2
    scores = [hit.score for hit in search(query="kinship").recommendations]
    assert scores == sorted(scores, reverse=True)


def test_search_page_lists_each_kind_of_result_and_fragment_swaps_alone(client, corpus):
    html = client.get("/search/?q=stayng+close").content.decode()
    assert 'href="/recommendations/6.x3/"' in html
    assert "<html" in html
    fragment = client.get(
        "/search/?q=stayng+close", headers={"HX-Request": "true"}
    ).content.decode()
    assert fragment.lstrip().startswith('<div id="results">')
    assert 'href="/recommendations/6.x3/"' in fragment


def test_search_finds_new_data_without_reindexing(db):
    factories.organisation(name="Foster Network Cymru", slug="foster-network-cymru")
    assert [hit.item.slug for hit in search(query="fostr network").organisations] == [
        "foster-network-cymru"
    ]


def test_digest_points_are_not_found_as_asks(corpus):
    digest_point = Ask.objects.filter(document__kind="case_for_change_digest").first()
    found = search(query=digest_point.title)
    assert digest_point.pk not in {hit.item.pk for hit in found.asks}
