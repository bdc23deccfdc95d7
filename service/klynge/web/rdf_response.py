"""RDF answers in the format a client asks for, written for people (``klynge.rdf.rdf_text``): Turtle with
the prefixes and no escaped names, JSON-LD compacted with an ``@context``, N-Triples, RDF/XML."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyoxigraph as ox
from fastapi.responses import Response

from klynge.rdf.formats import Format
from klynge.rdf.namespaces import PREFIXES
from klynge.rdf.rdf_text import serialize


def rdf_response(
    triples: Iterable[ox.Triple],
    fmt: Format,
    status_code: int = 200,
    prefixes: Mapping[str, str] = PREFIXES,
    headers: Mapping[str, str] | None = None,
    subject: ox.NamedNode | None = None,
) -> Response:
    """Triples serialised in ``fmt`` (one of ``klynge.rdf.formats.GRAPH``) as a response; the statements about
    ``subject`` (the resource the document describes) come first, before its neighbours' labels, so a reader
    and a JSON-LD consumer taking ``@graph[0]`` meet the resource first."""
    assert fmt.rdf is not None, f"{fmt.name} is not an RDF syntax"
    if subject is not None:
        triples = sorted(triples, key=lambda triple: triple.subject != subject)  # stable: otherwise as given
    body = serialize(triples, fmt.rdf, prefixes)
    return Response(body, status_code=status_code, media_type=fmt.content_type, headers=headers)
