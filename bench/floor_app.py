"""The framework floor: the least an HTTP SPARQL endpoint can do on the same store.

A bare ASGI callable under uvicorn, no framework, no validation, no logging: read the query, run it on the
pyoxigraph store (opened read-only from ``FLOOR_STORE``), return SPARQL JSON. klynge's overhead is measured
against this.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs

import pyoxigraph as ox

STORE = ox.Store.read_only(os.environ["FLOOR_STORE"])
JSON = ox.QueryResultsFormat.JSON


async def read_body(receive) -> bytes:  # noqa: ANN001 - ASGI receive callable
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def app(scope, receive, send) -> None:  # noqa: ANN001 - the ASGI signature
    """Answer GET ?query= or a form-encoded POST with SPARQL JSON (N-Triples for graph results)."""
    if scope["type"] != "http":
        return
    params = parse_qs(scope["query_string"].decode())
    if scope["method"] == "POST":
        params.update(parse_qs((await read_body(receive)).decode()))
    query = params.get("query", [""])[0]
    result = STORE.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryTriples):
        body, media = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES), b"application/n-triples"
    else:
        body, media = result.serialize(format=JSON), b"application/sparql-results+json"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", media)]})
    await send({"type": "http.response.body", "body": body})
