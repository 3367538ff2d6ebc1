"""The counts that pages read through the faster queries (conditions on the assessment,
NOT EXISTS, counting only a page's organisations) equal the same counts recounted row by
row in Python."""

from collections import Counter

import pytest
from django.http import QueryDict

from browse.filters import OrganisationFilterForm
from recommendations.models import Recommendation
from responses.models import (
    HEARD,
    Ask,
    Assessment,
    Organisation,
    Status,
    with_demand,
    without_demand,
)

from . import factories


@pytest.fixture
def organisations(db):
    made = factories.world(size=3)
    # An ask nobody has assessed, beside the world's explicit statuses.
    factories.ask(document=made[0].documents.order_by("id").last())
    # An assessment that says "not assessed" in so many words.
    factories.assessment(
        ask=factories.ask(document=made[1].documents.order_by("id").last()),
        status=Status.NOT_ASSESSED,
        judged_by="",
    )
    return made


def recounted_statuses(organisation) -> Counter:
    """The organisation's counted asks by status, one ask at a time."""
    statuses = Counter()
    for ask in Ask.objects.filter(document__organisation=organisation):
        if ask.document.kind == "case_for_change_digest" or ask.restated_by.exists():
            continue
        assessment = Assessment.objects.filter(ask=ask).first()
        statuses[assessment.status if assessment else Status.NOT_ASSESSED] += 1
    return statuses


def test_each_organisations_status_counts_equal_a_recount_of_its_asks(organisations):
    for organisation in Organisation.objects.with_status_counts():
        recount = recounted_statuses(organisation)
        assert organisation.status_mix == {status: recount[status] for status in Status.values}
        assert organisation.asks_total == sum(recount.values())
    assert sum(recounted_statuses(o)[Status.NOT_ASSESSED] for o in organisations) >= 2


@pytest.mark.parametrize("status", Status.values)
def test_asks_of_a_status_are_those_whose_annotated_status_it_is(organisations, status):
    annotated = Ask.objects.with_status().filter(status=status)
    found = Ask.objects.of_status(status)
    assert set(found.values_list("pk", flat=True)) == set(annotated.values_list("pk", flat=True))
    assert found.exists()


def test_recommendations_without_demand_are_those_no_heard_ask_cites(organisations):
    # One recommendation cited only by an absent ask: evidence, but no demand.
    cited_by_absent = factories.recommendation()
    absent = Assessment.objects.filter(status=Status.ABSENT).first()
    absent.evidence.create(recommendation=cited_by_absent, quote=cited_by_absent.text[:20])
    factories.recommendation()

    unasked = set(without_demand(Recommendation.objects.all()).values_list("pk", flat=True))

    assert unasked == {
        r.pk
        for r in Recommendation.objects.all()
        if not r.evidence.filter(assessment__status__in=HEARD).exists()
    }
    assert cited_by_absent.pk in unasked
    assert unasked == set(
        with_demand(Recommendation.objects.all()).filter(demand=0).values_list("pk", flat=True)
    )


def test_organisations_by_share_realised_are_in_the_order_of_their_recounted_shares(
    organisations,
):
    factories.organisation(name="Aardvark Trust")  # no asks: shares of 0, by name

    def shares(organisation):
        recount = recounted_statuses(organisation)
        total = sum(recount.values())
        if not total:
            return (0.0, 0.0)
        return (recount[Status.REALISED] / total, recount[Status.PARTLY] / total)

    form = OrganisationFilterForm(QueryDict("sort=realised"))
    ordered = list(form.filter(Organisation.objects.with_status_counts()))
    expected = sorted(
        Organisation.objects.all(),
        key=lambda o: (-shares(o)[0], -shares(o)[1], o.name, o.pk),
    )
    assert [o.pk for o in ordered] == [o.pk for o in expected]
    assert len({shares(o) for o in ordered}) > 1
