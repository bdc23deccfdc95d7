"""The dataset's own description (DCAT-AP + VoID) at /dataset and /.well-known/void, and the dumps.

Both the description and each dump are built once per graph version and kept: the counts need a few
aggregate queries, and a dump serialises the whole graph (the description gives each dump's size and SHA-256,
so it writes them all once), neither of which should run per request. The engine writes and keeps the dumps
and the tables (``Engine.export``); the description is kept here, per engine and graph version, for as long as
the engine lives.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Annotated
from weakref import WeakKeyDictionary

import pyoxigraph as ox
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response

from klynge.answers import dataset
from klynge.answers.release_series import release_history
from klynge.engines.base import Engine, NotExportable
from klynge.rdf import formats
from klynge.rdf.namespaces import VOID
from klynge.web import page_kinds, statuses
from klynge.web.dependencies import EngineDep
from klynge.web.engine_errors import EngineErrorRoute
from klynge.web.linked_data import signposting
from klynge.web.negotiation import negotiate
from klynge.web.rdf_response import rdf_response
from klynge.web.templating import base_iri, public_url, templates

router = APIRouter(tags=["dataset"], route_class=EngineErrorRoute)

# The dump file's extension -> the export format; ``rdf`` is the customary extension of RDF/XML.
DUMP_FORMATS = {d.extension: ("xml" if d.extension == "rdf" else d.extension) for d in dataset.DUMPS}
MEDIA_TYPES = {dump.extension: dump.media_type for dump in dataset.DUMPS}
RDF_MEDIA_TYPES = {fmt.media_type: {"description": f"the description as {fmt.name}"} for fmt in formats.GRAPH}
SCHEMA_DATASET = "https://schema.org/Dataset"


# Above this many triples the description gives no dump sizes or checksums: measuring means writing every dump,
# which for the 285k-triple DK benchmark store alone takes minutes on the first /dataset request (EU scale:
# gigabytes too). The published graph is far below it; `klynge publish` always measures.
MEASURED_DUMPS_MAX_TRIPLES = 100_000


def dump_files(engine: Engine, site: dataset.Site) -> list[dataset.DumpFile]:
    """The dumps this service serves, with size and checksum when an embedded store small enough has them."""
    exported = engine.can_export()
    measured = exported and engine.triple_count() <= MEASURED_DUMPS_MAX_TRIPLES
    files = []
    for dump in dataset.DUMPS:
        url = site.url(f"/dumps/klynge.{dump.extension}").value
        if not measured:
            files.append(dataset.DumpFile(dump, url))
            continue
        body = engine.export(DUMP_FORMATS[dump.extension])
        files.append(dataset.DumpFile(dump, url, len(body), hashlib.sha256(body).hexdigest()))
    if exported:  # the tables are written from the embedded store too
        url = site.url(f"/dumps/{dataset.TABLES_FILE}.zip").value
        if not measured:
            return [*files, dataset.DumpFile(dataset.TABLES, url)]
        body = engine.export_tables()
        files.append(dataset.DumpFile(dataset.TABLES, url, len(body), hashlib.sha256(body).hexdigest()))
    return files


# The descriptions made, by engine and then by graph version and site; an engine's go with it.
DESCRIPTIONS: WeakKeyDictionary[Engine, dict[tuple[str, str, str], tuple[ox.Triple, ...]]] = WeakKeyDictionary()
DESCRIPTIONS_LOCK = threading.Lock()


def description(request: Request, engine: Engine) -> list[ox.Triple]:
    """The DCAT/VoID triples for the graph the app serves now (made once per graph version)."""
    base, public = base_iri(request), public_url(request)
    key = (engine.graph_version(), base, public)
    with DESCRIPTIONS_LOCK:
        held = DESCRIPTIONS.setdefault(engine, {}).get(key)
    if held is None:
        site = dataset.Site(base, public, public + "/sparql")
        held = tuple(dataset.description(engine, site, engine.graph_counts(), dump_files(engine, site)))
        with DESCRIPTIONS_LOCK:
            DESCRIPTIONS[engine][key] = held
    return list(held)


def describe_dataset(request: Request, engine: Engine, html: bool) -> Response:
    """The description as RDF by `Accept`/`format`, or (when ``html``) as a page for people."""
    fmt = negotiate(request, formats.PAGE if html else formats.GRAPH, "the dataset description")
    signposting(request, base_iri(request) + "dataset", (SCHEMA_DATASET,))
    triples = description(request, engine)
    if fmt is not formats.HTML:
        return rdf_response(triples, fmt)
    site = dataset.Site(base_iri(request), public_url(request), public_url(request) + "/sparql")
    files = dump_files(engine, site)
    void = VOID.iri
    context = {
        "title": dataset.TITLE,
        "description": dataset.DESCRIPTION,
        "iri": site.iri("dataset").value,
        "formats": formats.GRAPH,
        "dumps": files,
        "release": dataset.release(engine),
        "public_url": public_url(request),
        "triples": dataset.dataset_triple_count(triples, site.iri("dataset").value),
        "vocabularies": sorted(t.object.value for t in triples if t.predicate.value == void + "vocabulary"),
        "schema_org": dataset.schema_org(site, dataset.release(engine), files),
        "releases": list(reversed(release_history(engine).releases)),
        "series": site.iri("releases").value,
    }
    return templates.TemplateResponse(request, "dataset.html", context)


@router.get(
    page_kinds.DATASET.route,
    summary="DCAT-AP and VoID description of the dataset",
    responses=statuses.responses(
        406,
        *statuses.ENGINE_FAILURES,
        ok={"content": {"text/html": {"description": "a page for people"}, **RDF_MEDIA_TYPES}},
    ),
)
def dataset_page(request: Request, engine: EngineDep) -> Response:
    """Title, licence, publisher, distributions, SPARQL service, triple count and vocabularies used: a page
    for browsers, Turtle, JSON-LD, N-Triples or RDF/XML for harvesters."""
    return describe_dataset(request, engine, html=True)


@router.get(
    "/.well-known/void",
    summary="VoID description (RDF, Turtle by default)",
    responses=statuses.responses(406, *statuses.ENGINE_FAILURES, ok={"content": RDF_MEDIA_TYPES}),
)
def well_known_void(request: Request, engine: EngineDep) -> Response:
    """The same description as /dataset, where VoID-aware clients look for it."""
    return describe_dataset(request, engine, html=False)


@router.get(
    f"/dumps/{dataset.TABLES_FILE}.zip",
    summary="The graph as tidy CSV tables: a Frictionless Data Package, zipped",
    responses=statuses.responses((503, "no embedded store"), ok={"content": {"application/zip": {}}}),
)
def tables_package(engine: EngineDep) -> Response:
    """One CSV per table (policies, lineage steps with evidence, organisations and their names and changes,
    clusters and areas, funding, amounts and funders, statistics, regional nodes, sources) and
    datapackage.json with each table's schema; `klynge export --format tables` writes the same files."""
    try:
        body = engine.export_tables()
    except NotExportable as error:
        raise HTTPException(503, str(error)) from None
    return Response(
        body,
        media_type=dataset.TABLES_PACKAGING,
        headers={"Content-Disposition": f'attachment; filename="{dataset.TABLES_FILE}.zip"'},
    )


@router.get(
    "/dumps/klynge.{extension}",
    summary="The whole graph as one file",
    responses=statuses.responses(
        (404, "no dump in that format"),
        (503, "no embedded store"),
        ok={"content": {dump.media_type: {} for dump in dataset.DUMPS}},
    ),
)
def dump(engine: EngineDep, extension: Annotated[str, Path(description="ttl, nt, jsonld, rdf or trig")]) -> Response:
    """Turtle, N-Triples, JSON-LD, RDF/XML or TriG (the last keeps each source file's named graph)."""
    if extension not in DUMP_FORMATS:
        raise HTTPException(404, f"no dump klynge.{extension}; available: {', '.join(DUMP_FORMATS)}")
    try:
        body = engine.export(DUMP_FORMATS[extension])
    except NotExportable as error:
        raise HTTPException(503, str(error)) from None
    return Response(
        body,
        media_type=MEDIA_TYPES[extension],
        headers={"Content-Disposition": f'attachment; filename="klynge.{extension}"'},
    )
