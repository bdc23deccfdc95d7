"""REST answers that are more than one named query: lineage, shortest relation chain, label search."""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse, Response

from klynge.answers import as_of as as_of_answers
from klynge.answers import lineage as answers
from klynge.answers.models import AsOf, Lineage, Path, SearchHit
from klynge.answers.path import MAX_PATH_LENGTH, shortest_path
from klynge.answers.search import search as search_names
from klynge.engines.base import Engine
from klynge.rdf import formats
from klynge.web import statuses
from klynge.web.dependencies import EngineDep
from klynge.web.engine_errors import EngineErrorRoute
from klynge.web.negotiation import negotiate
from klynge.web.rdf_response import rdf_response
from klynge.web.templating import base_iri

router = APIRouter(tags=["answers"], route_class=EngineErrorRoute)

RDF_CONTENT = {fmt.media_type: {} for fmt in formats.GRAPH}


ID_HELP = "a resource: its id after /id/ (e.g. policy/innovationskraft-2021-2024) or its full IRI"


def resource(request: Request, reference: str) -> ox.NamedNode:
    """The IRI a client means: a full http(s) IRI, or an id such as ``policy/innovationskraft-2021-2024``."""
    reference = reference.strip()
    absolute = reference.startswith(("http://", "https://"))
    iri = reference if absolute else base_iri(request) + "id/" + reference
    if not reference or any(c in iri for c in ' <>"{}|^`\\'):
        raise HTTPException(400, f"not a resource id or IRI: {reference!r}")
    try:
        return ox.NamedNode(iri)
    except ValueError as error:
        raise HTTPException(400, f"not a valid IRI: {reference!r} ({error})") from None


def not_found(error: answers.NotFound) -> HTTPException:
    """A 404 carrying the answer's own explanation."""
    return HTTPException(404, str(error))


EvidenceQuery = Annotated[
    answers.EvidenceChoice,
    Query(description="stated: only the steps a source states (and change events); all: inferred steps too"),
]


def lineage_answer(request: Request, engine: Engine, iri: ox.NamedNode, evidence: answers.EvidenceChoice) -> Response:
    """The lineage as JSON (checked against the Lineage model), or as RDF when Accept asks for Turtle,
    JSON-LD, N-Triples or RDF/XML."""
    fmt = negotiate(request, (formats.API_JSON, *formats.GRAPH), "a lineage")
    try:
        if fmt is formats.API_JSON:
            answer = Lineage.model_validate(answers.lineage(engine, iri, evidence))
            return JSONResponse(answer.model_dump(mode="json", by_alias=True), headers={"Vary": "Accept"})
        return rdf_response(answers.lineage_triples(engine, iri, evidence), fmt)
    except answers.NotFound as error:
        raise not_found(error) from None


# What the two lineage routes (by id, by full IRI) answer besides the JSON model.
LINEAGE_RESPONSES = statuses.responses(
    (400, "not a resource id or IRI"), (404, "unknown resource"), 406, *statuses.ENGINE_FAILURES
) | {200: {"content": RDF_CONTENT}}


@router.get(
    "/api/lineage/{id:path}",
    summary="Ancestors and descendants of a policy or organisation",
    response_model=Lineage,
    responses=LINEAGE_RESPONSES,
)
def lineage_by_id(request: Request, engine: EngineDep, id: str, evidence: EvidenceQuery = "all") -> Response:
    """Each lineage step with its relation (the specific klynge property, or the organisational change event),
    the years of both ends (schema:startDate/endDate) and the sources stating it. JSON by default; Turtle,
    JSON-LD, N-Triples or RDF/XML by `Accept` or `format` (ttl, jsonld, nt, rdf). Each plan step says whether a
    source states it or we inferred it (`evidence`), with its source, the place in it (`locator`) and, for an
    inferred step, the reading (`note`); `?evidence=stated` leaves the inferred steps out."""
    return lineage_answer(request, engine, resource(request, id), evidence)


@router.get(
    "/api/lineage",
    summary="Lineage of a resource given by full IRI",
    response_model=Lineage,
    responses=LINEAGE_RESPONSES,
)
def lineage_by_iri(
    request: Request,
    engine: EngineDep,
    iri: Annotated[str, Query(description=ID_HELP)],
    evidence: EvidenceQuery = "all",
) -> Response:
    """As `/api/lineage/{id}`, for a resource named by its full IRI."""
    return lineage_answer(request, engine, resource(request, iri), evidence)


@router.get(
    "/api/path",
    summary="Shortest chain of relations between two resources",
    response_model=Path,
    responses=statuses.responses(
        (400, "`from` or `to` is not a resource id or IRI"),
        (404, "unknown resource, or no chain within max_length"),
        *statuses.ENGINE_FAILURES,
    ),
)
def path(
    request: Request,
    engine: EngineDep,
    from_: Annotated[str, Query(alias="from", description=ID_HELP)],
    to: Annotated[str, Query(description=ID_HELP)],
    max_length: Annotated[int, Query(ge=1, le=MAX_PATH_LENGTH)] = MAX_PATH_LENGTH,
) -> Path:
    """Each step names the predicate (and its label), its direction and the sources of the statement. Type,
    source and scheme links are not followed: they would join everything in two steps."""
    try:
        return shortest_path(engine, resource(request, from_), resource(request, to), max_length)
    except answers.NotFound as error:
        raise not_found(error) from None


@router.get(
    "/api/search",
    summary="Search names, definitions, notes and source locators, in Danish and English",
    response_model=list[SearchHit],
    responses=statuses.responses((400, "empty search text"), *statuses.ENGINE_FAILURES),
)
def search(
    engine: EngineDep,
    q: Annotated[
        str, Query(description="words to find; case, diacritics and word endings do not matter", max_length=200)
    ],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[SearchHit]:
    """Resources whose names, alternative names, titles, definitions, descriptions, notes or source locators
    hold every word of `q`, in Danish or English: "klyngerne" finds "klynge", "clustering" finds "cluster",
    "vaekstforum" finds "Vækstforum". Best first; each hit says which `field` matched and shows the `passage`,
    with `highlights` the character spans of the matching words in it."""
    try:
        return search_names(engine, q, limit)
    except ValueError as error:
        raise HTTPException(400, str(error)) from None


Year = Annotated[
    int, PathParameter(ge=as_of_answers.FIRST_YEAR, le=as_of_answers.LAST_YEAR, description="a year, e.g. 2022")
]


@router.get(
    "/api/as-of/{year}",
    summary="What was in force in a year",
    response_model=AsOf,
    responses=statuses.responses(*statuses.ENGINE_FAILURES),
)
def as_of(engine: EngineDep, year: Year) -> AsOf:
    """The plans in force that year with their periods (a study or a call is not a plan in force), the bodies
    responsible for them or running them, the clusters appointed and their areas, and the budget lines whose
    period covers the year; `previous` and `next` name the neighbouring years."""
    return as_of_answers.as_of(engine, year)
