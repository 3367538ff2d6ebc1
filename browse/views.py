"""The pages: thin views that read through the models' querysets and render one template
each, or only the fragment that htmx asked for. Each page is kept whole per state of the
data and URL for visitors not signed in (`caching.cached_page`); a page whose data takes
long to compute also says which part is kept (`caching.cached`), for signed-in users and
for its charts' downloads."""

from functools import partial

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header, urlencode

import matching
from recommendations.models import Chapter, Recommendation, Report, Stage, Theme
from responses.models import (
    Ask,
    Organisation,
    OrganisationCounts,
    OrganisationNote,
    ResponseDocument,
    Status,
    ThemeCounts,
    with_demand,
    with_stored_government_statuses,
    without_demand,
)

from . import caching, export, package, streaming
from .charts import Chart, Gap, chain_bars, status_bars, status_summary
from .filters import (
    GAPS,
    NONE_FOUND,
    AskFilterForm,
    GovernmentFilterForm,
    OrganisationFilterForm,
    RecommendationFilterForm,
    SearchForm,
    StageFilterForm,
)
from .highlighting import mark_quotes
from .search import search as run_search

# How many of the matcher's nearest recommendations an absent ask shows.
NEAREST_LIMIT = 3
# Page sizes: enough to read down and compare, few enough that every page's work is
# bounded whatever the number of organisations. An ask's row is a whole comparison, with
# the recommendations' excerpts beside it: 25 are a long read already.
ASKS_PER_PAGE = 25
ORGANISATIONS_PER_PAGE = 50
# The themes matrix pages through its organisation columns: a dozen fit a wide screen.
MATRIX_COLUMNS_PER_PAGE = 12
# The overview's lists are a summary that links on to the full, paginated lists.
OVERVIEW_ORGANISATIONS = 20
OVERVIEW_UNASKED = 50


def _render(request, template: str, context: dict, *, fragment: str):
    """The page, or only its `fragment` partial when htmx asked for it. A history
    restore after a cache miss wants the whole page."""
    if request.htmx and not request.htmx.history_restore_request:
        template += f"#{fragment}"
    response = render(request, template, context)
    # The same URL answers with a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _page(request, items, *, per_page: int, count: int | None = None) -> Page:
    """The page of `items` that `?page=N` asks for. A number past the end gives the
    last page, and anything else that is not a page number the first: never an error.
    `count`, if known, is how many items there are, so that they are not counted."""
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count
    page = paginator.get_page(request.GET.get("page"))
    # The page numbers the pagination links to: the ends, and the neighbours of this one.
    page.numbers = list(
        page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    )
    return page


def _page_of(request, count: int, *, per_page: int) -> Page:
    """The page that `?page=N` asks for among `count` items, as `_page` gives it for the
    items themselves: for its numbers and links, where the page's rows are cached."""
    return _page(request, range(count), per_page=per_page)


def _with_nearest(asks: list) -> list:
    """Give each absent ask `nearest`: the recommendations the matcher finds closest,
    which are suggestions to look at, not matches."""
    absent = [ask for ask in asks if ask.status == Status.ABSENT]
    if absent:
        recommendations = list(Recommendation.objects.select_related("chapter"))
        found = matching.suggest(
            texts=[ask.text for ask in absent],
            recommendations=recommendations,
            limit=NEAREST_LIMIT,
        )
        for ask, suggestions in zip(absent, found):
            ask.nearest = suggestions
    return asks


@caching.cached_page
def home(request):
    # Every figure here reads all the asks: computed once per state of the data.
    context = caching.cached(request, compute=_overview)
    return render(request, "browse/home.html", context)


def _overview() -> dict:
    organisations_total = Organisation.objects.count()
    # The organisations with most asks; the organisations page lists them all. Their
    # counts, and every total here, are the stored ones (`OrganisationCounts`).
    organisations = list(
        Organisation.objects.with_status_counts()
        .select_related("counts")
        .order_by("-asks_total", "name", "id")[:OVERVIEW_ORGANISATIONS]
    )
    totals = OrganisationCounts.objects.totals()
    mix = {status: totals[f"asks_{status}"] for status in Status.values}
    assessed = {status: n for status, n in mix.items() if status != Status.NOT_ASSESSED}
    chain = {step: totals[step] for step in CHAIN_STEPS}
    for organisation in organisations:
        organisation.chain = {step: getattr(organisation.counts, step) for step in CHAIN_STEPS}
    # Every one of them, counted here rather than by a second query: a few hundred at most.
    unasked = list(
        without_demand(Recommendation.objects.select_related("chapter")).order_by(
            "chapter__number", "id"
        )
    )
    return {
        "organisations": organisations,
        "organisations_total": organisations_total,
        "asks_total": sum(mix.values()),
        "assessed_total": sum(assessed.values()),
        "documents_total": ResponseDocument.objects.count(),
        "recommendations_total": Recommendation.objects.count(),
        "mix_chart": status_bars(
            rows=[("All assessed asks", assessed)],
            title="Status of all assessed asks",
            labelled=False,
        ),
        "organisations_chart": status_bars(
            rows=[(o.name, o.status_mix) for o in organisations],
            title="Asks by organisation and status",
        ),
        "chain": chain,
        "chain_chart": chain_bars(
            steps=[(label, chain[step]) for step, label in CHAIN_STEPS.items()],
            title="How far the assessed asks got",
        ),
        "left_out": list(ThemeCounts.objects.left_out_by_several(organisations=2)),
        "unasked": unasked[:OVERVIEW_UNASKED],
        "unasked_total": len(unasked),
    }


# The overview's names for the steps of `AskQuerySet.chain_counts`.
CHAIN_STEPS = {
    "asked": "Asked",
    "recommended": "Recommended by the Review",
    "accepted": "Accepted by the Government",
    "delivered": "Delivered or legislated",
}


@caching.cached_page
def organisation_list(request):
    form = OrganisationFilterForm(request.GET)

    def listed() -> dict:
        if form.sorts_by_counts:
            # Every organisation's counts are needed to put them in order.
            listed = form.filter(Organisation.objects.with_status_counts())
            page = _page(request, listed, per_page=ORGANISATIONS_PER_PAGE)
            organisations = list(page)
        else:
            # In name order only the page's organisations need counting, and the pages
            # need only a count of organisations, not of their asks.
            listed = form.filter(Organisation.objects.order_by("name", "id"))
            page = _page(request, listed, per_page=ORGANISATIONS_PER_PAGE)
            organisations = list(
                Organisation.objects.filter(pk__in=[o.pk for o in page]).with_status_counts()
            )
        for organisation in organisations:
            organisation.summary = status_summary(organisation.status_mix)
            organisation.chart = status_bars(
                rows=[(organisation.name, organisation.status_mix)],
                title=f"Status of {organisation.name}'s asks",
                labelled=False,
                compact=True,
            )
        return {"listed": page.paginator.count, "organisations": organisations}

    # Sorted by share realised, every organisation's asks are counted: once per state
    # of the data.
    found = caching.cached(request, compute=listed)
    context = {
        "form": form,
        "page": _page_of(request, found["listed"], per_page=ORGANISATIONS_PER_PAGE),
        "organisations": found["organisations"],
    }
    return _render(request, "browse/organisation_list.html", context, fragment="results")


@caching.cached_page
def organisation(request, slug):
    organisation = get_object_or_404(Organisation.objects.with_status_counts(), slug=slug)
    asks = Ask.objects.for_organisation(organisation).with_status().with_comparison()
    expand = _expanded(request)
    if request.htmx and expand:
        ask = get_object_or_404(asks, pk=expand)
        # Beside a document's text the row, with its nearest recommendations, is not
        # on screen: the panel shows them and links to the row.
        in_panel = request.htmx.target == "comparison-panel"
        context = {
            "organisation": organisation,
            "ask": _with_nearest([ask])[0] if in_panel else ask,
            "focus": True,
            "in_panel": in_panel,
        }
        return _render(request, "browse/organisation.html", context, fragment="ask_detail")

    form = AskFilterForm(request.GET)
    documents = list(organisation.documents.all())
    rows = _with_nearest(list(form.filter(asks.counted())))
    context = {
        "organisation": organisation,
        "form": form,
        "rows": rows,
        "expand": expand,
        "mix_chart": _organisation_chart(organisation),
        "asks_total": organisation.asks_total,
        "documents": documents,
        "asked_documents": [document for document in documents if document.counts_asks],
        "themes": list(Theme.objects.all()),
        "digest_points": list(
            Ask.objects.for_organisation(organisation).digest_points().select_related("document")
        ),
        "organisation_notes": list(OrganisationNote.objects.for_organisation(organisation)),
    }
    return _render(request, "browse/organisation.html", context, fragment="comparison")


def _organisation_chart(organisation: Organisation) -> Chart:
    """The organisation page's chart: all its asks by status, whatever the filters."""
    return status_bars(
        rows=[(organisation.name, organisation.status_mix)],
        title=f"Status of {organisation.name}'s asks",
        labelled=False,
    )


def _expanded(request) -> int | None:
    """The ask whose row is shown expanded, from `?expand=<id>`; nonsense is ignored."""
    value = request.GET.get("expand", "")
    return int(value) if value.isascii() and value.isdigit() and int(value) < 2**31 else None


@caching.cached_page
def document(request, pk):
    document = get_object_or_404(ResponseDocument.objects.select_related("organisation"), pk=pk)
    asks = list(
        Ask.objects.filter(document=document)
        .with_status()
        .prefetch_related(Prefetch("restated_by", queryset=Ask.objects.with_status()))
    )
    for ask in asks:
        # An earlier wording is compared on the row of the ask that restates it.
        later = list(ask.restated_by.all())
        ask.compared_as = later[0] if later else ask
    context = {
        "document": document,
        "segments": mark_quotes(text=document.text, quotes=[(ask.text, ask) for ask in asks]),
        "asks": asks,
    }
    return render(request, "browse/document.html", context)


@caching.cached_page
def recommendation_list(request):
    form = RecommendationFilterForm(request.GET)

    def listed() -> dict:
        recommendations = list(form.filter(with_demand(Recommendation.objects.for_rows())))
        return {
            "recommendations_count": len(recommendations),
            # Rendering every row takes as long as counting their demand: kept rendered.
            "table": render_to_string(
                "browse/recommendation_list.html#table",
                {
                    "recommendations": recommendations,
                    "by_demand": form.values.get("sort") == "demand",
                },
            ),
            "chapters": list(Chapter.objects.select_related("report")),
            "themes": list(Theme.objects.all()),
            "reports": list(Report.objects.all()),
        }

    # Demand is counted over all the evidence: once per state of the data and filters.
    context = {"form": form, **caching.cached(request, compute=listed)}
    return _render(request, "browse/recommendation_list.html", context, fragment="results")


@caching.cached_page
def recommendation(request, ref):
    # PostgreSQL refuses NUL and friends in a query; no ref contains them anyway.
    if not ref.isprintable():
        raise Http404("No recommendation has that reference.")

    def shown() -> dict:
        recommendation = (
            with_demand(Recommendation.objects.with_provenance().with_stages())
            .filter(ref=ref)
            .order_by("report__published", "report_id")
            .first()
        )
        if recommendation is None:
            raise Http404("No recommendation has that reference.")
        asks = Ask.objects.filter(assessment__evidence__recommendation=recommendation).with_status()
        # The page's asks in order by their keys alone, then their comparisons, as a theme's.
        page = _page(request, asks.values_list("pk", flat=True), per_page=ASKS_PER_PAGE)
        shown = asks.with_comparison().in_bulk(list(page))
        return {
            "recommendation": recommendation,
            "listed": page.paginator.count,
            # Rendering a page of comparisons takes longer than reading it: kept rendered.
            "comparison_table": render_to_string(
                "browse/recommendation.html#rows", {"rows": [shown[pk] for pk in page]}
            ),
        }

    found = caching.cached(request, compute=shown)
    context = {
        "recommendation": found["recommendation"],
        "page": _page_of(request, found["listed"], per_page=ASKS_PER_PAGE),
        "comparison_table": found["comparison_table"],
    }
    return _render(request, "browse/recommendation.html", context, fragment="comparison")


@caching.cached_page
def what_happened(request):
    form = GovernmentFilterForm(request.GET)
    # Every recommendation's stages are read and counted: once per state of the data.
    found = caching.cached(request, compute=partial(_what_happened, form))
    context = {"form": form, "none_found": NONE_FOUND, **found}
    return _render(request, "browse/what_happened.html", context, fragment="results")


def _what_happened(form: GovernmentFilterForm) -> dict:
    """What the what-happened page shows for `form`'s filters that takes long to compute:
    the page and its charts' downloads keep it per state of the data."""
    everything = with_stored_government_statuses(Recommendation.objects.all())
    recommendations = list(
        form.filter(everything.select_related("chapter", "report").with_stages(quotes=False))
    )
    pairs = list(everything.government_status_counts())
    responses, responses_chart = _tally(
        pairs, stage=Stage.GOVERNMENT_RESPONSE, label="Government response"
    )
    deliveries, deliveries_chart = _tally(pairs, stage=Stage.DELIVERY, label="Furthest delivery")
    return {
        "recommendations_count": len(recommendations),
        # Rendered once per state of the data, as the recommendations list is.
        "table": render_to_string(
            "browse/what_happened.html#table",
            {"recommendations": recommendations, "sort": form.values.get("sort", "")},
        ),
        "total": sum(pair["recommendations"] for pair in pairs),
        "responses": responses,
        "responses_chart": responses_chart,
        "deliveries": deliveries,
        "deliveries_chart": deliveries_chart,
        "gaps": [
            (
                label,
                urlencode(filters),
                GovernmentFilterForm(filters).filter(everything).count(),
            )
            for label, filters in GAPS
        ],
        "chapters": list(Chapter.objects.select_related("report")),
        "themes": list(Theme.objects.all()),
    }


def _tally(pairs: list[dict], *, stage: Stage, label: str) -> tuple[list[tuple], Chart]:
    """How many recommendations have each status of `stage`, and none on record, from
    `government_status_counts` rows: as table rows (status or None, count), and a chart."""
    field = "response_status" if stage == Stage.GOVERNMENT_RESPONSE else "delivery_status"
    categories = [*stage.statuses, Gap(NONE_FOUND, stage.none_found.lower())]
    counts = dict.fromkeys((category.value for category in categories), 0)
    for pair in pairs:
        counts[pair[field] or NONE_FOUND] += pair["recommendations"]
    rows = [(None if value == NONE_FOUND else value, n) for value, n in counts.items()]
    title = f"{label} of each recommendation"
    chart = status_bars(rows=[(label, counts)], title=title, statuses=categories)
    return rows, chart


@caching.cached_page
def theme_list(request):
    themes = list(Theme.objects.all())
    # The matrix pages through its organisation columns; every theme is a row on each page.
    page = _page(
        request, Organisation.objects.order_by("name", "id"), per_page=MATRIX_COLUMNS_PER_PAGE
    )
    organisations = list(page)
    counts = ThemeCounts.objects.filter(organisation__in=organisations).values_list(
        "theme", "organisation", "status", "asks"
    )
    cells: dict[tuple[int, int], dict[str, int]] = {}
    for theme_id, organisation_id, status, asks in counts:
        cells.setdefault((theme_id, organisation_id), dict.fromkeys(Status.values, 0))[status] = (
            asks
        )
    matrix = [
        (theme, [(o, _cell(cells.get((theme.pk, o.pk)))) for o in organisations])
        for theme in themes
    ]
    context = {"page": page, "organisations": organisations, "matrix": matrix}
    return _render(request, "browse/theme_list.html", context, fragment="matrix")


def _cell(mix: dict[str, int] | None) -> dict | None:
    if mix is None:
        return None
    chart = status_bars(rows=[("", mix)], title="Status mix", labelled=False, compact=True)
    return {"summary": status_summary(mix), "chart": chart}


@caching.cached_page
def theme(request, slug):
    theme = get_object_or_404(Theme, slug=slug)
    form = AskFilterForm(request.GET)

    def compared() -> dict:
        asks = form.filter(Ask.objects.counted().filter(themes=theme).with_status())
        # Filtered by status or not at all, the stored counts say how many there are.
        count = None
        if set(form.values) <= {"status"}:
            count = ThemeCounts.objects.of_theme(theme, status=form.values.get("status"))
        # The page's asks found in order first, by their keys alone: sorting every ask
        # of the theme with all that a comparison shows took most of the page's time.
        page = _page(
            request, asks.values_list("pk", flat=True), per_page=ASKS_PER_PAGE, count=count
        )
        shown = asks.with_comparison().in_bulk(list(page))
        return {
            "listed": page.paginator.count,
            # Rendering a page of comparisons takes longer than reading it: kept rendered.
            "comparison_table": render_to_string(
                "browse/theme.html#rows", {"rows": _with_nearest([shown[pk] for pk in page])}
            ),
            "recommendations": list(
                with_demand(theme.recommendations.for_rows()).order_by("chapter__number", "id")
            ),
        }

    # Sorting and counting the theme's asks reads them all: once per state of the data.
    found = caching.cached(request, compute=compared)
    context = {
        "theme": theme,
        "form": form,
        "page": _page_of(request, found["listed"], per_page=ASKS_PER_PAGE),
        "comparison_table": found["comparison_table"],
        "recommendations": found["recommendations"],
    }
    return _render(request, "browse/theme.html", context, fragment="comparison")


@caching.cached_page
def search(request):
    query = SearchForm(request.GET).values.get("q", "")
    # A query asked again (a link shared, the back button, a popular word) is answered
    # from what it found in this state of the data.
    results = caching.cached(request, compute=partial(run_search, query=query)) if query else None
    context = {"query": query, "results": results}
    return _render(request, "browse/search.html", context, fragment="results")


# CSV exports


def _csv_response(request, table: export.Table, filters: dict) -> StreamingHttpResponse:
    """Stream `table` as a CSV attachment named for its filters and the snapshot date."""
    options = export.ExportOptionsForm(request.GET).values
    taken = timezone.now()
    # The query runs before the status goes out, so that one that fails gets an error page.
    chunks = streaming.started(export.csv_bytes(table, excel=options["excel"]), request=request)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, export.filename(name=table.name, filters=filters, date=taken.date())
    )
    response[export.SNAPSHOT_HEADER] = taken.isoformat(timespec="seconds")
    return response


def export_asks(request):
    form = AskFilterForm(request.GET)
    return _csv_response(request, export.asks_table(form=form), form.values)


def export_recommendations(request):
    form = RecommendationFilterForm(request.GET)
    return _csv_response(request, export.recommendations_table(form=form), form.values)


def export_organisations(request):
    form = OrganisationFilterForm(request.GET)
    return _csv_response(request, export.organisations_table(form=form), form.values)


def export_stages(request):
    form = StageFilterForm(request.GET)
    return _csv_response(request, export.stages_table(form=form), form.values)


def export_matrix(request):
    form = AskFilterForm(request.GET)
    by = export.ExportOptionsForm(request.GET).values["by"]
    return _csv_response(request, export.matrix_table(form=form, by=by), form.values)


def export_package(request):
    taken = timezone.now()
    response = StreamingHttpResponse(
        package.package_chunks(date=taken.date()), content_type="application/zip"
    )
    response["Content-Disposition"] = content_disposition_header(
        True, package.filename(date=taken.date())
    )
    response[export.SNAPSHOT_HEADER] = taken.isoformat(timespec="seconds")
    return response


# Charts to download


# The charts of the overview and of the what-happened page, by the name in their URL: the
# page (its URL name, and what it computes) and the chart's key in what it computes.
PAGE_CHARTS = {
    "overview-status": ("home", _overview, "mix_chart"),
    "overview-organisations": ("home", _overview, "organisations_chart"),
    "overview-chain": ("home", _overview, "chain_chart"),
    "what-happened-responses": ("what_happened", None, "responses_chart"),
    "what-happened-deliveries": ("what_happened", None, "deliveries_chart"),
}


def _downloaded_chart(request, name: str, of: str | None) -> Chart:
    """The chart `name` (of the organisation `of`) as its page draws it, from what that
    page computed for the same query string, or computing it for the page."""
    if of is not None:
        if name != "organisation":
            raise Http404("No chart has that name.")
        organisation = get_object_or_404(Organisation.objects.with_status_counts(), slug=of)
        return _organisation_chart(organisation)
    if name not in PAGE_CHARTS:
        raise Http404("No chart has that name.")
    page, compute, key = PAGE_CHARTS[name]
    compute = compute or partial(_what_happened, GovernmentFilterForm(request.GET))
    return caching.cached(request, compute=compute, path=reverse(page))[key]


def _chart_filename(name: str, of: str | None, extension: str) -> str:
    """`carereview-chart-organisation-become-2026-11-30.svg`: which chart, taken when."""
    parts = ["carereview", "chart", name, of or ""]
    stem = "-".join(part for part in parts if part)
    return f"{stem}-{timezone.now().date().isoformat()}.{extension}"


def chart_svg(request, name: str, of: str | None = None):
    chart = _downloaded_chart(request, name, of)
    response = HttpResponse(chart.standalone_svg(), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, _chart_filename(name, of, "svg")
    )
    return response


def chart_csv(request, name: str, of: str | None = None):
    chart = _downloaded_chart(request, name, of)
    table = export.Table(name=name, columns=chart.columns, rows=chart.rows)
    response = HttpResponse(
        "".join(export.csv_chunks(table)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        True, _chart_filename(name, of, "csv")
    )
    return response
