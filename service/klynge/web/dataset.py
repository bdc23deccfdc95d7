"""The dataset's own description (DCAT-AP + VoID) at /dataset and /.well-known/void, and the dumps.

Both the description and each dump are built once per graph version and cached: the counts need a few
aggregate queries and a dump serialises the whole graph, neither of which should run per request.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response

from klynge import formats
from klynge.answers import dataset
from klynge.graph import export
from klynge.web.engine_errors import EngineErrorRoute
from klynge.web.linked_data import signposting
from klynge.web.negotiation import negotiate
from klynge.web.rdf_response import rdf_response
from klynge.web.templating import base_iri, public_url, templates

router = APIRouter(tags=["dataset"], route_class=EngineErrorRoute)

SCHEMA_DATASET = "https://schema.org/Dataset"


@lru_cache(maxsize=4)
def cached_description(engine, version: str, base: str, public: str) -> tuple[ox.Triple, ...]:
    """The description for one graph version (the version is only the cache key)."""
    return tuple(dataset.description(engine, dataset.Site(base, public), engine.graph_counts()))


@lru_cache(maxsize=10)
def cached_dump(engine, version: str, fmt: str) -> bytes:
    """One dump for one graph version (the version is only the cache key)."""
    return export.export_bytes(engine.store, fmt)


def description(request: Request) -> list[ox.Triple]:
    """The DCAT/VoID triples for the graph the app serves now."""
    engine = request.app.state.engine
    return list(cached_description(engine, engine.graph_version(), base_iri(request), public_url(request)))


def describe_dataset(request: Request, html: bool) -> Response:
    """The description as RDF by `Accept`/`format`, or (when ``html``) as a page for people."""
    fmt = negotiate(request, formats.PAGE if html else formats.GRAPH, "the dataset description")
    signposting(request, base_iri(request) + "dataset", (SCHEMA_DATASET,))
    triples = description(request)
    if fmt is not formats.HTML:
        return rdf_response(triples, fmt)
    void = "http://rdfs.org/ns/void#"
    context = {
        "title": dataset.TITLE,
        "description": dataset.DESCRIPTION,
        "iri": base_iri(request) + "dataset",
        "formats": formats.GRAPH,
        "dumps": dataset.DUMPS,
        "public_url": public_url(request),
        "triples": next(t.object.value for t in triples if t.predicate.value == void + "triples"),
        "vocabularies": sorted(t.object.value for t in triples if t.predicate.value == void + "vocabulary"),
    }
    return templates.TemplateResponse(request, "dataset.html", context)


@router.get("/dataset", summary="DCAT-AP and VoID description of the dataset", responses={406: {}})
def dataset_page(request: Request) -> Response:
    """Title, licence, publisher, distributions, SPARQL service, triple count and vocabularies used: a page
    for browsers, Turtle, JSON-LD, N-Triples or RDF/XML for harvesters."""
    return describe_dataset(request, html=True)


@router.get("/.well-known/void", summary="VoID description (RDF, Turtle by default)", responses={406: {}})
def well_known_void(request: Request) -> Response:
    """The same description as /dataset, where VoID-aware clients look for it."""
    return describe_dataset(request, html=False)


@router.get(
    "/dumps/klynge.{extension}",
    summary="The whole graph as one file",
    responses={404: {"description": "no dump in that format"}, 503: {"description": "no embedded store"}},
)
def dump(request: Request, extension: Annotated[str, Path(description="ttl, nt, jsonld, rdf or trig")]) -> Response:
    """Turtle, N-Triples, JSON-LD, RDF/XML or TriG (the last keeps each source file's named graph)."""
    if extension not in export.FORMATS:
        raise HTTPException(404, f"no dump klynge.{extension}; available: {', '.join(export.FORMATS)}")
    engine = request.app.state.engine
    if getattr(engine, "store", None) is None:
        raise HTTPException(503, "dumps are written from the embedded store; this service queries a remote one")
    body = cached_dump(engine, engine.graph_version(), extension)
    return Response(
        body,
        media_type=export.FORMATS[extension].media_type,
        headers={"Content-Disposition": f'attachment; filename="klynge.{extension}"'},
    )
