"""REST answers that are more than one named query: lineage, shortest relation chain, label search."""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from klynge import formats
from klynge.answers import lineage as answers
from klynge.web.engine_errors import EngineErrorRoute
from klynge.web.negotiation import negotiate
from klynge.web.rdf_response import rdf_response
from klynge.web.templating import base_iri

router = APIRouter(tags=["answers"], route_class=EngineErrorRoute)

RDF_CONTENT = {fmt.media_type: {} for fmt in formats.GRAPH}


class Resource(BaseModel):
    """A resource with its (English, else Danish) label."""

    iri: str
    label: str | None


class Member(Resource):
    """A member of a lineage: its most specific klynge type and the years it covers."""

    type: str | None
    start: str | None
    end: str | None
    temporal: str | None


class Event(Resource):
    """An organisational change event and its date."""

    date: str | None


class LineageStep(BaseModel):
    """From a later plan or organisation to an earlier one, by the relation a source states."""

    from_: Member = Field(alias="from")
    to: Member
    relation: Resource
    event: Event | None
    sources: list[Resource]


class Lineage(BaseModel):
    """A resource with every step to its ancestors and from its descendants."""

    resource: Member
    ancestors: list[LineageStep]
    descendants: list[LineageStep]


class PathStep(BaseModel):
    """One relation of a chain; ``inverse`` means the statement points from ``to`` to ``from``."""

    from_: Resource = Field(alias="from")
    to: Resource
    predicate: Resource
    direction: str
    sources: list[Resource]


class Path(BaseModel):
    """The shortest chain found and its length in relations."""

    from_: Resource = Field(alias="from")
    to: Resource
    length: int
    steps: list[PathStep]


class SearchHit(BaseModel):
    """A resource whose name matched; ``match`` is exact, prefix or substring (of an alternative name)."""

    iri: str
    label: str | None
    matched: str | None
    match: str
    types: list[str]


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


def lineage_answer(request: Request, iri: ox.NamedNode) -> Response:
    """The lineage as JSON, or as RDF when Accept asks for Turtle, JSON-LD, N-Triples or RDF/XML."""
    engine = request.app.state.engine
    fmt = negotiate(request, (formats.API_JSON, *formats.GRAPH), "a lineage")
    try:
        if fmt is formats.API_JSON:
            return JSONResponse(answers.lineage(engine, iri))
        return rdf_response(answers.lineage_triples(engine, iri), fmt)
    except answers.NotFound as error:
        raise not_found(error) from None


@router.get(
    "/api/lineage/{id:path}",
    summary="Ancestors and descendants of a policy or organisation",
    response_model=Lineage,
    responses={
        200: {"content": RDF_CONTENT},
        400: {"description": "not a resource id or IRI"},
        404: {"description": "unknown resource"},
        406: {"description": "unsupported Accept"},
    },
)
def lineage_by_id(request: Request, id: str) -> Response:
    """Each lineage step with its relation (the specific klynge property, or the organisational change event),
    the years of both ends (schema:startDate/endDate) and the sources stating it. JSON by default; Turtle,
    JSON-LD, N-Triples or RDF/XML by `Accept` or `format` (ttl, jsonld, nt, rdf)."""
    return lineage_answer(request, resource(request, id))


@router.get(
    "/api/lineage",
    summary="Lineage of a resource given by full IRI",
    response_model=Lineage,
    responses={
        200: {"content": RDF_CONTENT},
        400: {"description": "not a resource id or IRI"},
        404: {"description": "unknown resource"},
        406: {"description": "unsupported Accept"},
    },
)
def lineage_by_iri(request: Request, iri: Annotated[str, Query(description=ID_HELP)]) -> Response:
    """As `/api/lineage/{id}`, for a resource named by its full IRI."""
    return lineage_answer(request, resource(request, iri))


@router.get(
    "/api/path",
    summary="Shortest chain of relations between two resources",
    response_model=Path,
    responses={
        400: {"description": "`from` or `to` is not a resource id or IRI"},
        404: {"description": "unknown resource, or no chain within max_length"},
    },
)
def path(
    request: Request,
    from_: Annotated[str, Query(alias="from", description=ID_HELP)],
    to: Annotated[str, Query(description=ID_HELP)],
    max_length: Annotated[int, Query(ge=1, le=answers.MAX_PATH_LENGTH)] = answers.MAX_PATH_LENGTH,
) -> dict:
    """Each step names the predicate (and its label), its direction and the sources of the statement. Type,
    source and scheme links are not followed: they would join everything in two steps."""
    engine = request.app.state.engine
    try:
        return answers.shortest_path(engine, resource(request, from_), resource(request, to), max_length)
    except answers.NotFound as error:
        raise not_found(error) from None


@router.get(
    "/api/search",
    summary="Search English and Danish names",
    response_model=list[SearchHit],
    responses={400: {"description": "empty search text"}},
)
def search(
    request: Request,
    q: Annotated[str, Query(description="text to find; case and diacritics do not matter", max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict]:
    """Labels, preferred and alternative names in English and Danish; "vaekstforum" finds "Vækstforum".
    Ranked exact > prefix > substring, a main name over an alternative one."""
    try:
        return answers.search(request.app.state.engine, q, limit)
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
