"""/browse for people and /api/browse for programs: classes with instances, and a class's facet states.

A state's URL is the class's prefixed name in the path and one ``facet-key=value-IRI`` pair per chosen value
in the query string, plus ``year`` (in force that year) and ``page``; the service writes them in one order,
so one state has one URL, and any order a person types restores the same view. ``release`` is passed through
every link; the release middleware (``klynge.web.releases``) has already chosen that release's engine, or
refused a release the service does not hold, before a route runs.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse, Response

from klynge.answers import browse as answers
from klynge.answers.as_of import FIRST_YEAR, LAST_YEAR
from klynge.engines.base import Engine, QueryError
from klynge.rdf import formats
from klynge.rdf.namespaces import expand
from klynge.web import page_kinds, statuses
from klynge.web.dependencies import EngineDep
from klynge.web.engine_errors import EngineErrorRoute, answer_for
from klynge.web.negotiation import negotiate
from klynge.web.request_errors import single_values
from klynge.web.templating import templates

router = APIRouter(tags=["browse"], route_class=EngineErrorRoute)

RESERVED = ("year", "page", "per_page", "release", "format")  # query-string names that are not facets

ClassKey = Annotated[str, PathParameter(description="the class as a prefixed name, e.g. klynge:ClusterOrganisation")]
Year = Annotated[
    int | None,
    Query(ge=FIRST_YEAR, le=LAST_YEAR, description="keep only what was in force this year (as /as-of/{year})"),
]
Page = Annotated[int, Query(ge=1, le=100_000, description=f"the page of {answers.PAGE_SIZE} instances")]
TablePage = Annotated[int, Query(ge=1, le=1_000_000, description="the page of `per_page` rows (1: the first)")]
LARGE_TABLE_PAGE = 1000  # rows of a page of a state too large to sort, unless per_page says otherwise
PerPage = Annotated[
    int | None,
    Query(
        ge=1,
        le=answers.SORTED_AT_MOST,
        description=f"rows per page; by default a state of up to {answers.SORTED_AT_MOST:,} instances (sorted by "
        f"label) comes whole on its first page, a larger one {LARGE_TABLE_PAGE:,} rows a page",
    ),
]
# The engine a route is given already answers for the release named (the release middleware switched it);
# ``release`` is a parameter of the routes so that OpenAPI lists it and their links keep it.
Release = Annotated[str | None, Query(description="a release of the graph (once releases are served)")]


def class_iri(key: str) -> ox.NamedNode:
    """The class a path names (``klynge:Policy``), or a 404 that says how to write one."""
    problem = HTTPException(404, f"{key!r} is not a class written as a prefixed name (klynge:Policy); see /browse")
    iri = expand(key)
    if iri is None:
        raise problem
    try:
        return ox.NamedNode(iri)
    except ValueError:
        raise problem from None


def facet_values(request: Request) -> dict[str, str]:
    """The facet pairs of the query string; a facet given twice is an error (one value per facet)."""
    return single_values(
        request, RESERVED, lambda key: f"facet {key} is given twice: a state takes one value per facet"
    )


def state(
    request: Request,
    engine: Engine,
    key: str,
    year: int | None,
    page: int,
    per_page: int = answers.PAGE_SIZE,
    **table: int | bool | None,
) -> answers.BrowseState:
    """The facet state the request names, or a 400/404 saying what is wrong with it (``table``: what the table
    route asks besides, as ``answers.browse`` takes it)."""
    try:
        return answers.browse(engine, class_iri(key), facet_values(request), year, page, per_page, **table)  # type: ignore[arg-type]
    except answers.NoSuchClass as error:
        raise HTTPException(404, str(error)) from None
    except answers.BrowseError as error:
        raise HTTPException(400, str(error)) from None


TABLES = tuple(fmt for fmt in formats.TABLE if fmt is not formats.API_JSON)  # CSV, TSV, XLSX: for R, pandas


@router.get(
    "/api/browse/{key}/table",
    summary="A facet state's instances as a table: CSV, TSV or XLSX, a page at a time",
    response_class=Response,
    responses=statuses.responses(
        (400, "a state that cannot be answered (as /api/browse/{key} says), or a page past the last"),
        (404, "no such class with instances, or a release that is not served"),
        (406, "a format other than CSV, TSV or XLSX"),
        *statuses.ENGINE_FAILURES,
        ok={
            "description": "a page of the state's instances, its IRI and its display label in columns of their "
            "own; the `Link` header names the next and previous pages (rel `next`, `prev`) and `X-Total-Count` "
            "the state's instances",
            "content": {fmt.media_type: {} for fmt in TABLES},
        },
    ),
)
def browse_table(
    request: Request,
    engine: EngineDep,
    key: ClassKey,
    year: Year = None,
    page: TablePage = 1,
    per_page: PerPage = None,
    release: Release = None,
    format: Annotated[str | None, Query(description="csv, tsv or xlsx (else by Accept)")] = None,
) -> Response:
    """The state's instances, one row each (``item``, ``itemLabel``), ordered as the list is: what a spreadsheet,
    R or pandas opens as it is. Facets are chosen as on `/api/browse/{key}`. A state of up to
    10,000 instances is sorted by label and comes whole on the first page; a larger one (300,000 organisations at
    EU27) is listed in the store's order, 1,000 rows (or `per_page`) a page: follow the `Link` header's `next`."""
    fmt = negotiate(request, TABLES, "a browse list")
    paged = {"large_per_page": None if per_page else LARGE_TABLE_PAGE}
    answer = state(request, engine, key, year, page, per_page or answers.SORTED_AT_MOST, with_facets=False, **paged)
    rows = [
        {"item": ox.NamedNode(item.iri), **({"itemLabel": ox.Literal(item.label)} if item.label else {})}
        for item in answer.items
    ]
    body = fmt.table(("item", "itemLabel"), rows, engine.display_labels)
    return Response(body, media_type=fmt.content_type, headers=page_headers(request, answer))


def page_headers(request: Request, answer: answers.BrowseState) -> dict[str, str]:
    """The table page's neighbours as RFC 8288 links (the request's URL with another ``page``) and the total."""
    links = [
        f'<{request.url.include_query_params(page=number, per_page=answer.per_page)}>; rel="{rel}"'
        for rel, number in (("prev", answer.page - 1), ("next", answer.page + 1))
        if 1 <= number <= answer.pages
    ]
    return {"X-Total-Count": str(answer.total), **({"Link": ", ".join(links)} if links else {})}


# The kinds the home page leads to: class, name, what its facets let one do.
HOME_KINDS = (
    ("klynge:Policy", "Policies", "by kind, responsible body and the year they were in force"),
    ("klynge:PublicAuthority", "Public bodies", "ministries, agencies, boards and councils"),
    ("klynge:ClusterOrganisation", "Clusters", "the national cluster organisations, by business area and funder"),
    ("klynge:BusinessArea", "Business areas", "the strength positions and budding areas the clusters cover"),
    ("klynge:NutsRegion", "Regions", "NUTS-2 regions, with their specialisation nodes"),
)


def home_ways(engine: Engine) -> list[dict[str, object]]:
    """The home page's ways into /browse: each kind with how many resources it has (kinds without are left out)."""
    counts = {entry.key: entry.count for entry in answers.classes(engine)}
    return [
        {"href": f"/browse/{key}", "name": name, "about": about, "count": counts[key]}
        for key, name, about in HOME_KINDS
        if key in counts
    ]


def state_url(base: str, chosen: dict[str, str], year: int | None, page: int = 1, release: str | None = None) -> str:
    """The canonical URL of a state: facet pairs by key, then year, page (past the first) and release."""
    pairs = sorted(chosen.items())
    pairs += [("year", str(year))] if year is not None else []
    pairs += [("page", str(page))] if page != 1 else []
    pairs += [("release", release)] if release is not None else []
    return base + ("?" + urlencode(pairs) if pairs else "")


def choosing(chosen: dict[str, str], key: str, value: str | None) -> dict[str, str]:
    """The chosen values with one facet set to ``value`` (None: the facet's choice removed)."""
    return {k: v for k, v in chosen.items() if k != key} | ({key: value} if value is not None else {})


@router.get(page_kinds.BROWSE.route, response_class=HTMLResponse, include_in_schema=False)
def browse_page(request: Request, engine: EngineDep, release: Release = None) -> HTMLResponse:
    """Every class of the ontology that has instances, with counts, each leading to its facets."""
    found = answers.classes(engine)
    context = {"classes": found, "url": lambda key: state_url(f"/browse/{key}", {}, None, 1, release)}
    return templates.TemplateResponse(request, "browse.html", context)


@router.get(page_kinds.BROWSE_CLASS.route, response_class=HTMLResponse, include_in_schema=False)
def browse_class_page(
    request: Request, engine: EngineDep, key: ClassKey, year: Year = None, page: Page = 1, release: Release = None
) -> HTMLResponse:
    """A class's instances in one facet state, its facets with counts, and the state as SPARQL; a state that
    cannot be answered (or that the engine failed to answer in time) is a page saying why, not the API's JSON (a
    404 is the site's not-found page)."""
    try:
        answer = state(request, engine, key, year, page)
    except HTTPException as error:
        if error.status_code != 400:
            raise
        context = {"message": error.detail, "back": f"/browse/{key}"}
        return templates.TemplateResponse(request, "browse_error.html", context, status_code=400)
    except QueryError as error:
        failed = answer_for(error)
        said = {"message": failed.message, "back": f"/browse/{key}"}
        return templates.TemplateResponse(
            request, "browse_error.html", said, status_code=failed.status, headers=failed.headers
        )
    base = f"/browse/{answer.key}"
    context = {
        "answer": answer,
        "base": base,
        "release": release,
        "first": FIRST_YEAR,
        "last": LAST_YEAR,
        "url": lambda chosen, year, page=1: state_url(base, chosen, year, page, release),
        "choosing": choosing,
        "editor": "/query?" + urlencode({"query": answer.sparql}),
        "json": state_url("/api" + base, answer.chosen, answer.year, answer.page, release),
        "downloads": [
            (fmt.name, state_url(f"/api{base}/table", answer.chosen | {"format": fmt.key}, answer.year, 1, release))
            for fmt in TABLES
        ],
    }
    return templates.TemplateResponse(request, "browse_class.html", context)


@router.get(
    "/api/browse",
    summary="The classes that have instances, with counts",
    response_model=list[answers.ClassCount],
    responses=statuses.responses(
        (400, "a release named that is not a version number, or named twice"),
        (404, "a release that is not served"),
        *statuses.ENGINE_FAILURES,
    ),
)
def browse_classes(engine: EngineDep, release: Release = None) -> list[answers.ClassCount]:
    """Every class the ontology declares that has instances in the graph, most first; `key` is its path under
    `/api/browse/` and `/browse/`."""
    return answers.classes(engine)


@router.get(
    "/api/browse/{key}",
    summary="A class's instances in one facet state, with its facets",
    response_model=answers.BrowseState,
    response_model_by_alias=True,
    responses=statuses.responses(
        (
            400,
            "an unknown facet, a value that is no IRI, a year for a class it does not apply to, a page past the "
            "last, or a release named that is not a version number",
        ),
        (404, "no such class with instances, or a release that is not served"),
        *statuses.ENGINE_FAILURES,
    ),
)
def browse_class(
    request: Request, engine: EngineDep, key: ClassKey, year: Year = None, page: Page = 1, release: Release = None
) -> answers.BrowseState:
    """The facets come from the SHACL shapes of the class, its superclasses and subclasses (plus `kind`, its
    narrower classes). Choose a value of a facet with a query parameter named by the facet's `key` and the
    value's IRI, e.g. `/api/browse/klynge:ClusterOrganisation?klynge:hasArea=https://w3id.org/klynge/id/area/energy-technology`;
    an inverse facet's key starts with `^`. Facets combine (one value each); `year` keeps what was in force
    then, as `/api/as-of/{year}` decides. Each facet value counts the instances of the state that have it.
    `sparql` is the query listing the state's instances, as `/browse` opens it in the editor."""
    return state(request, engine, key, year, page)
