"""The HTTP statuses the service answers with besides success: one table, from which every operation's
``responses`` in /openapi.json is written.

A route names the statuses it can answer (``responses(400, 404, 406)``), with its own case where one helps a
client (``responses((404, "no such graph"))``); ``document`` then writes each description from ``STATUSES``: the
problem, what it means and what to do, then the route's case. FastAPI's own 422 for a parameter of the wrong
type is described from the same table, so the whole document reads one way and a new status is one entry here.
Engine failures map to statuses in ``klynge.web.engine_errors``; ``ENGINE_FAILURES`` are those a route that
runs a query can meet whatever it asks.

>>> responses((404, "no such graph"))
{404: {'description': 'Not found: nothing is at this address; the message says what there is (here: no such graph)'}}
>>> responses(418)
Traceback (most recent call last):
ValueError: status 418 is not in klynge.web.statuses.STATUSES: add it there first
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any


@dataclass(frozen=True)
class Status:
    """What a status tells a client: the kind of problem, and what it means and whether to try again."""

    problem: str
    description: str


STATUSES: dict[int, Status] = {
    304: Status("Not modified", "the answer the client holds (If-None-Match) is still valid"),
    400: Status(
        "Bad request", "the request is malformed or a parameter is wrong; the message says which and how to fix it"
    ),
    403: Status("Refused", "an update, SERVICE or LOAD: this service only reads, so it never runs one"),
    404: Status("Not found", "nothing is at this address; the message says what there is"),
    406: Status(
        "Not acceptable",
        "nothing this route gives matches `format` or Accept (an unknown `format` falls back to Accept); the "
        "message lists what it gives",
    ),
    413: Status("Too large a request", "the request body is larger than 1 MiB: send a shorter query"),
    415: Status("Unsupported media type", "a request body of another type than the route reads"),
    422: Status(
        "Cannot be answered",
        "a parameter of the wrong type or out of its bounds (`detail` lists them), or an answer past the "
        "result-size or time limit: the same request fails again, so narrow it",
    ),
    503: Status(
        "Unavailable",
        "the service cannot answer now (every query worker busy, or no embedded store for this); a query did "
        "not start: send it again after the Retry-After seconds when given",
    ),
    507: Status("Out of memory", "the query needed more memory than one query may use and was stopped: narrow it"),
}
# What a route that runs a query can answer whatever it asks: past a limit, busy, out of memory.
ENGINE_FAILURES = (422, 503, 507)


def responses(*statuses: int | tuple[int, str], ok: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses``: each status described from the table, with the route's own case if given, and
    ``ok`` for its 200 (the media types it sends)."""
    found: dict[int | str, dict[str, Any]] = {} if ok is None else {200: ok}
    for status in statuses:
        code, case = status if isinstance(status, tuple) else (status, None)
        if code not in STATUSES:
            raise ValueError(f"status {code} is not in klynge.web.statuses.STATUSES: add it there first")
        found[code] = {"description": describe(code, case)}
    return found


def describe(code: int, case: str | None = None) -> str:
    """The OpenAPI description of ``code``: the table's, then the route's case."""
    status = STATUSES[code]
    told = f"{status.problem}: {status.description}"
    return told if not case else f"{told} (here: {case})"


def document(openapi: dict[str, Any]) -> dict[str, Any]:
    """Write every operation's error descriptions in ``openapi`` from ``STATUSES`` (in place; returned too):
    those ``responses`` wrote stay, FastAPI's own (its 422 "Validation Error", or a bare status's reason phrase)
    get the table's, and any other text is kept as the route's case. A status missing from the table is an
    error here, so the document cannot say what the table does not."""
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            for code, response in operation.get("responses", {}).items():
                if str(code).startswith("2"):
                    continue
                if int(code) not in STATUSES:
                    raise ValueError(f"{method.upper()} {path} documents status {code}, which STATUSES lacks")
                told = response.get("description") or ""
                if told.startswith(describe(int(code))):
                    continue
                fastapi_own = {"Validation Error", HTTPStatus(int(code)).phrase}
                response["description"] = describe(int(code), None if told in fastapi_own else told)
    return openapi
