"""Engine failures as HTTP answers for the routes that query on a client's behalf without taking SPARQL.

A lineage, path, search or page query past the time or size limit says so (503/413) in words, like the
SPARQL endpoint does, instead of surfacing as a 500 with a stack trace.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from klynge.engines.base import (
    QueryBusy,
    QueryError,
    QueryOutOfMemory,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
)

STATUS = (
    (QueryTimeout, 503),
    (QueryBusy, 503),
    (QueryOutOfMemory, 507),
    (QueryTooLarge, 413),
    (QuerySyntaxError, 400),
    (QueryError, 500),
)


def status_of(error: QueryError) -> int:
    """The HTTP status for an engine failure."""
    return next(code for kind, code in STATUS if isinstance(error, kind))


class EngineErrorRoute(APIRoute):
    """A route whose engine failures become a JSON ``{"detail": message}`` with a fitting status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except QueryError as error:
                retry = {"Retry-After": str(error.retry_after)} if isinstance(error, QueryBusy) else None
                return JSONResponse({"detail": str(error)}, status_code=status_of(error), headers=retry)

        return answer
