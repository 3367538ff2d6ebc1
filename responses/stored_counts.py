"""The stored counts against a recount from scratch.

Database triggers keep `OrganisationCounts`, `RecommendationCounts` and `ThemeCounts`
(migration 0016). `differences` recounts every one of them through the querysets the
pages used before there were stored counts, which read `counted_asks`, `demand` and
`chain_counts`, and names each stored figure that is not what the recount gives:
`python manage.py verify_counts` reports them, and the tests call it after every kind of
write.
"""

from recommendations.models import Recommendation

from .models import (
    HEARD,
    Ask,
    Organisation,
    OrganisationCounts,
    RecommendationCounts,
    ThemeCounts,
    demand,
)

ORGANISATION_COUNTS = OrganisationCounts.COUNTS
RECOMMENDATION_COUNTS = (
    "demand",
    "demand_realised",
    "demand_partly",
    "response_status",
    "delivery_status",
)


def recounted_organisations() -> dict[int, dict]:
    """Each organisation's counts, recounted: its status mix and its chain."""
    recounted = {
        row.pop("pk"): row
        for row in Organisation.objects.recount_status_counts().values(
            "pk", *(name for name in ORGANISATION_COUNTS if name.startswith("asks_"))
        )
    }
    chains = Ask.objects.counted().chain_counts("document__organisation")
    nothing = dict.fromkeys(("asked", "recommended", "accepted", "delivered"), 0)
    for counts in recounted.values():
        counts.update(nothing)
    for chain in chains:
        recounted[chain.pop("document__organisation")].update(chain)
    return recounted


def recounted_recommendations() -> dict[int, dict]:
    """Each recommendation's demand, in all and by status, and its government statuses,
    recounted."""
    recounted = {
        row.pop("pk"): row
        for row in Recommendation.objects.with_government_statuses().values(
            "pk", "response_status", "delivery_status"
        )
    }
    demands = Recommendation.objects.annotate(
        demand=demand("evidence__"),
        **{f"demand_{status}": demand("evidence__", status=status) for status in HEARD},
    ).values("pk", "demand", *(f"demand_{status}" for status in HEARD))
    for row in demands:
        recounted[row.pop("pk")].update(row)
    return recounted


def recounted_themes() -> dict[tuple[int, int, str], int]:
    """Counted asks per theme, organisation and status, recounted."""
    rows = (
        Ask.objects.counted()
        .filter(themes__isnull=False)
        .with_status()
        .status_counts("themes", "document__organisation")
    )
    return {(r["themes"], r["document__organisation"], r["status"]): r["asks"] for r in rows}


def stored_organisations() -> dict[int, dict]:
    return {
        row.pop("organisation_id"): row
        for row in OrganisationCounts.objects.values("organisation_id", *ORGANISATION_COUNTS)
    }


def stored_recommendations() -> dict[int, dict]:
    return {
        row.pop("recommendation_id"): row
        for row in RecommendationCounts.objects.values("recommendation_id", *RECOMMENDATION_COUNTS)
    }


def stored_themes() -> dict[tuple[int, int, str], int]:
    rows = ThemeCounts.objects.values_list("theme_id", "organisation_id", "status", "asks")
    return {(theme, organisation, status): asks for theme, organisation, status, asks in rows}


def differences() -> list[str]:
    """Every stored count that is not what a recount from scratch gives, in words; none
    when they all agree."""
    found = _compare(
        "organisation", stored=stored_organisations(), recounted=recounted_organisations()
    )
    found += _compare(
        "recommendation", stored=stored_recommendations(), recounted=recounted_recommendations()
    )
    stored, recounted = stored_themes(), recounted_themes()
    for key in sorted(stored.keys() | recounted.keys()):
        if stored.get(key) != recounted.get(key):
            theme, organisation, status = key
            found.append(
                f"theme {theme}, organisation {organisation}, {status} asks: stored "
                f"{stored.get(key, 'none')}, recounted {recounted.get(key, 'none')}"
            )
    return found


def _compare(kind: str, *, stored: dict[int, dict], recounted: dict[int, dict]) -> list[str]:
    found = []
    for pk in sorted(stored.keys() | recounted.keys()):
        if pk not in stored:
            found.append(f"{kind} {pk}: no stored counts")
        elif pk not in recounted:
            found.append(f"{kind} {pk}: stored counts, but no such {kind}")
        else:
            found += [
                f"{kind} {pk}: {name} stored {value}, recounted {recounted[pk][name]}"
                for name, value in stored[pk].items()
                if value != recounted[pk][name]
            ]
    return found


def summary() -> str:
    """How many rows of stored counts there are, for a report."""
    return (
        f"{OrganisationCounts.objects.count()} organisations, "
        f"{RecommendationCounts.objects.count()} recommendations, "
        f"{ThemeCounts.objects.count()} theme and organisation status counts"
    )
