"""Linked data: every IRI under the base is answered under the same path, as a page or as RDF.

``https://w3id.org/klynge/id/org/dfir`` is served at ``/id/org/dfir``. The answer is direct (200, no 303
redirect): the IRIs name real-world things, but one URL per resource with ``Vary: Accept`` keeps links
short and caches correct, and ``?format=ttl`` (or ``jsonld``, ``nt``, ``rdf``, ``html``) picks a
representation without headers. RDF is the resource's concise bounded description plus the labels of what
it links to; HTML shows labels, types, every relation as a link, incoming links, sources and, for a policy or
organisation with a lineage, the lineage as a timeline. ``/ontology`` serves the ontology the same way
(HTML documentation generated from it). An IRI the graph does not mention is a 404.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from klynge.answers import describe, organisation
from klynge.answers import lineage as answers
from klynge.graph import ontology_doc
from klynge.namespaces import KG
from klynge.validation import shapes_doc
from klynge.web import api_docs
from klynge.web.engine_errors import EngineErrorRoute
from klynge.web.rdf_response import HTML, RDF_FORMATS, Format, choose, rdf_response
from klynge.web.templating import base_iri, local_path, templates
from klynge.web.timeline import timeline_svg

router = APIRouter(tags=["linked data"], route_class=EngineErrorRoute)

PAGE_FORMATS = (HTML, *RDF_FORMATS)
PAGE_RESPONSES = {200: api_docs.content(f.media_type for f in PAGE_FORMATS), **api_docs.FORMAT_ERRORS}
HEADLINE_PREDICATES = {describe.RDF_TYPE, describe.DISPLAY_LABEL, *describe.LABEL_PREDICATES}
ORGANIZATION = "http://www.w3.org/ns/org#Organization"
LINEAGE_CLASSES = ("http://www.w3.org/ns/prov#Plan", "http://www.w3.org/ns/org#Organization")
# A resource has a lineage only if one of these links it (the page's own links tell, so no query asks).
LINEAGE_LINKS = {
    "http://www.w3.org/ns/prov#wasInfluencedBy",
    "http://www.w3.org/ns/org#resultingOrganization",
    "http://www.w3.org/ns/org#originalOrganization",
}


def has_lineage(page: describe.Description) -> bool:
    """Whether a plan's or organisation's page needs its lineage: a lineage link in or out (or more incoming
    links than the page holds, among which one may be)."""
    if not any(page.is_a(kind) for kind in LINEAGE_CLASSES):
        return False
    links = page.outgoing + page.incoming
    return page.more_incoming or any(link.predicate.value in LINEAGE_LINKS for link in links)


def not_found(request: Request, fmt: Format, message: str) -> Response:
    """A 404 as a page for browsers and as plain text for everything else."""
    if fmt is HTML:
        return templates.TemplateResponse(
            request, "not_found.html", {"message": message}, status_code=404, headers={"Vary": "Accept"}
        )
    return PlainTextResponse(message, status_code=404, headers={"Vary": "Accept"})


@router.get(
    "/id/{path:path}",
    summary="A resource of the graph, as a page or as RDF",
    responses={**PAGE_RESPONSES, 404: {"description": "the graph does not mention this IRI"}},
)
def resource(request: Request, path: str) -> Response:
    """HTML for browsers; Turtle, JSON-LD, N-Triples or RDF/XML by `Accept` or `format`."""
    fmt = choose(request, PAGE_FORMATS)
    engine = request.app.state.engine
    try:
        iri = ox.NamedNode(base_iri(request) + "id/" + path)
    except ValueError:
        return not_found(request, fmt, f"/id/{path} is not a resource IRI")
    if not describe.exists(engine, iri):
        return not_found(request, fmt, f"The graph says nothing about {iri.value}.")
    if fmt is not HTML:
        return rdf_response(describe.description_triples(engine, iri), fmt)
    page = describe.describe(engine, iri)
    timeline = lineage = None
    if has_lineage(page):
        base = base_iri(request)
        lineage = answers.lineage(engine, iri)
        timeline = timeline_svg(lineage, lambda target: local_path(target, base))
    context = {
        "page": page,
        "formats": RDF_FORMATS,
        "asserted_types": {
            link.other.value
            for link in page.outgoing
            if link.predicate.value == describe.RDF_TYPE and not link.entailed
        },
        "stated": [
            link for link in page.outgoing if not link.entailed and link.predicate.value not in HEADLINE_PREDICATES
        ],
        "entailed": [
            link for link in page.outgoing if link.entailed and link.predicate.value != describe.DISPLAY_LABEL
        ],
        "timeline": timeline,
        "lineage": lineage,
        "history": organisation.history(engine, iri) if page.is_a(ORGANIZATION) else None,
    }
    return templates.TemplateResponse(request, "resource.html", context, headers={"Vary": "Accept"})


@router.get("/ontology", summary="The klynge ontology, as documentation or as RDF", responses=PAGE_RESPONSES)
def ontology(request: Request) -> Response:
    """Every class and property with label, definition and related terms (HTML), or the ontology's triples."""
    fmt = choose(request, PAGE_FORMATS)
    engine = request.app.state.engine
    if fmt is not HTML:
        return rdf_response(describe.ontology_triples(engine), fmt)
    context = {"doc": ontology_doc.document(engine), "formats": RDF_FORMATS, "iri": describe.ONTOLOGY_IRI}
    return templates.TemplateResponse(request, "ontology.html", context, headers={"Vary": "Accept"})


@router.get("/shapes", summary="The SHACL shapes, as documentation or as RDF", responses=PAGE_RESPONSES)
def shapes(request: Request) -> Response:
    """Every node shape with its targets, property rules and messages (HTML), or the shapes' triples."""
    fmt = choose(request, PAGE_FORMATS)
    if fmt is not HTML:
        return rdf_response(shapes_doc.shapes_triples(), fmt)
    context = {"shapes": shapes_doc.shapes(), "formats": RDF_FORMATS, "iri": base_iri(request) + "shapes"}
    return templates.TemplateResponse(request, "shapes.html", context, headers={"Vary": "Accept"})


@router.get(
    "/graph/{name}",
    summary="One named graph: the triples of one source file",
    responses={**PAGE_RESPONSES, 404: {"description": "no such graph"}},
)
def named_graph(request: Request, name: str) -> Response:
    """Each source file is a named graph (``…/graph/inferred`` holds the materialised entailments): the
    resources it states something about (HTML), or its triples. The graphs keep the IRIs the build gives them
    (``kg:{name}``) under any ``--base-iri``: they name klynge's source files, not the resources it serves."""
    fmt = choose(request, PAGE_FORMATS)
    engine = request.app.state.engine
    iri = str(KG) + name
    counts = engine.graph_counts()
    if iri not in counts:
        return not_found(request, fmt, f"There is no named graph {iri}; the graphs are: {', '.join(sorted(counts))}")
    graph = ox.NamedNode(iri)
    if fmt is not HTML:
        return rdf_response(describe.graph_triples(engine, graph), fmt)
    context = {
        "iri": iri,
        "name": name,
        "triples": counts[iri],
        "subjects": describe.graph_subjects(engine, graph),
        "formats": RDF_FORMATS,
    }
    return templates.TemplateResponse(request, "graph.html", context, headers={"Vary": "Accept"})
