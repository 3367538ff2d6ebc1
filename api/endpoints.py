"""The API's endpoints: thin functions that parse their filters with the pages' own forms
(`browse.filters`), read through the models' querysets, and leave the shape of the answer
to `schemas`. Each list is cursor-paginated (`pagination`); every endpoint is guarded
(`access.guarded`: token, rate, conditional requests) and answers errors as problems."""

from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import NinjaAPI, Path, Query
from ninja.decorators import decorate_view
from ninja.openapi.docs import Swagger

from browse.export import exported_asks
from browse.filters import AskFilterForm, OrganisationFilterForm, RecommendationFilterForm
from recommendations.models import Recommendation, Theme
from responses.models import Ask, Organisation, ResponseDocument, with_demand

from . import problems, schemas
from .access import guarded, guarded_docs
from .pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from .problems import ApiProblem
from .schemas import filter_parameters, page_of

DESCRIPTION = """What organisations asked England's Independent Review of Children's Social
Care for, what the Review recommended, and what the Government did: the data of
carereview's pages, read-only, as JSON.

Lists take the same filters as the pages and the CSV exports, and are paginated by
cursor: follow `next` until it is null. Every answer carries an `ETag` and a
`Last-Modified`; send them back (`If-None-Match`, `If-Modified-Since`) for a `304` while
the data has not changed. Errors are RFC 9457 problem details. Where the site needs a
sign-in, send an API token issued in admin as `Authorization: Bearer <token>`."""


class CarereviewAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        """Ninja's schema, with errors in the media type they are sent in, and the token
        as a way in (needed only where the site needs a sign-in)."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, answer in operation["responses"].items():
                    if int(status) >= 400 and "content" in answer:
                        content = answer["content"].pop("application/json")
                        answer["content"][problems.MEDIA_TYPE] = content
                operation["security"] = [{}, {"token": []}]
        schema.setdefault("components", {})["securitySchemes"] = {
            "token": {"type": "http", "scheme": "bearer", "description": "An API token."}
        }
        return schema

    def get_openapi_operation_id(self, operation) -> str:
        # Named as a client would call it: `asks`, `ask`, not the module's path.
        return operation.view_func.__name__


api = CarereviewAPI(
    title="carereview",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    # No schema validator: it would send the schema to a third party.
    docs=Swagger(settings={"validatorUrl": None}),
    docs_decorator=guarded_docs,
)
problems.install(api)

ERRORS = {code: schemas.Problem for code in (401, 429, 500)}
NOT_MODIFIED = {304: None}


def _answers(schema, *errors: int) -> dict:
    return {200: schema, **NOT_MODIFIED, **ERRORS, **dict.fromkeys(errors, schemas.Problem)}


LIST_ERRORS = (400, 422)
DETAIL_ERRORS = (404, 422)

Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page.")
Cursor = Query(None, max_length=1000, description="The page after this: from `next`.")
Slug = Path(..., pattern=schemas.SLUG_PATTERN, max_length=200)


def _parsed(form_class, request):
    """The list's filters, parsed by the form that the page and the CSV export use: a
    value the form refuses is a 422 here, where a page would ignore it."""
    form = form_class(request.GET)
    if not form.is_valid():
        raise ApiProblem(
            422, "Some filters are not valid: see `errors`.", errors=problems.form_errors(form)
        )
    return form


OrganisationParameters = filter_parameters(OrganisationFilterForm)
AskParameters = filter_parameters(AskFilterForm)
RecommendationParameters = filter_parameters(RecommendationFilterForm)


@api.get("/organisations", response=_answers(page_of(schemas.OrganisationOut), *LIST_ERRORS))
@decorate_view(guarded)
def organisations(
    request,
    filters: Query[OrganisationParameters],
    limit: int = Limit,
    cursor: str | None = Cursor,
):
    """Organisations that responded to the Review, with how many of their asks have
    each status; filtered and sorted as the organisations page is."""
    form = _parsed(OrganisationFilterForm, request)
    if form.sorts_by_counts:
        return paginate(
            request,
            form.filter(Organisation.objects.with_status_counts()),
            limit=limit,
            cursor=cursor,
        )
    # In name order only the page's organisations need counting, as on the page.
    page = paginate(
        request,
        form.filter(Organisation.objects.order_by("name", "id")),
        limit=limit,
        cursor=cursor,
    )
    listed = [organisation.pk for organisation in page["results"]]
    page["results"] = list(Organisation.objects.filter(pk__in=listed).with_status_counts())
    return page


@api.get("/organisations/{slug}", response=_answers(schemas.OrganisationDetail, *DETAIL_ERRORS))
@decorate_view(guarded)
def organisation(request, slug: str = Slug):
    """One organisation, by the slug of its page, with its documents."""
    organisations = Organisation.objects.with_status_counts().prefetch_related("documents")
    return get_object_or_404(organisations, slug=slug)


@api.get("/documents", response=_answers(page_of(schemas.DocumentOut), *LIST_ERRORS))
@decorate_view(guarded)
def documents(request, limit: int = Limit, cursor: str | None = Cursor):
    """The organisations' documents, without their text (see each document)."""
    listed = ResponseDocument.objects.select_related("organisation").defer("text").order_by("id")
    return paginate(request, listed, limit=limit, cursor=cursor)


@api.get("/documents/{pk}", response=_answers(schemas.DocumentDetail, *DETAIL_ERRORS))
@decorate_view(guarded)
def document(request, pk: int = Path(..., ge=1, le=2**63 - 1)):
    """One document, with its full text and its asks (a digest's points among them)."""
    documents = ResponseDocument.objects.select_related("organisation").prefetch_related(
        Prefetch("asks", queryset=Ask.objects.with_status().order_by("position"))
    )
    return get_object_or_404(documents, pk=pk)


@api.get("/asks", response=_answers(page_of(schemas.AskOut), *LIST_ERRORS))
@decorate_view(guarded)
def asks(request, filters: Query[AskParameters], limit: int = Limit, cursor: str | None = Cursor):
    """The asks that count (as asks.csv holds them), each with its judgements, their
    evidence, and what the Government did with the recommendations linked; filtered as
    the organisation page and asks.csv are."""
    form = _parsed(AskFilterForm, request)
    listed = exported_asks(form).with_comparison().order_by("document_id", "position", "id")
    return paginate(request, listed, limit=limit, cursor=cursor)


@api.get("/asks/{pk}", response=_answers(schemas.AskOut, *DETAIL_ERRORS))
@decorate_view(guarded)
def ask(request, pk: int = Path(..., ge=1, le=2**63 - 1)):
    """One ask, by its id, as the comparison shows it."""
    return get_object_or_404(Ask.objects.with_status().with_comparison(), pk=pk)


def _recommendations():
    return with_demand(Recommendation.objects.with_provenance().with_stages())


@api.get("/recommendations", response=_answers(page_of(schemas.RecommendationOut), *LIST_ERRORS))
@decorate_view(guarded)
def recommendations(
    request,
    filters: Query[RecommendationParameters],
    limit: int = Limit,
    cursor: str | None = Cursor,
):
    """The Review's recommendations, with their sources, demand, and what the Government
    did with each; filtered and sorted as the recommendations page is."""
    form = _parsed(RecommendationFilterForm, request)
    return paginate(request, form.filter(_recommendations()), limit=limit, cursor=cursor)


@api.get("/recommendations/{ref}", response=_answers(schemas.RecommendationOut, *DETAIL_ERRORS))
@decorate_view(guarded)
def recommendation(request, ref: str):
    """One recommendation, by the reference of its page (e.g. 5.2)."""
    # PostgreSQL refuses NUL and friends in a query; no ref contains them anyway.
    found = (
        _recommendations().filter(ref=ref).order_by("report__published", "report_id").first()
        if ref.isprintable()
        else None
    )
    if found is None:
        raise ApiProblem(404, f"No recommendation has the reference {ref!r}.")
    return found


@api.get("/themes", response=_answers(page_of(schemas.ThemeOut), *LIST_ERRORS))
@decorate_view(guarded)
def themes(request, limit: int = Limit, cursor: str | None = Cursor):
    """The themes that recommendations and asks share."""
    return paginate(request, Theme.objects.order_by("name", "id"), limit=limit, cursor=cursor)


@api.get("/themes/{slug}", response=_answers(schemas.ThemeDetail, *DETAIL_ERRORS))
@decorate_view(guarded)
def theme(request, slug: str = Slug):
    """One theme, by the slug of its page, with its recommendations; its asks are
    `/api/asks?theme=<slug>`."""
    themed = Recommendation.objects.order_by("chapter__number", "id")
    themes = Theme.objects.prefetch_related(Prefetch("recommendations", queryset=themed))
    return get_object_or_404(themes, slug=slug)


@login_not_required
@guarded_docs
def index(request):
    """What is here: the endpoints, the schema and the docs."""
    return JsonResponse(
        {
            "docs": request.build_absolute_uri(reverse("api:openapi-view")),
            "openapi": request.build_absolute_uri(reverse("api:openapi-json")),
            "endpoints": {
                name: request.build_absolute_uri(reverse(f"api:{name}"))
                for name in ("organisations", "documents", "asks", "recommendations", "themes")
            },
        }
    )
