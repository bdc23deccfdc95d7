"""``/programme-of/{cluster}``: the programme a cluster organisation was appointed under, for an ECCP profile.

One request answers with the programme's stable IRI, who appointed the cluster and when, the programme's lineage
with its evidence, and the sources: a page for people, and JSON-LD (``format=jsonld`` or ``Accept:
application/ld+json``), Turtle, N-Triples or RDF/XML for programs, all from the named query cluster-programme.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from klynge.answers.cluster_programme import NotAppointed, cluster_programme
from klynge.rdf import formats
from klynge.web import api_docs, page_kinds, statuses
from klynge.web.api_answers import resource
from klynge.web.dependencies import EngineDep
from klynge.web.engine_errors import EngineErrorRoute
from klynge.web.negotiation import negotiate
from klynge.web.rdf_response import rdf_response
from klynge.web.templating import templates

router = APIRouter(tags=["answers"], route_class=EngineErrorRoute)


@router.get(
    page_kinds.PROGRAMME_OF.route,
    summary="The programme a cluster organisation was appointed under, with its lineage and sources",
    responses=statuses.responses(
        (400, "not a resource id or IRI"),
        (404, "not a cluster organisation appointed under a programme"),
        406,
        *statuses.ENGINE_FAILURES,
        ok=api_docs.content(f.media_type for f in formats.PAGE),
    ),
)
def programme_of(request: Request, engine: EngineDep, cluster: str) -> Response:
    """For the ECCP profile field "Regional/National Support Programmes": the programme's stable IRI (the value
    a profile can hold instead of free text), the post that appointed the cluster, its body and the day, the
    programme's period, its lineage (every step with the relation, stated or inferred, source and locator) and
    the source documents. `cluster` is the cluster's id after /id/ (e.g. cluster/clean) or its full IRI. HTML for
    browsers; JSON-LD, Turtle, N-Triples or RDF/XML by `Accept` or `format` (the named query cluster-programme's
    graph)."""
    fmt = negotiate(request, formats.PAGE, "a cluster's programme")
    try:
        answer = cluster_programme(engine, resource(request, cluster))
    except NotAppointed as error:
        raise HTTPException(404, str(error)) from None
    if fmt.rdf is not None:
        return rdf_response(answer.triples, fmt)
    return templates.TemplateResponse(request, "cluster_programme.html", {"answer": answer, "formats": formats.GRAPH})
