"""RDF answers in the format a client asks for: Turtle, JSON-LD, N-Triples or RDF/XML (or HTML/JSON).

A ``format`` query parameter (``ttl``, ``jsonld``, ``nt``, ``rdf``, ``html``, ``json``) overrides ``Accept``,
so a browser link can fetch any serialisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from fastapi import HTTPException, Request
from fastapi.responses import Response

from klynge.namespaces import PREFIXES
from klynge.web.negotiation import best_match


@dataclass(frozen=True)
class Format:
    """One representation a linked-data route can give."""

    key: str
    name: str
    media_type: str
    rdf: ox.RdfFormat | None = None


HTML = Format("html", "HTML", "text/html")
JSON = Format("json", "JSON", "application/json")
RDF_FORMATS = (
    Format("ttl", "Turtle", "text/turtle", ox.RdfFormat.TURTLE),
    Format("jsonld", "JSON-LD", "application/ld+json", ox.RdfFormat.JSON_LD),
    Format("nt", "N-Triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    Format("rdf", "RDF/XML", "application/rdf+xml", ox.RdfFormat.RDF_XML),
)


def choose(request: Request, offers: tuple[Format, ...]) -> Format:
    """The offer the ``format`` parameter names, else the best match for ``Accept``; 406 when none fits."""
    key = request.query_params.get("format")
    if key is not None:
        for offer in offers:
            if offer.key == key:
                return offer
        known = ", ".join(offer.key for offer in offers)
        raise HTTPException(400, f"unknown format {key!r}; use one of {known}")
    chosen = best_match(request.headers.get("accept", "*/*"), [offer.media_type for offer in offers])
    if chosen is None:
        offered = ", ".join(offer.media_type for offer in offers)
        raise HTTPException(406, f"cannot answer with what Accept asks for; available: {offered}")
    return next(offer for offer in offers if offer.media_type == chosen)


def rdf_response(triples: list[ox.Triple], fmt: Format, status_code: int = 200) -> Response:
    """Serialise triples (with the usual prefixes where the syntax has them) as a response."""
    if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        body = ox.serialize(triples, format=fmt.rdf, prefixes=PREFIXES)
    else:
        body = ox.serialize(triples, format=fmt.rdf)
    return Response(body, status_code=status_code, media_type=fmt.media_type, headers={"Vary": "Accept"})
