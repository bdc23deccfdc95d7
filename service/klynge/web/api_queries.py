"""Named queries as a REST API: ``GET /api/queries`` lists them, ``GET /api/queries/{name}`` answers one.

One route per ``queries/*.rq`` is made when this module is imported, so each shows in the OpenAPI schema with
its title, description and typed parameters. A SELECT answers as JSON in a compact form (below) or as CSV
(``Accept: text/csv`` or ``?format=csv``; TSV likewise); a CONSTRUCT or DESCRIBE answers as RDF (Turtle unless asked
otherwise). The JSON form::

    {"query": "policy-ancestors", "title": "...",
     "parameters": {"policy": "https://w3id.org/klynge/id/policy/..."},
     "columns": ["ancestor", "ancestorLabel", ...],
     "rows": [{"ancestor": {"type": "uri", "value": "https://..."},
               "ancestorLabel": {"type": "literal", "value": "...", "lang": "en"},
               "start": {"type": "literal", "value": "2020", "datatype": "http://www.w3.org/2001/XMLSchema#gYear"}}]}

A column a row leaves unbound is absent from that row; ``datatype`` is left out for plain strings.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from klynge.catalogue import RESERVED, NamedQuery, Parameter, ParameterError, catalogue
from klynge.engines.base import Engine
from klynge.rdf import formats
from klynge.rdf.namespaces import PREFIXES
from klynge.web import statuses
from klynge.web.dependencies import EngineDep
from klynge.web.engine_errors import EngineErrorRoute
from klynge.web.negotiation import negotiate
from klynge.web.rdf_response import rdf_response
from klynge.web.request_errors import single_values

# Engine failures (past the time or result limit: 422; workers busy: 503) answer with the engine's message.
router = APIRouter(tags=["named queries"], route_class=EngineErrorRoute)

XSD_STRING = PREFIXES["xsd"] + "string"


class Term(BaseModel):
    """An RDF term of an answer: ``type`` is uri, bnode or literal."""

    type: str
    value: str
    datatype: str | None = None
    lang: str | None = None


class Answer(BaseModel):
    """A named query's answer: the parameters it ran with, its columns, and one mapping per row."""

    query: str
    title: str
    parameters: dict[str, str]
    columns: list[str]
    rows: list[dict[str, Term]]


class ParameterDoc(BaseModel):
    """A parameter as documented in the query's header."""

    name: str
    type: str
    required: bool
    default: str | None
    description: str
    example: str
    enum: list[str] | None = Field(default=None, description="the only values the parameter takes, if closed")


class QueryDoc(BaseModel):
    """A named query's documentation and SPARQL text."""

    name: str
    title: str
    description: str
    method: str
    tags: list[str]
    form: str
    parameters: list[ParameterDoc]
    sparql: str


class Catalogue(BaseModel):
    """Every named query."""

    queries: list[QueryDoc]


def term_json(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> dict[str, str]:
    """A term in the compact JSON form."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def given_values(request: Request, query: NamedQuery) -> dict[str, str]:
    """The query-string parameters meant for the query (each at most once); ``format`` is the API's own."""
    return single_values(
        request, RESERVED, lambda name: f"parameter {name!r} is given more than once; {query.name} takes one value"
    )


def run(request: Request, engine: Engine, query: NamedQuery) -> Response:
    """Validate the parameters, run the query through the engine and answer in the chosen format."""
    fmt = negotiate(request, offers(query), f"the answer of {query.name}")
    values = given_values(request, query)
    try:
        bindings = query.bindings(values)
    except ParameterError as error:
        raise HTTPException(400, str(error)) from None
    if query.returns_graph:
        return rdf_response(engine.construct(query.sparql, bindings), fmt)
    rows = engine.select(query.sparql, bindings)
    columns = list(query.columns)
    if fmt is not formats.API_JSON:  # CSV, TSV or XLSX, written as /sparql writes them
        return Response(fmt.table(columns, rows, engine.display_labels), media_type=fmt.content_type)
    used = {p.name: values.get(p.name, p.default) for p in query.parameters if p.name in values or p.default}
    answer = {
        "query": query.name,
        "title": query.title,
        "parameters": used,
        "columns": columns,
        "rows": [{c: term_json(row[c]) for c in columns if c in row} for row in rows],
    }
    return JSONResponse(answer)


def offers(query: NamedQuery) -> tuple[formats.Format, ...]:
    """What a named query answers in: RDF for a graph, the compact JSON table or CSV for a SELECT."""
    return formats.GRAPH if query.returns_graph else formats.TABLE


def openapi_parameter(parameter: Parameter) -> dict[str, object]:
    """A parameter as an OpenAPI query parameter: its type's schema, description, default and example."""
    schema: dict[str, object] = dict(parameter.type.schema)
    typed = int if schema["type"] == "integer" else str
    if parameter.default is not None:
        schema["default"] = typed(parameter.default)
    if parameter.choices:
        schema["enum"] = list(parameter.choices)
    return {
        "name": parameter.name,
        "in": "query",
        "required": parameter.required,
        "description": f"{parameter.description} ({parameter.type.label})",
        "schema": schema,
        "example": typed(parameter.example),
    }


def openapi_extra(query: NamedQuery) -> dict[str, object]:
    """The typed parameters and the answer's media types, for the OpenAPI schema."""
    format_parameter = {
        "name": "format",
        "in": "query",
        "required": False,
        "description": "The answer's format; overrides Accept.",
        "schema": {"type": "string", "enum": [fmt.key for fmt in offers(query)]},
    }
    content = {fmt.media_type: {} for fmt in offers(query) if fmt is not formats.API_JSON}
    return {
        "parameters": [openapi_parameter(p) for p in query.parameters] + [format_parameter],
        "responses": {"200": {"description": "The answer", "content": content}},
    }


ERRORS = statuses.responses((400, "a parameter is missing, unknown or not of its type"), 406, *statuses.ENGINE_FAILURES)


@router.get("/api/queries", response_model=Catalogue, summary="The named queries")
def list_queries() -> dict[str, object]:
    """Every named query with its title, description, typed parameters (with examples) and SPARQL text."""
    return {"queries": [query.describe() for query in catalogue().values()]}


def endpoint(query: NamedQuery) -> Callable[[Request, Engine], Response]:
    """The route function answering one named query."""

    def answer(request: Request, engine: EngineDep) -> Response:
        return run(request, engine, query)

    answer.__name__ = "query_" + query.name.replace("-", "_")
    return answer


for named in catalogue().values():
    router.add_api_route(
        f"/api/queries/{named.name}",
        endpoint(named),
        methods=[named.method],
        summary=named.title,
        description=named.description,
        tags=["named queries", *named.tags],
        operation_id=f"query_{named.name.replace('-', '_')}",
        responses=ERRORS if named.returns_graph else {200: {"model": Answer}, **ERRORS},
        openapi_extra=openapi_extra(named),
        response_class=Response,
    )


@router.get("/api/queries/{name}", include_in_schema=False)
def unknown_query(name: str) -> None:
    """Any other name: 404 with the names that exist."""
    names = ", ".join(catalogue())
    raise HTTPException(404, f"no named query {name!r}; the named queries are: {names}")
