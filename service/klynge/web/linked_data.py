"""Linked data: every IRI under the base is answered under the same path, as a page or as RDF.

``https://w3id.org/klynge/id/org/dfir`` is served at ``/id/org/dfir``. The answer is direct (200, no 303
redirect; docs/http.md says why): the IRIs name real-world things, and every answer says so in its headers
(FAIR signposting: ``Link: <IRI>; rel="cite-as"``, ``describedby`` for the RDF descriptions, ``license``,
``type``), while one URL per resource with ``Vary: Accept`` keeps links short and caches correct.
``?format=ttl`` (or ``jsonld``, ``nt``, ``rdf``, ``html``) picks a representation without headers; the
formats are ``klynge.rdf.formats.PAGE``. RDF is the resource's concise bounded description plus the labels of what
it links to; HTML shows labels, types, every relation as a link, incoming links, sources and, for a policy or
organisation with a lineage, the lineage as a timeline. ``/ontology`` serves the ontology the same way
(HTML documentation generated from it), and so does its version IRI (``/ontology/0.1.0``). An IRI the graph
does not mention is a 404.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from klynge.answers import describe, organisation
from klynge.answers import lineage as answers
from klynge.answers.dataset import LICENCE, release
from klynge.engines.base import Engine
from klynge.rdf import formats
from klynge.rdf.formats import HTML, Format
from klynge.rdf.namespaces import KG, ORG, PROV
from klynge.validation import shapes_doc
from klynge.web import api_docs, ontology_doc, page_kinds, statuses
from klynge.web.dependencies import EngineDep
from klynge.web.engine_errors import EngineErrorRoute
from klynge.web.http_semantics import signpost
from klynge.web.negotiation import negotiate
from klynge.web.rdf_response import rdf_response
from klynge.web.templating import base_iri, picture_link, public_url, templates
from klynge.web.timeline import timeline_svg

router = APIRouter(tags=["linked data"], route_class=EngineErrorRoute)

PAGE_RESPONSES = statuses.responses(
    406, *statuses.ENGINE_FAILURES, ok=api_docs.content(f.media_type for f in formats.PAGE)
)
ABOUT_PAGE = "https://schema.org/AboutPage"
DESCRIBED_BY = (formats.TURTLE, formats.JSON_LD)
HEADLINE_PREDICATES = {describe.RDF_TYPE, describe.DISPLAY_LABEL, *describe.LABEL_PREDICATES}
ORGANIZATION = ORG.Organization.value
LINEAGE_CLASSES = (PROV.Plan.value, ORG.Organization.value)
# A resource has a lineage only if one of these links it (the page's own links tell, so no query asks).
LINEAGE_LINKS = {
    PROV.wasInfluencedBy.value,
    ORG.resultingOrganization.value,
    ORG.originalOrganization.value,
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
        return templates.TemplateResponse(request, "not_found.html", {"message": message}, status_code=404)
    return PlainTextResponse(message, status_code=404)


def signposting(request: Request, iri: str, types: tuple[str, ...] = ()) -> None:
    """FAIR signposting for a page about ``iri``: the IRI to cite, its RDF descriptions (this URL by
    ``format``), the licence, and what kind of page this is."""
    here = public_url(request) + request.url.path
    links = [(iri, "cite-as", None)]
    links += [(f"{here}?format={fmt.key}", "describedby", fmt.media_type) for fmt in DESCRIBED_BY]
    links += [(LICENCE, "license", None), *((kind, "type", None) for kind in (ABOUT_PAGE, *types))]
    signpost(request, links)


@router.get(
    page_kinds.RESOURCE.route,
    summary="A resource of the graph, as a page or as RDF",
    responses={**PAGE_RESPONSES, **statuses.responses((404, "the graph does not mention this IRI"))},
)
def resource(request: Request, engine: EngineDep, path: str) -> Response:
    """HTML for browsers; Turtle, JSON-LD, N-Triples or RDF/XML by `Accept` or `format`."""
    fmt = negotiate(request, formats.PAGE, "this resource")
    try:
        iri = ox.NamedNode(base_iri(request) + "id/" + path)
    except ValueError:
        return not_found(request, fmt, f"/id/{path} is not a resource IRI")
    if not describe.exists(engine, iri):
        return not_found(request, fmt, f"The graph says nothing about {iri.value}.")
    signposting(request, iri.value)
    if fmt is not HTML:
        return rdf_response(describe.description_triples(engine, iri), fmt, subject=iri)
    page = describe.describe(engine, iri)
    timeline = lineage = None
    if has_lineage(page):
        base = base_iri(request)
        lineage = answers.lineage(engine, iri)
        timeline = timeline_svg(lineage, lambda target: picture_link(target, base))
    context = {
        "page": page,
        "formats": formats.GRAPH,
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
    return templates.TemplateResponse(request, "resource.html", context)


@router.get(
    page_kinds.ONTOLOGY.route, summary="The klynge ontology, as documentation or as RDF", responses=PAGE_RESPONSES
)
def ontology(request: Request, engine: EngineDep) -> Response:
    """Every class and property with label, definition and related terms (HTML), or the ontology's triples."""
    fmt = negotiate(request, formats.PAGE, "the ontology")
    signposting(request, describe.ONTOLOGY_IRI)
    return ontology_answer(request, engine, fmt)


@router.get(
    page_kinds.ONTOLOGY_VERSION.route,
    summary="A version of the ontology, under its version IRI (owl:versionIRI)",
    responses={**PAGE_RESPONSES, **statuses.responses((404, "no such version"))},
)
def ontology_version(request: Request, engine: EngineDep, version: str) -> Response:
    """The ontology as of the version it names as its ``owl:versionIRI``: the one this service was built with."""
    fmt = negotiate(request, formats.PAGE, "the ontology")
    iri = base_iri(request) + "ontology/" + version
    served = release(engine).version_iri
    if iri != served:
        return not_found(request, fmt, f"There is no ontology version {iri}; this service serves {served}")
    signposting(request, iri)
    return ontology_answer(request, engine, fmt)


def ontology_answer(request: Request, engine: Engine, fmt: Format) -> Response:
    """The ontology in ``fmt``: its documentation, or its triples."""
    if fmt is not HTML:
        return rdf_response(describe.ontology_triples(engine), fmt, subject=ox.NamedNode(describe.ONTOLOGY_IRI))
    context = {"doc": ontology_doc.document(engine), "formats": formats.GRAPH, "iri": describe.ONTOLOGY_IRI}
    return templates.TemplateResponse(request, "ontology.html", context)


@router.get(page_kinds.SHAPES.route, summary="The SHACL shapes, as documentation or as RDF", responses=PAGE_RESPONSES)
def shapes(request: Request) -> Response:
    """Every node shape with its targets, property rules and messages (HTML), or the shapes' triples."""
    fmt = negotiate(request, formats.PAGE, "the shapes")
    signposting(request, base_iri(request) + "shapes")
    if fmt is not HTML:
        return rdf_response(shapes_doc.shapes_triples(), fmt)
    context = {"shapes": shapes_doc.shapes(), "formats": formats.GRAPH, "iri": base_iri(request) + "shapes"}
    return templates.TemplateResponse(request, "shapes.html", context)


@router.get(
    page_kinds.NAMED_GRAPH.route,
    summary="One named graph: the triples of one source file",
    responses={**PAGE_RESPONSES, **statuses.responses((404, "no such graph"))},
)
def named_graph(request: Request, engine: EngineDep, name: str) -> Response:
    """Each source file is a named graph (``…/graph/inferred`` holds the materialised entailments): the
    resources it states something about (HTML), or its triples. The graphs keep the IRIs the build gives them
    (``kg:{name}``) under any ``--base-iri``: they name klynge's source files, not the resources it serves."""
    fmt = negotiate(request, formats.PAGE, "a named graph")
    iri = str(KG) + name
    counts = engine.graph_counts()
    if iri not in counts:
        return not_found(request, fmt, f"There is no named graph {iri}; the graphs are: {', '.join(sorted(counts))}")
    signposting(request, iri)
    graph = ox.NamedNode(iri)
    if fmt is not HTML:
        return rdf_response(describe.graph_triples(engine, graph), fmt)
    context = {
        "iri": iri,
        "name": name,
        "triples": counts[iri],
        "subjects": describe.graph_subjects(engine, graph),
        "formats": formats.GRAPH,
    }
    return templates.TemplateResponse(request, "graph.html", context)
