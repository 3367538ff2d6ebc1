"""The filters that a page and its CSV export share.

A page parses its query string with `AskFilterForm`, shows `form.filter(asks)`, and links
to the export with the same query string, so the export holds exactly the rows on screen.
Values that do not parse (an unknown status, a non-numeric id) are ignored, never an error.
"""

from django import forms
from django.db.models import Case, Exists, FloatField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast

from plaintext import plain
from recommendations.models import ACCEPTED, DELIVERED, Stage, StageStatus, Theme, status_rank
from responses.models import Ask, DocumentKind, Evidence, JudgedBy, OrganisationKind, Status

# The value of a stage's filter, and the key of its counts, for "none on record".
NONE_FOUND = "none"
# The government response filter's value for accepted in full or in part.
ACCEPTED_ANY = "accepted_any"


def _any(label: str, choices) -> list[tuple[str, str]]:
    return [("", label), *choices]


# What the Government did with a recommendation linked to an ask, as the filters offer
# it: each option's value, its words, and the statuses it selects; none selects the gap.
GOVERNMENT_RESPONSES = {
    "accepted": ("Accepted", (StageStatus.ACCEPTED,)),
    "accepted_in_part": ("Accepted in part", (StageStatus.ACCEPTED_IN_PART,)),
    "not_accepted": ("Not accepted", (StageStatus.NOT_ACCEPTED,)),
    "none": ("No government response found", ()),
}
# Delivery in three steps: done (enacted or delivered), under way, or none on record.
DELIVERIES = {
    "delivered": ("Delivered or legislated", DELIVERED),
    "in_progress": (
        "In progress or legislation in progress",
        (StageStatus.LEGISLATION_IN_PROGRESS, StageStatus.IN_PROGRESS),
    ),
    "none": ("Nothing delivered yet: no delivery on record", ()),
}


def _options(options: dict) -> list[tuple[str, str]]:
    return _any("All asks", [(value, label) for value, (label, _) in options.items()])


class FilterForm(forms.Form):
    def clean_q(self):
        # Without NUL, which PostgreSQL refuses, and whatever else is not printable. The
        # quotes are kept: a filter matches the words as they are stored.
        return plain(self.cleaned_data["q"], gap="", straight_quotes=False)

    @property
    def values(self) -> dict:
        """The filters that parsed, without the empty ones."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


class AskFilterForm(FilterForm):
    organisation = forms.SlugField(required=False, max_length=200)
    status = forms.ChoiceField(required=False, choices=_any("Any status", Status.choices))
    theme = forms.SlugField(required=False, max_length=100)
    judged_by = forms.ChoiceField(
        required=False, label="Judged by", choices=_any("Anyone", JudgedBy.choices)
    )
    document = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    document_kind = forms.ChoiceField(
        required=False, label="Document kind", choices=_any("Any kind", DocumentKind.choices)
    )
    recommendation = forms.CharField(required=False, max_length=20, label="Recommendation ref")
    q = forms.CharField(required=False, max_length=200, label="Words in the ask")
    # Of any recommendation linked to the ask as evidence: an ask linked to two may match
    # two options, and one linked to none matches none.
    government_response = forms.ChoiceField(
        required=False,
        label="Government response to a linked recommendation",
        choices=_options(GOVERNMENT_RESPONSES),
    )
    delivery = forms.ChoiceField(
        required=False,
        label="Delivery of a linked recommendation",
        choices=_options(DELIVERIES),
    )

    def filter(self, asks):
        """Narrow an Ask queryset (annotated `with_status()`) to the filters given, each
        ask at most once, and joining nothing that a later `values()` would read through
        (see `_having`)."""
        values = self.values
        if "government_response" in values:
            _, statuses = GOVERNMENT_RESPONSES[values["government_response"]]
            asks = asks.of_government_response(statuses)
        if "delivery" in values:
            _, statuses = DELIVERIES[values["delivery"]]
            asks = asks.of_furthest_delivery(statuses)
        lookups = {
            "organisation": "document__organisation__slug",
            "judged_by": "assessment__judged_by",
            "document": "document_id",
            "document_kind": "document__kind",
        }
        if "status" in values:
            asks = asks.of_status(values["status"])
        for name, lookup in lookups.items():
            if name in values:
                asks = asks.filter(**{lookup: values[name]})
        if "theme" in values:
            # The theme's key once (an InitPlan), rather than a join to the themes inside
            # the EXISTS, which statistics that held every table empty ran once per row.
            theme = Subquery(Theme.objects.filter(slug=values["theme"]).values("pk"))
            asks = _having(asks, Ask.themes.through.objects.filter(ask=OuterRef("pk"), theme=theme))
        if "recommendation" in values:
            cited = Evidence.objects.filter(
                assessment__ask=OuterRef("pk"), recommendation__ref=values["recommendation"]
            )
            asks = _having(asks, cited)
        if "q" in values:
            asks = asks.filter(Q(text__icontains=values["q"]) | Q(title__icontains=values["q"]))
        return asks


class OrganisationFilterForm(FilterForm):
    """The organisations page's filters; a value that does not parse is ignored."""

    kind = forms.ChoiceField(
        required=False, label="Kind", choices=_any("Any kind", OrganisationKind.choices)
    )
    sort = forms.ChoiceField(
        required=False,
        label="Sort by",
        choices=[("", "Name"), ("realised", "Share realised")],
    )
    q = forms.CharField(required=False, max_length=200, label="Name contains")

    @property
    def sorts_by_counts(self) -> bool:
        """Whether the order needs the organisations' status counts."""
        return self.values.get("sort") == "realised"

    def filter(self, organisations):
        """Narrow and order an Organisation queryset, annotated `with_status_counts()`
        if `sorts_by_counts`."""
        values = self.values
        if "kind" in values:
            organisations = organisations.filter(kind=values["kind"])
        if "q" in values:
            organisations = organisations.filter(name__icontains=values["q"])
        if self.sorts_by_counts:
            # In SQL, so that a page of organisations needs only that page's rows.
            organisations = organisations.annotate(
                share_realised=_share("asks_realised"), share_partly=_share("asks_partly")
            ).order_by("-share_realised", "-share_partly", "name", "id")
        return organisations


def _share(count: str):
    """`count` as a share of the organisation's asks; 0 for an organisation without asks."""
    return Case(
        When(asks_total=0, then=Value(0.0)),
        default=Cast(count, FloatField()) / Cast("asks_total", FloatField()),
        output_field=FloatField(),
    )


class RecommendationFilterForm(FilterForm):
    """The recommendations page's filters; a value that does not parse is ignored."""

    chapter = forms.IntegerField(required=False, min_value=1, max_value=32767)
    theme = forms.SlugField(required=False, max_length=100)
    sort = forms.ChoiceField(
        required=False,
        label="Sort by",
        choices=[("", "Chapter"), ("demand", "Demand: most organisations asking first")],
    )

    def narrow(self, recommendations):
        """Only the recommendations of a Recommendation queryset that the filters select,
        each once and in the queryset's order, joining nothing that a later `values()`
        would read through (see `_having`); any queryset, with `demand` or without."""
        return _in_chapter_and_theme(recommendations, self.values)

    def filter(self, recommendations):
        """Narrow and order a Recommendation queryset annotated with `demand`."""
        # Explicit: a queryset annotated with a count does not take Meta.ordering.
        order = ["chapter__number", "id"]
        if self.values.get("sort") == "demand":
            order.insert(0, "-demand")
        return self.narrow(recommendations).order_by(*order)


class StageFilterForm(FilterForm):
    """The filters of what the Government did (stages.csv): by stage, status, and the
    recommendation's chapter or theme, as the recommendations page passes them on; a value
    that does not parse is ignored."""

    stage = forms.ChoiceField(required=False, choices=_any("Any stage", Stage.choices))
    status = forms.ChoiceField(required=False, choices=_any("Any status", StageStatus.choices))
    chapter = forms.IntegerField(required=False, min_value=1, max_value=32767)
    theme = forms.SlugField(required=False, max_length=100)

    def filter(self, stages):
        """Narrow a GovernmentStage queryset to the filters given."""
        values = self.values
        lookups = {
            "stage": "stage",
            "status": "status",
            "chapter": "recommendation__chapter__number",
            "theme": "recommendation__themes__slug",
        }
        for name, lookup in lookups.items():
            if name in values:
                stages = stages.filter(**{lookup: values[name]})
        return stages


def _in_chapter_and_theme(recommendations, values: dict):
    if "chapter" in values:
        recommendations = recommendations.filter(chapter__number=values["chapter"])
    if "theme" in values:
        themed = Theme.objects.filter(slug=values["theme"], recommendations=OuterRef("pk"))
        recommendations = _having(recommendations, themed)
    return recommendations


def _having(items, related):
    """`items` that have a row in `related` (related rows, correlated to the item by
    `OuterRef("pk")`), asked of those rows alone with EXISTS.

    A join (`themes__slug=...`) would repeat an item per matching row, and a later
    `values("themes__slug")` would read through the same join and see only the matching
    theme. Isolating the join in `pk__in=<the whole filtered queryset>` instead made
    PostgreSQL, with stale statistics that held every table to be one row, run all of that
    subquery's joins again for each outer row (3.5 minutes to export 129 asks)."""
    return items.filter(Exists(related))


def _stage_choices(stage: Stage, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    """A stage's statuses as their tags say them, then `extra`, then none on record."""
    statuses = [(status.value, status.tag_label) for status in stage.statuses]
    return [*statuses, *extra, (NONE_FOUND, stage.none_found)]


class GovernmentFilterForm(FilterForm):
    """The filters of the page of what the Government did with each recommendation; a
    value that does not parse is ignored."""

    response = forms.ChoiceField(
        required=False,
        label="Government response",
        choices=_any(
            "Any response",
            _stage_choices(
                Stage.GOVERNMENT_RESPONSE, (ACCEPTED_ANY, "Accepted in full or in part")
            ),
        ),
    )
    delivery = forms.ChoiceField(
        required=False,
        label="Furthest delivery",
        choices=_any("Any delivery", _stage_choices(Stage.DELIVERY)),
    )
    chapter = forms.IntegerField(required=False, min_value=1, max_value=32767)
    theme = forms.SlugField(required=False, max_length=100)
    sort = forms.ChoiceField(
        required=False,
        label="Sort by",
        choices=[
            ("", "Chapter"),
            ("response", "Government response, accepted first"),
            ("delivery", "Delivery, furthest first"),
        ],
    )

    def filter(self, recommendations):
        """Narrow and order a Recommendation queryset annotated `with_government_statuses()`."""
        values = self.values
        recommendations = _in_chapter_and_theme(recommendations, values)
        for name in ("response", "delivery"):
            value = values.get(name)
            if value == NONE_FOUND:
                recommendations = recommendations.filter(**{f"{name}_status__isnull": True})
            elif value == ACCEPTED_ANY:
                recommendations = recommendations.filter(response_status__in=ACCEPTED)
            elif value:
                recommendations = recommendations.filter(**{f"{name}_status": value})
        order = ["chapter__number", "id"]
        if "sort" in values:
            # None on record comes last, after the least of what is.
            order.insert(0, status_rank(f"{values['sort']}_status").asc(nulls_last=True))
        return recommendations.order_by(*order)


# The gaps that the page of what happened to the recommendations names: each the filters
# of its list, which give its count too.
GAPS = [
    (
        "Accepted (in full or in part), nothing delivered yet",
        {"response": ACCEPTED_ANY, "delivery": NONE_FOUND},
    ),
    ("No government response found", {"response": NONE_FOUND}),
]


class SearchForm(FilterForm):
    q = forms.CharField(required=False, max_length=200, label="Search")
