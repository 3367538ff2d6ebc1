"""The organisation page: each ask beside what the Review recommended."""

import re

from responses.models import Ask


def comparison(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="govuk-table__row" id="ask-\d+">.*?</tr>', html, re.DOTALL)


def test_one_row_per_counted_ask_with_status_in_words_and_colour(client, corpus):
    html = comparison(client, "/organisations/together-trust/")
    assert (
        len(rows(html))
        == Ask.objects.counted().filter(document__organisation__slug="together-trust").count()
    )
    assert '<strong class="govuk-tag govuk-tag--red app-status">Absent</strong>' in html
    assert '<strong class="govuk-tag govuk-tag--yellow app-status">Partly realised</strong>' in html
    assert '<strong class="govuk-tag govuk-tag--green app-status">Realised</strong>' in html
    assert '<strong class="govuk-tag govuk-tag--grey app-status">Not assessed</strong>' in html
    assert "Judged by: The organisation itself" in html


def test_absent_filter_hides_partly_realised_asks(client, corpus):
    html = comparison(client, "/organisations/together-trust/?status=absent")
    found = rows(html)
    assert len(found) == 4
    assert all("govuk-tag--red" in row for row in found)
    assert "govuk-tag--yellow" not in "".join(found)


def test_filters_by_theme_document_and_who_judged(client, corpus):
    by_theme = rows(comparison(client, "/organisations/action-for-children/?theme=family-help"))
    assert by_theme and all("Family Help" in row for row in by_theme)

    assert rows(comparison(client, "/organisations/become/?judged_by=organisation")) == []
    assert len(rows(comparison(client, "/organisations/become/?judged_by=editorial"))) == 10


def test_evidence_is_marked_inside_the_recommendation_text_with_its_provenance(client, corpus):
    html = comparison(client, "/organisations/become/")
    row = next(r for r in rows(html) if "Keep children&#x27;s homes" in r)
    assert "<mark>" in row
    assert 'href="/recommendations/5.2/"' in row
    assert "Wording from secondary sources" in row and "Confidence:" in row


def test_an_absent_ask_shows_the_nearest_recommendations_labelled_as_not_matches(client, corpus):
    html = comparison(client, "/organisations/action-for-children/?status=absent")
    (row,) = rows(html)
    assert "Nothing in the Final Report" in row
    assert "Nearest recommendations found automatically — not matches" in row
    assert "/recommendations/" in row


def test_a_restated_ask_shows_its_first_wording_and_the_earlier_one_has_no_row(client, corpus):
    later = (
        Ask.objects.filter(restates__isnull=False, document__organisation__slug="together-trust")
        .select_related("restates")
        .first()
    )
    html = comparison(client, "/organisations/together-trust/")
    row = next(r for r in rows(html) if f'id="ask-{later.pk}"' in r)
    assert "First asked in" in row
    assert f'id="ask-{later.restates.pk}"' not in html


def test_digest_points_are_shown_as_points_not_asks(client, corpus):
    html = comparison(client, "/organisations/residential-forum-england/")
    assert "Points from a digest, not asks" in html
    assert rows(html) == []


def test_a_row_expands_to_the_full_recommendation_text_and_rationale(client, corpus):
    ask = (
        Ask.objects.filter(
            assessment__evidence__isnull=False, document__organisation__slug="become"
        )
        .select_related("assessment")
        .first()
    )
    fragment = comparison(
        client, f"/organisations/become/?expand={ask.pk}", **{"HX-Request": "true"}
    )
    assert "<html" not in fragment
    assert "Full recommendation text and rationale" in fragment
    assert ask.assessment.rationale.splitlines()[0][:40] in fragment.replace("&#x27;", "'")
    for evidence in ask.assessment.evidence.all():
        assert evidence.recommendation.title.replace("'", "&#x27;") in fragment

    # Without JavaScript the same link opens the page with the row expanded.
    page = comparison(client, f"/organisations/become/?expand={ask.pk}")
    assert "<html" in page and "Full recommendation text and rationale" in page


def test_expanding_an_ask_of_another_organisation_is_a_404(client, corpus):
    ask = Ask.objects.filter(document__organisation__slug="become").first()
    response = client.get(
        f"/organisations/together-trust/?expand={ask.pk}", headers={"HX-Request": "true"}
    )
    assert response.status_code == 404


def test_beside_a_document_an_absent_ask_shows_its_nearest_recommendations_and_links_to_its_row(
    client, corpus
):
    ask = Ask.objects.get(
        assessment__status="absent", document__organisation__slug="action-for-children"
    )
    panel = comparison(
        client,
        f"/organisations/action-for-children/?expand={ask.pk}",
        **{"HX-Request": "true", "HX-Target": "comparison-panel"},
    )
    assert "Nearest recommendations found automatically — not matches" in panel
    assert f'href="/organisations/action-for-children/?expand={ask.pk}#ask-{ask.pk}"' in panel

    in_row = comparison(
        client, f"/organisations/action-for-children/?expand={ask.pk}", **{"HX-Request": "true"}
    )
    assert "not matches" not in in_row
