"""Engine failures as HTTP answers: one table of statuses, for ``/sparql`` and for every other route.

The status tells a client what happened and whether sending the same request again can help, because
clients act on the status alone (Jena and SPARQLWrapper show little else):

- 400 the query is malformed (said in words: what the parser expected, an undeclared prefix and its PREFIX
  line), or nests deeper than the parser safely takes: fix the query. (A function the
  engine does not have is not a failure: each call of it is an evaluation error, as SPARQL 1.1 §17.6 says, so
  a FILTER on it drops the row and a BIND of it stays unbound.)
- 400 too for a store's extension (a function or pragma outside SPARQL 1.1) sent to a remote store.
- 403 an update, SERVICE or LOAD, or (remote store) a graph that is not one of klynge's: never run.
- 413 the *request* is too large (a body past 1 MiB): send a shorter query.
- 422 the query is well-formed but its answer is past a limit (more results than allowed, or longer than the
  time limit): the same query will fail the same way, so narrow it (LIMIT/OFFSET) or use the dumps.
- 503 with Retry-After: the service could not take the query now (every worker busy, too many long queries);
  it did not start, and may run if sent again after Retry-After seconds.
- 507 the query needed more memory than one query may use and was stopped: narrow it.
- 500 anything else, with the engine's message.

``/sparql`` answers in plain text (SPARQL Protocol clients show it as is); the REST routes as
``{"detail": message}``, as FastAPI answers their other errors. What each status means to a client, as
/openapi.json says it, is written once in ``klynge.web.statuses``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute

from klynge.engines.base import (
    QueryBusy,
    QueryError,
    QueryOutOfMemory,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    QueryUnsupported,
)
from klynge.web.syntax_errors import explain


@dataclass(frozen=True)
class ErrorAnswer:
    """The status, message and headers of an engine failure."""

    status: int
    message: str
    headers: dict[str, str]


def answer_for(error: QueryError, query: str | None = None) -> ErrorAnswer:
    """The HTTP answer to an engine failure: see the module's table. A parse error of ``query`` is said in
    words (``klynge.web.syntax_errors``), the sentence the query editor shows too."""
    if isinstance(error, QuerySyntaxError):
        if query is not None and error.line is not None and error.column is not None:
            return ErrorAnswer(400, f"Malformed query: {explain(error.message, error.line, error.column, query)}", {})
        return ErrorAnswer(400, f"Malformed query: {error}", {})
    if isinstance(error, QueryUnsupported):
        return ErrorAnswer(400, f"Not accepted: {error}", {})
    if isinstance(error, QueryRefused):
        return ErrorAnswer(403, f"Refused: {error}", {})
    if isinstance(error, QueryTooLarge):
        return ErrorAnswer(
            422,
            f"Result too large: {error}. The same query will hit the limit again: narrow it or add a LIMIT "
            "(and page with OFFSET), or download the data (see /dataset for dumps).",
            {},
        )
    if isinstance(error, QueryTimeout):
        return ErrorAnswer(
            422,
            f"Query stopped: {error}. The same query will run past the limit again: narrow it, or run it on a "
            "copy of the data (see /dataset for dumps).",
            {},
        )
    if isinstance(error, QueryBusy):
        message = f"Busy: {error}. The query did not start; send it again shortly."
        return ErrorAnswer(503, message, {"Retry-After": str(error.retry_after)})
    if isinstance(error, QueryOutOfMemory):
        return ErrorAnswer(507, f"Query stopped: {error}. Narrow it; the same query needs the same memory.", {})
    return ErrorAnswer(500, f"The query could not be answered: {error}", {})


def plain_text(error: QueryError, query: str | None = None) -> PlainTextResponse:
    """An engine failure of ``query`` as ``/sparql`` answers it."""
    answer = answer_for(error, query)
    return PlainTextResponse(answer.message, status_code=answer.status, headers=answer.headers)


class EngineErrorRoute(APIRoute):
    """A route whose engine failures become a JSON ``{"detail": message}`` with a fitting status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except QueryError as error:
                found = answer_for(error)
                return JSONResponse({"detail": found.message}, status_code=found.status, headers=found.headers)

        return answer
