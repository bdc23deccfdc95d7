"""The SPARQL 1.1 Protocol at ``/sparql``: query by GET or POST, a service description, read-only.

Query by GET, by POST form-encoded or by POST ``application/sparql-query``; ``default-graph-uri`` and
``named-graph-uri`` replace the default dataset (the union of the named graphs). Relative IRIs in a query
resolve against the endpoint's own URL (the base the protocol suggests). The results format comes from the
``format`` parameter, else ``Accept`` (q-values respected; ``klynge.rdf.formats``). Updates are refused with 403,
and so are ``SERVICE`` and ``LOAD``, before anything runs. Errors are plain text that says what went wrong,
with the statuses of ``klynge.web.engine_errors``: 400 malformed, 403 refused, 406 a format this endpoint
cannot give (with the list of what it can), 413 a request body too large, 422 an answer past the size or time
limit (the same query will fail again), 503 + Retry-After when the service cannot take it now (it may run
later), 507 past the memory a query may use.

A GET answer carries an ETag made from the graph's version and the request, so a client revalidating a
query it asked before gets 304 without the query running again: the graph is read-only while served.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from klynge.engines.base import Dataset, Engine, InspectedQuery, QueryError, QueryRefused, QuerySyntaxError
from klynge.rdf import formats
from klynge.rdf.namespaces import DCTERMS, PREFIXES, RDF_TYPE, XSD_INTEGER, prefixes
from klynge.web import api_docs, statuses
from klynge.web.dependencies import engine_of, settings_of
from klynge.web.engine_errors import plain_text
from klynge.web.negotiation import negotiate
from klynge.web.query_string import form_fields, query_fields
from klynge.web.rdf_response import rdf_response
from klynge.web.templating import public_url


class RequestOnlyRoute(APIRoute):
    """A route declared to FastAPI (and so in the API document) as any other, whose endpoint takes the request
    alone and reads it itself: FastAPI's dependency solving and parameter validation are skipped, which on the
    busiest route cost a third of the framework's time per request (they parse the query string again, and a
    long query sent by GET is decoded once more)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            response: Response = await endpoint(request)
            return response

        return handler


router = APIRouter(tags=["SPARQL"], route_class=RequestOnlyRoute)

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
# A longer query is read in a thread (tokenising a megabyte takes a noticeable time); one up to this size is
# read on the event loop (under a millisecond, and nothing for a repeated text: engines.base keeps inspections of
# texts this long), which saves it a second trip to a thread: named queries run 2-6 KB.
INLINE_QUERY_CHARS = 16 * 1024


class ProtocolError(Exception):
    """A request the endpoint answers with an error status and a plain-text message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class SparqlRequest:
    """What a protocol request asks for, whichever way it was sent."""

    query: str | None
    dataset: Dataset
    formats: tuple[str, ...]


def single(params: list[tuple[str, str]], name: str) -> str | None:
    """The one value of a parameter; 400 when it is given more than once."""
    values = [value for key, value in params if key == name]
    if len(values) > 1:
        raise ProtocolError(400, f"the {name} parameter is given {len(values)} times; give it once")
    return values[0] if values else None


def graph_uris(params: list[tuple[str, str]], name: str) -> tuple[str, ...]:
    """The IRIs of a default-graph-uri or named-graph-uri parameter, each checked to be an absolute IRI."""
    uris = tuple(value for key, value in params if key == name)
    for uri in uris:
        try:
            ox.NamedNode(uri)
        except ValueError:
            raise ProtocolError(400, f"{name} {uri!r} is not an absolute IRI") from None
    return uris


def read_request(params: list[tuple[str, str]], query: str | None = None) -> SparqlRequest:
    """The protocol parameters; an ``update`` among them is refused, as this endpoint is read-only."""
    if any(key == "update" for key, _ in params):
        raise ProtocolError(403, "this endpoint is read-only: SPARQL updates are not accepted")
    return SparqlRequest(
        query if query is not None else single(params, "query"),
        Dataset(graph_uris(params, "default-graph-uri"), graph_uris(params, "named-graph-uri")),
        tuple(value.strip() for key, values in params if key == "format" for value in values.split(",")),
    )


def decoded(body: bytes) -> str:
    """A request body as text; 400 when it is not UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, f"the request body is not UTF-8 text ({error.reason} at byte {error.start})") from None


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, read only up to ``max_bytes`` (``Limits.max_body_bytes``); 413 past that."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ProtocolError(413, f"the request body is larger than {max_bytes // 1024} KiB; send a shorter query")
        chunks.append(chunk)
    return b"".join(chunks)


async def post_request(request: Request, max_body_bytes: int) -> SparqlRequest:
    """A POST's parameters: from a form-encoded body, or a query body with the graphs in the URL."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    url_params = query_fields(request.scope["query_string"])
    if content_type == SPARQL_UPDATE:
        raise ProtocolError(403, "this endpoint is read-only: SPARQL updates are not accepted")
    if content_type == SPARQL_QUERY:
        return read_request(url_params, decoded(await read_body(request, max_body_bytes)))
    if content_type == FORM:
        text = decoded(await read_body(request, max_body_bytes))
        if len(text) > INLINE_QUERY_CHARS:  # parsing a megabyte of form takes a tenth of a second
            form = await run_in_threadpool(form_fields, text)
        else:
            form = form_fields(text)
        if any(key == "release" for key, _ in form):  # chosen before the body is read (klynge.web.releases)
            raise ProtocolError(400, "give release= in the URL (/sparql?release=VERSION), not in the form body")
        return read_request(form + url_params)
    raise ProtocolError(
        415, f"send the query as {FORM} (a query parameter) or as {SPARQL_QUERY}, not {content_type or 'no type'}"
    )


def etag(version: str, sparql: SparqlRequest, fmt: formats.Format) -> str:
    """A strong validator for one answer: the graph's version and everything the request asked."""
    key = "\n".join((version, fmt.media_type, sparql.query or "", *sparql.dataset.default, "|", *sparql.dataset.named))
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def error_response(error: QueryError, query: str | None = None) -> PlainTextResponse:
    """A query error as its status and a message for the person who sent ``query``."""
    return plain_text(error, query)


async def answer(request: Request, engine: Engine, sparql: SparqlRequest, cacheable: bool) -> Response:
    """Run a query (or describe the service when there is none) in the format asked for."""
    if sparql.query is None:
        return await service_description(request, engine, sparql)
    inline = len(sparql.query) <= INLINE_QUERY_CHARS  # else nothing CPU-bound on the event loop
    try:
        query = InspectedQuery.of(sparql.query) if inline else await run_in_threadpool(InspectedQuery.of, sparql.query)
    except (QueryRefused, QuerySyntaxError) as error:
        return error_response(error, sparql.query)
    form = query.inspection.form or "SELECT"  # an unknown form: the parser will say what is wrong
    graph = form in ("CONSTRUCT", "DESCRIBE")
    fmt = negotiate(request, formats.GRAPH if graph else formats.RESULTS, f"{form} results", sparql.formats)
    held = request.headers.get("if-none-match") if cacheable else None
    base = endpoint_url(request)
    if inline and fmt.write is None:  # else looked up (and written) in a thread
        hit = engine.cached(query, fmt.engine_media_type, dataset=sparql.dataset, base_iri=base)
        if hit is not None:  # a repeated request is answered from memory, without the trip to a thread
            return respond(engine, sparql, query, fmt, base, cacheable, held, hit)
        response = await on_loop(engine, sparql, query, fmt, base, cacheable, held)
    else:
        response = None
    if response is None:
        response = await run_in_threadpool(respond, engine, sparql, query, fmt, base, cacheable, held)
    if response.status_code == 503:  # a client resubmitting at once would spin the event loop: slow it down
        await asyncio.sleep(min(BUSY_HOLD_S, float(response.headers.get("retry-after", 1))))
    return response


async def on_loop(
    engine: Engine,
    sparql: SparqlRequest,
    query: InspectedQuery,
    fmt: formats.Format,
    base: str,
    cacheable: bool,
    held: str | None,
) -> Response | None:
    """The answer awaited on the event loop, without a thread, where the engine can give it so (a query worker
    is idle for it: ``Engine.answer_on_loop``); None, having run nothing, where it cannot."""
    version = engine.graph_version_now() if cacheable else None
    if cacheable and version is None:  # to be computed or asked for: in a thread
        return None
    headers, fresh = validators(version, sparql, fmt, held)
    if fresh:
        return Response(status_code=304, headers=headers)
    try:
        answer = await engine.answer_on_loop(query, fmt.engine_media_type, dataset=sparql.dataset, base_iri=base)
    except QueryError as error:
        return error_response(error, sparql.query)
    return None if answer is None else Response(answer[0], media_type=answer[1], headers=headers)


BUSY_HOLD_S = 1.0  # a 503 is sent after this long (at most its Retry-After), holding no thread meanwhile


def endpoint_url(request: Request) -> str:
    """This endpoint's public URL: the base IRI of the queries sent to it."""
    return public_url(request) + "/sparql"


def validators(
    version: str | None, sparql: SparqlRequest, fmt: formats.Format, held: str | None
) -> tuple[dict[str, str], bool]:
    """A GET answer's ETag (from the graph's ``version``; None: not cacheable, no ETag) and Cache-Control, and
    whether the client holds that answer already (304)."""
    if version is None:
        return {}, False
    tag = etag(version, sparql, fmt)
    headers = {"ETag": tag, "Cache-Control": "no-cache"}  # stored, but revalidated: a restart may serve another graph
    return headers, held is not None and tag in (value.strip() for value in held.split(","))


def respond(
    engine: Engine,
    sparql: SparqlRequest,
    query: InspectedQuery,
    fmt: formats.Format,
    base: str,
    cacheable: bool,
    held: str | None,
    hit: tuple[bytes, str] | None = None,
) -> Response:
    """The answer to ``query`` (``sparql``'s, inspected; ``hit`` when it was at hand), or 304 when the client
    holds it already (one trip to a thread for both engine calls)."""
    headers, fresh = validators(engine.graph_version() if cacheable else None, sparql, fmt, held)
    if fresh:
        return Response(status_code=304, headers=headers)
    try:
        body, media_type = hit or engine.run(query, fmt.engine_media_type, dataset=sparql.dataset, base_iri=base)
        if fmt.write is not None:  # a format pyoxigraph does not write, made from the engine's XML
            body, media_type = fmt.from_engine(body, engine.display_labels), fmt.content_type
    except QueryError as error:
        return error_response(error, sparql.query)
    return Response(body, media_type=media_type, headers=headers)


GET_DOC = {
    "query": "the SPARQL query (without one, GET /sparql returns the service description)",
    "default-graph-uri": "a graph of the default graph (repeatable); replaces the union of all named graphs",
    "named-graph-uri": "a graph GRAPH may query (repeatable)",
    "format": f"{', '.join('/'.join((f.key, *f.keys)) for f in formats.RESULTS)} for SELECT/ASK; "
    f"{', '.join('/'.join((f.key, *f.keys)) for f in formats.GRAPH)} for CONSTRUCT/DESCRIBE (else Accept)",
}


def query_parameter(name: str, repeatable: bool = False) -> dict[str, object]:
    """An optional query parameter of ``GET_DOC`` as FastAPI would declare it in the OpenAPI document."""
    value = {"items": {"type": "string"}, "type": "array"} if repeatable else {"type": "string"}
    schema = {"anyOf": [value, {"type": "null"}], "description": GET_DOC[name], "title": name.title()}
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": GET_DOC[name]}


GET_PARAMETERS = [query_parameter(name, repeatable=name.endswith("-uri")) for name in GET_DOC]
ANSWER_TYPES = dict.fromkeys(f.media_type for f in (*formats.RESULTS, *formats.GRAPH))
ERRORS = statuses.responses(
    (400, "a malformed query, with the parser's message and position"), 403, 406, 413, *statuses.ENGINE_FAILURES
)


@router.get(
    "/sparql",
    summary="SPARQL 1.1 query by GET (HEAD gives the headers alone), or the service description",
    responses={
        200: api_docs.content(ANSWER_TYPES, "results, or the service description when no query is given"),
        **statuses.responses(304),
        **ERRORS,
    },
    openapi_extra={"parameters": GET_PARAMETERS},
)
async def sparql_get(request: Request) -> Response:
    """Query by GET (SPARQL 1.1 Protocol §2.1.1); the declared parameters document the API, the raw query
    string is read again so that a repeated ``query`` is caught."""
    # Declared in the document only (GET_PARAMETERS), not to FastAPI: its validation decoded a long query once
    # more, a fifth of the request's time (see RequestOnlyRoute).
    try:
        sparql = read_request(query_fields(request.scope["query_string"]))
        return await answer(request, engine_of(request), sparql, cacheable=True)
    except ProtocolError as error:
        return PlainTextResponse(error.message, status_code=error.status)


@router.post(
    "/sparql",
    summary="SPARQL 1.1 query by POST (form-encoded, or the query as application/sparql-query)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                FORM: {"schema": {"type": "object", "properties": {k: {"type": "string"} for k in GET_DOC}}},
                SPARQL_QUERY: {"schema": {"type": "string"}},
            },
        }
    },
    responses={
        200: api_docs.content(ANSWER_TYPES, "results"),
        **ERRORS,
        **statuses.responses(415),
    },
)
async def sparql_post(request: Request) -> Response:
    """Query by POST (SPARQL 1.1 Protocol §2.1.2 and §2.1.3). An update (§2.2) is refused: read-only."""
    engine = engine_of(request)  # not by dependency: see RequestOnlyRoute
    try:
        sparql = await post_request(request, settings_of(request).limits.max_body_bytes)
        if sparql.query is None:
            raise ProtocolError(400, "no query: send it as the query parameter or as the request body")
        return await answer(request, engine, sparql, cacheable=False)
    except ProtocolError as error:
        return PlainTextResponse(error.message, status_code=error.status)


# ---------------------------------------------------------------------------------------------------------
# Service description (SPARQL 1.1 Service Description)
# ---------------------------------------------------------------------------------------------------------

SD = PREFIXES["sd"]
VOID = PREFIXES["void"]
DESCRIPTION_PREFIXES = prefixes(("sd", "formats", "void", "dcterms"))


def sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INTEGER)


def description_triples(endpoint: str, graph_counts: dict[str, int]) -> list[ox.Triple]:
    """The service, its languages, formats and features, and its default dataset with every named graph."""
    service = ox.NamedNode(endpoint)
    dataset, default_graph = ox.BlankNode("dataset"), ox.BlankNode("default")
    triples = [
        ox.Triple(service, RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, DCTERMS.title, ox.Literal("klynge SPARQL endpoint")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, sd("Graph")),
        ox.Triple(default_graph, ox.NamedNode(VOID + "triples"), integer(sum(graph_counts.values()))),
    ]
    for fmt in (*formats.RESULTS, *formats.GRAPH):
        if fmt.w3c is not None:  # sd:resultFormat names formats by their W3C IRI; XLSX has none
            triples.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(fmt.w3c)))
    for index, (name, count) in enumerate(sorted(graph_counts.items())):
        named, graph = ox.BlankNode(f"named{index}"), ox.BlankNode(f"graph{index}")
        triples += [
            ox.Triple(dataset, sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, sd("NamedGraph")),
            ox.Triple(named, sd("name"), ox.NamedNode(name)),
            ox.Triple(named, sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, sd("Graph")),
            ox.Triple(graph, ox.NamedNode(VOID + "triples"), integer(count)),
        ]
    return triples


# A browser opening /sparql weights HTML above the RDF/XML its Accept also names (application/xml;q=0.9): it is
# sent to the editor. HTML comes last, so a program's */* (or no Accept) still gets Turtle.
DESCRIPTION_OFFERS = (*formats.GRAPH, formats.HTML)


async def service_description(request: Request, engine: Engine, sparql: SparqlRequest) -> Response:
    """The service description in the RDF format asked for (Turtle unless Accept or ``format`` say otherwise);
    a person's browser, which asks for HTML first, is sent to the query editor instead."""
    fmt = negotiate(request, DESCRIPTION_OFFERS, "the service description", sparql.formats)
    if fmt is formats.HTML:
        return RedirectResponse("/query", status_code=303)
    triples = description_triples(endpoint_url(request), await run_in_threadpool(engine.graph_counts))
    return rdf_response(triples, fmt, prefixes=DESCRIPTION_PREFIXES)
