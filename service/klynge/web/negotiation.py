"""Content negotiation for a request: the one ``choose`` of ``klynge.rdf.formats``, fed by the request.

The ``format`` query parameter (comma-separated values allowed, as SPARQLWrapper sends them) comes before
``Accept``. Every route that negotiates is marked, so ``klynge.web.http_semantics`` adds ``Vary: Accept`` to
whatever it answers, a 406 or a 404 included: a shared cache must not give one client's answer to another
asking for a different format.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from fastapi.responses import PlainTextResponse

from klynge.rdf import formats


def mark_negotiated(request: Request) -> None:
    """This request's answer depends on Accept."""
    request.scope.setdefault("state", {})["negotiated"] = True


def format_values(request: Request) -> tuple[str, ...]:
    """The ``format`` parameter's values, split at commas."""
    values = request.query_params.getlist("format")
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def negotiate(
    request: Request, offers: Sequence[formats.Format], what: str = "this", wanted: Sequence[str] | None = None
) -> formats.Format:
    """The offer the request asks for (``wanted`` replaces the URL's ``format`` values, for a POSTed form);
    NotAcceptable (406) when there is none."""
    mark_negotiated(request)
    values = format_values(request) if wanted is None else tuple(wanted)
    return formats.choose(values, request.headers.get("accept"), offers, what)


def not_acceptable(request: Request, error: Exception) -> PlainTextResponse:
    """A 406 in plain text, as ``/sparql`` answers every error, naming what there is."""
    mark_negotiated(request)
    return PlainTextResponse(str(error), status_code=406)
